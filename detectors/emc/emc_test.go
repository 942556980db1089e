package emc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/emc"
	"github.com/overwatch-dqm/overwatch/detectors/internal/dettest"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

func TestRegistered(t *testing.T) {
	d, ok := overwatch.LookupDetector("EMC")
	require.True(t, ok)
	assert.Equal(t, emc.Detector{}, d)
}

func TestOptions(t *testing.T) {
	specs := overwatch.DetectorOptions("EMC")
	require.Len(t, specs, 2)
	def := overwatch.DefaultValues(specs)
	assert.Equal(t, true, def[emc.OptScaleHists])
	assert.Equal(t, int64(0), def[emc.OptHotChannelThreshold])
	for _, s := range specs {
		assert.NotEmpty(t, s.Help, s.Name)
	}
	v, err := overwatch.ParseValues(specs, map[string]string{"hotChannelThreshold": "250", "scaleHists": "false"})
	require.NoError(t, err)
	assert.Equal(t, int64(250), v.Int(emc.OptHotChannelThreshold))
	assert.False(t, v.Bool(emc.OptScaleHists))
	_, err = overwatch.ParseValues(specs, map[string]string{"hotChannelThreshold": "1001"})
	require.Error(t, err)
	_, err = overwatch.ParseValues(specs, map[string]string{"hotChannelThreshold": "-1"})
	require.Error(t, err)
}

func TestGroupsTable(t *testing.T) {
	own := &overwatch.View{Subsystem: "EMC", Source: "EMC"}
	borrowed := &overwatch.View{Subsystem: "EMC", Source: "HLT"}
	gs := emc.Detector{}.Groups(own)
	require.Len(t, gs, 20)
	require.Len(t, emc.Detector{}.Groups(borrowed), 19)
	want := []struct {
		title, pattern string
		grid           bool
	}{
		{"FEE vs TRU", "FEEvsTRU_SM", true},
		{"FEE vs STU", "FEEvsSTU_SM", true},
		{"FastOR L0 (hits with ADC > 0)", "FastORL0_SM", true},
		{"FastOR L0 Amp (hits weighted with ADC value)", "FastORL0Amp_SM", true},
		{"FastOR L0 Large Amp (hits above 400 ADC)", "FastORL0LargeAmp_SM", true},
		{"FastOR L1 (hits with ADC > 0)", "FastORL1_SM", true},
		{"FastOR L1 Amp (hits weighted with ADC value)", "FastORL1Amp_SM", true},
		{"FastOR L1 Large Amp (hits above 400 ADC)", "FastORL1LargeAmp_SM", true},
		{"EMCal cluster level", "Cluster", false},
		{"EMCal cell level", "hIDvs", false},
		{"EMCal vs DCal Median", "EMCalMedianVsDCalMedian", false},
		{"Gamma Trigger Low", "GAL", false},
		{"Gamma Trigger High", "GAH", false},
		{"Jet Trigger Low", "JEL", false},
		{"Jet Trigger High", "JEH", false},
		{"L0", "EMCL0", false},
		{"Background", "BKG", false},
		{"FastOR", "FastOR", false},
		{"Other EMC", "EMC", false},
		{"Non EMC", "", false},
	}
	for i, w := range want {
		assert.Equal(t, w.title, gs[i].Title, "group %d", i)
		assert.Equal(t, w.pattern, gs[i].Pattern, "group %d", i)
		assert.Equal(t, w.grid, gs[i].Grid, "group %d", i)
	}

	cases := []struct {
		name     string
		own, brw string // expected group title with own / borrowed files ("" = none)
	}{
		{"EMCTRQA_histFEEvsTRU_SM3", "FEE vs TRU", "FEE vs TRU"},
		{"EMCTRQA_histFEEvsSTU_SM19", "FEE vs STU", "FEE vs STU"},
		{"EMCTRQA_histFastORL0_SM0", "FastOR L0 (hits with ADC > 0)", "FastOR L0 (hits with ADC > 0)"},
		{"EMCTRQA_histFastORL0Amp_SM0", "FastOR L0 Amp (hits weighted with ADC value)", "FastOR L0 Amp (hits weighted with ADC value)"},
		{"EMCTRQA_histFastORL1LargeAmp_SM12", "FastOR L1 Large Amp (hits above 400 ADC)", "FastOR L1 Large Amp (hits above 400 ADC)"},
		{"hClusterM02", "EMCal cluster level", "EMCal cluster level"},
		{"fHistClusterChargeMax", "EMCal cluster level", "EMCal cluster level"}, // the original's quirk
		{"hIDvsAmpHG", "EMCal cell level", "EMCal cell level"},
		{"EMCTRQA_histEMCalMedianVsDCalMedianRecalc", "EMCal vs DCal Median", "EMCal vs DCal Median"},
		{"EMCTRQA_histAmpEdgePosEMCGALOnline", "Gamma Trigger Low", "Gamma Trigger Low"},
		{"EMCTRQA_histMaxEdgePosEMCGAHRecalc", "Gamma Trigger High", "Gamma Trigger High"},
		{"EMCTRQA_histEMCalPatchAmpEMCJELOnline", "Jet Trigger Low", "Jet Trigger Low"},
		{"EMCTRQA_histDCalMaxPatchAmpEMCJEHOffline", "Jet Trigger High", "Jet Trigger High"},
		{"EMCTRQA_histAmpEdgePosEMCL0Online", "L0", "L0"},
		{"EMCTRQA_histBKGEMCalMedianRecalc", "Background", "Background"},
		{"EMCTRQA_histFastORL0", "FastOR", "FastOR"},
		{"EMCTRQA_histFastORL0Time", "FastOR", "FastOR"},
		{"EMCTRQA_histEvents", "Other EMC", "Other EMC"},
		{"fHistTPCTrackPt", "Non EMC", ""},
	}
	match := func(gs []overwatch.Group, name string) string {
		for _, g := range gs {
			if g.Matches(name) {
				return g.Title
			}
		}
		return ""
	}
	for _, c := range cases {
		assert.Equal(t, c.own, match(gs, c.name), "own files: %s", c.name)
		assert.Equal(t, c.brw, match(emc.Detector{}.Groups(borrowed), c.name), "borrowed files: %s", c.name)
	}
}

