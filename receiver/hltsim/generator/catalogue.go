package generator

import (
	"fmt"
	"github.com/overwatch-dqm/overwatch/detectors/hlt/hltnames"
	"math"
	"math/rand/v2"

	"github.com/overwatch-dqm/overwatch"
)

// EMC trigger QA geometry.
const (
	// NFastOR is the number of FastOR channels (bins of the 1-D FastOR
	// histograms; FastOR ID = bin - 1).
	NFastOR = 5000
	// NSuperModules is the number of EMCal + DCal supermodules (0–11 EMCal,
	// 12–19 DCal) that get per-supermodule maps.
	NSuperModules = 20
)

// EdgePosVariants are the 11 trigger/patch variants of the AmpEdgePos* and
// MaxEdgePos* position maps (and of the patch amplitude spectra).
var EdgePosVariants = []string{
	"EMCGAHOffline", "EMCGAHOnline", "EMCGAHRecalc", "EMCGALOnline",
	"EMCJEHOffline", "EMCJEHOnline", "EMCJEHRecalc", "EMCJELOnline",
	"EMCL0Offline", "EMCL0Online", "EMCL0Recalc",
}

// SMMapKinds are the per-supermodule map kinds: the histogram of kind k for
// supermodule n is named "EMCTRQA_hist<k>_SM<n>".
var SMMapKinds = []string{
	"FEEvsTRU", "FEEvsSTU",
	"FastORL0", "FastORL0Amp", "FastORL0LargeAmp",
	"FastORL1", "FastORL1Amp", "FastORL1LargeAmp",
}

// HLTNames are the 38 short names of the HLT histograms; the histograms are
// named "fHist<short>". They are the HLT detector's trended histograms
// (package hltnames): one catalogue for both.
var HLTNames = hltnames.Trended

// TPC track histogram variables (AliTPCPerformanceTrack numbering): the
// TH3D "TPCQA/h_tpc_track_<sign>_recvertex_<v>_5_<w>" holds variable v
// (x) against η (y, variable 5) and φ (w = 6) or p_T (w = 7).
var (
	TPCTrackSigns = []string{"all", "pos", "neg"}
	TPCTrackVars  = []int{0, 2, 3, 4}
	TPCEventVars  = []int{0, 1, 2, 4, 5}
)

func axis(n int, min, max float64, title string) overwatch.Axis {
	a := overwatch.NewAxis(n, min, max)
	a.Title = title
	return a
}

func hist(class, name, title string, axes ...overwatch.Axis) *overwatch.Hist {
	return overwatch.MustNewHist(class, name, title, axes...)
}

