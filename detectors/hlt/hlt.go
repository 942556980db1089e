// Package hlt is the Overwatch detector plug-in of the HLT (high-level
// trigger) histograms. Importing it registers the detector:
//
//	import _ "github.com/overwatch-dqm/overwatch/detectors/hlt"
//
// As in the original Overwatch (original-processing.md §5.5) the HLT files
// are shown as one group "HLT Histograms" holding every histogram of the
// file, each with titles switched on (generalHLTOptions), and 114 trends
// are declared: the maximum, mean and standard deviation of the 38
// "fHist…" histograms, with the original's alarm sets.
//
// Deliberate deviation: the trend alarms carry no e-mail recipients (the
// original hard-wired a placeholder address); recipients come from the
// trending configuration.
package hlt

import (
	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/alarmsets"
	"github.com/overwatch-dqm/overwatch/detectors/hlt/hltnames"
)

// Subsystem is the HLT subsystem name.
const Subsystem = overwatch.HLTSubsystem

// Detector is the HLT detector plug-in, registered by the package's init
// function.
type Detector struct{}

func init() { overwatch.RegisterDetector(Detector{}) }

var (
	_ overwatch.Grouper         = Detector{}
	_ overwatch.FunctionChooser = Detector{}
	_ overwatch.TrendDeclarer   = Detector{}
)

// Subsystem returns "HLT".
func (Detector) Subsystem() string { return Subsystem }

// TrendedHists are the short names of the 38 trended HLT histograms; the
// source of short name s is "fHist" + s (package hltnames, shared with the
// HLT simulator's generator).
var TrendedHists = hltnames.Trended

// HistPrefix is the prefix of the HLT histogram names.
const HistPrefix = "fHist"

// Groups returns the single group "HLT Histograms" matching every
// histogram of the view (the HLT always owns its files).
func (Detector) Groups(v *overwatch.View) []overwatch.Group {
	return []overwatch.Group{{Title: "HLT Histograms", Pattern: ""}}
}

// GeneralHLTOptions switches the histogram title on.
var GeneralHLTOptions = overwatch.Function{Name: "hlt.generalHLTOptions", Apply: func(c *overwatch.FuncContext) error {
	c.Display.ShowTitle = true
	return nil
}}

// Functions applies GeneralHLTOptions to every histogram.
func (Detector) Functions(_ *overwatch.View, _ overwatch.HistDesc) []overwatch.Function {
	return []overwatch.Function{GeneralHLTOptions}
}

// Trends declares the 114 HLT trends: for each of max, mean and stdDev and
// each of the 38 TrendedHists, a trend named <prefix><short> of histogram
// fHist<short>.
func (Detector) Trends() []overwatch.TrendDecl {
	return alarmsets.Trends(HistPrefix, TrendedHists)
}
