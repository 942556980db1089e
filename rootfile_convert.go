package overwatch

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch/internal/rootio"
)

// Conversions between the Overwatch model and internal/rootio's decoded
// ROOT classes.

func toRootIO(obj Object) (any, error) {
	switch o := obj.(type) {
	case *Hist:
		if o == nil {
			return nil, fmt.Errorf("nil histogram")
		}
		if err := o.Validate(); err != nil {
			return nil, err
		}
		return histToRootIO(o), nil
	case *Graph:
		if o == nil {
			return nil, fmt.Errorf("nil graph")
		}
		if err := o.Validate(); err != nil {
			return nil, err
		}
		return graphToRootIO(o), nil
	case *Text:
		if o == nil {
			return nil, fmt.Errorf("nil text")
		}
		return &rootio.ObjString{Value: o.Value}, nil
	case nil:
		return nil, fmt.Errorf("nil object")
	}
	return nil, fmt.Errorf("cannot write %T (class %q) to ROOT", obj, obj.ClassName())
}

func fromRootIO(obj any) (Object, []string, error) {
	switch o := obj.(type) {
	case *rootio.Hist:
		h := histFromRootIO(o)
		if err := h.Validate(); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return h, o.Dropped, nil
	case *rootio.Graph:
		g := graphFromRootIO(o)
		if err := g.Validate(); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return g, o.Dropped, nil
	case *rootio.ObjString:
		return &Text{Value: o.Value}, nil, nil
	}
	return nil, nil, fmt.Errorf("unexpected decoded type %T", obj)
}

func attrsToRootIO(a Attrs) rootio.Attrs {
	return rootio.Attrs{
		LineColor: a.Line.Color, LineStyle: a.Line.Style, LineWidth: a.Line.Width,
		FillColor: a.Fill.Color, FillStyle: a.Fill.Style,
		MarkerColor: a.Marker.Color, MarkerStyle: a.Marker.Style, MarkerSize: a.Marker.Size,
	}
}

func attrsFromRootIO(a rootio.Attrs) Attrs {
	return Attrs{
		Line:   LineAttr{Color: a.LineColor, Style: a.LineStyle, Width: a.LineWidth},
		Fill:   FillAttr{Color: a.FillColor, Style: a.FillStyle},
		Marker: MarkerAttr{Color: a.MarkerColor, Style: a.MarkerStyle, Size: a.MarkerSize},
	}
}

func axisToRootIO(a *Axis, name string) rootio.Axis {
	out := rootio.Axis{
		Name: a.Name, Title: a.Title,
		Attr:  rootio.AxisAttr(a.Attr),
		NBins: a.NBins, Min: a.Min, Max: a.Max,
		First: a.First, Last: a.Last, Bits2: a.Bits2,
		TimeDisplay: a.TimeDisplay, TimeFormat: a.TimeFormat,
	}
	if out.Name == "" {
		out.Name = name
	}
	if out.NBins < 1 {
		out.NBins, out.Min, out.Max = 1, 0, 1
	}
	if out.Attr == (rootio.AxisAttr{}) {
		out.Attr = rootio.AxisAttr(DefaultAxisAttr())
	}
	if a.IsVariable() {
		out.Edges = a.Edges
	}
	for i, l := range a.Labels {
		if l == "" {
			continue
		}
		if out.Labels == nil {
			out.Labels = make(map[int]string)
		}
		out.Labels[i+1] = l
	}
	return out
}

func axisFromRootIO(a *rootio.Axis) Axis {
	out := Axis{
		Name: a.Name, Title: a.Title,
		NBins: a.NBins, Min: a.Min, Max: a.Max,
		First: a.First, Last: a.Last, Bits2: a.Bits2,
		TimeDisplay: a.TimeDisplay, TimeFormat: a.TimeFormat,
		Attr: AxisAttr(a.Attr),
	}
	if len(a.Edges) == a.NBins+1 && a.NBins > 0 {
		out.Edges = a.Edges
	}
	if len(a.Labels) > 0 && a.NBins > 0 {
		out.Labels = make([]string, a.NBins)
		for bin, l := range a.Labels {
			if bin >= 1 && bin <= a.NBins {
				out.Labels[bin-1] = l
			}
		}
	}
	return out
}

var errorModes = [...]string{"", "s", "i", "g"}

