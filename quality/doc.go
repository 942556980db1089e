// Package quality judges histograms: data-quality checks with ROOT's and
// the LHC experiments' semantics, their registry for configuration, the
// aggregation of their results and time-based quality flags.
//
// The statistical tests reproduce ROOT exactly: Chi2Test is
// TH1::Chi2Test (Gagunashvili's χ² for unweighted/weighted histograms,
// options UU, UW, WW, NORM, UF, OF) and KolmogorovTest is
// TH1::KolmogorovTest (options U, O, N, X; M and D accepted). Each returns
// every number ROOT computes (statistic, ndf, p-value, igood; probability,
// maximum distance) instead of selecting one by option.
//
// A Check judges one histogram, optionally against a reference, and returns
// a Result: a quality (overwatch.QualityGood, Medium, Bad, or Null when it
// cannot judge: empty histogram, "insufficient entries", no reference), a
// human reason, the values it used and, for the checks that locate them,
// the offending bins. Checks are built from data (overwatch.CheckSpec: a
// check name and parameters) through the registry, so that detector
// plug-ins (overwatch.Checker) and the YAML configuration declare them the
// same way and a bad declaration is a clear error (ErrConfig). The
// registered checks are:
//
//   - Chi2Test, KolmogorovTest: the ROOT tests against the reference, graded
//     by p-value (PValueBad, PValueMedium; KolmogorovTest also by MaxDist).
//   - BinByBin: every bin against the reference (normalised), with absolute
//     (MaxDiffAbs), relative (MaxDiffRel) and error (NSigma) tolerances.
//   - Bins_Diff_FromAvg: ATLAS's algorithm of the same name (NSigma,
//     MaxDiffAbs, MaxDiffRel, GreaterThan, LessThan, ignoreval, MinStat,
//     PublishBins, MaxPublish).
//   - MeanInRange, StdDevInRange, MinEntries, EmptyBinsFraction.
//   - DeadChannels, HotChannels: channels of 1-D and 2-D maps far below or
//     above the median of their neighbours.
//
// Bin-counting checks grade as ATLAS's NBins thresholds do: Good up to
// NBinsGreen offending bins, Bad from NBinsRed on, Medium between.
// Aggregator combines results (WorstCase by default, or Fraction), and
// TimeFlags turns per-stretch verdicts into time-based flags with ALICE
// O2's semantics.
package quality
