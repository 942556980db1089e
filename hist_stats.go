package overwatch

import (
	"fmt"
	"math"
)

// Axis numbers used by the statistics, projection and rebinning methods:
// 0 is the x axis, 1 the y axis and 2 the z axis (ROOT numbers them 1, 2, 3).
// For a TProfile the profiled quantity is axis 1, for a TProfile2D axis 2,
// as ROOT's TProfile::GetMean(2) and TProfile2D::GetMean(3).
const (
	AxisX = 0
	AxisY = 1
	AxisZ = 2
)

// axisCanExtend is TAxis::kCanExtend in fBits2: with bin labels, such an
// axis' coordinate statistics are meaningless and ROOT zeroes them.
const axisCanExtend = 1 << 1

// floatMax is FLT_MAX, the initial extreme of ROOT's GetMaximum/GetMinimum.
const floatMax = math.MaxFloat32

// SetRange restricts the axis to the bins first..last as ROOT's
// TAxis::SetRange does: the range is cleared (First = Last = 0) when
// last < first, both are negative, both are beyond the overflow bin, or both
// are 0; otherwise first is clamped to 0 and last to NBins+1.
func (a *Axis) SetRange(first, last int) {
	n := a.NBins + 1
	if last < first || (first < 0 && last < 0) || (first > n && last > n) || (first == 0 && last == 0) {
		a.First, a.Last = 0, 0
		return
	}
	a.First = max(first, 0)
	a.Last = min(last, n)
}

// HasRange reports whether a bin range restricts the axis (ROOT's kAxisRange
// bit). Overwatch does not store that bit: a range is active when First and
// Last are set and differ from the whole axis 1..NBins, which is how ROOT
// writes an unrestricted axis (0,0 or 1,NBins).
func (a *Axis) HasRange() bool {
	if a.First == 0 && a.Last == 0 {
		return false
	}
	return !(a.First == 1 && a.Last == a.NBins)
}

// FirstBin returns the first bin of the axis range (ROOT's TAxis::GetFirst):
// 1 when no range is set; a stored First outside 0..NBins+1 is clamped.
func (a *Axis) FirstBin() int {
	if !a.HasRange() {
		return 1
	}
	return min(max(a.First, 0), a.NBins+1)
}

// LastBin returns the last bin of the axis range (ROOT's TAxis::GetLast):
// NBins when no range is set; a stored Last outside 0..NBins+1 is clamped.
func (a *Axis) LastBin() int {
	if !a.HasRange() {
		return a.NBins
	}
	return min(max(a.Last, 0), a.NBins+1)
}

// labelledExtendable reports whether the axis has bin labels and may extend,
// in which case ROOT does not compute coordinate statistics on it.
func (a *Axis) labelledExtendable() bool {
	return a.Labels != nil && a.Bits2&axisCanExtend != 0
}

// statBins returns the bin range GetStats loops over on an axis when it
// recomputes the sums from the bin contents: the axis range, extended to
// the under- and overflow bins when overflows count in the statistics and
// no range is set.
func (a *Axis) statBins(overflows bool) (lo, hi int) {
	lo, hi = a.FirstBin(), a.LastBin()
	if overflows && !a.HasRange() {
		if lo == 1 {
			lo = 0
		}
		if hi == a.NBins {
			hi++
		}
	}
	return lo, hi
}

// statCoord is the coordinate of bin i used by GetStats on a recomputation.
func (a *Axis) statCoord(i int) float64 {
	if a.labelledExtendable() {
		return 0
	}
	return a.BinCenter(i)
}

// axes returns pointers to the axes of h that its dimension uses.
func (h *Hist) axes() []*Axis {
	all := []*Axis{&h.X, &h.Y, &h.Z}
	d := h.Dim()
	if d < 1 || d > 3 {
		return nil
	}
	return all[:d]
}

// statsFromBins reports whether GetStats recomputes the sums from the bin
// contents instead of using the stored sums: when the stored sum of weights
// is zero while there are entries (ROOT's marker for "bin contents were set
// directly") — for profiles whenever it is zero — or when a range restricts
// one of the axes.
func (h *Hist) statsFromBins() bool {
	dim := h.Dim()
	if h.X.HasRange() || (dim >= 2 && h.Y.HasRange()) || (dim >= 3 && h.Z.HasRange()) {
		return true
	}
	if h.IsProfile() {
		return h.Stats.Sumw == 0
	}
	return h.Stats.Sumw == 0 && h.Entries > 0
}

