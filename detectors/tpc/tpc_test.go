package tpc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/internal/dettest"
	"github.com/overwatch-dqm/overwatch/detectors/tpc"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

func snapshot(t testing.TB) []overwatch.Entry {
	g := generator.New(generator.Config{Seed: 4, Subsystems: []string{"TPC"}, EventsPerSecond: 200, Run: 5})
	g.Advance(5 * time.Second)
	return g.Snapshot("TPC")
}

// sum3 sums the cells of a TH3 over bin ranges (inclusive).
func sum3(h *overwatch.Hist, x0, x1, y0, y1, z0, z1 int) float64 {
	var s float64
	for iz := z0; iz <= z1; iz++ {
		for iy := y0; iy <= y1; iy++ {
			for ix := x0; ix <= x1; ix++ {
				s += h.Contents[h.Bin(ix, iy, iz)]
			}
		}
	}
	return s
}

func TestRegistered(t *testing.T) {
	d, ok := overwatch.LookupDetector("TPC")
	require.True(t, ok)
	assert.Equal(t, tpc.Detector{}, d)
	assert.Empty(t, overwatch.DetectorOptions("TPC"), "the TPC declares no options")
}

func TestDerived(t *testing.T) {
	snap := snapshot(t)
	raw := map[string]*overwatch.Hist{}
	for _, e := range snap {
		raw[e.Key] = e.Object.(*overwatch.Hist)
	}
	out, err := dettest.Process(tpc.Detector{}, 5, "TPC", snap, nil)
	require.NoError(t, err)

	type want struct {
		name, pretty, group, class, yTitle string
		source                             string
	}
	var wants []want
	for _, s := range []struct{ short, word string }{{"pos", "positive"}, {"neg", "negative"}} {
		wants = append(wants,
			want{"DCAr_vs_Phi_" + s.short + "tracks_aSide", "DCAr vs Phi for " + s.word + " tracks on A side", "DCAr vs Phi", "TH2D", "DCAr (cm)", tpc.TrackHist(s.short, 3, 6)},
			want{"DCAr_vs_Phi_" + s.short + "tracks_cSide", "DCAr vs Phi for " + s.word + " tracks on C side", "DCAr vs Phi", "TH2D", "DCAr (cm)", tpc.TrackHist(s.short, 3, 6)},
			want{"DCAz_vs_Phi_" + s.short + "tracks_aSide", "DCAz vs Phi for " + s.word + " tracks on A side", "DCAz vs Phi", "TH2D", "DCAz (cm)", tpc.TrackHist(s.short, 4, 6)},
			want{"DCAz_vs_Phi_" + s.short + "tracks_cSide", "DCAz vs Phi for " + s.word + " tracks on C side", "DCAz vs Phi", "TH2D", "DCAz (cm)", tpc.TrackHist(s.short, 4, 6)},
			want{"Eta_vs_Phi_" + s.short + "tracks", "Eta vs Phi of " + s.word + " tracks", "TPC Cluster Eta vs Phi", "TH2D", "", tpc.TrackHist(s.short, 2, 6)},
			want{"pT_" + s.short + "tracks", "pT of " + s.word + " tracks", "Pt spectra", "TH1D", "dN/dp_{T}", tpc.TrackHist(s.short, 0, 7)},
			want{"Eta_" + s.short + "tracks", "Eta of " + s.word + " tracks", "TPC Cluster Eta", "TH1D", "", tpc.TrackHist(s.short, 0, 7)},
		)
	}
	require.Len(t, tpc.Detector{}.Derive(out.View), 14)
	for _, w := range wants {
		r := out.Results[w.name]
		require.NotNil(t, r, w.name)
		require.Empty(t, r.Errors, w.name)
		assert.Equal(t, w.pretty, r.Display.PrettyName)
		assert.Equal(t, w.group, r.Group, w.name)
		assert.Equal(t, w.class, r.Hist.Class, w.name)
		assert.Equal(t, w.name, r.Hist.Name)
		assert.True(t, r.Display.ShowTitle)
		if w.yTitle != "" {
			assert.Equal(t, w.yTitle, r.Hist.Y.Title, w.name)
		}
		src := raw[w.source]
		nx, ny, nz := src.X.NBins, src.Y.NBins, src.Z.NBins
		switch {
		case strings.HasPrefix(w.name, "DCA"):
			// Vertical DCA (the TH3's x axis) versus horizontal φ (z).
			assert.Equal(t, src.Z.NBins, r.Hist.X.NBins)
			assert.Equal(t, src.X.NBins, r.Hist.Y.NBins)
			assert.Equal(t, "colz", r.Display.DrawOption)
			a := strings.HasSuffix(w.name, "aSide")
			y0, y1 := 1, 15
			if a {
				y0, y1 = 16, 30
			}
			assert.InDelta(t, sum3(src, 1, nx, y0, y1, 1, nz), r.Hist.Integral(), 1e-9, w.name)
			assert.Greater(t, r.Hist.Integral(), 100.0)
			// One cell checked against the source.
			assert.Equal(t, sum3(src, 30, 30, y0, y1, 7, 7), r.Hist.Contents[r.Hist.Bin(7, 30, 0)])
		case strings.HasPrefix(w.name, "Eta_vs"):
			assert.Equal(t, src.Y.NBins, r.Hist.Y.NBins)
			assert.InDelta(t, sum3(src, 0, nx+1, 1, ny, 1, nz), r.Hist.Integral(), 1e-9)
		case strings.HasPrefix(w.name, "pT_"):
			assert.Equal(t, w.name+" (ncl>70)", r.Hist.Title)
			assert.True(t, r.Display.LogY)
			assert.InDelta(t, sum3(src, 71, 160, 1, ny, 1, nz), r.Hist.Integral(), 1e-9)
			assert.Less(t, r.Hist.Integral(), sum3(src, 1, nx, 1, ny, 1, nz), "the cluster cut removes tracks")
		case strings.HasPrefix(w.name, "Eta_"):
			assert.Equal(t, w.name+" (ncl>70)", r.Hist.Title)
			assert.InDelta(t, sum3(src, 71, 160, 1, ny, 1, 25), r.Hist.Integral(), 1e-9)
		}
	}
	// The side split is complete: A + C = all η.
	a, c := out.Results["DCAz_vs_Phi_negtracks_aSide"].Hist, out.Results["DCAz_vs_Phi_negtracks_cSide"].Hist
	src := raw[tpc.TrackHist("neg", 4, 6)]
	assert.InDelta(t, sum3(src, 1, src.X.NBins, 1, 30, 1, src.Z.NBins), a.Integral()+c.Integral(), 1e-9)

	// Every file histogram is grouped.
	for _, e := range snap {
		r := out.Results[e.Key]
		require.NotNil(t, r, e.Key)
		assert.NotEqual(t, "Non TPC", r.Group, e.Key)
		assert.Equal(t, []string{"tpc.generalOptions"}, r.Funcs)
	}
	assert.Equal(t, "TPC Event RecVertex", out.Results["TPCQA/h_tpc_event_recvertex_2"].Group)
	assert.Equal(t, "All RecVertex", out.Results[tpc.TrackHist("all", 0, 6)].Group)
	assert.Equal(t, "Positive RecVertex", out.Results[tpc.TrackHist("pos", 3, 7)].Group)
	assert.Equal(t, "Negative RecVertex", out.Results[tpc.TrackHist("neg", 2, 6)].Group)
	assert.Equal(t, "", out.Results["TPCQA/h_tpc_event_recvertex_2"].Display.DrawOption, "no colz on 1-D")
}

