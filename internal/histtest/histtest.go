// Package histtest holds the test fixtures shared by the packages that
// encode and decode the root package's objects (ROOT files, TMessages,
// JSON, hbook): one filled object of every modelled class, and the
// narrowing a class's storage type applies to bin contents.
package histtest

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
)

// ModelObjects returns one filled object of every class Overwatch models,
// with directories and key names holding '/', spaces and '@'.
func ModelObjects(t testing.TB) []ow.Entry {
	t.Helper()
	var entries []ow.Entry
	classes := []string{
		ow.ClassTH1C, ow.ClassTH1S, ow.ClassTH1I, ow.ClassTH1F, ow.ClassTH1D,
		ow.ClassTH2C, ow.ClassTH2S, ow.ClassTH2I, ow.ClassTH2F, ow.ClassTH2D,
		ow.ClassTH3C, ow.ClassTH3S, ow.ClassTH3I, ow.ClassTH3F, ow.ClassTH3D,
		ow.ClassTProfile, ow.ClassTProfile2D,
	}
	for i, c := range classes {
		axes := []ow.Axis{ow.NewAxis(6, -3, 3)}
		if ow.ClassDim(c) >= 2 {
			a, err := ow.NewAxisEdges([]float64{0, 1, 2.5, 5})
			require.NoError(t, err)
			a.Title = "y [cm]"
			axes = append(axes, a)
		}
		if ow.ClassDim(c) == 3 {
			axes = append(axes, ow.NewAxis(2, 0, 2))
		}
		axes[0].Title = "x [GeV]"
		axes[0].Labels = []string{"a", "", "c", "d", "", "f"}
		h, err := ow.NewHist(c, "h"+c, "title of "+c, axes...)
		require.NoError(t, err)
		for k := 0; k < 40; k++ {
			x := float64(k%9) - 3.5
			coords := []float64{x}
			if h.Dim() >= 2 {
				coords = append(coords, float64(k%6))
			}
			if h.Dim() == 3 {
				coords = append(coords, float64(k%3))
			}
			if h.IsProfile() {
				coords = append(coords, float64(k)*0.25)
			}
			require.NoError(t, h.Fill(1+float64(k%2), coords...))
		}
		h.Maximum = 99
		h.Option = "hist"
		entries = append(entries, ow.Entry{Dir: "EMC/sub dir", Key: "EMCTRQA/" + c + "@v" + string(rune('0'+i%10)), Object: h})
	}
	for _, c := range []string{ow.ClassTGraph, ow.ClassTGraphErrors, ow.ClassTGraphAsymmErrors} {
		g := ow.NewGraphErrors("g"+c, c+" trend")
		g.Class = c
		g.EX, g.EY = nil, nil
		if c == ow.ClassTGraphErrors {
			g.EX, g.EY = []float64{}, []float64{}
		}
		for k := 0; k < 5; k++ {
			g.AddPoint(1.7e9+float64(k)*60, float64(k*k), 30, 0.5)
		}
		g.XTitle, g.YTitle, g.XTime, g.TimeFormat = "time", "mean", true, "%H:%M"
		entries = append(entries, ow.Entry{Dir: "trends", Key: g.Name, Object: g})
	}
	entries = append(entries, ow.Entry{Key: "runinfo", Object: &ow.Text{Value: "run=290222;HLT_MODE=B"}})
	return entries
}

// Narrow returns h as its class stores it (TH1F contents in float32, TH1C
// in int8, ...).
func Narrow(h *ow.Hist) *ow.Hist {
	c := h.Clone()
	for i, v := range c.Contents {
		switch c.Class[len(c.Class)-1] {
		case 'F':
			c.Contents[i] = float64(float32(v))
		case 'C':
			c.Contents[i] = math.Trunc(math.Max(-128, math.Min(127, v)))
		case 'S':
			c.Contents[i] = math.Trunc(math.Max(-32768, math.Min(32767, v)))
		case 'I':
			c.Contents[i] = math.Trunc(math.Max(math.MinInt32, math.Min(math.MaxInt32, v)))
		}
	}
	return c
}
