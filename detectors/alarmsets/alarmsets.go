// Package alarmsets holds the alarm sets the original Overwatch attached to
// the trends of its EMC, TPC and HLT detectors (original-processing.md
// §7.6), shared by the built-in detector plug-ins. They are the detectors'
// defaults; a deployment replaces thresholds and recipients per trend in
// its configuration. No recipient is wired in: notifications go to the
// configured recipients.
package alarmsets

import "github.com/overwatch-dqm/overwatch"

// Max is the alarm set of the maximum trends: an ERROR when the value
// leaves [0, 300].
func Max() []overwatch.AlarmSpec {
	return []overwatch.AlarmSpec{
		{Name: "maxBetweenValues", Kind: "BetweenValues", Text: "ERROR", Params: map[string]float64{"minVal": 0, "maxVal": 300}},
	}
}

// Mean is the alarm set of the mean trends: an ERROR when fewer than 60 %
// of the last 5 values lie in (0, 100) and a WARNING when the value leaves
// [0, 50].
func Mean() []overwatch.AlarmSpec {
	return []overwatch.AlarmSpec{
		{Name: "meanCheckLastN", Kind: "CheckLastN", Text: "ERROR", Params: map[string]float64{"minVal": 0, "maxVal": 100, "ratio": 0.6, "N": 5}},
		{Name: "meanBetweenValues", Kind: "BetweenValues", Text: "WARNING", Params: map[string]float64{"minVal": 0, "maxVal": 50}},
	}
}

// StdDev is the alarm set of the standard-deviation trends: a WARNING when
// the mean of the last 5 values leaves (0, 100).
func StdDev() []overwatch.AlarmSpec {
	return []overwatch.AlarmSpec{
		{Name: "stdDevMeanInRange", Kind: "MeanInRange", Text: "WARNING", Params: map[string]float64{"minVal": 0, "maxVal": 100, "N": 5}},
	}
}
