package generator_test

import (
	"fmt"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

// A run of simulated EMC data: one minute of events at 100 Hz, with a hot
// FastOR channel, then a cumulative snapshot.
func Example() {
	g := generator.New(generator.Config{Seed: 1, Subsystems: []string{"EMC"}, EventsPerSecond: 100})
	g.StartRun(123)
	_ = g.InjectHotChannel("EMC", "EMCTRQA_histFastORL0", 42, 0.5)
	g.Advance(time.Minute)

	snap := g.Snapshot("EMC")
	var l0 *overwatch.Hist
	for _, e := range snap {
		if e.Key == "EMCTRQA_histFastORL0" {
			l0 = e.Object.(*overwatch.Hist)
		}
	}
	fmt.Println("histograms:", len(snap))
	fmt.Println("events:", g.Events("EMC"))
	fmt.Println("hot channel above 0.4 hits/event:", l0.Contents[43]/g.Events("EMC") > 0.4)
	// Output:
	// histograms: 249
	// events: 6000
	// hot channel above 0.4 hits/event: true
}
