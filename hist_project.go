package overwatch

import (
	"fmt"
	"math"
	"strings"
)

// ProjectionX projects a TH2 or TH3 onto its x axis into a TH1D, as ROOT's
// TH2::ProjectionX / TH3::ProjectionX. See Projection for the ranges.
func (h *Hist) ProjectionX(name string, ranges ...int) (*Hist, error) {
	return h.Projection(AxisX, name, ranges...)
}

// ProjectionY projects a TH2 or TH3 onto its y axis into a TH1D, as ROOT's
// TH2::ProjectionY / TH3::ProjectionY. See Projection for the ranges.
func (h *Hist) ProjectionY(name string, ranges ...int) (*Hist, error) {
	return h.Projection(AxisY, name, ranges...)
}

// ProjectionZ projects a TH3 onto its z axis into a TH1D, as ROOT's
// TH3::ProjectionZ. See Projection for the ranges.
func (h *Hist) ProjectionZ(name string, ranges ...int) (*Hist, error) {
	return h.Projection(AxisZ, name, ranges...)
}

// Projection projects a TH2 or TH3 onto one of its axes (0 = x, 1 = y,
// 2 = z) into a TH1D, summing the cells of the other axes, with the
// semantics of ROOT's TH2::DoProjection and TH3::ProjectionX/Y/Z:
//
//   - ranges gives (first, last) bin pairs for the integrated axes in axis
//     order (for ProjectionX of a TH3: y first, y last, z first, z last);
//     missing pairs mean the whole axis. As in ROOT, a pair with last <
//     first selects the axis range when one is set (Axis.SetRange) and the
//     whole axis including under- and overflow otherwise; first < 0 becomes
//     0 and last < 0 or beyond the overflow bin becomes NBins+1.
//   - the projected axis keeps its binning, labels and attributes; when a
//     range is set on it only the bins in range are kept (no flows).
//   - contents are summed; Sumw2 is summed when h has Sumw2.
//   - the statistics are h's (mapped to the projected axis) when the
//     projected total content equals h's stored sum of weights (within
//     1e-12, 1e-6 for float storage) or, for a TH2, when the range is
//     exactly the in-range bins 1..NBins (0..NBins+1 when StatOverflows is
//     1); otherwise they are recomputed from the projected bins. The
//     entries are h's when h's statistics are kept and the range includes
//     the under- and overflow bins, else the effective entries (with Sumw2)
//     or the rounded total content.
//
// name "" gives ROOT's default name: h.Name + "_px" ("_py", "_pz").
// Profiles cannot be projected this way (ROOT builds profiles with
// ProfileX); that, a 1-D histogram and a bad axis or range count are errors.
func (h *Hist) Projection(axis int, name string, ranges ...int) (*Hist, error) {
	dim := h.Dim()
	if err := h.projectable(); err != nil {
		return nil, err
	}
	if dim < 2 {
		return nil, fmt.Errorf("overwatch: cannot project %s %q: it is 1-D", h.Class, h.Name)
	}
	if axis < 0 || axis >= dim {
		return nil, fmt.Errorf("overwatch: cannot project %d-D %q onto axis %d (want 0..%d)", dim, h.Name, axis, dim-1)
	}
	others := make([]int, 0, 2)
	for k := 0; k < dim; k++ {
		if k != axis {
			others = append(others, k)
		}
	}
	if len(ranges)%2 != 0 || len(ranges) > 2*len(others) {
		return nil, fmt.Errorf("overwatch: projection of %d-D %q takes up to %d (first, last) bin pairs, got %d numbers",
			dim, h.Name, len(others), len(ranges))
	}
	axs := h.axes()
	var lo, hi [3]int
	for i, k := range others {
		first, last := 0, -1
		if 2*i+1 < len(ranges) {
			first, last = ranges[2*i], ranges[2*i+1]
		}
		lo[k], hi[k] = resolveBinRange(axs[k], first, last)
	}
	if name == "" {
		name = h.Name + "_p" + string("xyz"[axis])
	}
	out, totcont, err := h.project(ClassTH1D, name, h.Title, []int{axis}, lo, hi)
	if err != nil {
		return nil, err
	}
	full, inner := true, true
	for _, k := range others {
		n := axs[k].NBins
		full = full && lo[k] == 0 && hi[k] == n+1
		inner = inner && lo[k] == 1 && hi[k] == n
	}
	reuse := h.totalMatches(totcont)
	if dim == 2 {
		so := h.statOverflows()
		reuse = reuse || (so && full) || (!so && inner)
	}
	h.finishProjection(out, []int{axis}, reuse, reuse && full, totcont, out.Sumw2 != nil)
	return out, nil
}

