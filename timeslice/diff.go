package timeslice

import (
	"errors"
	"fmt"
	"math"

	ow "github.com/overwatch-dqm/overwatch"
)

// ErrNoHist is wrapped by the errors of Diff and Sum when a histogram
// argument is missing.
var ErrNoHist = errors.New("timeslice: no histogram")

// DiffInfo tells how Diff obtained its result.
type DiffInfo struct {
	// Reset is true when a count went down between the two snapshots: the
	// source was reset in between, and the result is the later snapshot
	// unchanged.
	Reset bool
	// Cell is the global cell whose content (bin entries for profiles)
	// decreased, or -1 when the reset was detected on the entry count or
	// there was no reset.
	Cell int
	// Reason describes the decrease that revealed the reset ("" otherwise).
	Reason string
	// Clamped counts the cell values (contents, Sumw2, bin entries) whose
	// difference was negative by no more than the storage rounding and was
	// set to zero.
	Clamped int
}

// relTolerance is the relative amount by which a value may go down between
// two snapshots because of rounding alone. ROOT stores TH*F contents as
// float32, rounded on every fill: a few units in the last place of a float32.
// Everything else is float64.
func relTolerance(class string) float64 {
	switch class {
	case ow.ClassTH1F, ow.ClassTH2F, ow.ClassTH3F:
		return 4 * 0x1p-24 // 4 ulp of a float32 (2.4e-7)
	}
	return 1e-12
}

// decreased reports whether cur is below prev by more than the rounding
// tolerance rel (relative to the larger magnitude). NaNs never decrease.
func decreased(cur, prev, rel float64) bool {
	d := prev - cur
	if !(d > 0) {
		return false
	}
	return d > rel*math.Max(math.Abs(prev), math.Abs(cur))
}

// Diff returns the counts recorded between two cumulative snapshots of the
// same histogram: later minus earlier, cell by cell including under- and
// overflow, with
//
//   - entries = later - earlier and every statistics sum = later - earlier,
//     so that the result's Mean, StdDev, EffectiveEntries are the window's;
//   - Sumw2 = sumw2(later) - sumw2(earlier), the uncertainties of the counts
//     in the window (a snapshot without Sumw2 counts sumw2 = |content|); the
//     result has Sumw2 when either snapshot has it, so without Sumw2 on
//     either side the errors stay sqrt(content);
//   - for profiles, the same subtraction of every per-cell array (sums of
//     w·y, w·y², bin entries and their squared weights).
//
// Everything else (class, name, title, axes, attributes) comes from later.
// Differences that are negative only by rounding are set to zero (counted
// in DiffInfo.Clamped). When a cell content — the bin entries for profiles
// — or the entry count goes down by more than rounding, the source was
// reset between the snapshots: Diff returns a clone of later and a DiffInfo
// with Reset set and the cell and reason. Neither argument is modified.
//
// A nil argument (wrapping ErrNoHist), an inconsistent histogram or
// different binning (wrapping overwatch.ErrIncompatible) is an error.
func Diff(later, earlier *ow.Hist) (*ow.Hist, DiffInfo, error) {
	info := DiffInfo{Cell: -1}
	if later == nil || earlier == nil {
		return nil, info, fmt.Errorf("%w: Diff needs two histograms (later %v, earlier %v)", ErrNoHist, later != nil, earlier != nil)
	}
	if err := later.Validate(); err != nil {
		return nil, info, fmt.Errorf("timeslice: later snapshot: %w", err)
	}
	if err := earlier.Validate(); err != nil {
		return nil, info, fmt.Errorf("timeslice: earlier snapshot: %w", err)
	}
	if err := later.Compatible(earlier); err != nil {
		return nil, info, fmt.Errorf("timeslice: cannot subtract %q: %w", later.Name, err)
	}
	rel := relTolerance(later.Class)
	if r := relTolerance(earlier.Class); r > rel {
		rel = r
	}
	out := later.CloneEmpty()
	// sub writes cur - prev into dst, setting differences that are negative
	// by rounding only to zero. With counts set, a larger decrease is a
	// reset: sub reports the cell and stops.
	sub := func(dst, cur, prev []float64, counts string) (reset bool) {
		prev, dst = prev[:len(cur)], dst[:len(cur)] // no bounds checks below
		for i, c := range cur {
			d := c - prev[i]
			if d < 0 {
				if decreased(c, prev[i], rel) && counts != "" {
					info.Reset = true
					info.Clamped = 0
					info.Cell = i
					info.Reason = fmt.Sprintf("%s of cell %d went down from %g to %g", counts, i, prev[i], c)
					return true
				}
				d = 0
				info.Clamped++
			}
			dst[i] = d
		}
		return false
	}
	// sw2 is the per-cell sum of squared weights of a histogram, implied by
	// its contents (unit weights) when it stores none.
	sw2 := func(stored, contents []float64) []float64 {
		if stored != nil {
			return stored
		}
		a := make([]float64, len(contents))
		for i, v := range contents {
			a[i] = math.Abs(v)
		}
		return a
	}
	if later.IsProfile() {
		// The bin entries are the counts; sums of w·y may legitimately go
		// down (negative y), so they are subtracted as they are.
		if sub(out.BinEntries, later.BinEntries, earlier.BinEntries, "bin entries") {
			return later.Clone(), info, nil
		}
		for i, c := range later.Contents {
			out.Contents[i] = c - earlier.Contents[i]
		}
		sub(out.Sumw2, later.Sumw2, earlier.Sumw2, "")
		if later.BinSumw2 != nil || earlier.BinSumw2 != nil {
			if out.BinSumw2 == nil {
				out.BinSumw2 = make([]float64, len(out.Contents))
			}
			sub(out.BinSumw2, sw2(later.BinSumw2, later.BinEntries), sw2(earlier.BinSumw2, earlier.BinEntries), "")
		}
	} else {
		if sub(out.Contents, later.Contents, earlier.Contents, "content") {
			return later.Clone(), info, nil
		}
		if later.Sumw2 != nil || earlier.Sumw2 != nil {
			if out.Sumw2 == nil {
				out.Sumw2 = make([]float64, len(out.Contents))
			}
			sub(out.Sumw2, sw2(later.Sumw2, later.Contents), sw2(earlier.Sumw2, earlier.Contents), "")
		}
	}
	if decreased(later.Entries, earlier.Entries, 1e-12) {
		info.Reset = true
		info.Reason = fmt.Sprintf("entries went down from %g to %g", earlier.Entries, later.Entries)
		return later.Clone(), info, nil
	}
	out.Entries = max(later.Entries-earlier.Entries, 0) // below 0 only by rounding
	out.Stats = later.Stats
	subStats(&out.Stats, &earlier.Stats)
	return out, info, nil
}

