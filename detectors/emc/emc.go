// Package emc is the Overwatch detector plug-in of the EMC (EMCal + DCal
// calorimeter trigger QA). Importing it registers the detector:
//
//	import _ "github.com/overwatch-dqm/overwatch/detectors/emc"
//
// It reproduces the original Overwatch EMC module (original-processing.md
// §5.3): pretty names without the "EMCTRQA_hist" prefix and "colz" for 2-D
// histograms, the 20 histogram groups (the eight per-supermodule groups laid
// out as grids), the function-assignment table and every processing
// function (per-event scaling, titles, axis titles and ranges, log scales,
// the TRU grid, the secondary energy axis of the patch spectra, hot-channel
// detection on the 1-D FastOR histograms), the options scaleHists and
// hotChannelThreshold, and the 90 trending declarations (maximum, mean and
// standard deviation of 30 histograms) with the alarm sets of the original.
// The original's helpers that were never wired in are available for
// custom configurations without being in the default function table:
// SortSMsInPhysicalOrder, SignalOutliers and CheckForOutliers.
//
// Deliberate deviations from the original (bug fixes):
//
//   - The EMCal/DCal overlays of the patch amplitude spectra are built: the
//     original's stack selector compared the selector string itself with
//     histogram names and never produced a stack. Every histogram whose
//     name contains "EMCalPatchAmpEMC" or "EMCalMaxPatchAmpEMC" and whose
//     DCal partner (EMCal→DCal) exists becomes a stack named after the
//     EMCal histogram; both members are removed from the individual list.
//   - The secondary energy axis is drawn once: the original's legacy
//     addEnergyAxisToPatches added a second copy on stacks that
//     patchAmpOptions had already decorated.
//   - The z-axis title of the 2-D FastOR maps says "entries / events" only
//     when the histogram was actually divided by the number of events (the
//     original set it unconditionally).
//   - The number of events used for scaling is the one of the snapshot (or
//     time slice) being processed, never zero (FuncContext.NEvents), instead
//     of the first file of the run.
//   - Hot-channel detection flags the histogram's quality (medium when hot
//     channels are found, good otherwise) in addition to the information
//     panel, and lists at most MaxHotChannelsListed IDs.
//   - The trend alarms carry no e-mail recipients: the original hard-wired
//     a placeholder address; recipients come from the trending
//     configuration.
//   - The "debug" switch that kept statistics boxes visible is not a
//     processing option; statistics boxes are always hidden, as in
//     production.
package emc