// Project3D projects a TH3 following ROOT's TH3::Project3D option grammar:
// option holds "x", "y" or "z" for a TH1D projection (as Projection, the
// other axes integrated over their ranges) or two axis letters for a TH2D
// projection, where "ab" means "a versus b": a on the vertical (y) axis of
// the result and b on the horizontal (x) axis — "xy" gives a TH2D whose x
// axis is the TH3's y axis and whose y axis is the TH3's x axis, "yx" keeps
// the orientation. Other space-separated words may be "nuf"/"nof", to
// leave out the under/overflow cells of the integrated axis (included by
// default), and "e" (errors are always computed when h has Sumw2). The integrated axis is summed over its range when one is set
// (Axis.SetRange, flows then excluded), else over all its bins; ranges
// (first, last) overrides that range for a two-letter projection with the
// resolution rules of Projection. Axes of the result with a range set keep
// only the bins in range. The result is named h.Name + "_" + the axis
// letters and titled h.Title + " <letters> projection"; statistics and
// entries follow TH3::DoProject2D (kept when the projected total equals h's
// sum of weights, recomputed from the bins otherwise; entries become the
// effective entries, rounded without Sumw2, when statistics are recomputed
// or flows are left out).
func (h *Hist) Project3D(option string, ranges ...int) (*Hist, error) {
	if err := h.projectable(); err != nil {
		return nil, err
	}
	if h.Dim() != 3 {
		return nil, fmt.Errorf("overwatch: Project3D needs a TH3, %q is a %s", h.Name, h.Class)
	}
	useUF, useOF := true, true
	var letters []int
	for _, tok := range strings.Fields(strings.ToLower(option)) {
		switch tok {
		case "nuf":
			useUF = false
			continue
		case "nof":
			useOF = false
			continue
		case "e": // errors are always computed when h has Sumw2
			continue
		}
		if letters != nil || len(tok) > 2 || strings.Trim(tok, "xyz") != "" {
			return nil, fmt.Errorf("overwatch: Project3D option %q: unexpected %q (want one axis word of x, y, z such as \"xy\", and optionally nuf, nof, e)", option, tok)
		}
		for _, r := range tok {
			letters = append(letters, strings.IndexRune("xyz", r))
		}
	}
	if len(letters) == 0 || (len(letters) == 2 && letters[0] == letters[1]) {
		return nil, fmt.Errorf("overwatch: Project3D option %q: want one axis letter or two different ones", option)
	}
	axs := h.axes()
	integrated := func(k int) (int, int) {
		a := axs[k]
		if a.HasRange() {
			return a.FirstBin(), a.LastBin()
		}
		lo, hi := 1, a.NBins
		if useUF {
			lo = 0
		}
		if useOF {
			hi++
		}
		return lo, hi
	}
	ptype := ""
	for _, k := range letters {
		ptype += string("xyz"[k])
	}
	name := h.Name + "_" + ptype
	title := h.Title + " " + ptype + " projection"
	var lo, hi [3]int
	if len(letters) == 1 {
		if len(ranges) != 0 {
			return nil, fmt.Errorf("overwatch: Project3D(%q) takes no ranges; use Projection for explicit ranges", option)
		}
		keep := letters[0]
		for k := 0; k < 3; k++ {
			if k != keep {
				lo[k], hi[k] = integrated(k)
			}
		}
		out, totcont, err := h.project(ClassTH1D, name, title, []int{keep}, lo, hi)
		if err != nil {
			return nil, err
		}
		reuse := h.totalMatches(totcont)
		h.finishProjection(out, []int{keep}, reuse, reuse && useUF && useOF, totcont, out.Sumw2 != nil)
		return out, nil
	}
	// letters[0] is vertical (result y), letters[1] horizontal (result x).
	keep := []int{letters[1], letters[0]}
	outAxis := 3 - letters[0] - letters[1]
	lo[outAxis], hi[outAxis] = integrated(outAxis)
	switch len(ranges) {
	case 0:
	case 2:
		lo[outAxis], hi[outAxis] = resolveBinRange(axs[outAxis], ranges[0], ranges[1])
	default:
		return nil, fmt.Errorf("overwatch: Project3D(%q) takes one (first, last) pair for the %c axis, got %d numbers",
			option, "xyz"[outAxis], len(ranges))
	}
	out, totcont, err := h.project(ClassTH2D, name, title, keep, lo, hi)
	if err != nil {
		return nil, err
	}
	reuse := h.totalMatches(totcont)
	h.finishProjection2D(out, keep, reuse, reuse && useUF && useOF, out.Sumw2 != nil)
	return out, nil
}