func TestFunctionTable(t *testing.T) {
	cases := []struct {
		name  string
		class string
		want  []string
	}{
		{"EMCTRQA_histEvents", "TH1F", []string{"generalOptions"}},
		{"EMCTRQA_histFEEvsTRU_SM3", "TH2F", []string{"generalOptions", "smOptions", "feeSMOptions"}},
		{"EMCTRQA_histFastORL0_SM3", "TH2F", []string{"generalOptions", "smOptions"}},
		{"hClusterCells", "TH1F", []string{"generalOptions", "generalClusterOptions", "numberOfCellsPerCluster"}},
		{"hClusterEneCells", "TH2F", []string{"generalOptions", "generalClusterOptions", "clusterEnergyVsNumberOfCells"}},
		{"hClusterEneEMCAL", "TH1F", []string{"generalOptions", "generalClusterOptions", "clusterEnergy"}},
		{"hClusterEneVsTime", "TH2F", []string{"generalOptions", "generalClusterOptions", "clusterEnergyVsTime"}},
		{"hClusterEtaVsPhi", "TH2F", []string{"generalOptions", "generalClusterOptions", "clusterEtaVsPhi"}},
		{"hClusterInvariantMass", "TH1F", []string{"generalOptions", "generalClusterOptions", "clusterInvariantMass"}},
		{"hClusterM02", "TH1F", []string{"generalOptions", "generalClusterOptions", "clusterShape"}},
		{"hClusterM20", "TH1F", []string{"generalOptions", "generalClusterOptions", "clusterShape"}},
		{"hClusterNumVsV0", "TH2F", []string{"generalOptions", "generalClusterOptions", "numberOfClustersVsV0"}},
		{"hClusterOther", "TH1F", []string{"generalOptions", "generalClusterOptions"}},
		{"hIDvsAmpHG", "TH2F", []string{"generalOptions", "cellIDVsAmplitudeLabels", "cellIDVsAmplitudeHighGain"}},
		{"hIDvsAmpLG", "TH2F", []string{"generalOptions", "cellIDVsAmplitudeLabels"}},
		{"hIDvsTimeHG", "TH2F", []string{"generalOptions", "cellIDVsTimeLabels", "cellIDVsTimeHighGain"}},
		{"hIDvsTimeLG", "TH2F", []string{"generalOptions", "cellIDVsTimeLabels"}},
		{"EMCTRQA_histAmpEdgePosEMCGAHOffline", "TH2F", []string{"generalOptions", "edgePosOptions"}},
		{"EMCTRQA_histFastORL0", "TH1F", []string{"generalOptions", "fastOROptions"}},
		{"EMCTRQA_histFastORL1Amp", "TH2F", []string{"generalOptions", "fastOROptions"}},
		{"EMCTRQA_histFastORL0Time", "TH2F", []string{"generalOptions"}},
		{"EMCTRQA_histEMCalPatchAmpEMCGAHOffline", "THStack", []string{"generalOptions", "patchAmpOptions", "properlyPlotPatchSpectra", "addEnergyAxisToPatches"}},
		{"EMCTRQA_histDCalMaxPatchAmpEMCJEHRecalc", "TH1F", []string{"generalOptions", "patchAmpOptions", "properlyPlotPatchSpectra", "addEnergyAxisToPatches"}},
		{"EMCTRQA_histEMCalPatchAmpSubtractedEMCJEHRecalc", "TH1F", []string{"generalOptions", "properlyPlotPatchSpectra", "addEnergyAxisToPatches"}},
		{"EMCTRQA_histEMCalPatchEnergyEMCJEH", "TH1F", []string{"generalOptions", "properlyPlotPatchSpectra"}},
		{"EMCTRQA_histPatchAmpEMCREJEH", "TH1F", []string{"generalOptions"}},
	}
	for _, c := range cases {
		fs := emc.Detector{}.Functions(nil, overwatch.HistDesc{Name: c.name, Class: c.class})
		var got []string
		for _, f := range fs {
			require.NotNil(t, f.Apply)
			got = append(got, strings.TrimPrefix(f.Name, "emc."))
		}
		assert.Equal(t, c.want, got, c.name)
	}
}

