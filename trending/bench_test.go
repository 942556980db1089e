package trending

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
)

// benchDetector declares 5 trends (mean, stdDev, max, entries, integral) on
// each of 500 histograms, with 1,000 alarms over them.
type benchDetector struct{}

func (benchDetector) Subsystem() string { return "BEN" }
func (benchDetector) Trends() []overwatch.TrendDecl {
	var out []overwatch.TrendDecl
	for i := 0; i < 500; i++ {
		for j, ex := range []string{"mean", "stdDev", "max", "entries", "integral"} {
			d := overwatch.TrendDecl{Name: fmt.Sprintf("%s%03d", ex, i), Hist: fmt.Sprintf("h%03d", i), Extractor: ex}
			if j < 2 { // 2 alarms on each of 2 trends of each histogram: 2,000... keep 1,000
				if j == 0 {
					d.Alarms = []overwatch.AlarmSpec{
						{Name: "between", Kind: "BetweenValues", Text: "W", Params: map[string]float64{"minVal": -100, "maxVal": 100}},
						{Name: "lastn", Kind: "CheckLastN", Text: "E", Params: map[string]float64{"minVal": -100, "maxVal": 100}},
					}
				}
			}
			out = append(out, d)
		}
	}
	return out
}

func init() { overwatch.RegisterDetector(benchDetector{}) }

func benchHists(b *testing.B) map[string]*overwatch.Hist {
	hs := map[string]*overwatch.Hist{}
	for i := 0; i < 500; i++ {
		h := overwatch.MustNewHist(overwatch.ClassTH1F, fmt.Sprintf("h%03d", i), "", overwatch.NewAxis(1000, 0, 100))
		for j := 0; j < 2000; j++ {
			_ = h.Fill(1, float64(j%997)/10)
		}
		hs[h.Name] = h
	}
	return hs
}

// BenchmarkObserve measures one snapshot of 500 histograms: 2,500 values
// extracted (5 per histogram), 1,000 alarms evaluated and their states
// updated, and the 2,500 points stored durably in the real store.
func BenchmarkObserve(b *testing.B) {
	ctx := context.Background()
	st := openStoreB(b)
	m, err := NewManager(st, Config{History: 100}, nil, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	hs := benchHists(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		snap := overwatch.SnapshotInfo{SnapshotRef: overwatch.SnapshotRef{Run: 1, Subsystem: "BEN", Time: time.Unix(int64(1e9+i*60), 0)}}
		if _, err := m.Observe(ctx, "BEN", snap, 1, hs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtractAndEvaluate measures the computation alone: 5 values from
// each of 500 histograms and 1,000 alarm evaluations on 100-point series.
func BenchmarkExtractAndEvaluate(b *testing.B) {
	hs := benchHists(b)
	names := []string{"mean", "stdDev", "max", "entries", "integral"}
	exs := make([]Extractor, len(names))
	for i, n := range names {
		exs[i], _ = LookupExtractor(n)
	}
	checks := []Check{BetweenValues{Min: -100, Max: 100}, CheckLastN{Min: -100, Max: 100, Ratio: 0.6, N: 5}}
	series := make([]float64, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		for _, h := range hs {
			for _, ex := range exs {
				v, _ := ex(h)
				series[n%100] = v
				n++
			}
		}
		for a := 0; a < 1000; a++ {
			checks[a%2].Check(series)
		}
	}
}

func openStoreB(b *testing.B) *store.Store { return openStore(b) }
