package rootio

import (
	"fmt"
	"math"
	"sort"
)

// Class versions written (those of ROOT 6).
const (
	versTH1        = 8
	versTH2        = 5
	versTH3        = 6
	versTH1x       = 3
	versTH2x       = 4
	versTH3x       = 4
	versTProfile   = 7
	versTProfile2D = 8
	versTAxis      = 10
	versTGraph     = 5
	versTGraphErr  = 3
	versTList      = 5
)

func (w *wbuf) attLine(a *Attrs) {
	p := w.version(2)
	w.i16(a.LineColor)
	w.i16(a.LineStyle)
	w.i16(a.LineWidth)
	w.end(p)
}

func (w *wbuf) attFill(a *Attrs) {
	p := w.version(2)
	w.i16(a.FillColor)
	w.i16(a.FillStyle)
	w.end(p)
}

func (w *wbuf) attMarker(a *Attrs) {
	p := w.version(3)
	w.i16(a.MarkerColor)
	w.i16(a.MarkerStyle)
	w.f32(a.MarkerSize)
	w.end(p)
}

func (w *wbuf) attAxis(a *AxisAttr) {
	p := w.version(4)
	w.i32(a.Ndivisions)
	w.i16(a.AxisColor)
	w.i16(a.LabelColor)
	w.i16(a.LabelFont)
	w.f32(a.LabelOffset)
	w.f32(a.LabelSize)
	w.f32(a.TickLength)
	w.f32(a.TitleOffset)
	w.f32(a.TitleSize)
	w.i16(a.TitleColor)
	w.i16(a.TitleFont)
	w.end(p)
}

// emptyListBody writes an empty TList in place (TH1's "->" fFunctions).
func (w *wbuf) emptyListBody() {
	v := w.version(versTList)
	w.tobject(0)
	w.tstring("")
	w.i32(0)
	w.end(v)
}

// emptyList writes a pointer to an empty TList (TGraph's fFunctions).
func (w *wbuf) emptyList() {
	p := w.objectStart("TList")
	w.emptyListBody()
	w.objectEnd(p)
}

func (w *wbuf) axis(a *Axis) {
	p := w.version(versTAxis)
	w.tnamed(a.Name, a.Title)
	w.attAxis(&a.Attr)
	w.i32(int32(a.NBins))
	w.f64(a.Min)
	w.f64(a.Max)
	w.f64array(a.Edges)
	w.i32(int32(a.First))
	w.i32(int32(a.Last))
	w.u16(a.Bits2)
	w.bool(a.TimeDisplay)
	w.tstring(a.TimeFormat)
	if len(a.Labels) == 0 {
		w.null()
	} else {
		bins := make([]int, 0, len(a.Labels))
		for b := range a.Labels {
			bins = append(bins, b)
		}
		sort.Ints(bins)
		lp := w.objectStart("THashList")
		v := w.version(versTList)
		w.tobject(0)
		w.tstring("")
		w.i32(int32(len(bins)))
		for _, b := range bins {
			op := w.objectStart("TObjString")
			ov := w.version(1)
			w.tobject(uint32(b))
			w.tstring(a.Labels[b])
			w.end(ov)
			w.objectEnd(op)
			w.u8(0) // option
		}
		w.end(v)
		w.objectEnd(lp)
	}
	w.null() // fModLabs
	w.end(p)
}

func (w *wbuf) th1(h *Hist) {
	p := w.version(versTH1)
	w.tnamed(h.Name, h.Title)
	w.attLine(&h.Attrs)
	w.attFill(&h.Attrs)
	w.attMarker(&h.Attrs)
	w.i32(int32(len(h.Contents)))
	w.axis(&h.X)
	w.axis(&h.Y)
	w.axis(&h.Z)
	w.i16(h.BarOffset)
	w.i16(h.BarWidth)
	w.f64(h.Entries)
	w.f64(h.Tsumw)
	w.f64(h.Tsumw2)
	w.f64(h.Tsumwx)
	w.f64(h.Tsumwx2)
	w.f64(h.Maximum)
	w.f64(h.Minimum)
	w.f64(h.NormFactor)
	w.f64array(h.Contour)
	w.f64array(h.Sumw2)
	w.tstring(h.Option)
	w.emptyListBody()
	w.i32(0) // fBufferSize
	w.u8(0)  // fBuffer
	w.i32(h.BinStatErrOpt)
	w.i32(h.StatOverflows)
	w.end(p)
}

