package hlt_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/alarmsets"
	"github.com/overwatch-dqm/overwatch/detectors/hlt"
	"github.com/overwatch-dqm/overwatch/detectors/internal/dettest"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

func TestRegistered(t *testing.T) {
	d, ok := overwatch.LookupDetector("HLT")
	require.True(t, ok)
	assert.Equal(t, hlt.Detector{}, d)
	assert.Empty(t, overwatch.DetectorOptions("HLT"))
}

func TestProcessSnapshot(t *testing.T) {
	g := generator.New(generator.Config{Seed: 2, Subsystems: []string{"HLT", "EMC"}, Run: 3})
	g.Advance(2 * time.Second)
	// An HLT file may carry other subsystems' histograms: the single HLT
	// group takes them all.
	snap := append(g.Snapshot("HLT"), g.Snapshot("EMC")[:3]...)
	out, err := dettest.Process(hlt.Detector{}, 3, "HLT", snap, nil)
	require.NoError(t, err)
	require.Len(t, out.Groups, 1)
	assert.Equal(t, "HLT Histograms", out.Groups[0].Title)
	require.Len(t, out.Results, 41)
	for _, n := range out.Order {
		r := out.Results[n]
		assert.Equal(t, "HLT Histograms", r.Group)
		assert.Equal(t, []string{"hlt.generalHLTOptions"}, r.Funcs)
		assert.True(t, r.Display.ShowTitle)
		assert.Empty(t, r.Errors)
		assert.Empty(t, r.Info)
	}
	for _, s := range hlt.TrendedHists {
		assert.Contains(t, out.Results, "fHist"+s)
	}
}

func TestTrends(t *testing.T) {
	ts := hlt.Detector{}.Trends()
	require.Len(t, ts, 114)
	require.Len(t, hlt.TrendedHists, 38)
	have := map[string]bool{}
	for _, n := range generator.New(generator.Config{Subsystems: []string{"HLT"}}).Names("HLT") {
		have[n] = true
	}
	seen := map[string]bool{}
	count := map[string]int{}
	for _, tr := range ts {
		require.False(t, seen[tr.Name], tr.Name)
		seen[tr.Name] = true
		assert.True(t, have[tr.Hist], tr.Hist)
		assert.True(t, strings.HasPrefix(tr.Name, tr.Extractor), tr.Name)
		assert.Equal(t, "fHist"+strings.TrimPrefix(tr.Name, tr.Extractor), tr.Hist)
		count[tr.Extractor]++
		switch tr.Extractor {
		case "max":
			assert.Equal(t, alarmsets.Max(), tr.Alarms)
		case "mean":
			assert.Equal(t, alarmsets.Mean(), tr.Alarms)
		case "stdDev":
			assert.Equal(t, alarmsets.StdDev(), tr.Alarms)
		}
	}
	assert.Equal(t, map[string]int{"max": 38, "mean": 38, "stdDev": 38}, count)
}

func ExampleDetector_Trends() {
	ts := hlt.Detector{}.Trends()
	fmt.Println(len(ts), "trends; first:", ts[0].Name, "of", ts[0].Hist)
	// Output: 114 trends; first: maxClusterChargeMax of fHistClusterChargeMax
}
