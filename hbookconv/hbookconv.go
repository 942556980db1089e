// Package hbookconv converts between overwatch.Hist and go-hep's hbook
// histograms, so that analysis programs already on go-hep can use
// Overwatch's windows and checks, and the other way round.
//
// Supported: the 1-D classes (TH1C, TH1S, TH1I, TH1F, TH1D) ↔ hbook.H1D and
// the 2-D classes (TH2C, TH2S, TH2I, TH2F, TH2D) ↔ hbook.H2D, uniform or
// variable bins. Profiles and 3-D histograms have no hbook counterpart
// here and give an error.
//
// What maps exactly: the bin edges; every in-range bin's sum of weights and
// sum of squared weights (the errors); the under- and overflow of a 1-D
// histogram; the number of entries; ROOT's in-range statistics sums (sum of
// weights, of squared weights, Σwx, Σwx², and for 2-D Σwy, Σwy², Σwxy), so
// means and standard deviations agree; the name and title (the hbook
// annotations "name" and "title").
//
// The limits, in both directions:
//
//   - hbook keeps the x (and y) moments of every bin; a Hist keeps them only
//     for the whole histogram. Hist → hbook sets a bin's moments from its
//     centre; hbook → Hist drops them (the global sums are kept).
//   - hbook counts the fills of every bin (N); a Hist does not. Hist → hbook
//     sets a bin's N to its effective entries, (Σw)²/Σw², rounded; the
//     total N is the Hist's Entries.
//   - hbook.H2D keeps its outflow in eight regions (N, NE, E, SE, S, SW, W,
//     NW), a Hist in one cell per outside bin. Hist → hbook sums the cells of
//     a region; hbook → Hist puts a region's content into the outside cell
//     at the region's mean coordinate along the edge.
//   - Bin labels, axis titles, display attributes (colours, draw option,
//     minimum/maximum) and the class's storage type have no hbook
//     counterpart: hbook → Hist gives a TH1D or TH2D without them.
//   - A Hist without Sumw2 has errors √content: hbook gets Σw² = Σw per bin,
//     and the Hist coming back has Sumw2 enabled.
package hbookconv

import (
	"errors"
	"fmt"
	"math"

	"go-hep.org/x/hep/hbook"

	ow "github.com/overwatch-dqm/overwatch"
)

// ErrUnsupported is wrapped by the errors about a histogram class without
// an hbook counterpart.
var ErrUnsupported = errors.New("hbookconv: unsupported class")

// ToH1D converts a 1-D histogram to an hbook.H1D.
func ToH1D(h *ow.Hist) (*hbook.H1D, error) {
	if err := check(h, 1); err != nil {
		return nil, err
	}
	out := hbook.NewH1DFromEdges(edges(&h.X))
	annotate(out.Ann, h)
	bng := &out.Binning
	for i := range bng.Bins {
		bng.Bins[i].Dist = dist1(h, h.Bin(i+1, 0, 0), h.X.BinCenter(i+1))
	}
	bng.Outflows[0] = dist1(h, h.Bin(0, 0, 0), h.X.Min)
	bng.Outflows[1] = dist1(h, h.Bin(h.X.NBins+1, 0, 0), h.X.Max)
	s := h.Stats
	bng.Dist = mk1(int64(math.Round(h.Entries)), s.Sumw, s.Sumw2, s.Sumwx, s.Sumwx2)
	for _, o := range bng.Outflows {
		o.Dist.N = 0 // the total N is Entries
		addDist1(&bng.Dist, o)
	}
	return out, nil
}

// FromH1D converts an hbook.H1D to a TH1D.
func FromH1D(src *hbook.H1D) (*ow.Hist, error) {
	bng := &src.Binning
	if len(bng.Bins) == 0 {
		return nil, errors.New("hbookconv: H1D without bins")
	}
	ax, err := axisOf(bng.Bins)
	if err != nil {
		return nil, err
	}
	h, err := ow.NewHist(ow.ClassTH1D, annString(src.Ann, "name"), annString(src.Ann, "title"), ax)
	if err != nil {
		return nil, fmt.Errorf("hbookconv: %w", err)
	}
	h.EnableSumw2()
	set := func(bin int, d hbook.Dist1D) { h.Contents[bin], h.Sumw2[bin] = d.SumW(), d.SumW2() }
	for i, b := range bng.Bins {
		set(h.Bin(i+1, 0, 0), b.Dist)
	}
	set(h.Bin(0, 0, 0), bng.Outflows[0])
	set(h.Bin(ax.NBins+1, 0, 0), bng.Outflows[1])
	in := bng.Dist
	for _, o := range bng.Outflows {
		addDist1(&in, negate1(o))
	}
	h.Entries = float64(bng.Dist.Entries())
	h.Stats = ow.Stats{Sumw: in.SumW(), Sumw2: in.SumW2(), Sumwx: in.SumWX(), Sumwx2: in.SumWX2()}
	return h, nil
}