func TestTRUGrid(t *testing.T) {
	ls := emc.TRUGrid()
	require.Len(t, ls, 22)
	type seg struct{ x1, y1, x2, y2 float64 }
	got := map[seg]bool{}
	for _, l := range ls {
		assert.Equal(t, overwatch.DecoLine, l.Kind)
		assert.False(t, l.NDC)
		got[seg{l.X1, l.Y1, l.X2, l.Y2}] = true
	}
	for _, s := range []seg{
		{8, 0, 8, 60}, {40, 0, 40, 60}, {0, 12, 48, 12}, {0, 60, 48, 60},
		{0, 64, 48, 64}, {24, 60, 24, 64},
		{8, 64, 8, 100}, {32, 64, 32, 100}, {0, 76, 16, 76}, {32, 88, 48, 88},
		{0, 100, 48, 100}, {24, 100, 24, 104},
	} {
		assert.True(t, got[s], "missing %v", s)
	}
	assert.False(t, got[seg{24, 64, 24, 100}], "no line through the PHOS hole")
}

func TestTrends(t *testing.T) {
	ts := emc.Detector{}.Trends()
	require.Len(t, ts, 90)
	g := generator.New(generator.Config{Subsystems: []string{"EMC"}})
	have := map[string]bool{}
	for _, n := range g.Names("EMC") {
		have[n] = true
	}
	names := map[string]bool{}
	perPrefix := map[string]int{}
	for _, tr := range ts {
		require.False(t, names[tr.Name], "duplicate %s", tr.Name)
		names[tr.Name] = true
		assert.True(t, have[tr.Hist], "trend %s: source %s is produced by the EMC", tr.Name, tr.Hist)
		assert.NotEmpty(t, tr.Desc)
		var kinds []string
		for _, a := range tr.Alarms {
			kinds = append(kinds, a.Kind+"/"+a.Text)
			for k := range a.Params {
				assert.NotContains(t, k, "mail")
			}
		}
		switch {
		case strings.HasPrefix(tr.Name, "max"):
			perPrefix["max"]++
			assert.Equal(t, "max", tr.Extractor)
			assert.Equal(t, []string{"BetweenValues/ERROR"}, kinds)
			assert.Equal(t, map[string]float64{"minVal": 0, "maxVal": 300}, tr.Alarms[0].Params)
		case strings.HasPrefix(tr.Name, "mean"):
			perPrefix["mean"]++
			assert.Equal(t, "mean", tr.Extractor)
			assert.Equal(t, []string{"CheckLastN/ERROR", "BetweenValues/WARNING"}, kinds)
			assert.Equal(t, 50.0, tr.Alarms[1].Params["maxVal"])
		case strings.HasPrefix(tr.Name, "stdDev"):
			perPrefix["stdDev"]++
			assert.Equal(t, "stdDev", tr.Extractor)
			assert.Equal(t, []string{"MeanInRange/WARNING"}, kinds)
		default:
			t.Errorf("unexpected trend %s", tr.Name)
		}
	}
	assert.Equal(t, map[string]int{"max": 30, "mean": 30, "stdDev": 30}, perPrefix)
	for _, n := range []string{"maxEvents", "meanFastORL0", "stdDevMaxEdgePosEMCL0Recalc", "maxAmpEdgePosEMCGAHOffline", "meanFastORL1LargeAmp"} {
		assert.True(t, names[n], n)
	}
}

