// Package tpc is the Overwatch detector plug-in of the TPC (time projection
// chamber) QA histograms. Importing it registers the detector:
//
//	import _ "github.com/overwatch-dqm/overwatch/detectors/tpc"
//
// It reproduces the original Overwatch TPC module (original-processing.md
// §5.4): histograms derived from the TH3D track histograms
// "TPCQA/h_tpc_track_<sign>_recvertex_<v>_5_<w>" (DCA versus φ per η side,
// η versus φ, p_T and η spectra for tracks with more than 70 clusters), the
// 15 groups, the functions generalOptions and ptSpectra, and the trending
// of the vertex and multiplicity means.
//
// The TH3D axes are: x the track variable v (0 number of clusters, 2 found
// over findable clusters, 3 DCA_r, 4 DCA_z), y η (variable 5), z φ (w = 6)
// or p_T (w = 7).
//
// Deliberate deviations from the original (bug fixes):
//
//   - The η side of the DCA projections is selected by bins: the C side is
//     every η bin below 0 and the A side every bin above (bins 1–15 and
//     16–30 of the usual 30 bins over −1.5..1.5). The original restricted
//     the axis to the user coordinates 15–29 and 0–14, numbers that look
//     like bin indices and select (almost) nothing on an η axis.
//   - The DCA labels follow the histogram catalogue: "_3_5_6" holds DCA_r
//     and "_4_5_6" DCA_z. The original labelled them the other way round.
//   - "Eta vs Phi of <sign> tracks" names the right sign; the original
//     always said "negative" (a stale loop variable).
//   - Derived histograms are only declared when their source exists.
//   - generalOptions sets the "colz" draw option on 2-D and 3-D
//     histograms only (the original set COLZ on every histogram).
//   - The four trends meanTPCClusterTrending, meanTPCFoundClusters,
//     meanTPCdcaR and meanTPCdcaZ of the original are not declared: their
//     sources ("…_restrictedPtEta") were never produced by anything, so
//     they never received a value.
//   - The trend alarms carry no e-mail recipients (the original hard-wired
//     a placeholder address); recipients come from the trending
//     configuration.
package tpc

import (
	"fmt"
	"strings"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/alarmsets"
)

// Subsystem is the TPC subsystem name.
const Subsystem = "TPC"

// Detector is the TPC detector plug-in, registered by the package's init
// function.
type Detector struct{}

func init() { overwatch.RegisterDetector(Detector{}) }

var (
	_ overwatch.Deriver         = Detector{}
	_ overwatch.DisplaySetter   = Detector{}
	_ overwatch.Grouper         = Detector{}
	_ overwatch.FunctionChooser = Detector{}
	_ overwatch.TrendDeclarer   = Detector{}
)

// Subsystem returns "TPC".
func (Detector) Subsystem() string { return Subsystem }

// TrackHist returns the name of a TH3D track histogram, e.g.
// TrackHist("pos", 3, 6) = "TPCQA/h_tpc_track_pos_recvertex_3_5_6".
func TrackHist(sign string, v, w int) string {
	return fmt.Sprintf("TPCQA/h_tpc_track_%s_recvertex_%d_5_%d", sign, v, w)
}

// MinClusters is the cut on the number of TPC clusters of the p_T and η
// spectra: x bins MinClusters+1 … 160 (n clusters > 70).
const MinClusters = 70

// derivedDef describes one derived histogram.
type derivedDef struct {
	name, pretty, source string
	derive               func(name string, src *overwatch.Hist) (*overwatch.Hist, error)
}

var signs = []struct{ short, word string }{{"pos", "positive"}, {"neg", "negative"}}

func derivedDefs() []derivedDef {
	var out []derivedDef
	for _, s := range signs {
		for _, dca := range []struct {
			label string
			v     int
		}{{"DCAr", 3}, {"DCAz", 4}} {
			for _, side := range []struct {
				suffix, word string
				a            bool
			}{{"aSide", "A", true}, {"cSide", "C", false}} {
				label, a := dca.label, side.a
				out = append(out, derivedDef{
					name:   fmt.Sprintf("%s_vs_Phi_%stracks_%s", dca.label, s.short, side.suffix),
					pretty: fmt.Sprintf("%s vs Phi for %s tracks on %s side", dca.label, s.word, side.word),
					source: TrackHist(s.short, dca.v, 6),
					derive: func(name string, src *overwatch.Hist) (*overwatch.Hist, error) {
						return DCAVsPhi(src, name, label+" (cm)", a)
					},
				})
			}
		}
		out = append(out, derivedDef{
			name:   "Eta_vs_Phi_" + s.short + "tracks",
			pretty: "Eta vs Phi of " + s.word + " tracks",
			source: TrackHist(s.short, 2, 6),
			derive: EtaVsPhi,
		}, derivedDef{
			name:   "pT_" + s.short + "tracks",
			pretty: "pT of " + s.word + " tracks",
			source: TrackHist(s.short, 0, 7),
			derive: PtSpectrum,
		}, derivedDef{
			name:   "Eta_" + s.short + "tracks",
			pretty: "Eta of " + s.word + " tracks",
			source: TrackHist(s.short, 0, 7),
			derive: EtaSpectrum,
		})
	}
	return out
}

