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

// Trends declares the 90 EMC trends: for each of the trenders max, mean
// and stdDev (with the alarm sets alarmsets.Max, alarmsets.Mean and
// alarmsets.StdDev) and each of the 30 TrendedHists, a trend named
// <prefix><short> of histogram EMCTRQA_hist<short>.
func (Detector) Trends() []overwatch.TrendDecl {
	return alarmsets.Trends(Prefix, TrendedHists)
}