func (w *wbuf) histBody(h *Hist, class string, dim int, kind byte) {
	var p int
	switch dim {
	case 1:
		p = w.version(versTH1x)
		w.th1(h)
	case 2:
		p = w.version(versTH2x)
		q := w.version(versTH2)
		w.th1(h)
		w.f64(h.Scalefactor)
		w.f64(h.Tsumwy)
		w.f64(h.Tsumwy2)
		w.f64(h.Tsumwxy)
		w.end(q)
	case 3:
		p = w.version(versTH3x)
		q := w.version(versTH3)
		w.th1(h)
		a := w.version(1) // TAtt3D
		w.end(a)
		for _, v := range []float64{h.Tsumwy, h.Tsumwy2, h.Tsumwxy, h.Tsumwz, h.Tsumwz2, h.Tsumwxz, h.Tsumwyz} {
			w.f64(v)
		}
		w.end(q)
	}
	w.arrayAs(kind, h.Contents)
	w.end(p)
}

// encodeHist streams a histogram of any supported class.
func (w *wbuf) hist(h *Hist) error {
	if dim, kind, ok := histKind(h.Class); ok {
		w.histBody(h, h.Class, dim, kind)
		return nil
	}
	switch h.Class {
	case "TProfile":
		p := w.version(versTProfile)
		w.histBody(h, "TH1D", 1, 'D')
		w.f64array(h.BinEntries)
		w.i32(h.ErrorMode)
		w.f64(h.PMin)
		w.f64(h.PMax)
		w.f64(h.Tsumwy)
		w.f64(h.Tsumwy2)
		w.f64array(h.BinSumw2)
		w.end(p)
	case "TProfile2D":
		p := w.version(versTProfile2D)
		w.histBody(h, "TH2D", 2, 'D')
		w.f64array(h.BinEntries)
		w.i32(h.ErrorMode)
		w.f64(h.PMin)
		w.f64(h.PMax)
		w.f64(h.Tsumwz)
		w.f64(h.Tsumwz2)
		w.f64array(h.BinSumw2)
		w.end(p)
	default:
		return fmt.Errorf("rootio: cannot write class %q as a histogram", h.Class)
	}
	return nil
}

func (w *wbuf) graph(g *Graph) error {
	n := len(g.X)
	var p int
	switch g.Class {
	case "TGraph":
		p = -1
	case "TGraphErrors", "TGraphAsymmErrors":
		p = w.version(versTGraphErr)
	default:
		return fmt.Errorf("rootio: cannot write class %q as a graph", g.Class)
	}
	q := w.version(versTGraph)
	w.tnamed(g.Name, g.Title)
	w.attLine(&g.Attrs)
	w.attFill(&g.Attrs)
	w.attMarker(&g.Attrs)
	w.i32(int32(n))
	w.basicPointer(g.X)
	w.basicPointer(g.Y)
	w.emptyList()
	if h := graphFrame(g); h != nil {
		hp := w.objectStart("TH1F")
		w.histBody(h, "TH1F", 1, 'F')
		w.objectEnd(hp)
	} else {
		w.null()
	}
	w.f64(g.Minimum)
	w.f64(g.Maximum)
	w.tstring(g.Option)
	w.end(q)
	switch g.Class {
	case "TGraphErrors":
		w.basicPointer(fill(g.EX, n))
		w.basicPointer(fill(g.EY, n))
	case "TGraphAsymmErrors":
		w.basicPointer(fill(g.EXLow, n))
		w.basicPointer(fill(g.EXHigh, n))
		w.basicPointer(fill(g.EYLow, n))
		w.basicPointer(fill(g.EYHigh, n))
	}
	if p >= 0 {
		w.end(p)
	}
	return nil
}

func fill(v []float64, n int) []float64 {
	if len(v) == n {
		return v
	}
	out := make([]float64, n)
	copy(out, v)
	return out
}