// The hbook 2-D outflow regions, as indices of Binning2D.Outflows.
const (
	regNW = hbook.BngNW - 1
	regN  = hbook.BngN - 1
	regNE = hbook.BngNE - 1
	regE  = hbook.BngE - 1
	regSE = hbook.BngSE - 1
	regS  = hbook.BngS - 1
	regSW = hbook.BngSW - 1
	regW  = hbook.BngW - 1
)

// region returns the outflow region of an outside cell (-1 inside).
func region(ix, iy, nx, ny int) int {
	xu, xo := ix == 0, ix == nx+1
	yu, yo := iy == 0, iy == ny+1
	switch {
	case xo && yo:
		return regNE
	case xo && yu:
		return regSE
	case xu && yu:
		return regSW
	case xu && yo:
		return regNW
	case xo:
		return regE
	case xu:
		return regW
	case yo:
		return regN
	case yu:
		return regS
	}
	return -1
}

// ToH2D converts a 2-D histogram to an hbook.H2D.
func ToH2D(h *ow.Hist) (*hbook.H2D, error) {
	if err := check(h, 2); err != nil {
		return nil, err
	}
	out := hbook.NewH2DFromEdges(edges(&h.X), edges(&h.Y))
	annotate(out.Ann, h)
	bng := &out.Binning
	nx, ny := h.X.NBins, h.Y.NBins
	coord := func(a *ow.Axis, i int) float64 {
		switch {
		case i == 0:
			return a.Min
		case i == a.NBins+1:
			return a.Max
		}
		return a.BinCenter(i)
	}
	for iy := 0; iy <= ny+1; iy++ {
		for ix := 0; ix <= nx+1; ix++ {
			bin := h.Bin(ix, iy, 0)
			x, y := coord(&h.X, ix), coord(&h.Y, iy)
			d := dist2(h, bin, x, y)
			if r := region(ix, iy, nx, ny); r >= 0 {
				addDist2(&bng.Outflows[r], d)
				continue
			}
			bng.Bins[(iy-1)*nx+(ix-1)].Dist = d
		}
	}
	s := h.Stats
	n := int64(math.Round(h.Entries))
	bng.Dist = hbook.Dist2D{
		X: mk1(n, s.Sumw, s.Sumw2, s.Sumwx, s.Sumwx2),
		Y: mk1(n, s.Sumw, s.Sumw2, s.Sumwy, s.Sumwy2),
	}
	bng.Dist.Stats.SumWXY = s.Sumwxy
	for _, o := range bng.Outflows {
		o.X.Dist.N, o.Y.Dist.N = 0, 0 // the total N is Entries
		addDist2(&bng.Dist, o)
	}
	return out, nil
}

// FromH2D converts an hbook.H2D to a TH2D.
func FromH2D(src *hbook.H2D) (*ow.Hist, error) {
	bng := &src.Binning
	if bng.Nx <= 0 || bng.Ny <= 0 || len(bng.Bins) != bng.Nx*bng.Ny || len(bng.XEdges) != bng.Nx || len(bng.YEdges) != bng.Ny {
		return nil, errors.New("hbookconv: H2D with an inconsistent binning")
	}
	ax, err := axisOf(bng.XEdges)
	if err != nil {
		return nil, err
	}
	ay, err := axisOf(bng.YEdges)
	if err != nil {
		return nil, err
	}
	h, err := ow.NewHist(ow.ClassTH2D, annString(src.Ann, "name"), annString(src.Ann, "title"), ax, ay)
	if err != nil {
		return nil, fmt.Errorf("hbookconv: %w", err)
	}
	h.EnableSumw2()
	nx, ny := ax.NBins, ay.NBins
	for i, b := range bng.Bins {
		bin := h.Bin(i%nx+1, i/nx+1, 0)
		h.Contents[bin], h.Sumw2[bin] = b.Dist.SumW(), b.Dist.SumW2()
	}
	// Each outflow region goes to the outside cell at its mean coordinate
	// along the edge it runs along (a corner is one cell).
	along := func(a *ow.Axis, d hbook.Dist1D) int {
		if d.SumW() == 0 {
			return 1
		}
		return min(max(a.FindBin(d.SumWX()/d.SumW()), 1), a.NBins)
	}
	for r, o := range bng.Outflows {
		var ix, iy int
		switch r {
		case regNE:
			ix, iy = nx+1, ny+1
		case regSE:
			ix, iy = nx+1, 0
		case regSW:
			ix, iy = 0, 0
		case regNW:
			ix, iy = 0, ny+1
		case regE:
			ix, iy = nx+1, along(&h.Y, o.Y)
		case regW:
			ix, iy = 0, along(&h.Y, o.Y)
		case regN:
			ix, iy = along(&h.X, o.X), ny+1
		case regS:
			ix, iy = along(&h.X, o.X), 0
		}
		bin := h.Bin(ix, iy, 0)
		h.Contents[bin] += o.X.SumW()
		h.Sumw2[bin] += o.X.SumW2()
	}
	in := bng.Dist
	for _, o := range bng.Outflows {
		addDist2(&in, negate2(o))
	}
	h.Entries = float64(bng.Dist.X.Entries())
	h.Stats = ow.Stats{
		Sumw: in.X.SumW(), Sumw2: in.X.SumW2(), Sumwx: in.X.SumWX(), Sumwx2: in.X.SumWX2(),
		Sumwy: in.Y.SumWX(), Sumwy2: in.Y.SumWX2(), Sumwxy: in.Stats.SumWXY,
	}
	return h, nil
}

