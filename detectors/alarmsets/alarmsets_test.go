package alarmsets_test

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch/detectors/alarmsets"
)

func ExampleMean() {
	for _, a := range alarmsets.Mean() {
		fmt.Println(a.Name, a.Kind, a.Text, a.Params["minVal"], a.Params["maxVal"])
	}
	// Output:
	// meanCheckLastN CheckLastN ERROR 0 100
	// meanBetweenValues BetweenValues WARNING 0 50
}
