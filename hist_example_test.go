package overwatch_test

import (
	"fmt"

	ow "github.com/overwatch-dqm/overwatch"
)

// Statistics follow ROOT's TH1::GetMean/GetStdDev: fills outside the axis
// count as entries but not in the statistics.
func ExampleHist_Mean() {
	h := ow.MustNewHist(ow.ClassTH1F, "adc", "ADC;counts;entries", ow.NewAxis(100, 0, 100))
	for _, x := range []float64{10, 20, 30, 150} {
		_ = h.Fill(1, x)
	}
	fmt.Printf("entries %g mean %.2f stddev %.2f mean error %.2f\n",
		h.Entries, h.Mean(ow.AxisX), h.StdDev(ow.AxisX), h.MeanError(ow.AxisX))
	// Output:
	// entries 4 mean 20.00 stddev 8.16 mean error 4.71
}

// A TH2 is projected onto x over a slice of y bins, as TH2::ProjectionX.
func ExampleHist_ProjectionX() {
	h := ow.MustNewHist(ow.ClassTH2F, "cells", "", ow.NewAxis(4, 0, 4), ow.NewAxis(2, 0, 2))
	_ = h.Fill(1, 0.5, 0.5)
	_ = h.Fill(2, 1.5, 1.5)
	_ = h.Fill(3, 1.5, 0.5)
	px, _ := h.ProjectionX("", 1, 1) // y bin 1 only
	fmt.Println(px.Name, px.Contents[1:5])
	// Output:
	// cells_px [1 3 0 0]
}

// "xy" means x versus y: the TH3's x axis becomes the vertical axis.
func ExampleHist_Project3D() {
	h := ow.MustNewHist(ow.ClassTH3D, "cube", "", ow.NewAxis(2, 0, 2), ow.NewAxis(3, 0, 3), ow.NewAxis(4, 0, 4))
	_ = h.Fill(1, 1.5, 0.5, 3.5)
	p, _ := h.Project3D("xy")
	fmt.Println(p.Name, p.X.NBins, p.Y.NBins, p.Contents[p.Bin(1, 2, 0)])
	// Output:
	// cube_xy 3 2 1
}

// Rebin merges groups of bins; a remainder goes to the overflow bin.
func ExampleHist_Rebin() {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(5, 0, 5))
	for _, x := range []float64{0.5, 1.5, 2.5, 4.5} {
		_ = h.Fill(1, x)
	}
	r, _ := h.Rebin(2, 0, 0)
	fmt.Println(r.X.NBins, r.X.Max, r.Contents)
	// Output:
	// 2 4 [0 2 1 1]
}

// ProfileX gives, per x bin, the mean y of a TH2 (under- and overflow in y
// left out, as in ROOT).
func ExampleHist_ProfileX() {
	h := ow.MustNewHist(ow.ClassTH2F, "amp", "", ow.NewAxis(2, 0, 2), ow.NewAxis(10, 0, 10))
	_ = h.Fill(1, 0.5, 2.5)
	_ = h.Fill(3, 0.5, 6.5)
	_ = h.Fill(1, 1.5, 4.5)
	p, _ := h.ProfileX("")
	fmt.Println(p.Name, p.BinContent(1), p.BinContent(2), p.BinEntries[1])
	// Output:
	// amp_pfx 5.5 4.5 4
}