// emcModels returns the EMC trigger QA catalogue.
func emcModels(rng *rand.Rand) []*model {
	var ms []*model
	add := func(m *model) { ms = append(ms, m) }

	ev := newModel(hist(overwatch.ClassTH1F, "EMCTRQA_histEvents", "Number of events", axis(1, 0, 1, "")), 0)
	ev.events = true
	add(ev)

	// Per-FastOR occupancies: between 0.3 and 1.7 per mille per event,
	// nothing in the PHOS hole of the DCal (IDs 3700–3999 here).
	occ := make([]float64, NFastOR)
	for i := range occ {
		if i >= 3700 && i < 4000 {
			continue
		}
		occ[i] = 0.3 + 1.4*rng.Float64()
	}
	var occSum float64
	for _, v := range occ {
		occSum += v
	}
	fastOR := axis(NFastOR, 0, NFastOR, "FastOR abs. ID")
	for _, lvl := range []string{"L0", "L1"} {
		m := newModel(hist(overwatch.ClassTH1F, "EMCTRQA_histFastOR"+lvl, "FastOR "+lvl+" hits with ADC > 0", fastOR),
			occSum*1e-3, shape{kind: shapeWeights, weights: occ})
		m.h.Y.Title = "entries"
		add(m)
		// Large amplitudes are rare enough that healthy channels record
		// nothing; only injected hot channels fill these.
		add(newModel(hist(overwatch.ClassTH1F, "EMCTRQA_histFastOR"+lvl+"LargeAmp", "FastOR "+lvl+" hits above 400 ADC", fastOR), 0))
		add(newModel(hist(overwatch.ClassTH2F, "EMCTRQA_histFastOR"+lvl+"Amp", "FastOR "+lvl+" hits weighted with ADC value",
			axis(48, 0, 48, "Col"), axis(104, 0, 104, "Row")), 4000, gauss(24, 20), gauss(52, 45)))
	}
	add(newModel(hist(overwatch.ClassTH2F, "EMCTRQA_histFastORL0Time", "FastOR L0 time",
		axis(100, 0, NFastOR, "FastOR abs. ID"), axis(20, 0, 20, "L0 time")), 5, uniform(), gauss(9, 1.5)))

	for _, kind := range []string{"AmpEdgePos", "MaxEdgePos"} {
		for i, v := range EdgePosVariants {
			rate := 2.0
			if kind == "AmpEdgePos" {
				rate = 300
			}
			add(newModel(hist(overwatch.ClassTH2F, "EMCTRQA_hist"+kind+v, kind+" "+v,
				axis(48, 0, 48, "Col"), axis(104, 0, 104, "Row")),
				rate, gauss(24, 18+float64(i)), gauss(52, 40)))
		}
	}

	for sm := 0; sm < NSuperModules; sm++ {
		for _, k := range SMMapKinds {
			name := fmt.Sprintf("EMCTRQA_hist%s_SM%d", k, sm)
			switch k {
			case "FEEvsTRU", "FEEvsSTU":
				add(newModel(hist(overwatch.ClassTH2F, name, k+fmt.Sprintf(" SM%d", sm),
					axis(100, 0, 1000, "FEE amplitude"), axis(64, 0, 64, "TRU amplitude")),
					3, expo(0, 60), expo(0, 5)))
			default:
				rate := 0.2
				if k == "FastORL0Amp" || k == "FastORL1Amp" {
					rate = 150
				} else if k == "FastORL0LargeAmp" || k == "FastORL1LargeAmp" {
					rate = 0.002
				}
				add(newModel(hist(overwatch.ClassTH2F, name, k+fmt.Sprintf(" SM%d", sm),
					axis(24, 0, 24, "Col"), axis(12, 0, 12, "Row")), rate))
			}
		}
	}

	for _, kind := range []string{"PatchAmp", "MaxPatchAmp"} {
		for _, cal := range []string{"EMCal", "DCal"} {
			for i, v := range EdgePosVariants {
				rate := 0.5
				if kind == "PatchAmp" {
					rate = 20
				}
				if cal == "DCal" {
					rate *= 0.6
				}
				add(newModel(hist(overwatch.ClassTH1F, "EMCTRQA_hist"+cal+kind+v, cal+" "+kind+" "+v,
					axis(200, 0, 2000, "Patch amplitude (ADC counts)")), rate, expo(0, 60+5*float64(i))))
			}
		}
	}
	add(newModel(hist(overwatch.ClassTH2F, "EMCTRQA_histEMCalMedianVsDCalMedianRecalc", "EMCal median vs DCal median",
		axis(100, 0, 20, "DCal median"), axis(100, 0, 20, "EMCal median")), 1, gammaShape(2, 1), gammaShape(2, 1)))
	add(newModel(hist(overwatch.ClassTH1F, "EMCTRQA_histBKGEMCalMedianRecalc", "EMCal background median",
		axis(100, 0, 20, "median")), 1, gammaShape(2, 1)))

	clusters := []struct {
		class, name string
		axes        []overwatch.Axis
		rate        float64
		shapes      []shape
	}{
		{overwatch.ClassTH1F, "hClusterCells", []overwatch.Axis{axis(50, 0, 50, "")}, 8, []shape{gammaShape(1.5, 2)}},
		{overwatch.ClassTH2F, "hClusterEneCells", []overwatch.Axis{axis(100, 0, 50, ""), axis(50, 0, 50, "")}, 8, []shape{expo(0, 2), gammaShape(1.5, 2)}},
		{overwatch.ClassTH1F, "hClusterEneEMCAL", []overwatch.Axis{axis(200, 0, 100, "")}, 8, []shape{expo(0, 1.5)}},
		{overwatch.ClassTH2F, "hClusterEneVsTime", []overwatch.Axis{axis(100, 0, 50, ""), axis(100, -500, 500, "")}, 8, []shape{expo(0, 2), gauss(0, 40)}},
		{overwatch.ClassTH2F, "hClusterEtaVsPhi", []overwatch.Axis{axis(96, -0.7, 0.7, ""), axis(100, 1.4, 5.7, "")}, 8, []shape{uniform(), uniform()}},
		{overwatch.ClassTH1F, "hClusterInvariantMass", []overwatch.Axis{axis(1000, 0, 1, "")}, 4, []shape{gammaShape(1.2, 0.12)}},
		{overwatch.ClassTH1F, "hClusterM02", []overwatch.Axis{axis(100, 0, 2, "")}, 8, []shape{gammaShape(2, 0.12)}},
		{overwatch.ClassTH1F, "hClusterM20", []overwatch.Axis{axis(100, 0, 2, "")}, 8, []shape{gammaShape(1.5, 0.1)}},
		{overwatch.ClassTH2F, "hClusterNumVsV0", []overwatch.Axis{axis(100, 0, 1000, ""), axis(100, 0, 500, "")}, 1, []shape{gammaShape(1, 50), gammaShape(1, 30)}},
		{overwatch.ClassTH2F, "hIDvsAmpHG", []overwatch.Axis{axis(100, 0, 1024, ""), axis(100, 0, 17664, "")}, 40, []shape{expo(0, 60), uniform()}},
		{overwatch.ClassTH2F, "hIDvsAmpLG", []overwatch.Axis{axis(100, 0, 1024, ""), axis(100, 0, 17664, "")}, 10, []shape{expo(0, 15), uniform()}},
		{overwatch.ClassTH2F, "hIDvsTimeHG", []overwatch.Axis{axis(100, -500, 500, ""), axis(100, 0, 17664, "")}, 40, []shape{gauss(0, 50), uniform()}},
		{overwatch.ClassTH2F, "hIDvsTimeLG", []overwatch.Axis{axis(100, -500, 500, ""), axis(100, 0, 17664, "")}, 10, []shape{gauss(0, 50), uniform()}},
	}
	for _, c := range clusters {
		add(newModel(hist(c.class, c.name, c.name, c.axes...), c.rate, c.shapes...))
	}
	return ms
}

