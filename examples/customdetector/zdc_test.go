package zdc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func TestTimingWindow(t *testing.T) {
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "ZDC_histTime", "", overwatch.NewAxis(100, -50, 50))
	h.Contents[h.X.FindBin(0)] = 95
	h.Contents[h.X.FindBin(30)] = 5
	cases := []struct {
		window float64
		q      overwatch.Quality
		info   string
	}{
		{10, overwatch.QualityGood, "0.950 (window ±10 ns)"},
		{40, overwatch.QualityGood, "1.000 (window ±40 ns)"},
	}
	for _, c := range cases {
		fc := &overwatch.FuncContext{Name: h.Name, Hist: h.Clone(), Display: &overwatch.Display{}, Options: overwatch.Values{"timeWindow": c.window}, NEvents: 1}
		require.NoError(t, TimingWindow.Apply(fc))
		q, _ := fc.Quality()
		assert.Equal(t, c.q, q)
		assert.Equal(t, []overwatch.InfoItem{{Label: "In-time fraction", Value: c.info}}, fc.Info())
		assert.Len(t, fc.Display.Decorations, 2)
	}
	h.Contents[h.X.FindBin(30)] = 50
	fc := &overwatch.FuncContext{Name: h.Name, Hist: h, Display: &overwatch.Display{}, Options: overwatch.Values{"timeWindow": 10.0}, NEvents: 1}
	require.NoError(t, TimingWindow.Apply(fc))
	q, reasons := fc.Quality()
	assert.Equal(t, overwatch.QualityBad, q)
	assert.Equal(t, []string{"only 66 % of the signals in time"}, reasons)

	h2 := overwatch.MustNewHist(overwatch.ClassTH2F, "ZDC_histTime2D", "", overwatch.NewAxis(2, 0, 1), overwatch.NewAxis(2, 0, 1))
	require.Error(t, TimingWindow.Apply(&overwatch.FuncContext{Name: h2.Name, Hist: h2, Display: &overwatch.Display{}, Options: overwatch.Values{}}))
}
