package generator

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func histMap(t *testing.T, es []overwatch.Entry) map[string]*overwatch.Hist {
	t.Helper()
	m := make(map[string]*overwatch.Hist, len(es))
	for _, e := range es {
		h, ok := e.Object.(*overwatch.Hist)
		require.True(t, ok, "%s is not a histogram", e.Key)
		require.Equal(t, e.Key, h.Name)
		require.Empty(t, e.Dir)
		require.NoError(t, h.Validate())
		m[e.Key] = h
	}
	return m
}

func TestCatalogue(t *testing.T) {
	g := New(Config{Seed: 1})
	assert.Equal(t, []string{"EMC", "TPC", "HLT"}, g.Subsystems())

	emc := histMap(t, g.Snapshot("EMC"))
	for _, n := range []string{"EMCTRQA_histEvents", "EMCTRQA_histFastORL0", "EMCTRQA_histFastORL0LargeAmp", "EMCTRQA_histFastORL1", "EMCTRQA_histFastORL1LargeAmp"} {
		require.Contains(t, emc, n)
		assert.Equal(t, overwatch.ClassTH1F, emc[n].Class, n)
	}
	for _, n := range []string{"EMCTRQA_histFastORL0Amp", "EMCTRQA_histFastORL1Amp", "EMCTRQA_histFastORL0Time"} {
		require.Contains(t, emc, n)
		assert.Equal(t, overwatch.ClassTH2F, emc[n].Class, n)
	}
	assert.Len(t, EdgePosVariants, 11)
	for _, v := range EdgePosVariants {
		for _, k := range []string{"AmpEdgePos", "MaxEdgePos"} {
			h := emc["EMCTRQA_hist"+k+v]
			require.NotNil(t, h, k+v)
			assert.Equal(t, overwatch.ClassTH2F, h.Class)
			assert.Equal(t, 48, h.X.NBins)
			assert.Equal(t, 104.0, h.Y.Max)
		}
		for _, c := range []string{"EMCal", "DCal"} {
			assert.Contains(t, emc, "EMCTRQA_hist"+c+"PatchAmp"+v)
			assert.Contains(t, emc, "EMCTRQA_hist"+c+"MaxPatchAmp"+v)
		}
	}
	nSM := 0
	for n := range emc {
		if strings.Contains(n, "_SM") {
			nSM++
		}
	}
	assert.Equal(t, NSuperModules*len(SMMapKinds), nSM)
	assert.Contains(t, emc, "EMCTRQA_histFEEvsTRU_SM19")
	for _, n := range []string{"hClusterCells", "hClusterEneCells", "hClusterEneEMCAL", "hClusterEneVsTime", "hClusterEtaVsPhi",
		"hClusterInvariantMass", "hClusterM02", "hClusterM20", "hClusterNumVsV0", "hIDvsAmpHG", "hIDvsAmpLG", "hIDvsTimeHG", "hIDvsTimeLG"} {
		assert.Contains(t, emc, n)
	}

	tpc := histMap(t, g.Snapshot("TPC"))
	assert.Len(t, tpc, 29)
	n3 := 0
	for n, h := range tpc {
		require.True(t, strings.HasPrefix(n, "TPCQA/h_tpc_"), n)
		if h.Class == overwatch.ClassTH3D {
			n3++
			assert.Equal(t, 30, h.Y.NBins, n)
			assert.Equal(t, -1.5, h.Y.Min)
		} else {
			assert.Equal(t, overwatch.ClassTH1D, h.Class)
		}
	}
	assert.Equal(t, 24, n3)
	assert.Equal(t, 160, tpc["TPCQA/h_tpc_track_pos_recvertex_0_5_7"].X.NBins)
	assert.Contains(t, tpc, "TPCQA/h_tpc_event_recvertex_5")

	hlt := histMap(t, g.Snapshot("HLT"))
	require.Len(t, hlt, 38)
	for _, s := range HLTNames {
		h := hlt["fHist"+s]
		require.NotNil(t, h, s)
		switch s {
		case "ClusterChargeMax", "ClusterChargeTot", "TPCClusterFlags", "TPCTrackPt":
			assert.Equal(t, overwatch.ClassTH1D, h.Class, s)
		default:
			assert.Equal(t, overwatch.ClassTH2F, h.Class, s)
		}
	}

	zdc := New(Config{Subsystems: []string{"ZDC"}})
	assert.Equal(t, []string{"ZDC_histAmplitude", "ZDC_histChannelMap", "ZDC_histEvents", "ZDC_histTime"}, zdc.Names("ZDC"))
	assert.Nil(t, zdc.Snapshot("EMC"))
}

