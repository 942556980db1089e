package overwatch_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
)

func readROOTFile(t *testing.T, name string) *ow.File {
	t.Helper()
	f, err := ow.ReadFile(rootfiles.File(t, name))
	require.NoError(t, err)
	return f
}

// TestStatsAgainstROOTFiles checks, for every histogram ROOT wrote, that the
// statistics recomputed from the bins (ResetStats, StatSums) agree with the
// sums ROOT accumulated while filling: the same sum of weights, and means
// within half a bin width (each fill is within half a bin of its bin
// centre). This pins the cell layout, the in-range selection and the
// profile arrays to ROOT's.
func TestStatsAgainstROOTFiles(t *testing.T) {
	files := []string{
		"uproot-from-geant4.root", "uproot-hepdata-example.root", "uproot-histograms.root",
		"uproot-issue-181.root", "uproot-issue-227a.root", "uproot-issue-861.root",
		"uproot-issue33.root", "uproot-issue64.root", "uproot-issue66.root",
	}
	checked := 0
	for _, name := range files {
		f := readROOTFile(t, name)
		for _, e := range f.Entries {
			h, ok := e.Object.(*ow.Hist)
			if !ok || h.Stats.Sumw == 0 || h.X.HasRange() || h.Y.HasRange() {
				continue // empty, bin contents set directly, or a range applies
			}
			r := h.Clone()
			r.ResetStats()
			where := name + ":" + e.Path()
			assert.InDelta(t, h.Stats.Sumw, r.Stats.Sumw, 1e-6*math.Abs(h.Stats.Sumw), where)
			axes := []ow.Axis{h.X, h.Y, h.Z}
			for axis := 0; axis < h.Dim(); axis++ {
				a := axes[axis]
				half := 0.0
				for i := 1; i <= a.NBins; i++ {
					half = math.Max(half, a.BinWidth(i)/2)
				}
				assert.InDelta(t, h.Mean(axis), r.Mean(axis), half*(1+1e-9), "%s axis %d", where, axis)
			}
			if h.IsProfile() {
				// The profiled sums are the same numbers added in another order.
				v := h.Dim() // axis of the profiled quantity
				assert.InDelta(t, h.Mean(v), r.Mean(v), 1e-9*(1+math.Abs(h.Mean(v))), "%s profiled mean", where)
				assert.InDelta(t, h.StdDev(v), r.StdDev(v), 1e-6*(1+h.StdDev(v)), "%s profiled stddev", where)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Skip("no ROOT-written histogram checked")
	}
	assert.Greater(t, checked, 25)
}

// TestProjectionRebinAgainstHsimple uses ROOT's hsimple.C output, where hpx
// (TH1F, 100 bins on [-4,4]) and hpxpy (TH2F, 40x40 bins) were filled with
// the same px values: hpx rebinned by 5 and hpxpy projected onto x and
// rebinned by 2 both have 20 bins of 0.4 and must hold the same counts,
// under- and overflow included.
func TestProjectionRebinAgainstHsimple(t *testing.T) {
	f := readROOTFile(t, "uproot-hepdata-example.root")
	hpx, hpxpy := f.Hist("hpx"), f.Hist("hpxpy")
	require.NotNil(t, hpx)
	require.NotNil(t, hpxpy)
	a, err := hpx.Rebin(5, 0, 0)
	require.NoError(t, err)
	px, err := hpxpy.ProjectionX("")
	require.NoError(t, err)
	b, err := px.Rebin(2, 0, 0)
	require.NoError(t, err)
	require.Equal(t, a.X.NBins, b.X.NBins)
	assert.Equal(t, a.Contents, b.Contents)
	assert.Equal(t, hpx.Entries, px.Entries)
	// Rebinning by exact divisors keeps ROOT's statistics.
	assert.Equal(t, hpx.Mean(0), a.Mean(0))
	assert.Equal(t, hpx.Stats, a.Stats)

	// The profile saw the same px values where pz = px²+py² <= 20.
	hprof := f.Hist("hprof")
	require.NotNil(t, hprof)
	for i := range hpx.Contents {
		assert.LessOrEqual(t, hprof.BinEntries[i], hpx.Contents[i], "cell %d", i)
	}
	assert.InDelta(t, hpx.Integral(), hprof.Stats.Sumw, 0.001*hpx.Integral())
}