func TestBorrowedFiles(t *testing.T) {
	snap := snapshot(t)
	out, err := dettest.Process(tpc.Detector{}, 5, "HLT", snap, nil)
	require.NoError(t, err)
	assert.NotContains(t, out.Results, "pT_postracks", "no derived histograms without own files")
	assert.Len(t, out.Groups, 14)
}

func TestGroupsTable(t *testing.T) {
	gs := tpc.Detector{}.Groups(&overwatch.View{Subsystem: "TPC", Source: "TPC"})
	require.Len(t, gs, 15)
	assert.Equal(t, "Non TPC", gs[14].Title)
	cases := []struct{ name, group string }{
		{"DCAr_vs_Phi_postracks_aSide", "DCAr vs Phi"},
		{"DCAz_vs_Phi_negtracks_cSide", "DCAz vs Phi"},
		{"Eta_vs_Phi_postracks", "TPC Cluster Eta vs Phi"},
		{"Eta_negtracks", "TPC Cluster Eta"},
		{"pT_postracks", "Pt spectra"},
		{"TPCQA/h_tpc_clust_0_1_2", "TPC Cluster"},
		{"TPCQA/h_tpc_constrain_tpc_0_2_3", "TPC Cluster"}, // "tpc_clust" does not match, "tpc_constrain" does; order matters below
		{"TPCQA/h_tpc_match_trackingeff_all_2_3", "Match Tracking Efficiency"},
		{"TPCQA/h_tpc_event_6", "event_6"},
		{"TPCQA/h_tpc_event_recvertex_4", "TPC Event RecVertex"},
		{"TPCQA/h_tpc_track_all_recvertex_0_5_6", "All RecVertex"},
		{"TPCQA/h_tpc_track_neg_recvertex_0_5_6", "Negative RecVertex"},
		{"TPCQA/h_tpc_track_pos_recvertex_0_5_6", "Positive RecVertex"},
		{"TPCQA/hSomethingTPC", "Other TPC"},
		{"fHistTPCTrackPt", "Other TPC"},
		{"fHistZNA_VZEROTrigChargeA", "Non TPC"},
	}
	cases[6].group = "TPC Constrain"
	for _, c := range cases {
		got := ""
		for _, g := range gs {
			if g.Matches(c.name) {
				got = g.Title
				break
			}
		}
		assert.Equal(t, c.group, got, c.name)
	}
}

