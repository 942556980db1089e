package overwatch_test

import (
	"math/rand/v2"
	"testing"

	ow "github.com/overwatch-dqm/overwatch"
)

// hists500 returns 500 filled histograms of mixed dimensions.
func hists500(b *testing.B) []*ow.Hist {
	b.Helper()
	r := rand.New(rand.NewPCG(5, 5))
	hs := make([]*ow.Hist, 0, 500)
	for i := 0; i < 500; i++ {
		var h *ow.Hist
		switch i % 3 {
		case 0:
			h = ow.MustNewHist(ow.ClassTH1F, "h", "", ow.NewAxis(100, 0, 100))
		case 1:
			h = ow.MustNewHist(ow.ClassTH2F, "h", "", ow.NewAxis(48, 0, 48), ow.NewAxis(24, 0, 24))
		default:
			h = ow.MustNewHist(ow.ClassTProfile, "h", "", ow.NewAxis(50, 0, 50))
		}
		for j := 0; j < 200; j++ {
			xs := []float64{r.Float64() * 100}
			if h.Dim() == 2 || h.IsProfile() {
				xs = append(xs, r.Float64()*30)
			}
			if err := h.Fill(1, xs...); err != nil {
				b.Fatal(err)
			}
		}
		hs = append(hs, h)
	}
	return hs
}

// BenchmarkMeanStdDev500 computes Mean and StdDev of 500 histograms from
// their stored sums (the usual case).
func BenchmarkMeanStdDev500(b *testing.B) {
	hs := hists500(b)
	b.ResetTimer()
	for b.Loop() {
		var s float64
		for _, h := range hs {
			s += h.Mean(ow.AxisX) + h.StdDev(ow.AxisX)
		}
		_ = s
	}
}

// BenchmarkMeanStdDev500FromBins is the same when the statistics must be
// recomputed from the bins (ranges set on the axes).
func BenchmarkMeanStdDev500FromBins(b *testing.B) {
	hs := hists500(b)
	for _, h := range hs {
		h.X.SetRange(2, 40)
	}
	b.ResetTimer()
	for b.Loop() {
		var s float64
		for _, h := range hs {
			s += h.Mean(ow.AxisX) + h.StdDev(ow.AxisX)
		}
		_ = s
	}
}

// BenchmarkProjectionX projects a 100x100 TH2F onto x.
func BenchmarkProjectionX(b *testing.B) {
	h := ow.MustNewHist(ow.ClassTH2F, "h", "", ow.NewAxis(100, 0, 100), ow.NewAxis(100, 0, 100))
	r := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < 20000; i++ {
		_ = h.Fill(1, r.Float64()*100, r.Float64()*100)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.ProjectionX("", 10, 20); err != nil {
			b.Fatal(err)
		}
	}
}