// StatSums returns the statistics sums as ROOT's TH1::GetStats (and the
// TH2, TH3, TProfile and TProfile2D overrides) returns them: the stored sums
// (which exclude under/overflow fills unless StatOverflows is 1) or, when
// the stored sum of weights is zero while there are entries or a range
// restricts an axis, sums recomputed from the bin contents and bin centres
// of the cells in range. The stored Stats are not modified.
func (h *Hist) StatSums() Stats {
	if !h.statsFromBins() {
		return h.Stats
	}
	var s Stats
	dim := h.Dim()
	if dim == 0 || h.checkArrays() != nil {
		return s
	}
	so := h.statOverflows()
	xlo, xhi := h.X.statBins(so)
	ylo, yhi, zlo, zhi := 0, 0, 0, 0
	if dim >= 2 {
		ylo, yhi = h.Y.statBins(so)
	}
	if dim >= 3 {
		zlo, zhi = h.Z.statBins(so)
	}
	if xhi < xlo {
		return s
	}
	xs := make([]float64, xhi-xlo+1)
	for i := range xs {
		xs[i] = h.X.statCoord(xlo + i)
	}
	nx, ny := h.X.NBins+2, h.Y.NBins+2
	prof := h.IsProfile()
	for iz := zlo; iz <= zhi; iz++ {
		var z float64
		if dim >= 3 {
			z = h.Z.statCoord(iz)
		}
		for iy := ylo; iy <= yhi; iy++ {
			var y float64
			if dim >= 2 {
				y = h.Y.statCoord(iy)
			}
			row := nx * (iy + ny*iz) // unused axes have bin 0
			var sw, sw2, swx, swx2, sv, sv2 float64
			for i, x := range xs {
				bin := row + xlo + i
				var w, w2 float64
				if prof {
					w = h.BinEntries[bin]
					w2 = w
					if h.BinSumw2 != nil {
						w2 = h.BinSumw2[bin]
					}
					sv += h.Contents[bin]
					sv2 += h.Sumw2[bin]
				} else {
					w = h.Contents[bin]
					if h.Sumw2 != nil {
						w2 = math.Abs(h.Sumw2[bin])
					} else {
						w2 = math.Abs(w)
					}
				}
				sw += w
				sw2 += w2
				swx += w * x
				swx2 += w * x * x
			}
			s.Sumw += sw
			s.Sumw2 += sw2
			s.Sumwx += swx
			s.Sumwx2 += swx2
			switch {
			case prof && dim == 1:
				s.Sumwy += sv
				s.Sumwy2 += sv2
			case prof:
				s.Sumwy += sw * y
				s.Sumwy2 += sw * y * y
				s.Sumwxy += swx * y
				s.Sumwz += sv
				s.Sumwz2 += sv2
			case dim >= 2:
				s.Sumwy += sw * y
				s.Sumwy2 += sw * y * y
				s.Sumwxy += swx * y
				if dim >= 3 {
					s.Sumwz += sw * z
					s.Sumwz2 += sw * z * z
					s.Sumwxz += swx * z
					s.Sumwyz += sw * y * z
				}
			}
		}
	}
	return s
}

// momentSums returns the sum of weights and the first and second moment sums
// of the given axis from s, and whether the axis is defined for h.
func (h *Hist) momentSums(s *Stats, axis int) (sw, m1, m2 float64, ok bool) {
	maxAxis := h.Dim() - 1
	if h.IsProfile() {
		maxAxis++ // the profiled quantity
	}
	if axis < 0 || axis > maxAxis {
		return 0, 0, 0, false
	}
	switch axis {
	case AxisX:
		return s.Sumw, s.Sumwx, s.Sumwx2, true
	case AxisY:
		return s.Sumw, s.Sumwy, s.Sumwy2, true
	default:
		return s.Sumw, s.Sumwz, s.Sumwz2, true
	}
}