// snapshot returns a realistic EMC snapshot with hot channels injected.
func snapshot(t testing.TB, events float64) (*generator.Generator, []overwatch.Entry) {
	g := generator.New(generator.Config{Seed: 11, Subsystems: []string{"EMC"}, EventsPerSecond: events / 10, Run: 1})
	require.NoError(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL0", 17, 0.05))
	require.NoError(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL0", 2500, 0.2))
	require.NoError(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL1", 4242, 0.006))
	require.NoError(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL1LargeAmp", 300, 1e-3))
	g.Advance(10 * time.Second)
	return g, g.Snapshot("EMC")
}

func TestProcessSnapshot(t *testing.T) {
	g, snap := snapshot(t, 50000)
	nev := g.Events("EMC")
	require.Equal(t, 50000.0, nev)
	raw := map[string]*overwatch.Hist{}
	for _, e := range snap {
		raw[e.Key] = e.Object.(*overwatch.Hist)
	}
	out, err := dettest.Process(emc.Detector{}, 1, "EMC", snap, nil)
	require.NoError(t, err)
	assert.Equal(t, nev, out.NEvents)

	for _, n := range out.Order {
		r := out.Results[n]
		require.Empty(t, r.Errors, n)
		assert.False(t, r.Display.ShowStats, n)
		assert.NotEqual(t, "Non EMC", r.Group, "%s: every generated histogram has an EMC group", n)
	}

	// Stacks: 22 EMCal/DCal overlays, DCal spectra no longer on their own.
	nStacks := 0
	for _, n := range out.Order {
		r := out.Results[n]
		if r.Class != "THStack" {
			assert.NotContains(t, n, "PatchAmpEMC", "%s should be inside a stack", n)
			continue
		}
		nStacks++
		require.Len(t, r.Stack, 2, n)
		assert.Equal(t, n, r.Stack[0].Name)
		assert.Equal(t, emc.DCalPartner(n), r.Stack[1].Name)
		assert.True(t, r.Display.LogY && r.Display.GridX && r.Display.GridY, n)
		var legends, axes int
		for _, d := range r.Display.Decorations {
			switch d.Kind {
			case overwatch.DecoLegend:
				legends++
				assert.True(t, d.NDC)
				assert.Equal(t, []float64{0.6, 0.9, 0.9, 0.7}, []float64{d.X1, d.Y1, d.X2, d.Y2})
				require.Len(t, d.Entries, 2)
				assert.Equal(t, "EMCal", d.Entries[0].Label)
				assert.Equal(t, "DCal", d.Entries[1].Label)
				assert.Equal(t, emc.DCalPartner(n), d.Entries[1].Ref)
			case overwatch.DecoAxis:
				axes++
				assert.Equal(t, emc.EnergyAxisTitle, d.AxisTitle)
				assert.InDelta(t, 2000*emc.ADCToGeV, d.AxisMax, 1e-9)
				assert.Equal(t, 0.0, d.AxisMin)
				assert.Equal(t, 510, d.NDiv)
				assert.True(t, d.Opposite)
				maxv := max(r.Stack[0].GetMaximum(), r.Stack[1].GetMaximum())
				assert.InDelta(t, 2*maxv, d.Y1, 1e-12)
			}
		}
		assert.Equal(t, 1, legends, n)
		assert.Equal(t, 1, axes, "%s: exactly one energy axis", n)
		e, d := r.Stack[0], r.Stack[1]
		assert.Equal(t, overwatch.MarkerAttr{Color: emc.ColorRed1, Style: emc.MarkerFullCircle, Size: 0.8}, e.Att.Marker)
		assert.Equal(t, overwatch.MarkerAttr{Color: emc.ColorBlue1, Style: emc.MarkerOpenCircle, Size: 0.8}, d.Att.Marker)
		assert.Equal(t, "entries / events", e.Y.Title)
		assert.InDelta(t, raw[n].Integral()/nev, e.Integral(), 1e-9)
		assert.InDelta(t, raw[d.Name].Integral()/nev, d.Integral(), 1e-9)
		require.NotNil(t, e.Sumw2)
	}
	assert.Equal(t, 22, nStacks)

	// Per-supermodule maps: scaled, titled, grid groups.
	sm := out.Results["EMCTRQA_histFastORL1Amp_SM13"]
	require.NotNil(t, sm)
	assert.Equal(t, "SM 13", sm.Hist.Title)
	assert.True(t, sm.Display.ShowTitle)
	assert.True(t, sm.GroupGrid)
	assert.Equal(t, "colz", sm.Display.DrawOption)
	assert.True(t, sm.Display.LogZ)
	assert.Equal(t, "FastORL1Amp_SM13", sm.Display.PrettyName)
	assert.InDelta(t, raw["EMCTRQA_histFastORL1Amp_SM13"].Integral()/nev, sm.Hist.Integral(), 1e-9)
	fee := out.Results["EMCTRQA_histFEEvsSTU_SM2"]
	assert.Equal(t, &overwatch.Range{Min: 0, Max: 250}, fee.Display.XRange)
	assert.Equal(t, &overwatch.Range{Min: 0, Max: 20}, fee.Display.YRange)

	// Edge positions and 2-D FastOR maps: TRU grid, per-event scaling.
	for _, n := range []string{"EMCTRQA_histAmpEdgePosEMCJEHRecalc", "EMCTRQA_histFastORL0Amp"} {
		r := out.Results[n]
		assert.Equal(t, emc.TRUGrid(), r.Display.Decorations, n)
		assert.Equal(t, "entries / events", r.Hist.Z.Title, n)
		assert.InDelta(t, raw[n].GetMaximum()/nev, r.Hist.GetMaximum(), 1e-12, n)
	}

	// Clusters and cells.
	assert.Equal(t, "Cluster M02", out.Results["hClusterM02"].Display.PrettyName)
	assert.Equal(t, "M_{02}", out.Results["hClusterM02"].Hist.X.Title)
	assert.Equal(t, "Cluster Invariant Mass", out.Results["hClusterInvariantMass"].Display.PrettyName)
	assert.Equal(t, "Counts/1 MeV", out.Results["hClusterInvariantMass"].Hist.Y.Title)
	hg := out.Results["hIDvsAmpHG"]
	assert.Equal(t, "Cell ID vs Amplitude - HG", hg.Display.PrettyName)
	assert.True(t, hg.Display.LogX && hg.Display.LogZ)
	assert.False(t, out.Results["hIDvsAmpLG"].Display.LogX)
	assert.Equal(t, "Cell ID", out.Results["hIDvsTimeLG"].Hist.Y.Title)

	// Hot channels with the default thresholds.
	hot := []struct {
		name, threshold, ids string
		q                    overwatch.Quality
	}{
		{"EMCTRQA_histFastORL0", "0.01", "17, 2500", overwatch.QualityMedium},
		{"EMCTRQA_histFastORL1", "0.01", "none", overwatch.QualityGood}, // 0.006 hits/event is below 1e-2
		{"EMCTRQA_histFastORL0LargeAmp", "1e-07", "none", overwatch.QualityGood},
		{"EMCTRQA_histFastORL1LargeAmp", "1e-07", "300", overwatch.QualityMedium},
	}
	for _, h := range hot {
		r := out.Results[h.name]
		require.NotNil(t, r, h.name)
		assert.Equal(t, []overwatch.InfoItem{{Label: emc.InfoThreshold, Value: h.threshold}, {Label: emc.InfoHotChannels, Value: h.ids}}, r.Info, h.name)
		assert.Equal(t, h.q, r.Quality, h.name)
		assert.Equal(t, overwatch.MarkerAttr{Color: emc.ColorBlue1, Style: emc.MarkerFullCircle, Size: 0.8}, r.Hist.Att.Marker)
	}
}

func TestHotChannelsUserThreshold(t *testing.T) {
	_, snap := snapshot(t, 50000)
	cases := []struct {
		user       int64
		l0, l1, la string
	}{
		{0, "17, 2500", "none", "300"},
		{4, "17, 2500", "4242", "none"}, // 0.004: the 0.006 channel is hot, LargeAmp's 1e-3 is not
		{100, "2500", "none", "none"},
		{1000, "none", "none", "none"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.user), func(t *testing.T) {
			opts := overwatch.Values{emc.OptScaleHists: true, emc.OptHotChannelThreshold: c.user}
			out, err := dettest.Process(emc.Detector{}, 1, "EMC", snap, opts)
			require.NoError(t, err)
			assert.Equal(t, c.l0, out.Results["EMCTRQA_histFastORL0"].InfoValue(emc.InfoHotChannels))
			assert.Equal(t, c.l1, out.Results["EMCTRQA_histFastORL1"].InfoValue(emc.InfoHotChannels))
			assert.Equal(t, c.la, out.Results["EMCTRQA_histFastORL1LargeAmp"].InfoValue(emc.InfoHotChannels))
		})
	}
}

func TestNoScaling(t *testing.T) {
	_, snap := snapshot(t, 1000)
	raw := map[string]*overwatch.Hist{}
	for _, e := range snap {
		raw[e.Key] = e.Object.(*overwatch.Hist)
	}
	out, err := dettest.Process(emc.Detector{}, 1, "EMC", snap, overwatch.Values{emc.OptScaleHists: false, emc.OptHotChannelThreshold: int64(0)})
	require.NoError(t, err)
	for _, n := range []string{"EMCTRQA_histAmpEdgePosEMCGAHOnline", "EMCTRQA_histFastORL0Amp", "EMCTRQA_histFastORL0_SM4"} {
		assert.Equal(t, raw[n].Contents, out.Results[n].Hist.Contents, n)
	}
	assert.Equal(t, "entries", out.Results["EMCTRQA_histFastORL0Amp"].Hist.Z.Title)
	st := out.Results["EMCTRQA_histEMCalPatchAmpEMCGAHOffline"]
	assert.Equal(t, raw["EMCTRQA_histEMCalPatchAmpEMCGAHOffline"].Contents, st.Stack[0].Contents)
	assert.Equal(t, "entries", st.Stack[0].Y.Title)
}

func TestHotChannelThreshold(t *testing.T) {
	cases := []struct {
		name string
		user int64
		want float64
	}{
		{"EMCTRQA_histFastORL0", 0, 1e-2},
		{"EMCTRQA_histFastORL0LargeAmp", 0, 1e-7},
		{"EMCTRQA_histFastORL0Amp", 0, 10000},
		{"EMCTRQA_histFastORL0", 5, 0.005},
		{"EMCTRQA_histFastORL1LargeAmp", 1000, 1},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, emc.HotChannelThreshold(c.name, c.user), "%s %d", c.name, c.user)
	}
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "", overwatch.NewAxis(5, 0, 5))
	h.Contents = []float64{9, 0.5, 0.01, 0.011, 2, 0, 9} // flows are never reported
	assert.Equal(t, []int{0, 2, 3}, emc.HotChannels(h, 0.01))
}

func TestSMTitleOnlyForSuffix(t *testing.T) {
	h := overwatch.MustNewHist(overwatch.ClassTH2F, "x", "orig", overwatch.NewAxis(2, 0, 2), overwatch.NewAxis(2, 0, 2))
	for _, c := range []struct{ name, title string }{
		{"EMCTRQA_histFastORL0_SM7", "SM 7"},
		{"EMCTRQA_histFastORL0_SM17", "SM 17"},
		{"EMCTRQA_histSMSummary", "orig"},
	} {
		fc := &overwatch.FuncContext{Name: c.name, Hist: h.Clone(), Display: &overwatch.Display{}, Options: overwatch.Values{}, NEvents: 1}
		require.NoError(t, emc.SMOptions.Apply(fc))
		assert.Equal(t, c.title, fc.Hist.Title, c.name)
	}
}

// BenchmarkFunctions500 applies every EMC function to a 500-histogram
// EMC-like snapshot (the copies the functions work on are made outside
// the timer).
func BenchmarkFunctions500(b *testing.B) {
	g := generator.New(generator.Config{Seed: 1, Subsystems: []string{"EMC"}, EMCHistograms: 500, Run: 1})
	g.Advance(10 * time.Second)
	snap := g.Snapshot("EMC")
	require.Len(b, snap, 500)
	d := emc.Detector{}
	v := &overwatch.View{Subsystem: "EMC", Source: "EMC"}
	for _, e := range snap {
		v.Hists = append(v.Hists, overwatch.HistDesc{Name: e.Key, Class: e.Object.ClassName()})
	}
	stacks := d.Stacks(v)
	type item struct {
		name  string
		fs    []overwatch.Function
		src   []*overwatch.Hist
		stack bool
	}
	raw := map[string]*overwatch.Hist{}
	for _, e := range snap {
		raw[e.Key] = e.Object.(*overwatch.Hist)
	}
	var items []item
	inStack := map[string]bool{}
	for _, s := range stacks {
		it := item{name: s.Name, fs: d.Functions(v, overwatch.HistDesc{Name: s.Name, Class: "THStack"}), stack: true}
		for _, m := range s.Members {
			inStack[m] = true
			it.src = append(it.src, raw[m])
		}
		items = append(items, it)
	}
	for _, hd := range v.Hists {
		if !inStack[hd.Name] {
			items = append(items, item{name: hd.Name, fs: d.Functions(v, hd), src: []*overwatch.Hist{raw[hd.Name]}})
		}
	}
	opts := overwatch.DefaultValues(d.Options())
	ctxs := make([]*overwatch.FuncContext, len(items))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j, it := range items {
			c := &overwatch.FuncContext{Name: it.name, Display: &overwatch.Display{}, Options: opts, NEvents: 1000}
			for _, h := range it.src {
				c.Stack = append(c.Stack, h.Clone())
			}
			c.Hist = c.Stack[0]
			if !it.stack {
				c.Stack = nil
			}
			ctxs[j] = c
		}
		b.StartTimer()
		for j, it := range items {
			for _, f := range it.fs {
				if err := f.Apply(ctxs[j]); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