// graphFrame returns the fHistogram ROOT would create for a graph when the
// graph carries axis titles or a time axis, with ROOT's range (the points'
// extent plus 10% margins); nil otherwise.
func graphFrame(g *Graph) *Hist {
	if g.XTitle == "" && g.YTitle == "" && !g.XTime {
		return nil
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	at := func(v []float64, i int) float64 {
		if i < len(v) {
			return v[i]
		}
		return 0
	}
	for i := range g.X {
		exl, exh, eyl, eyh := at(g.EX, i), at(g.EX, i), at(g.EY, i), at(g.EY, i)
		if g.Class == "TGraphAsymmErrors" {
			exl, exh, eyl, eyh = at(g.EXLow, i), at(g.EXHigh, i), at(g.EYLow, i), at(g.EYHigh, i)
		}
		xmin, xmax = math.Min(xmin, g.X[i]-exl), math.Max(xmax, g.X[i]+exh)
		ymin, ymax = math.Min(ymin, g.Y[i]-eyl), math.Max(ymax, g.Y[i]+eyh)
	}
	if len(g.X) == 0 {
		xmin, xmax, ymin, ymax = 0, 1, 0, 1
	}
	dx, dy := xmax-xmin, ymax-ymin
	if dx <= 0 {
		dx = math.Max(math.Abs(xmin)*0.1, 1)
	}
	if dy <= 0 {
		dy = math.Max(math.Abs(ymin)*0.1, 1)
	}
	lo, hi := xmin-0.1*dx, xmax+0.1*dx
	ylo, yhi := ymin-0.1*dy, ymax+0.1*dy
	if ylo < 0 && ymin >= 0 {
		ylo = 0
	}
	const nb = 100
	h := &Hist{
		Class: "TH1F", Name: g.Name, Title: g.Title,
		Attrs:    Attrs{LineColor: 602, LineStyle: 1, LineWidth: 1, FillStyle: 1001, MarkerColor: 1, MarkerStyle: 1, MarkerSize: 1},
		X:        Axis{Name: "xaxis", Title: g.XTitle, Attr: DefaultAxisAttr(), NBins: nb, Min: lo, Max: hi, TimeDisplay: g.XTime, TimeFormat: g.TimeFormat},
		Y:        Axis{Name: "yaxis", Title: g.YTitle, Attr: DefaultAxisAttr(), NBins: 1, Min: ylo, Max: yhi},
		Z:        Axis{Name: "zaxis", Attr: DefaultAxisAttr(), NBins: 1, Min: 0, Max: 1},
		BarWidth: 1000, Maximum: yhi, Minimum: ylo,
		Contents:      make([]float64, nb+2),
		StatOverflows: 2,
	}
	h.X.Attr.Ndivisions = 510
	return h
}

// DefaultAxisAttr returns the attributes ROOT gives a new TAxis.
func DefaultAxisAttr() AxisAttr {
	return AxisAttr{
		Ndivisions: 510, AxisColor: 1, LabelColor: 1, LabelFont: 42,
		LabelOffset: 0.005, LabelSize: 0.035, TickLength: 0.03,
		TitleOffset: 1, TitleSize: 0.035, TitleColor: 1, TitleFont: 42,
	}
}

func (w *wbuf) objString(s *ObjString) {
	p := w.version(1)
	w.tobject(0)
	w.tstring(s.Value)
	w.end(p)
}

// EncodeObject streams obj (*Hist, *Graph or *ObjString) with its class's
// ROOT 6 streamer. off is the absolute offset of the first byte (the key
// length in a file) used by class tags.
func EncodeObject(obj any, off int) (class string, data []byte, err error) {
	w := newWBuf(off, 1024)
	class, err = w.object(obj)
	if err != nil {
		return "", nil, err
	}
	return class, w.b, nil
}

func (w *wbuf) object(obj any) (class string, err error) {
	switch o := obj.(type) {
	case *Hist:
		if o == nil {
			return "", fmt.Errorf("rootio: nil histogram")
		}
		return o.Class, w.hist(o)
	case *Graph:
		if o == nil {
			return "", fmt.Errorf("rootio: nil graph")
		}
		return o.Class, w.graph(o)
	case *ObjString:
		if o == nil {
			return "", fmt.Errorf("rootio: nil string")
		}
		w.objString(o)
		return "TObjString", nil
	case *Collection:
		if o == nil {
			return "", fmt.Errorf("rootio: nil collection")
		}
		return o.Class, w.collection(o)
	}
	return "", fmt.Errorf("rootio: cannot write %T", obj)
}

// collection streams a TList, THashList or TObjArray and its elements.
func (w *wbuf) collection(c *Collection) error {
	if !IsCollection(c.Class) {
		return fmt.Errorf("rootio: %q is not a collection class", c.Class)
	}
	vers := int16(versTList)
	if c.Class == "TObjArray" {
		vers = 3
	}
	p := w.version(vers)
	w.tobject(0)
	w.tstring(c.Name)
	w.i32(int32(len(c.Items)))
	if c.Class == "TObjArray" {
		w.i32(0) // lower bound
	}
	for _, it := range c.Items {
		class := className(it)
		if class == "" {
			return fmt.Errorf("rootio: cannot stream a %T in a collection", it)
		}
		op := w.objectStart(class)
		if _, err := w.object(it); err != nil {
			return err
		}
		w.objectEnd(op)
		if c.Class != "TObjArray" {
			w.u8(0) // option
		}
	}
	w.end(p)
	return nil
}