// Mean returns the mean along an axis (0 = x, 1 = y, 2 = z; for profiles
// the profiled quantity is the axis after the last binned one) as ROOT's
// TH1::GetMean: sum(w·x)/sum(w) from StatSums. It returns 0 for an axis the
// histogram does not have and for an empty histogram.
func (h *Hist) Mean(axis int) float64 {
	s := h.StatSums()
	sw, m1, _, ok := h.momentSums(&s, axis)
	if !ok || sw == 0 {
		return 0
	}
	return m1 / sw
}

// stdDev2 returns the variance along axis as TH1::GetStdDev computes it
// (negative values, possible with negative weights, become 0).
func (h *Hist) stdDev2(s *Stats, axis int) (float64, bool) {
	sw, m1, m2, ok := h.momentSums(s, axis)
	if !ok || sw == 0 {
		return 0, false
	}
	mean := m1 / sw
	return math.Max(m2/sw-mean*mean, 0), true
}

// StdDev returns the standard deviation along an axis (see Mean for the
// axis numbers) as ROOT's TH1::GetStdDev (GetRMS).
func (h *Hist) StdDev(axis int) float64 {
	s := h.StatSums()
	v, ok := h.stdDev2(&s, axis)
	if !ok {
		return 0
	}
	return math.Sqrt(v)
}

// MeanError returns the error of the mean along an axis as ROOT's
// TH1::GetMeanError: StdDev(axis)/sqrt(EffectiveEntries()), 0 when there
// are no effective entries.
func (h *Hist) MeanError(axis int) float64 {
	s := h.StatSums()
	v, ok := h.stdDev2(&s, axis)
	neff := effectiveEntries(&s)
	if !ok || !(neff > 0) {
		return 0
	}
	return math.Sqrt(v) / math.Sqrt(neff)
}

// StdDevError returns the error of the standard deviation along an axis as
// ROOT's TH1::GetStdDevError (exact for a Gaussian distribution):
// sqrt(variance/(2·EffectiveEntries())).
func (h *Hist) StdDevError(axis int) float64 {
	s := h.StatSums()
	v, ok := h.stdDev2(&s, axis)
	neff := effectiveEntries(&s)
	if !ok || !(neff > 0) {
		return 0
	}
	return math.Sqrt(v / (2 * neff))
}

func effectiveEntries(s *Stats) float64 {
	if s.Sumw2 != 0 {
		return s.Sumw * s.Sumw / s.Sumw2
	}
	return math.Abs(s.Sumw)
}

// EffectiveEntries returns the number of effective entries as ROOT's
// TH1::GetEffectiveEntries: (sum w)²/(sum w²) from StatSums, or |sum w| when
// the sum of squared weights is zero.
func (h *Hist) EffectiveEntries() float64 {
	s := h.StatSums()
	return effectiveEntries(&s)
}

// rangeBins returns the bin ranges (per axis, up to 3) GetMaximum and
// friends loop over: the axis ranges, with unused axes fixed at bin 0.
func (h *Hist) rangeBins() (lo, hi [3]int) {
	for i, a := range h.axes() {
		lo[i], hi[i] = a.FirstBin(), a.LastBin()
	}
	return lo, hi
}

// GetMaximum returns the largest bin content in the axis ranges (never
// under- or overflow cells) as ROOT's TH1::GetMaximum: the Maximum field
// when it is set (not DefaultMinimum) and -FLT_MAX when no cell is in range.
// For profiles the bin content is the cell mean. (The method carries ROOT's
// name because the field Maximum holds ROOT's fMaximum.)
func (h *Hist) GetMaximum() float64 {
	if h.Maximum != DefaultMinimum {
		return h.Maximum
	}
	_, v := h.extremeBin(true)
	return v
}

// GetMinimum returns the smallest bin content in the axis ranges as ROOT's
// TH1::GetMinimum: the Minimum field when it is set (not DefaultMinimum) and
// FLT_MAX when no cell is in range.
func (h *Hist) GetMinimum() float64 {
	if h.Minimum != DefaultMinimum {
		return h.Minimum
	}
	_, v := h.extremeBin(false)
	return v
}

// MaximumBin returns the global cell of the largest bin content in the axis
// ranges as ROOT's TH1::GetMaximumBin (the first one in cell order on ties;
// the Maximum field is not consulted). It returns 0 for a histogram with no
// cell in range.
func (h *Hist) MaximumBin() int {
	b, _ := h.extremeBin(true)
	return b
}

