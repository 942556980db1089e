package emc

import (
	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/alarmsets"
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
	{"max", "max", "Maximum", alarmsets.Max},
	{"mean", "mean", "Mean", alarmsets.Mean},
	{"stdDev", "stdDev", "Standard deviation", alarmsets.StdDev},
}

// Trends declares the 90 EMC trends: for each of the trenders max, mean
// and stdDev (with the alarm sets alarmsets.Max, alarmsets.Mean and
// alarmsets.StdDev) and each of the 30 TrendedHists, a trend named
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
