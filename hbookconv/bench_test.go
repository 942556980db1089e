package hbookconv_test

import (
	"testing"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/hbookconv"
)

// benchHist is a 100×100 TH2F with every cell filled.
func benchHist(b *testing.B) *ow.Hist {
	h := ow.MustNewHist(ow.ClassTH2F, "h", "", ow.NewAxis(100, 0, 100), ow.NewAxis(100, 0, 100))
	h.EnableSumw2()
	for i := 0; i < 100; i++ {
		for j := 0; j < 100; j++ {
			if err := h.Fill(1, float64(i)+0.5, float64(j)+0.5); err != nil {
				b.Fatal(err)
			}
		}
	}
	return h
}

// BenchmarkClone is the floor: copying the histogram's cells once.
func BenchmarkClone(b *testing.B) {
	h := benchHist(b)
	for b.Loop() {
		_ = h.Clone()
	}
}

func BenchmarkToH2D(b *testing.B) {
	h := benchHist(b)
	for b.Loop() {
		if _, err := hbookconv.ToH2D(h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromH2D(b *testing.B) {
	hb, err := hbookconv.ToH2D(benchHist(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := hbookconv.FromH2D(hb); err != nil {
			b.Fatal(err)
		}
	}
}
