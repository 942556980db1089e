package trending_test

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/trending"
)

// An alarm checks the newest values of a trend; an aggregate combines
// alarms of several trends once each has reported.
func ExampleAggregate() {
	occupancy := &trending.Alarm{Text: "occupancy", Check: trending.BetweenValues{Min: 10, Max: 30}}
	noise := &trending.Alarm{Text: "noise", Check: trending.AbsolutePreviousValue{MaxDelta: 5}}
	both, _ := trending.NewAggregate("detector", trending.And, occupancy, noise)
	both.Receivers = []func(string){func(msg string) { fmt.Println(msg) }}

	fmt.Println(occupancy.Evaluate([]float64{12, 42}))
	fmt.Println(noise.Evaluate([]float64{3, 11}))
	// Output:
	// true [occupancy]: (BetweenValuesAlarm): value 42 not in [10, 30]
	// [detector]: occupancy, noise
	// true [noise]: (AbsolutePreviousValueAlarm): curValue: 11, prevValue: 3, change more than: 5
}

// Trends extract values with registered extractors; new ones can be added.
func ExampleRegisterExtractor() {
	_ = trending.RegisterExtractor("example-zero", func(*overwatch.Hist) (float64, float64) { return 0, 0 })
	for _, name := range trending.Extractors() {
		fmt.Println(name)
	}
	// Output:
	// entries
	// example-zero
	// integral
	// max
	// mean
	// stdDev
}