// emcExtraModels returns n additional EMC-like histograms (alternately
// 1-D of 100–3000 bins and 2-D up to 100×100) for performance tests.
func emcExtraModels(rng *rand.Rand, n int) []*model {
	ms := make([]*model, 0, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("EMCTRQA_histExtra%03d", i)
		if i%2 == 0 {
			nb := 100 + rng.IntN(2901)
			ms = append(ms, newModel(hist(overwatch.ClassTH1F, name, name, axis(nb, 0, float64(nb), "channel")),
				5, gauss(float64(nb)/2, float64(nb)/6)))
		} else {
			nx, ny := 20+rng.IntN(81), 20+rng.IntN(81)
			ms = append(ms, newModel(hist(overwatch.ClassTH2F, name, name,
				axis(nx, 0, float64(nx), "col"), axis(ny, 0, float64(ny), "row")),
				5, gauss(float64(nx)/2, float64(nx)/4), gauss(float64(ny)/2, float64(ny)/4)))
		}
	}
	return ms
}

// tpcModels returns the TPC QA catalogue: 24 TH3D track histograms and 5
// TH1D event histograms, under key names containing '/'.
func tpcModels() []*model {
	var ms []*model
	eta := axis(30, -1.5, 1.5, "#eta")
	phi := axis(36, 0, 2*math.Pi, "#phi (rad)")
	pt := axis(50, 0, 10, "p_{T} (GeV/c)")
	for _, sign := range TPCTrackSigns {
		rate := 60.0
		if sign != "all" {
			rate = 30
		}
		for _, v := range TPCTrackVars {
			var x overwatch.Axis
			var sx shape
			switch v {
			case 0:
				x, sx = axis(160, 0, 160, "Number of TPC clusters"), gauss(120, 20)
			case 2:
				x, sx = axis(60, 0, 1.2, "Found/findable clusters"), gauss(0.95, 0.08)
			case 3:
				x, sx = axis(60, -3, 3, "DCA_{r} (cm)"), gauss(0, 0.4)
			case 4:
				x, sx = axis(60, -3, 3, "DCA_{z} (cm)"), gauss(0, 0.6)
			}
			for _, w := range []int{6, 7} {
				z, sz := phi, uniform()
				if w == 7 {
					z, sz = pt, expo(0.1, 0.8)
				}
				name := fmt.Sprintf("TPCQA/h_tpc_track_%s_recvertex_%d_5_%d", sign, v, w)
				ms = append(ms, newModel(hist(overwatch.ClassTH3D, name, name, x, eta, z), rate, sx, gauss(0, 0.6), sz))
			}
		}
	}
	events := []struct {
		v     int
		ax    overwatch.Axis
		shape shape
	}{
		{0, axis(100, -1, 1, "vertex x (cm)"), gauss(0.05, 0.05)},
		{1, axis(100, -1, 1, "vertex y (cm)"), gauss(0.3, 0.05)},
		{2, axis(100, -30, 30, "vertex z (cm)"), gauss(0, 6)},
		{4, axis(100, 0, 200, "positive multiplicity"), gammaShape(2, 10)},
		{5, axis(100, 0, 200, "negative multiplicity"), gammaShape(2, 10)},
	}
	for _, e := range events {
		name := fmt.Sprintf("TPCQA/h_tpc_event_recvertex_%d", e.v)
		ms = append(ms, newModel(hist(overwatch.ClassTH1D, name, name, e.ax), 1, e.shape))
	}
	return ms
}

