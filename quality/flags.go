package quality

import (
	"slices"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Verdict is a quality valid over the half-open stretch [Start, End) of a
// run, e.g. a subsystem's aggregated quality for the data of one snapshot.
type Verdict struct {
	Start, End time.Time
	Quality    overwatch.Quality
	Reason     string
}

// Flag is one stretch of a run's time-based quality flags.
type Flag struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Unknown marks a stretch no verdict covers (Quality is then Null).
	Unknown bool `json:"unknown,omitempty"`
	// Quality is the flag: the worst real verdict covering the stretch, or
	// Null when only Null verdicts cover it.
	Quality overwatch.Quality `json:"quality"`
	// Reasons are the reasons of the verdicts that set the flag, each once,
	// in order of appearance.
	Reasons []string `json:"reasons,omitempty"`
}

// TimeFlags turns verdicts into the time-based quality flags of the run
// [start, end) with ALICE O2's semantics (QualityControl doc/Framework.md,
// "Propagating Check results to RCT"): stretches no verdict covers are
// Unknown; where verdicts overlap the worst real verdict wins (Bad wins over
// everything); a Null verdict counts only where no real verdict covers the
// stretch, so a real verdict arriving for the same time replaces it; Good
// and Bad coexist on different stretches; adjacent stretches with the same
// flag are merged. Verdicts are clipped to the run; empty or inverted ones
// are ignored. The flags cover [start, end) without gaps, in time order;
// nil when end is not after start.
func TimeFlags(start, end time.Time, verdicts []Verdict) []Flag {
	if !end.After(start) {
		return nil
	}
	vs := make([]Verdict, 0, len(verdicts))
	cuts := []time.Time{start, end}
	for _, v := range verdicts {
		if v.Start.Before(start) {
			v.Start = start
		}
		if v.End.After(end) {
			v.End = end
		}
		if !v.End.After(v.Start) {
			continue
		}
		vs = append(vs, v)
		cuts = append(cuts, v.Start, v.End)
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })

	// A sweep over the cuts with the verdicts sorted by start: each stretch
	// looks only at the verdicts covering it (the active ones), visited in
	// input order so that reasons keep their order of appearance.
	order := make([]int, len(vs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return vs[a].Start.Compare(vs[b].Start) })
	var active []int
	next := 0
	var flags []Flag
	for i := 0; i+1 < len(cuts); i++ {
		lo, hi := cuts[i], cuts[i+1]
		added := false
		for next < len(order) && vs[order[next]].Start.Before(hi) {
			active = append(active, order[next])
			next++
			added = true
		}
		active = slices.DeleteFunc(active, func(k int) bool { return !vs[k].End.After(lo) })
		if added {
			slices.Sort(active)
		}
		f := Flag{Start: lo, End: hi, Unknown: true}
		for _, k := range active {
			v := vs[k]
			switch {
			case f.Unknown || v.Quality > f.Quality:
				f.Unknown, f.Quality = false, v.Quality
				f.Reasons = f.Reasons[:0:0]
				f.Reasons = addReason(f.Reasons, v.Reason)
			case v.Quality == f.Quality:
				f.Reasons = addReason(f.Reasons, v.Reason)
			}
		}
		if n := len(flags); n > 0 && flags[n-1].Unknown == f.Unknown && flags[n-1].Quality == f.Quality {
			flags[n-1].End = hi
			for _, r := range f.Reasons {
				flags[n-1].Reasons = addReason(flags[n-1].Reasons, r)
			}
			continue
		}
		flags = append(flags, f)
	}
	return flags
}

func addReason(rs []string, r string) []string {
	if r == "" || slices.Contains(rs, r) {
		return rs
	}
	return append(rs, r)
}

// BadStreak returns how many of the last qualities in qs are Bad in a row
// (Null results do not break or extend the streak).
func BadStreak(qs []overwatch.Quality) int {
	n := 0
	for i := len(qs) - 1; i >= 0; i-- {
		switch qs[i] {
		case overwatch.QualityBad:
			n++
		case overwatch.QualityNull:
		default:
			return n
		}
	}
	return n
}
