// Package timeslice computes time slices of a run's histograms: the counts
// recorded between two moments of the run, derived from the snapshots the
// receivers stored.
//
// Receivers deliver snapshots in one of two modes. In cumulative mode (the
// default) every snapshot holds everything since the start of the run, so
// the data taken in a window [t0, t1] is
//
//	snapshot(last <= t1) - snapshot(last < t0)
//
// with nothing subtracted when t0 is at or before the first snapshot
// (SelectWindow picks the two snapshots, Diff and DiffFiles subtract). In
// reset mode every snapshot holds only what arrived since the previous one
// and a window is the sum of its snapshots (Sum, SumFiles).
//
// The difference is the histogram of the window itself, consistent with
// ROOT: contents, entries and statistics sums are subtracted, so the
// result's Mean and StdDev are those of the window, and the uncertainties
// are those of the counts in the window — sumw2(later) - sumw2(earlier),
// not the quadrature sum ROOT's TH1::Add(h, -1) would give. A counter that
// goes down between the two snapshots means the source was reset in
// between: Diff reports it in DiffInfo and returns the later snapshot as it
// is, never negative counts.
//
// The time-slice service (request keys, cache, asynchronous jobs) lives in
// this package's service*.go files and builds on these functions.
package timeslice
