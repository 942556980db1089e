package hbookconv_test

import (
	"fmt"

	"go-hep.org/x/hep/hbook"

	"github.com/overwatch-dqm/overwatch/hbookconv"
)

// A histogram filled with go-hep becomes an overwatch.Hist, on which the
// Overwatch checks and windows work.
func ExampleFromH1D() {
	hb := hbook.NewH1D(4, 0, 4)
	hb.Ann["name"] = "hTiming"
	for _, x := range []float64{0.5, 1.5, 1.5, 2.5} {
		hb.Fill(x, 1)
	}
	h, err := hbookconv.FromH1D(hb)
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Class, h.Name, h.Entries, h.Contents[2], h.Mean(0))
	back, _ := hbookconv.ToH1D(h)
	fmt.Println(back.Entries(), back.XMean())
	// Output:
	// TH1D hTiming 4 2 1.5
	// 4 1.5
}
