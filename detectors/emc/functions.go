package emc

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// ROOT colours and marker styles used by the EMC functions.
const (
	ColorBlue1       = 601 // kBlue+1
	ColorRed1        = 633 // kRed+1
	MarkerFullCircle = 20
	MarkerOpenCircle = 24
	markerSize       = 0.8
)

// ADCToGeV converts EMCal L1 ADC counts to energy (GeV).
const ADCToGeV = 0.07874

// EnergyAxisTitle is the title of the secondary energy axis of the patch
// spectra.
const EnergyAxisTitle = "Energy (GeV)"

// Default hot-channel thresholds of the 1-D FastOR histograms, in hits per
// event (the authors call them proof-of-concept values).
const (
	ThresholdLargeAmp = 1e-7
	ThresholdAmp      = 10000
	ThresholdDefault  = 1e-2
)

// MaxHotChannelsListed bounds the number of hot FastOR IDs written to the
// information panel; the count is always reported.
const MaxHotChannelsListed = 200

// Information panel labels.
const (
	InfoThreshold   = "Threshold"
	InfoHotChannels = "Fast OR Hot Channels ID"
)

// scaled divides h by the number of events when the scaleHists option is
// on and reports whether it did.
func scaled(c *overwatch.FuncContext, h *overwatch.Hist) bool {
	if !c.Options.Bool(OptScaleHists) {
		return false
	}
	n := c.NEvents
	if !(n > 0) || math.IsInf(n, 0) {
		n = 1
	}
	h.Scale(1 / n)
	return true
}

func fn(name string, apply func(c *overwatch.FuncContext) error) overwatch.Function {
	return overwatch.Function{Name: "emc." + name, Apply: apply}
}

// GeneralOptions (generalOptionsRequiringUnderlyingObjects) hides the
// statistics box and the title, and makes 2-D histograms log-z.
var GeneralOptions = fn("generalOptions", func(c *overwatch.FuncContext) error {
	c.Display.ShowStats = false
	c.Display.ShowTitle = false
	if c.Hist != nil && c.Hist.Dim() == 2 {
		c.Display.LogZ = true
	}
	return nil
})

// SMOptions scales per-supermodule histograms by the number of events (when
// scaleHists is on) and titles them "SM <n>" when the name ends in _SM<n>.
var SMOptions = fn("smOptions", func(c *overwatch.FuncContext) error {
	scaled(c, c.Hist)
	tail := c.Name
	if len(tail) > 5 {
		tail = tail[len(tail)-5:]
	}
	if i := strings.Index(tail, "_SM"); i >= 0 {
		c.Hist.Title = "SM " + tail[i+3:]
		c.Display.ShowTitle = true
	}
	return nil
})

// FEESMOptions shows the FEE vs TRU/STU maps with log-z on x 0–250 and
// y 0–20.
var FEESMOptions = fn("feeSMOptions", func(c *overwatch.FuncContext) error {
	c.Display.LogZ = true
	c.Display.XRange = &overwatch.Range{Min: 0, Max: 250}
	c.Display.YRange = &overwatch.Range{Min: 0, Max: 20}
	return nil
})

// GeneralClusterOptions names cluster histograms without "hCluster".
var GeneralClusterOptions = fn("generalClusterOptions", func(c *overwatch.FuncContext) error {
	c.Display.PrettyName = strings.Replace(c.Name, "hCluster", "", 1)
	return nil
})

func titles(c *overwatch.FuncContext, pretty, x, y string) {
	c.Display.PrettyName = pretty
	if x != "" {
		c.Hist.X.Title = x
	}
	if y != "" {
		c.Hist.Y.Title = y
	}
}

// NumberOfCellsPerCluster labels hClusterCells.
var NumberOfCellsPerCluster = fn("numberOfCellsPerCluster", func(c *overwatch.FuncContext) error {
	titles(c, "Number of cells/cluster", "Number of cells/cluster", "Number")
	c.Display.LogY = true
	return nil
})

// ClusterEnergyVsNumberOfCells labels hClusterEneCells.
var ClusterEnergyVsNumberOfCells = fn("clusterEnergyVsNumberOfCells", func(c *overwatch.FuncContext) error {
	titles(c, "Cluster E vs # of cells/cluster", "Cluster Energy (GeV)", "dN_{cells/cluster}/dE")
	c.Display.LogX = true
	c.Display.LogZ = true
	return nil
})

// ClusterEnergy labels hClusterEneEMCAL.
var ClusterEnergy = fn("clusterEnergy", func(c *overwatch.FuncContext) error {
	titles(c, "Cluster E", "Cluster Energy (GeV)", "dN_{cluster}/dE")
	c.Display.LogY = true
	return nil
})

// ClusterEnergyVsTime labels hClusterEneVsTime.
var ClusterEnergyVsTime = fn("clusterEnergyVsTime", func(c *overwatch.FuncContext) error {
	titles(c, "Cluster E vs Time", "Cluster Energy (GeV)", "Cluster time (ns)")
	return nil
})

