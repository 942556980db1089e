package emc_test

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/emc"
)

// Hot-channel detection on a 1-D FastOR histogram: the detector chooses the
// functions for the histogram and the processing applies them in order.
func Example() {
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "EMCTRQA_histFastORL0", "FastOR L0", overwatch.NewAxis(5000, 0, 5000))
	for id := 0; id < 5000; id++ {
		h.Contents[id+1] = 5 // 5 hits in 1000 events: 0.005 per event
	}
	h.Contents[43] = 200 // FastOR 42: 0.2 per event

	d := emc.Detector{}
	opts := overwatch.DefaultValues(d.Options())
	c := &overwatch.FuncContext{Name: h.Name, Hist: h, Display: &overwatch.Display{}, Options: opts, NEvents: 1000}
	for _, f := range d.Functions(nil, overwatch.HistDesc{Name: h.Name, Class: h.Class}) {
		if err := f.Apply(c); err != nil {
			fmt.Println(err)
		}
	}
	for _, it := range c.Info() {
		fmt.Printf("%s: %s\n", it.Label, it.Value)
	}
	q, _ := c.Quality()
	fmt.Println("quality:", q)
	// Output:
	// Threshold: 0.01
	// Fast OR Hot Channels ID: 42
	// quality: medium
}