var prettyNames = func() map[string]string {
	m := map[string]string{}
	for _, d := range derivedDefs() {
		m[d.name] = d.pretty
	}
	return m
}()

// Derive declares the derived histograms whose TH3D source is in the view,
// when the TPC has files of its own.
func (Detector) Derive(v *overwatch.View) []overwatch.Derived {
	if !v.Own() {
		return nil
	}
	var out []overwatch.Derived
	for _, d := range derivedDefs() {
		src, ok := v.Lookup(d.source)
		if !ok || src.Dim() != 3 {
			continue
		}
		class := overwatch.ClassTH2D
		if strings.HasPrefix(d.name, "pT_") || strings.HasPrefix(d.name, "Eta_") && !strings.HasPrefix(d.name, "Eta_vs") {
			class = overwatch.ClassTH1D
		}
		d := d
		out = append(out, overwatch.Derived{
			Name: d.name, Class: class, Sources: []string{d.source},
			Derive: func(src []*overwatch.Hist, _ overwatch.Values) (*overwatch.Hist, error) {
				if len(src) != 1 || src[0] == nil {
					return nil, fmt.Errorf("tpc: %s needs one source histogram %s", d.name, d.source)
				}
				if src[0].Dim() != 3 {
					return nil, fmt.Errorf("tpc: %s needs a TH3 source, %s is a %s", d.name, d.source, src[0].Class)
				}
				return d.derive(d.name, src[0])
			},
		})
	}
	return out
}

// etaSide returns the η bins (y axis) of one side: bins whose centre is
// above 0 for the A side, below 0 for the C side.
func etaSide(a *overwatch.Axis, aSide bool) (first, last int, err error) {
	first, last = 0, -1
	for i := 1; i <= a.NBins; i++ {
		c := a.BinCenter(i)
		if (aSide && c > 0) || (!aSide && c < 0) {
			if first == 0 {
				first = i
			}
			last = i
		}
	}
	if first == 0 {
		side := "C"
		if aSide {
			side = "A"
		}
		return 0, 0, fmt.Errorf("tpc: η axis [%g, %g] has no bin on the %s side", a.Min, a.Max, side)
	}
	return first, last, nil
}

// DCAVsPhi projects a DCA track histogram (x DCA, y η, z φ) of one η side
// onto DCA (vertical) versus φ (horizontal). The side is selected by η
// bins (A: η > 0, C: η < 0).
func DCAVsPhi(src *overwatch.Hist, name, yTitle string, aSide bool) (*overwatch.Hist, error) {
	first, last, err := etaSide(&src.Y, aSide)
	if err != nil {
		return nil, err
	}
	h, err := src.Project3D("xz", first, last)
	if err != nil {
		return nil, fmt.Errorf("tpc: projecting %s: %w", src.Name, err)
	}
	h.Name, h.Title = name, name
	h.Y.Title = yTitle
	return h, nil
}

// EtaVsPhi projects a track histogram onto η (vertical) versus φ
// (horizontal), summing the x axis.
func EtaVsPhi(name string, src *overwatch.Hist) (*overwatch.Hist, error) {
	h, err := src.Project3D("yz")
	if err != nil {
		return nil, fmt.Errorf("tpc: projecting %s: %w", src.Name, err)
	}
	h.Name, h.Title = name, name
	return h, nil
}

// PtSpectrum projects a "_0_5_7" track histogram onto p_T (z) for tracks
// with more than 70 clusters (x bins 71–160) over all η bins.
func PtSpectrum(name string, src *overwatch.Hist) (*overwatch.Hist, error) {
	h, err := src.ProjectionZ(name, MinClusters+1, src.X.NBins, 1, src.Y.NBins)
	if err != nil {
		return nil, fmt.Errorf("tpc: projecting %s: %w", src.Name, err)
	}
	h.Title = name + " (ncl>70)"
	return h, nil
}