// ClusterEtaVsPhi names hClusterEtaVsPhi.
var ClusterEtaVsPhi = fn("clusterEtaVsPhi", func(c *overwatch.FuncContext) error {
	c.Display.PrettyName = "Cluster Eta vs Phi"
	return nil
})

// ClusterInvariantMass labels hClusterInvariantMass.
var ClusterInvariantMass = fn("clusterInvariantMass", func(c *overwatch.FuncContext) error {
	titles(c, "Cluster Invariant Mass", "M_{#gamma#gamma} (GeV/#it{c}^{2})", "Counts/1 MeV")
	return nil
})

// ClusterShape labels hClusterM02 and hClusterM20 from the last two
// characters of the name.
var ClusterShape = fn("clusterShape", func(c *overwatch.FuncContext) error {
	label := lastN(c.Name, 2)
	titles(c, "Cluster M"+label, "M_{"+label+"}", "dN/dM_{"+label+"}")
	c.Display.LogY = true
	return nil
})

// NumberOfClustersVsV0 labels hClusterNumVsV0 (x 0–1000, y 0–500, log-z).
var NumberOfClustersVsV0 = fn("numberOfClustersVsV0", func(c *overwatch.FuncContext) error {
	titles(c, "Number of Clusters vs V0 amplitude", "Number of clusters", "V0 amplitude")
	c.Display.XRange = &overwatch.Range{Min: 0, Max: 1000}
	c.Display.YRange = &overwatch.Range{Min: 0, Max: 500}
	c.Display.LogZ = true
	return nil
})

// CellIDVsAmplitudeLabels labels the hIDvsAmp* cell maps.
var CellIDVsAmplitudeLabels = fn("cellIDVsAmplitudeLabels", func(c *overwatch.FuncContext) error {
	titles(c, "Cell ID vs Amplitude - "+lastN(c.Name, 2), "Cell amplitude", "Cell ID")
	return nil
})

// CellIDVsAmplitudeHighGain makes hIDvsAmpHG log-x and log-z.
var CellIDVsAmplitudeHighGain = fn("cellIDVsAmplitudeHighGain", func(c *overwatch.FuncContext) error {
	c.Display.LogX = true
	c.Display.LogZ = true
	return nil
})

// CellIDVsTimeLabels labels the hIDvsTime* cell maps.
var CellIDVsTimeLabels = fn("cellIDVsTimeLabels", func(c *overwatch.FuncContext) error {
	titles(c, "Cell ID vs Time - "+lastN(c.Name, 2), "Cell time (ns)", "Cell ID")
	return nil
})

// CellIDVsTimeHighGain makes hIDvsTimeHG log-z.
var CellIDVsTimeHighGain = fn("cellIDVsTimeHighGain", func(c *overwatch.FuncContext) error {
	c.Display.LogZ = true
	return nil
})

// EdgePosOptions scales the edge-position maps by the number of events
// (when scaleHists is on), sets the z title accordingly and draws the TRU
// grid on 2-D maps.
var EdgePosOptions = fn("edgePosOptions", func(c *overwatch.FuncContext) error {
	if scaled(c, c.Hist) {
		c.Hist.Z.Title = "entries / events"
	} else {
		c.Hist.Z.Title = "entries"
	}
	if c.Hist.Dim() == 2 {
		c.Display.Decorations = append(c.Display.Decorations, TRUGrid()...)
	}
	return nil
})

// FastOROptions processes the summary FastOR histograms. 2-D maps get the
// TRU grid and per-event scaling. 1-D per-FastOR histograms are scaled,
// styled, and searched for hot channels: every bin whose content is
// strictly above the threshold is reported as FastOR ID bin-1 in the
// information panel and flags the histogram's quality as medium.
var FastOROptions = fn("fastOROptions", func(c *overwatch.FuncContext) error {
	h := c.Hist
	if h.Dim() == 2 {
		c.Display.Decorations = append(c.Display.Decorations, TRUGrid()...)
		if scaled(c, h) {
			h.Z.Title = "entries / events"
		} else {
			h.Z.Title = "entries"
		}
		return nil
	}
	if h.Dim() != 1 {
		return fmt.Errorf("emc: fastOROptions expects a 1-D or 2-D FastOR histogram, %q is a %s", c.Name, h.Class)
	}
	threshold := HotChannelThreshold(c.Name, c.Options.Int(OptHotChannelThreshold))
	h.EnableSumw2()
	scaled(c, h)
	h.Att.Marker = overwatch.MarkerAttr{Color: ColorBlue1, Style: MarkerFullCircle, Size: markerSize}
	h.Att.Line.Color = ColorBlue1
	hot := HotChannels(h, threshold)
	c.SetInfo(InfoThreshold, strconv.FormatFloat(threshold, 'g', -1, 64))
	c.SetInfo(InfoHotChannels, formatIDs(hot))
	if len(hot) > 0 {
		c.Flag(overwatch.QualityMedium, fmt.Sprintf("%d hot FastOR channel(s) above %g", len(hot), threshold))
	} else {
		c.Flag(overwatch.QualityGood, "")
	}
	return nil
})

