package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// The custom ZDC detector running through store, processing and trending
// over five simulated snapshots: the timing drifts, the quality flag turns
// bad and the trend alarm fires.
func Example() {
	dir, err := os.MkdirTemp("", "customdetector-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := run(context.Background(), os.Stdout, dir); err != nil {
		panic(err)
	}
	// Output:
	// registered detectors: [ZDC]
	// snapshot 1: 10000 events, timing quality good | In-time fraction: 0.950 (window ±10 ns)
	// snapshot 2: 20000 events, timing quality good | In-time fraction: 0.933 (window ±10 ns) | alarm on meanTime
	// snapshot 3: 30000 events, timing quality good | In-time fraction: 0.902 (window ±10 ns) | alarm on meanTime
	// snapshot 4: 40000 events, timing quality bad  | In-time fraction: 0.858 (window ±10 ns) | alarm on meanTime
	// snapshot 5: 50000 events, timing quality bad  | In-time fraction: 0.803 (window ±10 ns) | alarm on meanTime
	// group "ZDC timing": ZDC_histTime
	// group "ZDC amplitudes": ZDC_histAmplitude
	// group "ZDC channel maps": ZDC_histChannelMap
	// group "Other ZDC": ZDC_histEvents
	// trend meanTime: 1.02 2.01 3.01 4.01 5.00
	// alarm ZDC/meanTime/timeDrift: firing since run 123456
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, t.TempDir()))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 12)
	assert.Contains(t, lines[1], "quality good")
	assert.Contains(t, lines[5], "quality bad")
	assert.Contains(t, out.String(), "alarm ZDC/meanTime/timeDrift: firing")
}

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