import (
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// Subsystem is the EMC subsystem name.
const Subsystem = "EMC"

// Option names.
const (
	OptScaleHists          = "scaleHists"
	OptHotChannelThreshold = "hotChannelThreshold"
)

// Prefix is the common prefix of the EMC trigger QA histograms.
const Prefix = "EMCTRQA_hist"

// Detector is the EMC detector plug-in. Its zero value is ready to use; it
// is registered by the package's init function.
type Detector struct{}

func init() { overwatch.RegisterDetector(Detector{}) }

var (
	_ overwatch.OptionDeclarer  = Detector{}
	_ overwatch.DisplaySetter   = Detector{}
	_ overwatch.Stacker         = Detector{}
	_ overwatch.Grouper         = Detector{}
	_ overwatch.FunctionChooser = Detector{}
	_ overwatch.TrendDeclarer   = Detector{}
)

// Subsystem returns "EMC".
func (Detector) Subsystem() string { return Subsystem }

// Options declares scaleHists (default true) and hotChannelThreshold (0 to
// 1000, default 0).
func (Detector) Options() []overwatch.OptionSpec {
	return []overwatch.OptionSpec{
		{
			Name: OptScaleHists, Type: overwatch.OptionBool, Default: true,
			Help: "Divide the FastOR, edge-position, per-supermodule and patch histograms by the number of events.",
		},
		{
			Name: OptHotChannelThreshold, Type: overwatch.OptionInt, Default: int64(0),
			Min: 0, Max: 1000, HasRange: true,
			Help: "Hot FastOR threshold ×1000 on the 1-D FastOR histograms (hits per event when scaled); 0 uses the built-in thresholds (1e-7 for large amplitudes, 1e-2 otherwise).",
		},
	}
}

// SetDisplay gives the histograms of the EMC trigger QA their name without
// the "EMCTRQA_hist" prefix as pretty name, and 2-D histograms the "colz"
// draw option.
func (Detector) SetDisplay(_ *overwatch.View, h overwatch.HistDesc, d *overwatch.Display) {
	if rest, ok := strings.CutPrefix(h.Name, Prefix); ok {
		d.PrettyName = rest
	}
	if h.Dim() == 2 {
		d.DrawOption = strings.TrimSpace(d.DrawOption + " colz")
	}
}

// Stacks overlays every EMCal patch amplitude spectrum ("EMCalPatchAmpEMC…"
// and "EMCalMaxPatchAmpEMC…") with its DCal counterpart. The stack is named
// after the EMCal histogram; spectra without a partner stay on their own.
func (Detector) Stacks(v *overwatch.View) []overwatch.Stack {
	var out []overwatch.Stack
	for _, h := range v.Hists {
		if !strings.Contains(h.Name, "EMCalPatchAmpEMC") && !strings.Contains(h.Name, "EMCalMaxPatchAmpEMC") {
			continue
		}
		if h.Dim() != 1 {
			continue
		}
		dcal := DCalPartner(h.Name)
		if d, ok := v.Lookup(dcal); !ok || d.Dim() != 1 {
			continue
		}
		kind := h.Name[strings.Index(h.Name, "EMCal")+len("EMCal"):]
		out = append(out, overwatch.Stack{
			Name:    h.Name,
			Title:   "EMCal and DCal " + kind,
			Members: []string{h.Name, dcal},
		})
	}
	return out
}

// DCalPartner returns the name of the DCal spectrum matching an EMCal one:
// the first "EMCal" of the name replaced by "DCal".
func DCalPartner(name string) string { return strings.Replace(name, "EMCal", "DCal", 1) }

// groupDef is one row of the EMC group table.
type groupDef struct{ title, pattern string }

var groupTable = []groupDef{
	{"FEE vs TRU", "FEEvsTRU_SM"},
	{"FEE vs STU", "FEEvsSTU_SM"},
	{"FastOR L0 (hits with ADC > 0)", "FastORL0_SM"},
	{"FastOR L0 Amp (hits weighted with ADC value)", "FastORL0Amp_SM"},
	{"FastOR L0 Large Amp (hits above 400 ADC)", "FastORL0LargeAmp_SM"},
	{"FastOR L1 (hits with ADC > 0)", "FastORL1_SM"},
	{"FastOR L1 Amp (hits weighted with ADC value)", "FastORL1Amp_SM"},
	{"FastOR L1 Large Amp (hits above 400 ADC)", "FastORL1LargeAmp_SM"},
	{"EMCal cluster level", "Cluster"},
	{"EMCal cell level", "hIDvs"},
	{"EMCal vs DCal Median", "EMCalMedianVsDCalMedian"},
	{"Gamma Trigger Low", "GAL"},
	{"Gamma Trigger High", "GAH"},
	{"Jet Trigger Low", "JEL"},
	{"Jet Trigger High", "JEH"},
	{"L0", "EMCL0"},
	{"Background", "BKG"},
	{"FastOR", "FastOR"},
	{"Other EMC", "EMC"},
}

// Groups returns the EMC groups in priority order: eight per-supermodule
// grid groups, then clusters, cells, medians, the trigger classes, L0,
// background, FastOR, other EMC and — only when EMC has files of its own —
// "Non EMC" catching everything else. (When EMC borrows the HLT files, the
// pattern "Cluster" also captures HLT TPC-cluster histograms such as
// fHistClusterChargeMax, as in the original.)
func (Detector) Groups(v *overwatch.View) []overwatch.Group {
	gs := make([]overwatch.Group, 0, len(groupTable)+1)
	for _, g := range groupTable {
		gs = append(gs, overwatch.Group{Title: g.title, Pattern: g.pattern, Grid: strings.Contains(g.pattern, "_SM")})
	}
	if v == nil || v.Own() {
		gs = append(gs, overwatch.Group{Title: "Non EMC", Pattern: ""})
	}
	return gs
}

// fastORNames are the summary FastOR histograms handled by fastOROptions.
var fastORNames = map[string]bool{
	Prefix + "FastORL0": true, Prefix + "FastORL0Amp": true, Prefix + "FastORL0LargeAmp": true,
	Prefix + "FastORL1": true, Prefix + "FastORL1Amp": true, Prefix + "FastORL1LargeAmp": true,
}

var clusterFuncs = map[string]overwatch.Function{
	"hClusterCells":         NumberOfCellsPerCluster,
	"hClusterEneCells":      ClusterEnergyVsNumberOfCells,
	"hClusterEneEMCAL":      ClusterEnergy,
	"hClusterEneVsTime":     ClusterEnergyVsTime,
	"hClusterEtaVsPhi":      ClusterEtaVsPhi,
	"hClusterInvariantMass": ClusterInvariantMass,
	"hClusterM02":           ClusterShape,
	"hClusterM20":           ClusterShape,
	"hClusterNumVsV0":       NumberOfClustersVsV0,
}

// Functions returns the functions applied to a histogram, in the order of
// the original's findFunctionsForEMCHistogram.
func (Detector) Functions(_ *overwatch.View, h overwatch.HistDesc) []overwatch.Function {
	n := h.Name
	fs := []overwatch.Function{GeneralOptions}
	if strings.Contains(n, "SM") {
		fs = append(fs, SMOptions)
		if strings.Contains(n, "FEE") {
			fs = append(fs, FEESMOptions)
		}
	}
	if strings.Contains(n, "hCluster") {
		fs = append(fs, GeneralClusterOptions)
	}
	if f, ok := clusterFuncs[n]; ok {
		fs = append(fs, f)
	}
	if strings.Contains(n, "hIDvsAmp") {
		fs = append(fs, CellIDVsAmplitudeLabels)
		if n == "hIDvsAmpHG" {
			fs = append(fs, CellIDVsAmplitudeHighGain)
		}
	}
	if strings.Contains(n, "hIDvsTime") {
		fs = append(fs, CellIDVsTimeLabels)
		if n == "hIDvsTimeHG" {
			fs = append(fs, CellIDVsTimeHighGain)
		}
	}
	if strings.Contains(n, "EdgePos") {
		fs = append(fs, EdgePosOptions)
	}
	if fastORNames[n] {
		fs = append(fs, FastOROptions)
	}
	if strings.Contains(n, "PatchAmp") && !strings.Contains(n, "Subtracted") && !strings.Contains(n, "EMCRE") {
		fs = append(fs, PatchAmpOptions)
	}
	if containsAny(n, "EMCalPatchEnergy", "DCalPatchEnergy", "EMCalPatchAmp", "EMCalMaxPatchAmp", "DCalPatchAmp", "DCalMaxPatchAmp") {
		fs = append(fs, ProperlyPlotPatchSpectra)
	}
	if containsAny(n, "EMCalPatchAmp", "EMCalMaxPatchAmp", "DCalPatchAmp", "DCalMaxPatchAmp") {
		fs = append(fs, AddEnergyAxisToPatches)
	}
	return fs
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