func TestTrends(t *testing.T) {
	ts := tpc.Detector{}.Trends()
	require.Len(t, ts, 5)
	g := generator.New(generator.Config{Subsystems: []string{"TPC"}})
	have := map[string]bool{}
	for _, n := range g.Names("TPC") {
		have[n] = true
	}
	var names []string
	for _, tr := range ts {
		names = append(names, tr.Name)
		assert.True(t, have[tr.Hist], tr.Hist)
		assert.Equal(t, "mean", tr.Extractor)
		require.Len(t, tr.Alarms, 2)
		assert.Equal(t, "CheckLastN", tr.Alarms[0].Kind)
		assert.Equal(t, "BetweenValues", tr.Alarms[1].Kind)
	}
	assert.Equal(t, []string{"meanhistvx", "meanhistvy", "meanhistvz", "meanhistMpos", "meanhistMneg"}, names)
}

func TestDeriveErrors(t *testing.T) {
	h := overwatch.MustNewHist(overwatch.ClassTH3D, "x", "", overwatch.NewAxis(4, 0, 4), overwatch.NewAxis(3, 0.5, 1.5), overwatch.NewAxis(2, 0, 1))
	_, err := tpc.DCAVsPhi(h, "n", "DCAr (cm)", false)
	require.Error(t, err, "no C side on a positive η axis")
	v := &overwatch.View{Subsystem: "TPC", Source: "TPC", Hists: []overwatch.HistDesc{{Name: tpc.TrackHist("pos", 0, 7), Class: "TH3D"}}}
	ds := tpc.Detector{}.Derive(v)
	require.Len(t, ds, 2)
	_, err = ds[0].Derive([]*overwatch.Hist{overwatch.MustNewHist(overwatch.ClassTH1D, "a", "", overwatch.NewAxis(2, 0, 1))}, nil)
	require.Error(t, err)
}

func ExampleDetector_Derive() {
	g := generator.New(generator.Config{Seed: 1, Subsystems: []string{"TPC"}, Run: 1})
	g.Advance(time.Second)
	v := &overwatch.View{Run: 1, Subsystem: "TPC", Source: "TPC"}
	src := map[string]*overwatch.Hist{}
	for _, e := range g.Snapshot("TPC") {
		h := e.Object.(*overwatch.Hist)
		v.Hists = append(v.Hists, overwatch.HistDesc{Name: e.Key, Class: h.Class})
		src[e.Key] = h
	}
	for _, d := range (tpc.Detector{}).Derive(v) {
		if !strings.HasPrefix(d.Name, "DCAr") {
			continue
		}
		h, err := d.Derive([]*overwatch.Hist{src[d.Sources[0]]}, nil)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s (%s): %s vs phi\n", h.Name, h.Class, h.Y.Title)
	}
	// Output:
	// DCAr_vs_Phi_postracks_aSide (TH2D): DCAr (cm) vs phi
	// DCAr_vs_Phi_postracks_cSide (TH2D): DCAr (cm) vs phi
	// DCAr_vs_Phi_negtracks_aSide (TH2D): DCAr (cm) vs phi
	// DCAr_vs_Phi_negtracks_cSide (TH2D): DCAr (cm) vs phi
}
