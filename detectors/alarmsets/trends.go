package alarmsets

import "github.com/overwatch-dqm/overwatch"

// trender is one of the original's trending classes: the name prefix (also
// the extractor's name), the description label and the alarm set.
type trender struct {
	prefix, label string
	alarms        func() []overwatch.AlarmSpec
}

var trenders = []trender{
	{"max", "Maximum", Max},
	{"mean", "Mean", Mean},
	{"stdDev", "Standard deviation", StdDev},
}

// Trends declares the original's trends of the histograms histPrefix+short
// for each short name: for each of the trenders max, mean and stdDev (with
// the alarm sets Max, Mean and StdDev), a trend named <trender><short>
// described "<trender>: <label> of <short>".
func Trends(histPrefix string, shorts []string) []overwatch.TrendDecl {
	out := make([]overwatch.TrendDecl, 0, len(trenders)*len(shorts))
	for _, t := range trenders {
		for _, s := range shorts {
			out = append(out, overwatch.TrendDecl{
				Name: t.prefix + s, Desc: t.prefix + ": " + t.label + " of " + s,
				Hist: histPrefix + s, Extractor: t.prefix, Alarms: t.alarms(),
			})
		}
	}
	return out
}
