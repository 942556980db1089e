package quality

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch"
)

// The aggregation rules (ATLAS's summary makers).
const (
	// WorstCase: the worst of the judged (non-Null) results; Null when none
	// is judged. The default.
	WorstCase = "WorstCase"
	// Fraction: Bad when more than BadFraction of the judged results are
	// Bad, Medium when more than MediumFraction are Bad or Medium, Good
	// otherwise; Null when none is judged.
	Fraction = "Fraction"
)

// Aggregator combines the results of several checks (of one histogram, or
// of every histogram of a subsystem) into one quality.
type Aggregator struct {
	Rule string `yaml:"rule" json:"rule"` // WorstCase (default, "") or Fraction
	// BadFraction and MediumFraction are the Fraction rule's thresholds
	// (fractions of the judged results, 0..1).
	BadFraction    float64 `yaml:"badFraction" json:"badFraction"`
	MediumFraction float64 `yaml:"mediumFraction" json:"mediumFraction"`
}

// Validate checks the rule and its thresholds; errors wrap ErrConfig.
func (a Aggregator) Validate() error {
	switch a.Rule {
	case "", WorstCase:
		return nil
	case Fraction:
		if a.BadFraction < 0 || a.BadFraction > 1 || a.MediumFraction < 0 || a.MediumFraction > 1 {
			return fmt.Errorf("%w: aggregation %s: fractions must be within [0, 1]", ErrConfig, a.Rule)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown aggregation rule %q (WorstCase or Fraction)", ErrConfig, a.Rule)
}

// Aggregate combines qualities by the rule and says how.
func (a Aggregator) Aggregate(qs []overwatch.Quality) (overwatch.Quality, string) {
	var n [4]int
	judged := 0
	worst := overwatch.QualityNull
	for _, q := range qs {
		if q < overwatch.QualityNull || q > overwatch.QualityBad {
			continue
		}
		n[q]++
		if q != overwatch.QualityNull {
			judged++
			worst = max(worst, q)
		}
	}
	if judged == 0 {
		return overwatch.QualityNull, fmt.Sprintf("none of %d results judged", len(qs))
	}
	counts := fmt.Sprintf("%d good, %d medium, %d bad, %d not judged", n[overwatch.QualityGood], n[overwatch.QualityMedium], n[overwatch.QualityBad], n[overwatch.QualityNull])
	if a.Rule != Fraction {
		return worst, "worst case of " + counts
	}
	bad := float64(n[overwatch.QualityBad]) / float64(judged)
	medium := float64(n[overwatch.QualityBad]+n[overwatch.QualityMedium]) / float64(judged)
	switch {
	case bad > a.BadFraction:
		return overwatch.QualityBad, fmt.Sprintf("%.3g bad > %g: %s", bad, a.BadFraction, counts)
	case medium > a.MediumFraction:
		return overwatch.QualityMedium, fmt.Sprintf("%.3g medium or bad > %g: %s", medium, a.MediumFraction, counts)
	}
	return overwatch.QualityGood, counts
}

// AggregateResults is Aggregate over the results' qualities.
func (a Aggregator) AggregateResults(rs []Result) (overwatch.Quality, string) {
	qs := make([]overwatch.Quality, len(rs))
	for i, r := range rs {
		qs[i] = r.Quality
	}
	return a.Aggregate(qs)
}