// MinimumBin returns the global cell of the smallest bin content in the axis
// ranges as ROOT's TH1::GetMinimumBin.
func (h *Hist) MinimumBin() int {
	b, _ := h.extremeBin(false)
	return b
}

// extremeBin scans the cells in range for the largest (max) or smallest
// content, starting from -FLT_MAX or FLT_MAX as ROOT does.
func (h *Hist) extremeBin(max bool) (bin int, value float64) {
	lo, hi := h.rangeBins()
	value = floatMax
	if max {
		value = -floatMax
	}
	if h.Dim() == 0 || h.checkArrays() != nil {
		return 0, value
	}
	prof := h.IsProfile()
	nx, ny := h.X.NBins+2, h.Y.NBins+2
	found := false
	for iz := lo[2]; iz <= hi[2]; iz++ {
		for iy := lo[1]; iy <= hi[1]; iy++ {
			row := nx * (iy + ny*iz)
			for ix := lo[0]; ix <= hi[0]; ix++ {
				b := row + ix
				v := h.Contents[b]
				if prof {
					v = 0
					if e := h.BinEntries[b]; e != 0 {
						v = h.Contents[b] / e
					}
				}
				if (max && v > value) || (!max && v < value) {
					value, bin, found = v, b, true
				}
			}
		}
	}
	if !found {
		return 0, value
	}
	return bin, value
}

// Reset empties h as ROOT's TH1::Reset: every cell array (contents, Sumw2,
// profile bin entries and bin Sumw2) is zeroed but kept, entries and the
// statistics sums become 0. Binning, titles, attributes and the
// Minimum/Maximum settings are kept.
func (h *Hist) Reset() {
	clear(h.Contents)
	clear(h.Sumw2)
	clear(h.BinEntries)
	clear(h.BinSumw2)
	h.Entries = 0
	h.Stats = Stats{}
}

// ResetStats recomputes the statistics sums from the bin contents as ROOT's
// TH1::ResetStats: the sums become those GetStats returns with no stored sum
// of weights (cells in the axis ranges, bin centres as coordinates), and the
// entries become |sum w| — or the effective entries (sum w)²/(sum w²) when
// h stores Sumw2 and both sums are positive.
func (h *Hist) ResetStats() {
	saved := h.Entries
	h.Stats.Sumw = 0
	h.Entries = 1 // forces the recomputation, as ROOT does
	s := h.StatSums()
	h.Entries = saved
	h.Stats = s
	h.Entries = math.Abs(s.Sumw)
	if h.Sumw2 != nil && s.Sumw > 0 && s.Sumw2 > 0 {
		h.Entries = s.Sumw * s.Sumw / s.Sumw2
	}
}

// SetBinContent sets the content of a global cell as ROOT's
// TH1::SetBinContent: the entry count increases by one and the statistics
// sums are cleared so that they are recomputed from the bin contents (see
// StatSums; call ResetStats to store them). It fails for a cell outside
// 0..NCells()-1 and for profiles, whose cells are sums rather than values.
func (h *Hist) SetBinContent(bin int, v float64) error {
	if err := h.settable(bin); err != nil {
		return err
	}
	h.Contents[bin] = v
	h.Entries++
	h.Stats = Stats{}
	return nil
}

// SetBinError sets the error of a global cell as ROOT's TH1::SetBinError:
// Sumw2 is enabled if absent (seeded from the contents) and the cell's sum
// of squared weights becomes e². The statistics sums are cleared so that
// they are recomputed from the bins. It fails like SetBinContent.
func (h *Hist) SetBinError(bin int, e float64) error {
	if err := h.settable(bin); err != nil {
		return err
	}
	h.EnableSumw2()
	h.Sumw2[bin] = e * e
	h.Stats = Stats{}
	return nil
}

func (h *Hist) settable(bin int) error {
	if h.IsProfile() {
		return fmt.Errorf("overwatch: cannot set a bin of %s %q: profile cells are sums, fill them instead", h.Class, h.Name)
	}
	if bin < 0 || bin >= len(h.Contents) {
		return fmt.Errorf("overwatch: %s %q has cells 0..%d, not %d", h.Class, h.Name, len(h.Contents)-1, bin)
	}
	return nil
}