func (h *Hist) projectable() error {
	if err := h.Validate(); err != nil {
		return err
	}
	if h.IsProfile() {
		return fmt.Errorf("overwatch: cannot project %s %q: profile cells are means, not counts", h.Class, h.Name)
	}
	return nil
}

// resolveBinRange applies ROOT's DoProjection rules to a (first, last) pair
// of an integrated axis.
func resolveBinRange(a *Axis, first, last int) (int, int) {
	if last < first && a.HasRange() {
		first, last = a.FirstBin(), a.LastBin()
	}
	if first < 0 {
		first = 0
	}
	if last < 0 || last > a.NBins+1 {
		last = a.NBins + 1
	}
	return first, last
}

// totalMatches reports whether a projected total content equals the stored
// sum of weights, ROOT's test for keeping the statistics of a projection.
func (h *Hist) totalMatches(totcont float64) bool {
	eps := 1e-12
	if h.Class == ClassTH2F || h.Class == ClassTH3F {
		eps = 1e-6
	}
	return h.Stats.Sumw != 0 && math.Abs(h.Stats.Sumw-totcont) < math.Abs(h.Stats.Sumw)*eps
}

// keptAxis returns the axis of a projection built from a: the bins in a's
// range when one is set, else all of them, with a's title, labels and
// attributes, and the offset mapping a's bins to the new axis' bins.
func keptAxis(a *Axis) (Axis, int, int, error) {
	lo, hi := 1, a.NBins
	if a.HasRange() {
		lo, hi = max(a.FirstBin(), 1), min(a.LastBin(), a.NBins)
	}
	if hi < lo {
		return Axis{}, 0, 0, fmt.Errorf("overwatch: the range %d..%d of the %s holds no bin of 1..%d", a.First, a.Last, a.Name, a.NBins)
	}
	var out Axis
	if a.IsVariable() {
		var err error
		if out, err = NewAxisEdges(a.Edges[lo-1 : hi+1]); err != nil {
			return Axis{}, 0, 0, err
		}
	} else {
		out = NewAxis(hi-lo+1, a.BinLowEdge(lo), a.BinUpEdge(hi))
	}
	out.Title = a.Title
	out.Attr = a.Attr
	out.TimeDisplay = a.TimeDisplay
	out.TimeFormat = a.TimeFormat
	out.Bits2 = a.Bits2
	if len(a.Labels) == a.NBins {
		out.Labels = append([]string(nil), a.Labels[lo-1:hi]...)
	}
	return out, lo, hi, nil
}

