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
// source of short name s is "fHist" + s.
var TrendedHists = []string{
	"ClusterChargeMax", "ClusterChargeTot", "HLTInSize_HLTOutSize", "HLTSize_HLTInOutRatio",
	"SDDclusters_SDDrawSize", "SPDclusters_SDDclusters", "SPDclusters_SPDrawSize",
	"SPDclusters_SSDclusters", "SSDclusters_SDDclusters", "SSDclusters_SSDrawSize",
	"TPCAallClustersRowPhi", "TPCAattachedClustersRowPhi", "TPCCallClustersRowPhi",
	"TPCCattachedClustersRowPhi", "TPCClusterFlags", "TPCClusterSize_TPCCompressedSize",
	"TPCHLTclusters_TPCCompressionRatio", "TPCHLTclusters_TPCFullCompressionRatio",
	"TPCHLTclusters_TPCSplitClusterRatioPad", "TPCHLTclusters_TPCSplitClusterRatioTime",
	"TPCRawSize_TPCCompressedSize", "TPCTrackPt",
	"TPCdEdxMaxIROC", "TPCdEdxMaxOROC1", "TPCdEdxMaxOROC2", "TPCdEdxMaxOROCAll", "TPCdEdxMaxTPCAll",
	"TPCdEdxTotIROC", "TPCdEdxTotOROC1", "TPCdEdxTotOROC2", "TPCdEdxTotOROCAll", "TPCdEdxTotTPCAll",
	"TPCtracks_TPCtracklets", "TZERO_ITSSPDVertexZ", "VZERO_SPDClusters",
	"ZNA_VZEROTrigChargeA", "ZNC_VZEROTrigChargeC", "ZNT_VZEROTrigChargeT",
}

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

type trender struct {
	prefix, label string
	alarms        func() []overwatch.AlarmSpec
}

var trenders = []trender{
	{"max", "Maximum", alarmsets.Max},
	{"mean", "Mean", alarmsets.Mean},
	{"stdDev", "Standard deviation", alarmsets.StdDev},
}

// Trends declares the 114 HLT trends: for each of max, mean and stdDev and
// each of the 38 TrendedHists, a trend named <prefix><short> of histogram
// fHist<short>.
func (Detector) Trends() []overwatch.TrendDecl {
	out := make([]overwatch.TrendDecl, 0, len(trenders)*len(TrendedHists))
	for _, t := range trenders {
		for _, s := range TrendedHists {
			out = append(out, overwatch.TrendDecl{
				Name: t.prefix + s, Desc: t.prefix + ": " + t.label + " of " + s,
				Hist: HistPrefix + s, Extractor: t.prefix, Alarms: t.alarms(),
			})
		}
	}
	return out
}
