package timeslice_test

import (
	"math/rand/v2"
	"testing"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// th2fPair returns two cumulative snapshots of a 100x100 TH2F.
func th2fPair(b *testing.B) (later, earlier *ow.Hist) {
	b.Helper()
	earlier = ow.MustNewHist(ow.ClassTH2F, "h", "", ow.NewAxis(100, 0, 100), ow.NewAxis(100, 0, 100))
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 20000; i++ {
		if err := earlier.Fill(1, r.Float64()*100, r.Float64()*100); err != nil {
			b.Fatal(err)
		}
	}
	later = earlier.Clone()
	for i := 0; i < 20000; i++ {
		if err := later.Fill(1, r.Float64()*100, r.Float64()*100); err != nil {
			b.Fatal(err)
		}
	}
	return later, earlier
}

// BenchmarkDiffTH2F100x100 measures Diff of two 100x100 TH2F snapshots
// (target: under 50 µs per difference).
func BenchmarkDiffTH2F100x100(b *testing.B) {
	later, earlier := th2fPair(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := timeslice.Diff(later, earlier); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiffTH2F100x100Sumw2 is the same with Sumw2 on both snapshots.
func BenchmarkDiffTH2F100x100Sumw2(b *testing.B) {
	later, earlier := th2fPair(b)
	later.EnableSumw2()
	earlier.EnableSumw2()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := timeslice.Diff(later, earlier); err != nil {
			b.Fatal(err)
		}
	}
}

var sink []float64

// BenchmarkBaselineAllocSubtract is the floor for BenchmarkDiffTH2F100x100:
// allocating one result array of 102x102 cells and subtracting two arrays
// into it, nothing else. On a loaded machine compare Diff with this rather
// than with the absolute target.
func BenchmarkBaselineAllocSubtract(b *testing.B) {
	later, earlier := th2fPair(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d := make([]float64, len(later.Contents))
		for i, c := range later.Contents {
			d[i] = c - earlier.Contents[i]
		}
		sink = d
	}
}