// EtaSpectrum projects a "_0_5_7" track histogram onto η (y) for tracks
// with more than 70 clusters (x bins 71–160) and p_T bins 1–25.
func EtaSpectrum(name string, src *overwatch.Hist) (*overwatch.Hist, error) {
	h, err := src.ProjectionY(name, MinClusters+1, src.X.NBins, 1, min(25, src.Z.NBins))
	if err != nil {
		return nil, fmt.Errorf("tpc: projecting %s: %w", src.Name, err)
	}
	h.Title = name + " (ncl>70)"
	return h, nil
}

// SetDisplay gives the derived histograms their pretty names.
func (Detector) SetDisplay(_ *overwatch.View, h overwatch.HistDesc, d *overwatch.Display) {
	if p, ok := prettyNames[h.Name]; ok {
		d.PrettyName = p
	}
}

var groupTable = [][2]string{
	{"DCAr vs Phi", "DCAr_vs_Phi"},
	{"DCAz vs Phi", "DCAz_vs_Phi"},
	{"TPC Cluster Eta vs Phi", "Eta_vs_Phi"},
	{"TPC Cluster Eta", "Eta_"},
	{"Pt spectra", "pT_"},
	{"TPC Cluster", "tpc_clust"},
	{"TPC Constrain", "tpc_constrain"},
	{"TPC Event RecVertex", "event_recvertex"},
	{"Match Tracking Efficiency", "match_trackingeff"},
	{"All RecVertex", "all_recvertex"},
	{"Negative RecVertex", "neg_recvertex"},
	{"Positive RecVertex", "pos_recvertex"},
	{"event_6", "event_6"},
	{"Other TPC", "TPC"},
}

// Groups returns the TPC groups in priority order, with "Non TPC" catching
// everything else only when the TPC has files of its own.
func (Detector) Groups(v *overwatch.View) []overwatch.Group {
	gs := make([]overwatch.Group, 0, len(groupTable)+1)
	for _, g := range groupTable {
		gs = append(gs, overwatch.Group{Title: g[0], Pattern: g[1]})
	}
	if v == nil || v.Own() {
		gs = append(gs, overwatch.Group{Title: "Non TPC", Pattern: ""})
	}
	return gs
}

// GeneralOptions switches titles on and draws 2-D and 3-D histograms with
// "colz".
var GeneralOptions = overwatch.Function{Name: "tpc.generalOptions", Apply: func(c *overwatch.FuncContext) error {
	c.Display.ShowTitle = true
	if c.Hist != nil && c.Hist.Dim() >= 2 && !strings.Contains(strings.ToLower(c.Display.DrawOption), "colz") {
		c.Display.DrawOption = strings.TrimSpace(c.Display.DrawOption + " colz")
	}
	return nil
}}

// PtSpectra labels p_T spectra: y title "dN/dp_{T}", log-y.
var PtSpectra = overwatch.Function{Name: "tpc.ptSpectra", Apply: func(c *overwatch.FuncContext) error {
	c.Hist.Y.Title = "dN/dp_{T}"
	c.Display.LogY = true
	return nil
}}

// Functions applies GeneralOptions to every histogram and PtSpectra to
// those whose name contains "pT_".
func (Detector) Functions(_ *overwatch.View, h overwatch.HistDesc) []overwatch.Function {
	fs := []overwatch.Function{GeneralOptions}
	if strings.Contains(h.Name, "pT_") {
		fs = append(fs, PtSpectra)
	}
	return fs
}

// Trends declares the mean of the vertex position (x, y, z) and of the
// positive and negative multiplicities, with the original's mean alarm set.
func (Detector) Trends() []overwatch.TrendDecl {
	src := []struct{ name, hist, what string }{
		{"meanhistvx", "TPCQA/h_tpc_event_recvertex_0", "vertex x"},
		{"meanhistvy", "TPCQA/h_tpc_event_recvertex_1", "vertex y"},
		{"meanhistvz", "TPCQA/h_tpc_event_recvertex_2", "vertex z"},
		{"meanhistMpos", "TPCQA/h_tpc_event_recvertex_4", "positive multiplicity"},
		{"meanhistMneg", "TPCQA/h_tpc_event_recvertex_5", "negative multiplicity"},
	}
	out := make([]overwatch.TrendDecl, 0, len(src))
	for _, s := range src {
		out = append(out, overwatch.TrendDecl{
			Name: s.name, Desc: "mean: Mean of the " + s.what, Hist: s.hist, Extractor: "mean",
			Alarms: alarmsets.Mean(),
		})
	}
	return out
}
