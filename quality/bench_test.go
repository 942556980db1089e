package quality_test

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// benchSuite is 20 checks: every registered check, the configurable ones
// twice with other parameters.
var benchSuite = []ow.CheckSpec{
	{Check: "Chi2Test"},
	{Check: "Chi2Test", Params: map[string]any{"Option": "UU NORM"}},
	{Check: "KolmogorovTest"},
	{Check: "KolmogorovTest", Params: map[string]any{"Option": "N", "MaxDist": 0.05}},
	{Check: "BinByBin", Params: map[string]any{"MaxDiffRel": 0.2}},
	{Check: "BinByBin", Params: map[string]any{"NSigma": 4, "MaxDiffAbs": 5}},
	{Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": 5}},
	{Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": 3, "GreaterThan": true, "MaxDiffRel": 0.5}},
	{Check: "MeanInRange", Params: map[string]any{"Min": 45, "Max": 55}},
	{Check: "StdDevInRange", Params: map[string]any{"Min": 25, "Max": 35}},
	{Check: "MinEntries", Params: map[string]any{"Min": 1000}},
	{Check: "MinEntries", Params: map[string]any{"Min": 100}},
	{Check: "EmptyBinsFraction", Params: map[string]any{"MaxFraction": 0.5}},
	{Check: "EmptyBinsFraction", Params: map[string]any{"MaxFraction": 0.3, "MediumFraction": 0.1}},
	{Check: "DeadChannels"},
	{Check: "DeadChannels", Params: map[string]any{"Radius": 1, "DeadFraction": 0.3}},
	{Check: "HotChannels"},
	{Check: "HotChannels", Params: map[string]any{"Radius": 1, "HotFactor": 5}},
	{Check: "MeanInRange", Params: map[string]any{"Min": 49, "Max": 51, "MinStat": 10}},
	{Check: "StdDevInRange", Params: map[string]any{"Min": 28, "Max": 30, "MinStat": 10}},
}

// benchHists returns n pairs of 100-bin histograms and references filled
// with 10,000 entries each: channel-occupancy-like (uniform, about 100 per
// bin, the shape on which every check of the suite is meaningful, from
// the Bins_Diff_FromAvg average to the dead and hot channels).
func benchHists(n int) (hs, refs []*ow.Hist) {
	rng := rand.New(rand.NewPCG(500, 20))
	for range n {
		h := ow.MustNewHist(ow.ClassTH1F, "h", "", ow.NewAxis(100, 0, 100))
		r := ow.MustNewHist(ow.ClassTH1F, "r", "", ow.NewAxis(100, 0, 100))
		for range 10000 {
			_ = h.Fill(1, 100*rng.Float64())
			_ = r.Fill(1, 100*rng.Float64())
		}
		r.EnableSumw2()
		hs, refs = append(hs, h), append(refs, r)
	}
	return hs, refs
}

// BenchmarkChecks500x20 runs the 20 checks on each of 500 histograms: one
// op is a whole snapshot's worth (10,000 check runs); the budget is 20 ms.
// The floor is one pass over every bin of every histogram per check (what
// any check must at least read), measured in the same run.
func BenchmarkChecks500x20(b *testing.B) {
	hs, refs := benchHists(500)
	checks := make([]quality.Check, len(benchSuite))
	for i, s := range benchSuite {
		s.Hist = "*"
		c, err := quality.New(s)
		if err != nil {
			b.Fatal(err)
		}
		checks[i] = c
	}
	b.Run("checks", func(b *testing.B) {
		b.ReportAllocs()
		defer cpuMetric(b)()
		for b.Loop() {
			for i, h := range hs {
				for _, c := range checks {
					if _, err := c.Run(h, refs[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		var sink float64
		defer cpuMetric(b)()
		for b.Loop() {
			for i, h := range hs {
				for range checks {
					for bin := 1; bin <= 100; bin++ {
						sink += h.Contents[bin] + refs[i].Contents[bin]
					}
				}
			}
		}
		_ = sink
	})
}

// cpuMetric reports the process's CPU time (user + system) per op as
// "cpu-ns/op": on a loaded shared machine the wall time of a benchmark
// measures the other processes as much as this one.
func cpuMetric(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
