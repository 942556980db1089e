package overwatch_test

import (
	"math"

	"github.com/overwatch-dqm/overwatch"
)

// jsonSample is one object of every class the encoder writes, with the
// JSROOT draw option the web app would use.
type jsonSample struct {
	name   string
	obj    overwatch.Object
	option string
}

// fillDet fills h with n deterministic pseudo-random entries.
func fillDet(h *overwatch.Hist, n int, w float64) {
	x := uint64(12345)
	next := func() float64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return float64(x%100000) / 100000
	}
	for i := 0; i < n; i++ {
		a, b, c, d := next(), next(), next(), next()
		var err error
		switch {
		case h.Class == overwatch.ClassTProfile:
			err = h.Fill(w, -0.2+1.4*a, 10*b)
		case h.Class == overwatch.ClassTProfile2D:
			err = h.Fill(w, -0.2+1.4*a, -0.2+1.4*b, 10*c)
		case h.Dim() == 1:
			err = h.Fill(w, -0.2+1.4*(a+b)/2)
		case h.Dim() == 2:
			err = h.Fill(w, -0.2+1.4*(a+b)/2, -0.2+1.4*c)
		default:
			err = h.Fill(w, -0.2+1.4*a, -0.2+1.4*b, -0.2+1.4*(c+d)/2)
		}
		if err != nil {
			panic(err)
		}
	}
}

func jsonSamples() []jsonSample {
	var out []jsonSample
	add := func(obj overwatch.Object, option string) {
		name := obj.ObjectName()
		if _, ok := obj.(*overwatch.Text); ok {
			name = "text"
		}
		out = append(out, jsonSample{name: name, obj: obj, option: option})
	}
	for _, c := range []string{"C", "S", "I", "F", "D"} {
		h := overwatch.MustNewHist("TH1"+c, "h1"+c, "TH1"+c+" sample", overwatch.NewAxis(20, 0, 1))
		h.X.Title = "x [cm]"
		h.Y.Title = "entries"
		fillDet(h, 500, 1)
		add(h, "hist")
		h2 := overwatch.MustNewHist("TH2"+c, "h2"+c, "TH2"+c+" sample", overwatch.NewAxis(8, 0, 1), overwatch.NewAxis(6, 0, 1))
		fillDet(h2, 800, 1)
		add(h2, "colz")
		h3 := overwatch.MustNewHist("TH3"+c, "h3"+c, "TH3"+c+" sample", overwatch.NewAxis(4, 0, 1), overwatch.NewAxis(3, 0, 1), overwatch.NewAxis(5, 0, 1))
		fillDet(h3, 300, 1)
		add(h3, "box")
	}
	// Weighted, variable bins, labels.
	edges, err := overwatch.NewAxisEdges([]float64{0, 0.1, 0.25, 0.5, 1})
	if err != nil {
		panic(err)
	}
	hw := overwatch.MustNewHist(overwatch.ClassTH1D, "weighted", "weighted, variable bins", edges)
	fillDet(hw, 300, 0.5)
	hw.Att.Line.Color = 2
	hw.Maximum = 200
	add(hw, "hist,e")
	hl := overwatch.MustNewHist(overwatch.ClassTH1F, "labels", "bin labels", overwatch.NewAxis(4, 0, 4))
	hl.X.Labels = []string{"EMC", "", "TPC \"quoted\"", "HLT/é"}
	for i, v := range []float64{3, 0, 7, 1} {
		hl.Contents[i+1] = v
	}
	hl.Entries = 11
	add(hl, "hist")
	p := overwatch.MustNewHist(overwatch.ClassTProfile, "prof", "profile", overwatch.NewAxis(10, 0, 1))
	fillDet(p, 400, 1)
	add(p, "")
	p2 := overwatch.MustNewHist(overwatch.ClassTProfile2D, "prof2d", "profile 2D", overwatch.NewAxis(5, 0, 1), overwatch.NewAxis(4, 0, 1))
	fillDet(p2, 400, 1)
	p2.ErrorMode = "s"
	add(p2, "colz")
	// Non-finite values.
	hn := overwatch.MustNewHist(overwatch.ClassTH1D, "nonfinite", "NaN and infinities", overwatch.NewAxis(6, 0, 6))
	copy(hn.Contents, []float64{0, 1, math.Inf(1), 3, math.NaN(), math.Inf(-1), 5, 0})
	hn.Entries = 6
	add(hn, "hist")
	hi := overwatch.MustNewHist(overwatch.ClassTH1F, "infonly", "infinities only", overwatch.NewAxis(3, 0, 3))
	copy(hi.Contents, []float64{0, 2, math.Inf(1), 1, 0})
	hi.Entries = 3
	hi.Maximum = math.NaN()
	add(hi, "hist")

	g := &overwatch.Graph{Class: overwatch.ClassTGraph, Name: "graph", Title: "graph",
		X: []float64{1, 2, 3, 4}, Y: []float64{2, 4, 3, 5},
		Minimum: overwatch.DefaultMinimum, Maximum: overwatch.DefaultMinimum,
		Att: overwatch.Attrs{Line: overwatch.LineAttr{Color: 4, Style: 1, Width: 2}, Marker: overwatch.MarkerAttr{Color: 4, Style: 20, Size: 1}}}
	add(g, "APL")
	ge := overwatch.NewGraphErrors("trend", "mean vs time")
	ge.XTitle, ge.YTitle, ge.XTime, ge.TimeFormat = "time", "mean", true, "%H:%M%F1970-01-01 00:00:00"
	for i := 0; i < 5; i++ {
		ge.AddPoint(1448384710+60*float64(i), 10+float64(i%3), 30, 0.5)
	}
	add(ge, "AP")
	ga := &overwatch.Graph{Class: overwatch.ClassTGraphAsymmErrors, Name: "asym", Title: "asymmetric",
		Minimum: overwatch.DefaultMinimum, Maximum: overwatch.DefaultMinimum,
		Att: overwatch.Attrs{Line: overwatch.LineAttr{Color: 1, Style: 1, Width: 1}, Marker: overwatch.MarkerAttr{Color: 2, Style: 21, Size: 1}}}
	for i := 0; i < 4; i++ {
		ga.AddPoint(float64(i), float64(i*i), 0.1, 0.5)
	}
	ga.EYHigh[2] = 2
	ga.XTitle = "x"
	add(ga, "AP")
	add(&overwatch.Text{Value: "Run 246001: <b>bad</b>\nline two \"quoted\""}, "")
	return out
}
