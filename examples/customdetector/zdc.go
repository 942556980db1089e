// Package zdc shows how a detector team adds monitoring for a new subsystem
// to Overwatch from its own module, without forking it: a detector plug-in
// for the ZDC (zero-degree calorimeter) with its own groups, a processing
// function that checks the timing and a trend with an alarm.
//
// A detector implements overwatch.Detector (its subsystem name) and any of
// the optional hooks (here Grouper, FunctionChooser, OptionDeclarer and
// TrendDeclarer); registering it from an init function is all the wiring
// needed, exactly as for the built-in EMC, TPC and HLT plug-ins. The team's
// binary is cmd/overwatch-zdc, ten lines around cli.Main; cmd/zdcdemo runs
// the detector through store, processing and trending over simulated
// snapshots whose timing slowly drifts until the alarm fires:
//
//	cd examples/customdetector && go run ./cmd/zdcdemo
package zdc

import (
	"fmt"
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// ZDC is the custom detector plug-in.
type ZDC struct{}

func init() { overwatch.RegisterDetector(ZDC{}) }

// Subsystem returns "ZDC".
func (ZDC) Subsystem() string { return "ZDC" }

// Options declares the half width of the accepted timing window.
func (ZDC) Options() []overwatch.OptionSpec {
	return []overwatch.OptionSpec{{
		Name: "timeWindow", Type: overwatch.OptionFloat, Default: 10.0, Min: 1, Max: 50, HasRange: true,
		Help: "Half width (ns) of the timing window around 0 that signals must fall into.",
	}}
}

// Groups shows amplitudes, timing and channel maps in their own groups.
func (ZDC) Groups(*overwatch.View) []overwatch.Group {
	return []overwatch.Group{
		{Title: "ZDC timing", Pattern: "Time"},
		{Title: "ZDC amplitudes", Pattern: "Amplitude"},
		{Title: "ZDC channel maps", Pattern: "ChannelMap"},
		{Title: "Other ZDC", Pattern: "ZDC"},
	}
}

// TimingWindow checks which fraction of the signals lies in the timing
// window, draws the window and flags the histogram when less than 90 % of
// the signals are in time.
var TimingWindow = overwatch.Function{Name: "zdc.timingWindow", Apply: func(c *overwatch.FuncContext) error {
	h := c.Hist
	if h.Dim() != 1 {
		return fmt.Errorf("zdc: timing histogram %q must be 1-D, got %s", c.Name, h.Class)
	}
	w := c.Options.Float("timeWindow")
	var in, all float64
	for i := 1; i <= h.X.NBins; i++ {
		all += h.Contents[i]
		if x := h.X.BinCenter(i); x >= -w && x <= w {
			in += h.Contents[i]
		}
	}
	frac := 1.0
	if all > 0 {
		frac = in / all
	}
	c.SetInfo("In-time fraction", fmt.Sprintf("%.3f (window ±%g ns)", frac, w))
	ymax := h.GetMaximum()
	c.Display.Decorations = append(c.Display.Decorations,
		overwatch.Decoration{Kind: overwatch.DecoLine, X1: -w, Y1: 0, X2: -w, Y2: ymax, Color: "#00aa00", Dashed: true},
		overwatch.Decoration{Kind: overwatch.DecoLine, X1: w, Y1: 0, X2: w, Y2: ymax, Color: "#00aa00", Dashed: true})
	if frac < 0.9 {
		c.Flag(overwatch.QualityBad, fmt.Sprintf("only %.0f %% of the signals in time", 100*frac))
	} else {
		c.Flag(overwatch.QualityGood, "")
	}
	return nil
}}

// LogY draws amplitude spectra with a logarithmic y axis.
var LogY = overwatch.Function{Name: "zdc.logY", Apply: func(c *overwatch.FuncContext) error {
	c.Display.LogY = true
	return nil
}}

// Functions chooses the functions of a histogram.
func (ZDC) Functions(_ *overwatch.View, h overwatch.HistDesc) []overwatch.Function {
	switch {
	case strings.Contains(h.Name, "Time"):
		return []overwatch.Function{TimingWindow}
	case strings.Contains(h.Name, "Amplitude"):
		return []overwatch.Function{LogY}
	}
	return nil
}

// Trends follows the mean signal time, with an alarm when it leaves ±2 ns.
func (ZDC) Trends() []overwatch.TrendDecl {
	return []overwatch.TrendDecl{{
		Name: "meanTime", Desc: "Mean ZDC signal time (ns)", Hist: "ZDC_histTime", Extractor: "mean",
		Alarms: []overwatch.AlarmSpec{{Name: "timeDrift", Kind: "BetweenValues", Text: "WARNING", Params: map[string]float64{"minVal": -2, "maxVal": 2}}},
	}}
}