// HotChannelThreshold returns the hot-channel threshold of a 1-D FastOR
// histogram: user/1000 when the user value (option hotChannelThreshold,
// 0–1000) is positive, else 1e-7 for "LargeAmp" histograms, 10000 for other
// "Amp" histograms and 1e-2 otherwise.
func HotChannelThreshold(name string, user int64) float64 {
	switch {
	case user > 0:
		return float64(user) / 1000
	case strings.Contains(name, "LargeAmp"):
		return ThresholdLargeAmp
	case strings.Contains(name, "Amp"):
		return ThresholdAmp
	}
	return ThresholdDefault
}

// HotChannels returns the FastOR IDs (bin - 1) of the in-range bins of a
// 1-D histogram whose content is strictly greater than threshold.
func HotChannels(h *overwatch.Hist, threshold float64) []int {
	var ids []int
	for i := 1; i <= h.X.NBins && i < len(h.Contents); i++ {
		if h.Contents[i] > threshold {
			ids = append(ids, i-1)
		}
	}
	return ids
}

func formatIDs(ids []int) string {
	if len(ids) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, id := range ids {
		if i == MaxHotChannelsListed {
			fmt.Fprintf(&b, " … (%d in total)", len(ids))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(id))
	}
	return b.String()
}

// PatchAmpOptions shows patch amplitude spectra with log-y and grids. For
// an EMCal/DCal stack it also styles the members (EMCal red full circles,
// DCal blue open circles), scales them by the number of events (when
// scaleHists is on), adds the legend and the secondary energy axis.
var PatchAmpOptions = fn("patchAmpOptions", func(c *overwatch.FuncContext) error {
	c.Display.LogY = true
	c.Display.GridX = true
	c.Display.GridY = true
	if len(c.Stack) < 2 {
		return nil
	}
	legend := overwatch.Decoration{Kind: overwatch.DecoLegend, X1: 0.6, Y1: 0.9, X2: 0.9, Y2: 0.7, NDC: true}
	for _, m := range c.Stack {
		label, color, style := "EMCal", int16(ColorRed1), int16(MarkerFullCircle)
		if strings.Contains(m.Name, "DCal") {
			label, color, style = "DCal", ColorBlue1, MarkerOpenCircle
		}
		m.Att.Marker = overwatch.MarkerAttr{Color: color, Style: style, Size: markerSize}
		m.Att.Line.Color = color
		m.EnableSumw2()
		if scaled(c, m) {
			m.Y.Title = "entries / events"
		} else {
			m.Y.Title = "entries"
		}
		legend.Entries = append(legend.Entries, overwatch.LegendEntry{Ref: m.Name, Label: label, Option: "lep"})
	}
	c.Display.Decorations = append(c.Display.Decorations, legend)
	addEnergyAxis(c)
	return nil
})

// ProperlyPlotPatchSpectra (legacy) shows patch spectra with log-y and
// grids.
var ProperlyPlotPatchSpectra = fn("properlyPlotPatchSpectra", func(c *overwatch.FuncContext) error {
	c.Display.LogY = true
	c.Display.GridX = true
	c.Display.GridY = true
	return nil
})

// AddEnergyAxisToPatches (legacy) adds the secondary energy axis to a patch
// spectrum unless it already has one.
var AddEnergyAxisToPatches = fn("addEnergyAxisToPatches", func(c *overwatch.FuncContext) error {
	addEnergyAxis(c)
	return nil
})

// addEnergyAxis draws the energy axis along the top of the plot at twice
// the maximum of the histogram (or stack), spanning the displayed x range,
// labelled in GeV (ADC × ADCToGeV). It does nothing when the axis exists.
func addEnergyAxis(c *overwatch.FuncContext) {
	for _, d := range c.Display.Decorations {
		if d.Kind == overwatch.DecoAxis && d.AxisTitle == EnergyAxisTitle {
			return
		}
	}
	hs := c.Stack
	if len(hs) == 0 {
		hs = []*overwatch.Hist{c.Hist}
	}
	ymax := math.Inf(-1)
	for _, h := range hs {
		ymax = math.Max(ymax, h.GetMaximum())
	}
	if math.IsInf(ymax, 0) || math.IsNaN(ymax) || ymax <= -math.MaxFloat32 {
		// No cell in range (GetMaximum's -FLT_MAX) or unusable contents.
		ymax = 0
	}
	xmin, xmax := hs[0].X.Min, hs[0].X.Max
	if r := c.Display.XRange; r != nil {
		xmin, xmax = r.Min, r.Max
	}
	y := 2 * ymax
	c.Display.Decorations = append(c.Display.Decorations, overwatch.Decoration{
		Kind: overwatch.DecoAxis, X1: xmin, Y1: y, X2: xmax, Y2: y,
		AxisMin: xmin * ADCToGeV, AxisMax: xmax * ADCToGeV, AxisTitle: EnergyAxisTitle,
		NDiv: 510, Opposite: true, Color: "#000000",
	})
}

func lastN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
