package emc

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// SortSMsInPhysicalOrder orders per-supermodule histogram names as the
// supermodules sit in the detector (the original's helper, not wired into
// the default processing): by the integer following key (e.g. "_SM"),
// descending, then each consecutive pair swapped, which gives rows
// "10 11 / 8 9 / … / 0 1" for the EMCal and "18 19 / … / 12 13" for the
// DCal. Names without an integer after key sort last, in their input order.
func SortSMsInPhysicalOrder(names []string, key string) []string {
	type item struct {
		name string
		n    int
		ok   bool
	}
	items := make([]item, len(names))
	for i, name := range names {
		items[i].name = name
		if j := strings.LastIndex(name, key); j >= 0 && key != "" {
			digits := name[j+len(key):]
			k := 0
			for k < len(digits) && digits[k] >= '0' && digits[k] <= '9' {
				k++
			}
			if n, err := strconv.Atoi(digits[:k]); err == nil {
				items[i].n, items[i].ok = n, true
			}
		}
	}
	sort.SliceStable(items, func(a, b int) bool {
		if items[a].ok != items[b].ok {
			return items[a].ok
		}
		return items[a].ok && items[a].n > items[b].n
	})
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.name
	}
	numbered := 0
	for _, it := range items {
		if it.ok {
			numbered++
		}
	}
	for i := 0; i+1 < numbered; i += 2 {
		out[i], out[i+1] = out[i+1], out[i]
	}
	return out
}

// Outliers is the result of SignalOutliers.
type Outliers struct {
	N                 int     // bins outside mean ± 1σ
	Mean, Sigma       float64 // over all in-range bins
	NewMean, NewSigma float64 // without the outliers
}

// SignalOutliers is the original's hasSignalOutlier: the contents of every
// in-range bin (empty ones included) are taken as a sample; bins outside
// mean ± 1 population standard deviation are outliers, and the mean and
// standard deviation are recomputed without them.
func SignalOutliers(h *overwatch.Hist) Outliers {
	var vals []float64
	for bin, v := range h.Contents {
		if h.IsInRange(bin) && !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	mean, sigma := meanSigma(vals)
	var kept []float64
	n := 0
	for _, v := range vals {
		if v < mean-sigma || v > mean+sigma {
			n++
		} else {
			kept = append(kept, v)
		}
	}
	nm, ns := meanSigma(kept)
	return Outliers{N: n, Mean: mean, Sigma: sigma, NewMean: nm, NewSigma: ns}
}

func meanSigma(v []float64) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	var s, s2 float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	for _, x := range v {
		s2 += (x - m) * (x - m)
	}
	return m, math.Sqrt(s2 / float64(len(v)))
}

// CheckForOutliers is the original's checkForOutliers (available to
// detectors and configurations that want it; not in the default function
// table): when SignalOutliers finds outliers it draws a red box with
// "OUTLIER SIGNAL DETECTED IN <n> BINS!" and both mean/σ pairs, and flags
// the histogram's quality as medium.
var CheckForOutliers = fn("checkForOutliers", func(c *overwatch.FuncContext) error {
	o := SignalOutliers(c.Hist)
	if o.N == 0 {
		return nil
	}
	text := fmt.Sprintf("OUTLIER SIGNAL DETECTED IN %d BINS! Mean, σ: %.4g, %.4g; without outliers: %.4g, %.4g",
		o.N, o.Mean, o.Sigma, o.NewMean, o.NewSigma)
	c.Display.Decorations = append(c.Display.Decorations, overwatch.Decoration{
		Kind: overwatch.DecoLegend, X1: 0.1, Y1: 0.9, X2: 0.9, Y2: 0.75, NDC: true,
		Color: "#ff0000", Text: text,
	})
	c.Flag(overwatch.QualityMedium, fmt.Sprintf("%d outlier bins", o.N))
	return nil
})
