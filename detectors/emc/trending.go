package emc

import (
	"github.com/overwatch-dqm/overwatch"
)

// TrendedHists are the short names of the 30 trended EMC histograms; the
// source histogram of short name s is "EMCTRQA_hist" + s.
var TrendedHists = func() []string {
	var out []string
	for _, v := range edgePosVariants {
		out = append(out, "AmpEdgePos"+v)
	}
	out = append(out, "Events")
	for _, v := range edgePosVariants {
		out = append(out, "MaxEdgePos"+v)
	}
	return append(out, "FastORL0", "FastORL0Amp", "FastORL0LargeAmp", "FastORL0Time",
		"FastORL1", "FastORL1Amp", "FastORL1LargeAmp")
}()

var edgePosVariants = []string{
	"EMCGAHOffline", "EMCGAHOnline", "EMCGAHRecalc", "EMCGALOnline",
	"EMCJEHOffline", "EMCJEHOnline", "EMCJEHRecalc", "EMCJELOnline",
	"EMCL0Offline", "EMCL0Online", "EMCL0Recalc",
}

// trender is one of the original's trending classes: the name prefix, the
// extractor, the description label and the alarm set.
type trender struct {
	prefix, extractor, label string
	alarms                   func() []overwatch.AlarmSpec
}

var trenders = []trender{
	{"max", "max", "Maximum", AlarmMaxConfig},
	{"mean", "mean", "Mean", AlarmMeanConfig},
	{"stdDev", "stdDev", "Standard deviation", AlarmStdConfig},
}

// Trends declares the 90 EMC trends: for each of the trenders max, mean
// and stdDev (with the alarm sets AlarmMaxConfig, AlarmMeanConfig and
// AlarmStdConfig) and each of the 30 TrendedHists, a trend named
// <prefix><short> of histogram EMCTRQA_hist<short>.
func (Detector) Trends() []overwatch.TrendDecl {
	out := make([]overwatch.TrendDecl, 0, len(trenders)*len(TrendedHists))
	for _, t := range trenders {
		for _, s := range TrendedHists {
			out = append(out, overwatch.TrendDecl{
				Name: t.prefix + s, Desc: t.prefix + ": " + t.label + " of " + s,
				Hist: Prefix + s, Extractor: t.extractor, Alarms: t.alarms(),
			})
		}
	}
	return out
}

// AlarmMaxConfig is the original's alarm set of the maximum trends: an
// ERROR when the value leaves [0, 300].
func AlarmMaxConfig() []overwatch.AlarmSpec {
	return []overwatch.AlarmSpec{
		{Name: "maxBetweenValues", Kind: "BetweenValues", Text: "ERROR", Params: map[string]float64{"minVal": 0, "maxVal": 300}},
	}
}

// AlarmMeanConfig is the original's alarm set of the mean trends: an ERROR
// when fewer than 60 % of the last 5 values lie in (0, 100) and a WARNING
// when the value leaves [0, 50].
func AlarmMeanConfig() []overwatch.AlarmSpec {
	return []overwatch.AlarmSpec{
		{Name: "meanCheckLastN", Kind: "CheckLastN", Text: "ERROR", Params: map[string]float64{"minVal": 0, "maxVal": 100, "ratio": 0.6, "N": 5}},
		{Name: "meanBetweenValues", Kind: "BetweenValues", Text: "WARNING", Params: map[string]float64{"minVal": 0, "maxVal": 50}},
	}
}

// AlarmStdConfig is the original's alarm set of the standard-deviation
// trends: a WARNING when the mean of the last 5 values leaves (0, 100).
func AlarmStdConfig() []overwatch.AlarmSpec {
	return []overwatch.AlarmSpec{
		{Name: "stdDevMeanInRange", Kind: "MeanInRange", Text: "WARNING", Params: map[string]float64{"minVal": 0, "maxVal": 100, "N": 5}},
	}
}