func check(h *ow.Hist, dim int) error {
	if h == nil {
		return errors.New("hbookconv: nil histogram")
	}
	if h.IsProfile() || h.Dim() != dim {
		return fmt.Errorf("%w: %s (want a %d-D histogram that is not a profile)", ErrUnsupported, h.Class, dim)
	}
	if err := h.Validate(); err != nil {
		return fmt.Errorf("hbookconv: %w", err)
	}
	return nil
}

func edges(a *ow.Axis) []float64 {
	out := make([]float64, a.NBins+1)
	for i := 1; i <= a.NBins; i++ {
		out[i-1] = a.BinLowEdge(i)
	}
	out[a.NBins] = a.BinUpEdge(a.NBins)
	return out
}

// axisOf returns the axis of contiguous hbook bins: uniform when every
// width is the same, variable otherwise.
func axisOf(bins []hbook.Bin1D) (ow.Axis, error) {
	e := make([]float64, 0, len(bins)+1)
	for i, b := range bins {
		if i > 0 && b.Range.Min != bins[i-1].Range.Max {
			return ow.Axis{}, fmt.Errorf("hbookconv: bins %d and %d are not contiguous (a Hist has no gaps)", i-1, i)
		}
		e = append(e, b.Range.Min)
	}
	e = append(e, bins[len(bins)-1].Range.Max)
	n := len(bins)
	lo, hi := e[0], e[n]
	uniform := true
	for i := range e {
		if math.Abs(e[i]-(lo+(hi-lo)*float64(i)/float64(n))) > 1e-12*math.Max(1, math.Abs(hi-lo)) {
			uniform = false
			break
		}
	}
	if uniform {
		return ow.NewAxis(n, lo, hi), nil
	}
	a, err := ow.NewAxisEdges(e)
	if err != nil {
		return ow.Axis{}, fmt.Errorf("hbookconv: %w", err)
	}
	return a, nil
}

func annotate(ann hbook.Annotation, h *ow.Hist) {
	ann["name"] = h.Name
	if h.Title != "" {
		ann["title"] = h.Title
	}
}

func annString(ann hbook.Annotation, key string) string {
	s, _ := ann[key].(string)
	return s
}

// sumw2 returns a cell's sum of squared weights (its content without
// Sumw2: Poisson errors).
func sumw2(h *ow.Hist, bin int) float64 {
	if len(h.Sumw2) == len(h.Contents) {
		return h.Sumw2[bin]
	}
	return math.Abs(h.Contents[bin])
}

// effN returns the effective number of entries of a cell, rounded.
func effN(w, w2 float64) int64 {
	if w2 <= 0 || w == 0 {
		return 0
	}
	return int64(math.Round(w * w / w2))
}

func dist1(h *ow.Hist, bin int, x float64) hbook.Dist1D {
	w, w2 := h.Contents[bin], sumw2(h, bin)
	return mk1(effN(w, w2), w, w2, w*x, w*x*x)
}

func dist2(h *ow.Hist, bin int, x, y float64) hbook.Dist2D {
	w, w2 := h.Contents[bin], sumw2(h, bin)
	n := effN(w, w2)
	d := hbook.Dist2D{
		X: mk1(n, w, w2, w*x, w*x*x),
		Y: mk1(n, w, w2, w*y, w*y*y),
	}
	d.Stats.SumWXY = w * x * y
	return d
}

func addDist1(d *hbook.Dist1D, o hbook.Dist1D) {
	d.Dist.N += o.Dist.N
	d.Dist.SumW += o.Dist.SumW
	d.Dist.SumW2 += o.Dist.SumW2
	d.Stats.SumWX += o.Stats.SumWX
	d.Stats.SumWX2 += o.Stats.SumWX2
}

func negate1(d hbook.Dist1D) hbook.Dist1D {
	return mk1(-d.Dist.N, -d.Dist.SumW, -d.Dist.SumW2, -d.Stats.SumWX, -d.Stats.SumWX2)
}

func addDist2(d *hbook.Dist2D, o hbook.Dist2D) {
	addDist1(&d.X, o.X)
	addDist1(&d.Y, o.Y)
	d.Stats.SumWXY += o.Stats.SumWXY
}

func negate2(d hbook.Dist2D) hbook.Dist2D {
	n := hbook.Dist2D{X: negate1(d.X), Y: negate1(d.Y)}
	n.Stats.SumWXY = -d.Stats.SumWXY
	return n
}

func mk1(n int64, w, w2, wx, wx2 float64) hbook.Dist1D {
	d := hbook.Dist1D{Dist: hbook.Dist0D{N: n, SumW: w, SumW2: w2}}
	d.Stats.SumWX, d.Stats.SumWX2 = wx, wx2
	return d
}