// project sums the cells of h into a new histogram of class cls whose axes
// are h's axes keep[0] (x) and keep[1] (y), integrating every other axis k
// over bins lo[k]..hi[k]. It returns the new histogram (statistics not yet
// set) and the total projected content.
func (h *Hist) project(cls, name, title string, keep []int, lo, hi [3]int) (*Hist, float64, error) {
	axs := h.axes()
	newAxes := make([]Axis, len(keep))
	var keptLo, keptHi, restricted [3]int
	isKept := [3]int{-1, -1, -1}
	for i, k := range keep {
		a := axs[k]
		var err error
		newAxes[i], keptLo[i], keptHi[i], err = keptAxis(a)
		if err != nil {
			return nil, 0, fmt.Errorf("overwatch: projecting %q: %w", h.Name, err)
		}
		if a.HasRange() {
			restricted[i] = 1
		}
		isKept[k] = i
	}
	out, err := NewHist(cls, name, title, newAxes...)
	if err != nil {
		return nil, 0, fmt.Errorf("overwatch: projecting %q: %w", h.Name, err)
	}
	out.Att.Line.Color = h.Att.Line.Color
	out.Att.Fill.Color = h.Att.Fill.Color
	out.Att.Marker.Color = h.Att.Marker.Color
	out.Att.Marker.Style = h.Att.Marker.Style
	errs := h.Sumw2 != nil
	if errs {
		out.Sumw2 = make([]float64, len(out.Contents))
	}
	var n [3]int
	for k := range n {
		n[k] = 1
		if k < len(axs) {
			n[k] = axs[k].NBins + 2
		}
	}
	// For every axis: the output index of each bin (-1 = skipped).
	var maps [3][]int
	for k := 0; k < 3; k++ {
		m := make([]int, n[k])
		for i := range m {
			switch {
			case k >= len(axs):
				m[i] = 0
			case isKept[k] >= 0:
				j := isKept[k]
				switch {
				case restricted[j] == 0:
					m[i] = i
				case i >= keptLo[j] && i <= keptHi[j]:
					m[i] = i - keptLo[j] + 1
				default:
					m[i] = -1
				}
			case i >= lo[k] && i <= hi[k]:
				m[i] = 0
			default:
				m[i] = -1
			}
		}
		maps[k] = m
	}
	var idx [3]int
	var totcont float64
	hnx, hny := h.X.NBins+2, h.Y.NBins+2 // unused axes have bin 0
	onx := out.X.NBins + 2
	for iz := 0; iz < n[2]; iz++ {
		if maps[2][iz] < 0 {
			continue
		}
		idx[2] = maps[2][iz]
		for iy := 0; iy < n[1]; iy++ {
			if maps[1][iy] < 0 {
				continue
			}
			idx[1] = maps[1][iy]
			for ix := 0; ix < n[0]; ix++ {
				if maps[0][ix] < 0 {
					continue
				}
				idx[0] = maps[0][ix]
				ob := idx[keep[0]]
				if len(keep) == 2 {
					ob += onx * idx[keep[1]]
				}
				b := ix + hnx*(iy+hny*iz)
				c := h.Contents[b]
				out.Contents[ob] += c
				totcont += c
				if errs {
					out.Sumw2[ob] += h.Sumw2[b]
				}
			}
		}
	}
	return out, totcont, nil
}

// moment returns the first and second moment sums of original axis k.
func moment(s *Stats, k int) (float64, float64) {
	switch k {
	case AxisX:
		return s.Sumwx, s.Sumwx2
	case AxisY:
		return s.Sumwy, s.Sumwy2
	}
	return s.Sumwz, s.Sumwz2
}

// cross returns the mixed moment sum of original axes a and b.
func cross(s *Stats, a, b int) float64 {
	switch {
	case a+b == 1: // x,y
		return s.Sumwxy
	case a+b == 2: // x,z
		return s.Sumwxz
	}
	return s.Sumwyz
}

// finishProjection sets the statistics and entries of a 1-D projection.
func (h *Hist) finishProjection(out *Hist, keep []int, reuseStats, reuseEntries bool, totcont float64, errs bool) {
	if reuseStats {
		s := h.StatSums()
		m1, m2 := moment(&s, keep[0])
		out.Stats = Stats{Sumw: s.Sumw, Sumw2: s.Sumw2, Sumwx: m1, Sumwx2: m2}
	} else {
		out.ResetStats()
	}
	switch {
	case reuseEntries:
		out.Entries = h.Entries
	case errs:
		out.Entries = out.EffectiveEntries()
	default:
		out.Entries = math.Floor(totcont + 0.5)
	}
}

// finishProjection2D sets the statistics and entries of a 2-D projection
// whose x axis is h's axis keep[0] and y axis h's axis keep[1].
func (h *Hist) finishProjection2D(out *Hist, keep []int, reuseStats, reuseEntries bool, errs bool) {
	if reuseStats {
		s := h.StatSums()
		mx1, mx2 := moment(&s, keep[0])
		my1, my2 := moment(&s, keep[1])
		out.Stats = Stats{Sumw: s.Sumw, Sumw2: s.Sumw2, Sumwx: mx1, Sumwx2: mx2,
			Sumwy: my1, Sumwy2: my2, Sumwxy: cross(&s, keep[0], keep[1])}
	} else {
		out.ResetStats()
	}
	if reuseEntries {
		out.Entries = h.Entries
		return
	}
	out.Entries = out.EffectiveEntries()
	if !errs {
		out.Entries = math.Floor(out.Entries + 0.5)
	}
}