// hltModels returns the 38 HLT histograms (TH1D for ClusterChargeMax/Tot,
// TPCClusterFlags and TPCTrackPt, TH2F otherwise).
func hltModels() []*model {
	var ms []*model
	for i, short := range HLTNames {
		name := "fHist" + short
		switch short {
		case "ClusterChargeMax":
			ms = append(ms, newModel(hist(overwatch.ClassTH1D, name, "TPC cluster max charge", axis(500, 0, 1000, "Q_{max}")), 2000, gammaShape(1.5, 30)))
		case "ClusterChargeTot":
			ms = append(ms, newModel(hist(overwatch.ClassTH1D, name, "TPC cluster total charge", axis(500, 0, 5000, "Q_{tot}")), 2000, gammaShape(1.5, 150)))
		case "TPCClusterFlags":
			ms = append(ms, newModel(hist(overwatch.ClassTH1D, name, "TPC cluster flags", axis(8, 0, 8, "flag")), 2000, expo(0, 1.5)))
		case "TPCTrackPt":
			ms = append(ms, newModel(hist(overwatch.ClassTH1D, name, "TPC track p_{T}", axis(100, 0, 10, "p_{T} (GeV/c)")), 60, expo(0.1, 0.7)))
		case "TPCAallClustersRowPhi", "TPCAattachedClustersRowPhi", "TPCCallClustersRowPhi", "TPCCattachedClustersRowPhi":
			ms = append(ms, newModel(hist(overwatch.ClassTH2F, name, short, axis(100, 0, 2*math.Pi, "#phi"), axis(80, 0, 160, "pad row")), 400, uniform(), uniform()))
		default:
			parts := splitPair(short)
			ms = append(ms, newModel(hist(overwatch.ClassTH2F, name, parts[1]+" vs "+parts[0],
				axis(100, 0, 100, parts[0]), axis(100, 0, 100, parts[1])),
				1, gauss(40+float64(i%5)*2, 10), gauss(50-float64(i%7), 12)))
		}
	}
	return ms
}

func splitPair(s string) [2]string {
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			return [2]string{s[:i], s[i+1:]}
		}
	}
	return [2]string{s, "entries"}
}

// genericModels returns a small set of histograms for a subsystem the
// generator has no catalogue for: an event counter, an amplitude spectrum,
// a time distribution and a channel map.
func genericModels(sys string) []*model {
	ev := newModel(hist(overwatch.ClassTH1F, sys+"_histEvents", sys+" number of events", axis(1, 0, 1, "")), 0)
	ev.events = true
	return []*model{
		ev,
		newModel(hist(overwatch.ClassTH1F, sys+"_histAmplitude", sys+" amplitude", axis(200, 0, 1000, "amplitude (ADC counts)")), 4, expo(0, 80)),
		newModel(hist(overwatch.ClassTH1F, sys+"_histTime", sys+" signal time", axis(100, -50, 50, "time (ns)")), 4, gauss(0, 5)),
		newModel(hist(overwatch.ClassTH2F, sys+"_histChannelMap", sys+" channel occupancy", axis(16, 0, 16, "column"), axis(16, 0, 16, "row")), 4, gauss(8, 4), gauss(8, 4)),
	}
}