func TestSizeKnob(t *testing.T) {
	g := New(Config{Seed: 3, Subsystems: []string{"EMC"}, EMCHistograms: 500, Run: 1})
	es := g.Snapshot("EMC")
	require.Len(t, es, 500)
	var n1, n2 int
	for _, e := range es {
		h := e.Object.(*overwatch.Hist)
		if !strings.HasPrefix(h.Name, "EMCTRQA_histExtra") {
			continue
		}
		switch h.Dim() {
		case 1:
			n1++
			assert.True(t, h.X.NBins >= 100 && h.X.NBins <= 3000, h.X.NBins)
		case 2:
			n2++
			assert.LessOrEqual(t, h.X.NBins, 100)
			assert.LessOrEqual(t, h.Y.NBins, 100)
		}
	}
	assert.Greater(t, n1, 100)
	assert.Greater(t, n2, 100)
}

func TestCumulativeAndDeterministic(t *testing.T) {
	run := func(seed uint64) (*Generator, []map[string]*overwatch.Hist) {
		g := New(Config{Seed: seed, EventsPerSecond: 50, Run: 7})
		var snaps []map[string]*overwatch.Hist
		for i := 0; i < 3; i++ {
			g.Advance(10 * time.Second)
			snaps = append(snaps, histMap(t, append(g.Snapshot("EMC"), g.Snapshot("TPC")...)))
		}
		return g, snaps
	}
	g, a := run(42)
	_, b := run(42)
	_, c := run(43)
	for i := range a {
		require.Len(t, b[i], len(a[i]))
		for name, h := range a[i] {
			require.True(t, slices.Equal(h.Contents, b[i][name].Contents), "same seed, same %s", name)
			require.Equal(t, h.Stats, b[i][name].Stats)
		}
	}
	assert.NotEqual(t, a[2]["EMCTRQA_histFastORL0"].Contents, c[2]["EMCTRQA_histFastORL0"].Contents)

	assert.Equal(t, 1500.0, g.Events("EMC"))
	ev := a[2]["EMCTRQA_histEvents"]
	assert.Equal(t, 1500.0, ev.Contents[1], "bin 1 counts events")
	for name, h := range a[2] {
		prev := a[1][name]
		for i := range h.Contents {
			if h.Contents[i] < prev.Contents[i] {
				t.Fatalf("%s cell %d decreased from %g to %g", name, i, prev.Contents[i], h.Contents[i])
			}
		}
		assert.GreaterOrEqual(t, h.Entries, prev.Entries)
		var sum float64
		for _, v := range h.Contents {
			sum += v
		}
		assert.Equal(t, sum, h.Entries, name)
		assert.InDelta(t, h.Stats.Sumw, h.Integral(), 1e-9, name)
	}
	assert.Greater(t, a[2]["TPCQA/h_tpc_track_all_recvertex_0_5_6"].Entries, 0.0)
	assert.Greater(t, a[2]["EMCTRQA_histFastORL0"].Entries, 0.0)
	assert.Zero(t, a[2]["EMCTRQA_histFastORL0LargeAmp"].Entries, "healthy channels record no large amplitudes")
	run7, live := g.Run()
	assert.Equal(t, 7, run7)
	assert.True(t, live)
	assert.Equal(t, DefaultStart.Add(30*time.Second), g.Now())

	// Snapshots are deep copies.
	h := g.Snapshot("EMC")[0].Object.(*overwatch.Hist)
	h.Contents[1] = -1
	assert.NotEqual(t, -1.0, g.Hist("EMC", h.Name).Contents[1])
}