func histToRootIO(h *Hist) *rootio.Hist {
	s := &h.Stats
	out := &rootio.Hist{
		Class: h.Class, Name: h.Name, Title: h.Title,
		Attrs:     attrsToRootIO(h.Att),
		NCells:    len(h.Contents),
		X:         axisToRootIO(&h.X, "xaxis"),
		Y:         axisToRootIO(&h.Y, "yaxis"),
		Z:         axisToRootIO(&h.Z, "zaxis"),
		BarOffset: h.BarOffset, BarWidth: h.BarWidth,
		Entries: h.Entries,
		Tsumw:   s.Sumw, Tsumw2: s.Sumw2, Tsumwx: s.Sumwx, Tsumwx2: s.Sumwx2,
		Maximum: h.Maximum, Minimum: h.Minimum, NormFactor: h.NormFactor,
		Contour: h.Contour, Sumw2: h.Sumw2, Option: h.Option,
		BinStatErrOpt: h.BinStatErrOpt, StatOverflows: h.StatOverflows,
		Scalefactor: 1,
		Tsumwy:      s.Sumwy, Tsumwy2: s.Sumwy2, Tsumwxy: s.Sumwxy,
		Tsumwz: s.Sumwz, Tsumwz2: s.Sumwz2, Tsumwxz: s.Sumwxz, Tsumwyz: s.Sumwyz,
		Contents:   h.Contents,
		BinEntries: h.BinEntries, BinSumw2: h.BinSumw2,
		PMin: h.PMin, PMax: h.PMax,
	}
	for i, m := range errorModes {
		if m == h.ErrorMode {
			out.ErrorMode = int32(i)
		}
	}
	return out
}

func histFromRootIO(r *rootio.Hist) *Hist {
	h := &Hist{
		Class: r.Class, Name: r.Name, Title: r.Title,
		X: axisFromRootIO(&r.X), Y: axisFromRootIO(&r.Y), Z: axisFromRootIO(&r.Z),
		Contents: r.Contents,
		Entries:  r.Entries,
		Stats: Stats{
			Sumw: r.Tsumw, Sumw2: r.Tsumw2, Sumwx: r.Tsumwx, Sumwx2: r.Tsumwx2,
			Sumwy: r.Tsumwy, Sumwy2: r.Tsumwy2, Sumwxy: r.Tsumwxy,
			Sumwz: r.Tsumwz, Sumwz2: r.Tsumwz2, Sumwxz: r.Tsumwxz, Sumwyz: r.Tsumwyz,
		},
		PMin: r.PMin, PMax: r.PMax,
		Minimum: r.Minimum, Maximum: r.Maximum, NormFactor: r.NormFactor,
		Option: r.Option, BarOffset: r.BarOffset, BarWidth: r.BarWidth,
		BinStatErrOpt: r.BinStatErrOpt, StatOverflows: r.StatOverflows,
		Att: attrsFromRootIO(r.Attrs),
	}
	if len(r.Contour) > 0 {
		h.Contour = r.Contour
	}
	if len(r.Sumw2) > 0 {
		h.Sumw2 = r.Sumw2
	}
	if h.IsProfile() {
		h.BinEntries = r.BinEntries
		if len(r.BinSumw2) > 0 {
			h.BinSumw2 = r.BinSumw2
		}
		if h.Sumw2 == nil {
			h.Sumw2 = make([]float64, len(h.Contents))
		}
		if r.ErrorMode >= 0 && int(r.ErrorMode) < len(errorModes) {
			h.ErrorMode = errorModes[r.ErrorMode]
		}
	}
	return h
}

func graphToRootIO(g *Graph) *rootio.Graph {
	return &rootio.Graph{
		Class: g.Class, Name: g.Name, Title: g.Title,
		Attrs: attrsToRootIO(g.Att),
		X:     g.X, Y: g.Y, EX: g.EX, EY: g.EY,
		EXLow: g.EXLow, EXHigh: g.EXHigh, EYLow: g.EYLow, EYHigh: g.EYHigh,
		Minimum: g.Minimum, Maximum: g.Maximum,
		XTitle: g.XTitle, YTitle: g.YTitle, XTime: g.XTime, TimeFormat: g.TimeFormat,
	}
}

func graphFromRootIO(r *rootio.Graph) *Graph {
	g := &Graph{
		Class: r.Class, Name: r.Name, Title: r.Title,
		X: r.X, Y: r.Y,
		Minimum: r.Minimum, Maximum: r.Maximum,
		XTitle: r.XTitle, YTitle: r.YTitle, XTime: r.XTime, TimeFormat: r.TimeFormat,
		Att: attrsFromRootIO(r.Attrs),
	}
	switch r.Class {
	case ClassTGraphErrors:
		g.EX, g.EY = r.EX, r.EY
	case ClassTGraphAsymmErrors:
		g.EXLow, g.EXHigh, g.EYLow, g.EYHigh = r.EXLow, r.EXHigh, r.EYLow, r.EYHigh
	}
	return g
}
