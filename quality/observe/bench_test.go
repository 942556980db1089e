package observe_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
)

// BenchmarkObserve500x20 is what the checks add to a snapshot's
// processing: 20 configured checks (glob patterns) on each of 500 processed
// 100-bin histograms, with the information-panel lines, the aggregation and
// the subsystem's state (budget: 20 ms per snapshot).
func BenchmarkObserve500x20(b *testing.B) {
	specs := []ow.CheckSpec{
		{Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": 5}},
		{Name: "avgHigh", Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": 3, "GreaterThan": true, "MaxDiffRel": 0.5}},
		{Check: "MeanInRange", Params: map[string]any{"Min": 45, "Max": 55}},
		{Check: "StdDevInRange", Params: map[string]any{"Min": 25, "Max": 35}},
		{Check: "MinEntries", Params: map[string]any{"Min": 1000}},
		{Name: "entries100", Check: "MinEntries", Params: map[string]any{"Min": 100}},
		{Check: "EmptyBinsFraction", Params: map[string]any{"MaxFraction": 0.5}},
		{Name: "empty2", Check: "EmptyBinsFraction", Params: map[string]any{"MaxFraction": 0.3, "MediumFraction": 0.1}},
		{Check: "DeadChannels"},
		{Name: "dead1", Check: "DeadChannels", Params: map[string]any{"Radius": 1, "DeadFraction": 0.3}},
		{Check: "HotChannels"},
		{Name: "hot1", Check: "HotChannels", Params: map[string]any{"Radius": 1, "HotFactor": 5}},
		{Name: "mean2", Check: "MeanInRange", Params: map[string]any{"Min": 49, "Max": 51, "MinStat": 10}},
		{Name: "sd2", Check: "StdDevInRange", Params: map[string]any{"Min": 28, "Max": 30, "MinStat": 10}},
		{Name: "entries3", Check: "MinEntries", Params: map[string]any{"Min": 10}},
		{Name: "empty3", Check: "EmptyBinsFraction", Params: map[string]any{"MaxFraction": 0.9}},
		{Name: "avg3", Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": 4, "LessThan": true}},
		{Name: "dead3", Check: "DeadChannels", Params: map[string]any{"Radius": 3}},
		{Name: "hot3", Check: "HotChannels", Params: map[string]any{"Radius": 3}},
		{Name: "avg4", Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": 6, "MinStat": 100}},
	}
	for i := range specs {
		specs[i].Hist = "EMC*"
	}
	ob, err := observe.New(observe.Options{Configs: map[string]quality.Config{"EMC": {Checks: specs}}})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	hists := map[string]*ow.Hist{}
	for i := range 500 {
		h := ow.MustNewHist(ow.ClassTH1F, fmt.Sprintf("EMC%03d", i), "", ow.NewAxis(100, 0, 100))
		for range 10000 {
			_ = h.Fill(1, 100*rng.Float64())
		}
		hists[h.Name] = h
	}
	ctx := context.Background()
	t0 := time.Unix(1e9, 0)
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ReportAllocs()
	start := cpu()
	i := 0
	for b.Loop() {
		i++
		snap := ow.SnapshotInfo{SnapshotRef: ow.SnapshotRef{Run: 1, Subsystem: "EMC", Time: t0.Add(time.Duration(i) * time.Second)}}
		if _, err := ob.Observe(ctx, "EMC", snap, 1, hists); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op")
}