func TestStatisticsMatchFill(t *testing.T) {
	// The statistics the generator accumulates are the ones ROOT's Fill
	// at bin centres would give.
	g := New(Config{Seed: 9, Subsystems: []string{"TPC"}, Run: 1})
	g.Advance(3 * time.Second)
	h := g.Hist("TPC", "TPCQA/h_tpc_track_pos_recvertex_3_5_7")
	ref := overwatch.MustNewHist(h.Class, h.Name, h.Title, h.X, h.Y, h.Z)
	for bin, v := range h.Contents {
		ix, iy, iz := h.BinXYZ(bin)
		for k := 0; k < int(v); k++ {
			require.NoError(t, ref.Fill(1, h.X.BinCenter(ix), h.Y.BinCenter(iy), h.Z.BinCenter(iz)))
		}
	}
	assert.Equal(t, ref.Entries, h.Entries)
	assert.InDelta(t, ref.Stats.Sumwx, h.Stats.Sumwx, 1e-6)
	assert.InDelta(t, ref.Stats.Sumwz2, h.Stats.Sumwz2, 1e-6)
	assert.InDelta(t, ref.Stats.Sumwyz, h.Stats.Sumwyz, 1e-6)
}

func TestHotChannels(t *testing.T) {
	g := New(Config{Seed: 5, Subsystems: []string{"EMC"}, EventsPerSecond: 1000, Run: 1})
	require.NoError(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL0", 123, 0.05))
	require.NoError(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL1LargeAmp", 4001, 1e-3))
	require.Error(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL0Amp", 1, 1), "2-D")
	require.Error(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL0", NFastOR, 1), "out of range")
	require.Error(t, g.InjectHotChannel("EMC", "nope", 1, 1))
	require.Error(t, g.InjectHotChannel("XYZ", "EMCTRQA_histFastORL0", 1, 1))
	g.Advance(20 * time.Second)
	n := g.Events("EMC")
	require.Equal(t, 20000.0, n)
	l0 := g.Hist("EMC", "EMCTRQA_histFastORL0")
	for id := 0; id < NFastOR; id++ {
		frac := l0.Contents[id+1] / n
		if id == 123 {
			assert.InDelta(t, 0.05, frac, 0.01)
		} else {
			require.Less(t, frac, 1e-2, "channel %d", id)
		}
	}
	la := g.Hist("EMC", "EMCTRQA_histFastORL1LargeAmp")
	assert.Equal(t, la.Entries, la.Contents[4002])
	assert.Greater(t, la.Entries, 5.0)
}

func TestDrift(t *testing.T) {
	g := New(Config{Seed: 5, Subsystems: []string{"HLT"}, EventsPerSecond: 200, Run: 1})
	require.NoError(t, g.SetDrift("HLT", "fHistTPCTrackPt", 0.02))
	require.Error(t, g.SetDrift("HLT", "fHistTPCAallClustersRowPhi", 1), "uniform distribution")
	mean := func(h *overwatch.Hist) float64 { return h.Stats.Sumwx / h.Stats.Sumw }
	var means []float64
	for i := 0; i < 4; i++ {
		require.NoError(t, g.Reset("HLT"))
		g.Advance(30 * time.Second)
		means = append(means, mean(g.Hist("HLT", "fHistTPCTrackPt")))
	}
	for i := 1; i < len(means); i++ {
		// 30 s later the distribution moved by 0.6 GeV/c.
		assert.InDelta(t, 0.6, means[i]-means[i-1], 0.1, "means %v", means)
	}
}

func TestDeadPeriodsRunsAndReset(t *testing.T) {
	g := New(Config{Seed: 1, Subsystems: []string{"HLT", "ZDC"}, EventsPerSecond: 10})
	g.Advance(time.Minute)
	assert.Zero(t, g.Events("HLT"), "no run, no events")
	g.StartRun(99)
	assert.Equal(t, DefaultStart.Add(time.Minute), g.RunStart())
	require.NoError(t, g.AddDeadPeriod(DeadPeriod{From: 5 * time.Second, To: 15 * time.Second}))
	require.Error(t, g.AddDeadPeriod(DeadPeriod{From: 5 * time.Second, To: 5 * time.Second}))
	g.Advance(20 * time.Second)
	assert.Equal(t, 100.0, g.Events("HLT"), "10 of 20 s were dead")
	assert.Equal(t, 100.0, g.Hist("ZDC", "ZDC_histEvents").Contents[1])
	g.SetDead(true)
	g.Advance(10 * time.Second)
	assert.Equal(t, 100.0, g.Events("HLT"))
	g.SetDead(false)
	g.Advance(10 * time.Second)
	assert.Equal(t, 200.0, g.Events("HLT"))

	require.NoError(t, g.Reset("ZDC"))
	assert.Zero(t, g.Events("ZDC"))
	for _, e := range g.Snapshot("ZDC") {
		h := e.Object.(*overwatch.Hist)
		assert.Zero(t, h.Entries)
		assert.Zero(t, h.Integral())
		assert.Equal(t, overwatch.Stats{}, h.Stats)
	}
	assert.Equal(t, 200.0, g.Events("HLT"), "reset is per subsystem")
	require.Error(t, g.Reset("EMC"))

	g.EndRun()
	g.Advance(time.Minute)
	assert.Equal(t, 200.0, g.Events("HLT"))
	_, live := g.Run()
	assert.False(t, live)
	g.StartRun(100)
	assert.Zero(t, g.Events("HLT"))
	assert.Zero(t, g.Hist("HLT", "fHistTPCTrackPt").Entries)
}

func TestPoisson(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, lambda := range []float64{0.01, 0.7, 5, 29, 31, 400} {
		const n = 20000
		var s, s2 float64
		for i := 0; i < n; i++ {
			k := poisson(rng, lambda)
			require.GreaterOrEqual(t, k, 0.0)
			require.Equal(t, math.Trunc(k), k)
			s += k
			s2 += k * k
		}
		mean := s / n
		vari := s2/n - mean*mean
		assert.InDelta(t, lambda, mean, 4*math.Sqrt(lambda/n)+1e-3, "mean for %g", lambda)
		assert.InDelta(t, lambda, vari, 0.1*lambda+0.01, "variance for %g", lambda)
	}
	assert.Zero(t, poisson(rng, 0))
	assert.Zero(t, poisson(rng, math.NaN()))
}

func BenchmarkAdvanceEMC500(b *testing.B) {
	g := New(Config{Seed: 1, Subsystems: []string{"EMC"}, EMCHistograms: 500, EventsPerSecond: 1000, Run: 1})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.Advance(time.Second)
	}
}

func BenchmarkSnapshotEMC500(b *testing.B) {
	g := New(Config{Seed: 1, Subsystems: []string{"EMC"}, EMCHistograms: 500, Run: 1})
	g.Advance(time.Second)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = g.Snapshot("EMC")
	}
}

func BenchmarkAdvanceTPC(b *testing.B) {
	g := New(Config{Seed: 1, Subsystems: []string{"TPC"}, EventsPerSecond: 1000, Run: 1})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.Advance(time.Second)
	}
}

func TestSnapshotOf(t *testing.T) {
	g := New(Config{Seed: 1, Subsystems: []string{"HLT", "EMC", "TPC"}, Run: 2})
	g.Advance(time.Second)
	es := g.SnapshotOf("HLT", "EMC", "nope")
	require.Len(t, es, len(g.Names("HLT"))+len(g.Names("EMC")))
	for i := 1; i < len(es); i++ {
		require.LessOrEqual(t, es[i-1].Key, es[i].Key)
	}
}

func TestConcurrentUse(t *testing.T) {
	g := New(Config{Seed: 1, Subsystems: []string{"HLT", "ZDC"}, Run: 1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			g.Advance(100 * time.Millisecond)
			_ = g.Reset("ZDC")
		}
	}()
	for i := 0; i < 20; i++ {
		for _, e := range g.Snapshot("HLT") {
			require.NoError(t, e.Object.(*overwatch.Hist).Validate())
		}
		_ = g.Hist("ZDC", "ZDC_histTime")
		_ = g.Events("HLT")
	}
	<-done
	assert.Equal(t, 200.0, g.Events("HLT"))
}
