package overwatch

import (
	"fmt"
)

// ProfileX returns the profile of a TH2 or TProfile2D along x: a TProfile
// whose bin i holds the mean y of the cells (i, first..last) (see Profile).
func (h *Hist) ProfileX(name string, ranges ...int) (*Hist, error) {
	return h.Profile(AxisX, name, ranges...)
}

// ProfileY returns the profile of a TH2 or TProfile2D along y: a TProfile
// whose bin j holds the mean x of the cells (first..last, j) (see Profile).
func (h *Hist) ProfileY(name string, ranges ...int) (*Hist, error) {
	return h.Profile(AxisY, name, ranges...)
}

// Profile builds a TProfile along axis 0 (x) or 1 (y) of a 2-D histogram,
// as ROOT's TH2::ProfileX/ProfileY and TProfile2D::ProfileX/ProfileY:
//
//   - for a TH2 every cell with a non-zero content c adds c as the weight
//     of the other axis' bin centre (the profile's bin holds the weighted
//     mean of that coordinate); the bin sums of squared weights are the
//     summed Sumw2 of the cells when the TH2 stores Sumw2, and are not
//     stored otherwise (unit-weight entries);
//   - for a TProfile2D the cells' sums (w·z, w·z², entries, squared
//     weights) are merged, so the profile holds the mean of the profiled
//     quantity along the axis;
//   - ranges is one optional (first, last) pair of bins of the other axis;
//     unlike projections the default is 1..NBins, without under- and
//     overflow (profiles use bin centres). A pair with last < first selects
//     the axis range when one is set; first < 0 becomes 1, last < 0 or
//     beyond the overflow bin becomes NBins;
//   - the profile's axis is the kept axis (only the bins in its range when
//     one is set), with its title, labels and attributes;
//   - statistics are recomputed from the profile's bins and the entries are
//     its effective entries, as ROOT does.
//
// name "" gives ROOT's default name: h.Name + "_pfx" ("_pfy"). A histogram
// that is not 2-D, a bad axis or a bad range count is an error.
func (h *Hist) Profile(axis int, name string, ranges ...int) (*Hist, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	if h.Dim() != 2 {
		return nil, fmt.Errorf("overwatch: a profile needs a 2-D histogram, %q is a %s", h.Name, h.Class)
	}
	if axis != AxisX && axis != AxisY {
		return nil, fmt.Errorf("overwatch: cannot profile %q along axis %d (want 0 or 1)", h.Name, axis)
	}
	if len(ranges) != 0 && len(ranges) != 2 {
		return nil, fmt.Errorf("overwatch: a profile of %q takes one (first, last) bin pair, got %d numbers", h.Name, len(ranges))
	}
	keptA, inA := &h.X, &h.Y
	suffix := "_pfx"
	if axis == AxisY {
		keptA, inA, suffix = &h.Y, &h.X, "_pfy"
	}
	first, last := 1, -1
	if len(ranges) == 2 {
		first, last = ranges[0], ranges[1]
	}
	if last < first && inA.HasRange() {
		first, last = inA.FirstBin(), inA.LastBin()
	}
	if first < 0 {
		first = 1
	}
	if last < 0 || last > inA.NBins+1 {
		last = inA.NBins
	}
	if name == "" {
		name = h.Name + suffix
	}
	ax, klo, khi, err := keptAxis(keptA)
	if err != nil {
		return nil, fmt.Errorf("overwatch: profiling %q: %w", h.Name, err)
	}
	out, err := NewHist(ClassTProfile, name, h.Title, ax)
	if err != nil {
		return nil, fmt.Errorf("overwatch: profiling %q: %w", h.Name, err)
	}
	out.Att.Line.Color = h.Att.Line.Color
	out.Att.Fill.Color = h.Att.Fill.Color
	out.Att.Marker.Color = h.Att.Marker.Color
	out.Att.Marker.Style = h.Att.Marker.Style
	prof := h.IsProfile()
	if prof {
		out.ErrorMode = h.ErrorMode
	}
	if (prof && h.BinSumw2 != nil) || (!prof && h.Sumw2 != nil) {
		out.BinSumw2 = make([]float64, len(out.Contents))
	}
	restricted := keptA.HasRange()
	nx := h.X.NBins + 2
	for k := 0; k <= keptA.NBins+1; k++ {
		ob := k
		if restricted {
			if k < klo || k > khi {
				continue
			}
			ob = k - klo + 1
		}
		for i := first; i <= last; i++ {
			b := k + nx*i
			if axis == AxisY {
				b = i + nx*k
			}
			if prof {
				out.Contents[ob] += h.Contents[b]
				out.Sumw2[ob] += h.Sumw2[b]
				out.BinEntries[ob] += h.BinEntries[b]
				if out.BinSumw2 != nil {
					out.BinSumw2[ob] += h.BinSumw2[b]
				}
				continue
			}
			c := h.Contents[b]
			if c == 0 {
				continue
			}
			y := inA.BinCenter(i)
			out.Contents[ob] += c * y
			out.Sumw2[ob] += c * y * y
			out.BinEntries[ob] += c
			if out.BinSumw2 != nil {
				out.BinSumw2[ob] += h.Sumw2[b]
			}
		}
	}
	out.ResetStats()
	out.Entries = out.EffectiveEntries()
	return out, nil
}