// subStats subtracts every statistics sum of e from s.
func subStats(s, e *ow.Stats) {
	s.Sumw -= e.Sumw
	s.Sumw2 -= e.Sumw2
	s.Sumwx -= e.Sumwx
	s.Sumwx2 -= e.Sumwx2
	s.Sumwy -= e.Sumwy
	s.Sumwy2 -= e.Sumwy2
	s.Sumwxy -= e.Sumwxy
	s.Sumwz -= e.Sumwz
	s.Sumwz2 -= e.Sumwz2
	s.Sumwxz -= e.Sumwxz
	s.Sumwyz -= e.Sumwyz
}

// Sum returns the sum of reset-mode snapshots of one histogram with
// ROOT's TH1::Add semantics (contents, Sumw2, statistics and entries add;
// see overwatch.Hist.Add). The first histogram gives class, name, title and
// attributes; no argument is modified. No histogram, a nil one
// (ErrNoHist) or different binning (overwatch.ErrIncompatible) is an error.
func Sum(hists ...*ow.Hist) (*ow.Hist, error) {
	if len(hists) == 0 || hists[0] == nil {
		return nil, fmt.Errorf("%w: Sum needs at least one histogram", ErrNoHist)
	}
	if err := hists[0].Validate(); err != nil {
		return nil, fmt.Errorf("timeslice: sum: %w", err)
	}
	out := hists[0].Clone()
	for i, h := range hists[1:] {
		if h == nil {
			return nil, fmt.Errorf("%w: histogram %d of the sum is nil", ErrNoHist, i+1)
		}
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("timeslice: sum: histogram %d: %w", i+1, err)
		}
		if err := out.Add(h, 1); err != nil {
			return nil, fmt.Errorf("timeslice: sum: histogram %d: %w", i+1, err)
		}
	}
	return out, nil
}
