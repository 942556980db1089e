package overwatch_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
)

const tol = 1e-12

func filled1D(t testing.TB, class string, xs ...float64) *ow.Hist {
	t.Helper()
	h := ow.MustNewHist(class, "h", "t", ow.NewAxis(10, 0, 10))
	for _, x := range xs {
		require.NoError(t, h.Fill(1, x))
	}
	return h
}

func TestStatsFromStoredSums(t *testing.T) {
	h := filled1D(t, ow.ClassTH1D, 1.2, 2.7, 3.1, -5, 11) // -5 and 11 are under/overflow
	assert.Equal(t, 5.0, h.Entries)
	xs := []float64{1.2, 2.7, 3.1}
	var m, m2 float64
	for _, x := range xs {
		m += x
		m2 += x * x
	}
	m /= 3
	v := m2/3 - m*m
	assert.InDelta(t, m, h.Mean(ow.AxisX), tol)
	assert.InDelta(t, math.Sqrt(v), h.StdDev(ow.AxisX), tol)
	assert.InDelta(t, 3, h.EffectiveEntries(), tol)
	assert.InDelta(t, math.Sqrt(v)/math.Sqrt(3), h.MeanError(ow.AxisX), tol)
	assert.InDelta(t, math.Sqrt(v/6), h.StdDevError(ow.AxisX), tol)
	// Axes a TH1 does not have.
	assert.Zero(t, h.Mean(ow.AxisY))
	assert.Zero(t, h.StdDev(ow.AxisZ))
	assert.Zero(t, h.Mean(-1))
	assert.Zero(t, h.MeanError(7))
}

func TestStatOverflowsConsidered(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(10, 0, 10))
	h.StatOverflows = 1
	require.NoError(t, h.Fill(1, 2))
	require.NoError(t, h.Fill(1, 12))
	assert.InDelta(t, 7, h.Mean(ow.AxisX), tol)
}

func TestStatsRecomputedOnRange(t *testing.T) {
	h := filled1D(t, ow.ClassTH1D, 1.2, 2.7, 7.5)
	assert.InDelta(t, (1.2+2.7+7.5)/3, h.Mean(0), tol)
	h.X.SetRange(2, 3) // bins [1,2) and [2,3): centres 1.5 and 2.5
	assert.True(t, h.X.HasRange())
	assert.InDelta(t, 2.0, h.Mean(0), tol)
	assert.InDelta(t, 0.5, h.StdDev(0), tol)
	assert.InDelta(t, 2, h.EffectiveEntries(), tol)
	// The whole axis is not a range; neither is a cleared one.
	h.X.SetRange(1, 10)
	assert.False(t, h.X.HasRange())
	h.X.SetRange(5, 2)
	assert.False(t, h.X.HasRange())
	assert.Equal(t, 0, h.X.First)
	assert.InDelta(t, (1.2+2.7+7.5)/3, h.Mean(0), tol)
}

func TestSetRangeClamps(t *testing.T) {
	a := ow.NewAxis(10, 0, 1)
	a.SetRange(-3, 40)
	assert.Equal(t, 0, a.FirstBin())
	assert.Equal(t, 11, a.LastBin())
	// Garbage decoded from a file is clamped too.
	a.First, a.Last = -7, 99
	assert.Equal(t, 0, a.FirstBin())
	assert.Equal(t, 11, a.LastBin())
}

func TestSetBinContentRecomputesStats(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1F, "h", "", ow.NewAxis(4, 0, 4))
	require.NoError(t, h.SetBinContent(1, 3)) // centre 0.5
	require.NoError(t, h.SetBinContent(4, 1)) // centre 3.5
	require.NoError(t, h.SetBinContent(5, 100))
	assert.Equal(t, 3.0, h.Entries)
	assert.InDelta(t, (3*0.5+3.5)/4, h.Mean(0), tol)
	assert.InDelta(t, 4, h.EffectiveEntries(), tol) // sumw2 = |content| without Sumw2
	require.NoError(t, h.SetBinError(1, 3))         // sumw2 9 in bin 1
	assert.InDelta(t, 16.0/10, h.EffectiveEntries(), tol)
	assert.InDelta(t, 3, h.BinError(1), tol)
	assert.InDelta(t, 1, h.BinError(4), tol) // seeded from the content

	assert.Error(t, h.SetBinContent(6, 1))
	assert.Error(t, h.SetBinContent(-1, 1))
	assert.Error(t, h.SetBinError(99, 1))
	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(4, 0, 4))
	assert.Error(t, p.SetBinContent(1, 1))
}

func TestWeightedEffectiveEntries(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(10, 0, 10))
	require.NoError(t, h.Fill(2, 1.5))
	require.NoError(t, h.Fill(0.5, 4.5))
	// neff = (2.5)^2 / (4 + 0.25)
	assert.InDelta(t, 6.25/4.25, h.EffectiveEntries(), tol)
	assert.InDelta(t, (2*1.5+0.5*4.5)/2.5, h.Mean(0), tol)
}

func TestStats2D3D(t *testing.T) {
	h2 := ow.MustNewHist(ow.ClassTH2D, "h2", "", ow.NewAxis(10, 0, 10), ow.NewAxis(5, -5, 5))
	pts := [][2]float64{{1, -1}, {2, 3}, {6, 0.5}, {7, -4}}
	for _, p := range pts {
		require.NoError(t, h2.Fill(1, p[0], p[1]))
	}
	assert.InDelta(t, 4, h2.Mean(0), tol)
	assert.InDelta(t, -0.375, h2.Mean(1), tol)
	assert.Zero(t, h2.Mean(2))
	assert.InDelta(t, math.Sqrt((1+4+36+49)/4.0-16), h2.StdDev(0), tol)

	h3 := ow.MustNewHist(ow.ClassTH3F, "h3", "", ow.NewAxis(4, 0, 4), ow.NewAxis(4, 0, 4), ow.NewAxis(4, 0, 8))
	require.NoError(t, h3.Fill(1, 0.5, 1.5, 1))
	require.NoError(t, h3.Fill(3, 2.5, 3.5, 7))
	assert.InDelta(t, (1+21)/4.0, h3.Mean(2), tol)
	assert.InDelta(t, (0.5+7.5)/4, h3.Mean(0), tol)
	// A range on z forces a recomputation from bin centres: only z bin 4
	// ([6,8), centre 7) remains.
	h3.Z.SetRange(4, 4)
	assert.InDelta(t, 7, h3.Mean(2), tol)
	assert.InDelta(t, 2.5, h3.Mean(0), tol)
	assert.InDelta(t, 3.5, h3.Mean(1), tol)
}

func TestProfileStats(t *testing.T) {
	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(4, 0, 4))
	require.NoError(t, p.Fill(1, 0.5, 10))
	require.NoError(t, p.Fill(1, 0.5, 20))
	require.NoError(t, p.Fill(2, 2.5, 40))
	// Profiled quantity: weighted mean (10+20+80)/4.
	assert.InDelta(t, 27.5, p.Mean(1), tol)
	assert.InDelta(t, (0.5+0.5+5)/4, p.Mean(0), tol)
	v := (100+400+2*1600)/4.0 - 27.5*27.5
	assert.InDelta(t, math.Sqrt(v), p.StdDev(1), 1e-9)
	assert.Zero(t, p.Mean(2))
	// Recomputation from the per-cell arrays gives the same y moments.
	stored := p.StatSums()
	p.Stats = ow.Stats{}
	re := p.StatSums()
	assert.InDelta(t, stored.Sumwy, re.Sumwy, tol)
	assert.InDelta(t, stored.Sumwy2, re.Sumwy2, tol)
	assert.InDelta(t, stored.Sumw, re.Sumw, tol)

	p2 := ow.MustNewHist(ow.ClassTProfile2D, "p2", "", ow.NewAxis(2, 0, 2), ow.NewAxis(2, 0, 2))
	require.NoError(t, p2.Fill(1, 0.5, 1.5, 3))
	require.NoError(t, p2.Fill(1, 1.5, 0.5, 5))
	assert.InDelta(t, 4, p2.Mean(2), tol)
	assert.InDelta(t, 1, p2.StdDev(2), tol)
	assert.InDelta(t, 1, p2.Mean(1), tol)
	assert.Zero(t, p2.Mean(3))
}

func TestLabelledExtendableAxisHasNoCoordinateStats(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(3, 0, 3))
	h.X.Labels = []string{"a", "b", "c"}
	h.X.Bits2 = 1<<0 | 1<<1 // kAlphanumeric | kCanExtend
	require.NoError(t, h.SetBinContent(2, 4))
	assert.Zero(t, h.Mean(0))
	assert.InDelta(t, 4, h.EffectiveEntries(), tol)
}

func TestMaximumMinimum(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(5, 0, 5))
	copy(h.Contents, []float64{1000, 3, 7, -2, 7, 1, -1000}) // cells 0..6
	assert.Equal(t, 7.0, h.GetMaximum())
	assert.Equal(t, 2, h.MaximumBin()) // first of the ties
	assert.Equal(t, -2.0, h.GetMinimum())
	assert.Equal(t, 3, h.MinimumBin())
	h.X.SetRange(4, 5)
	assert.Equal(t, 7.0, h.GetMaximum())
	assert.Equal(t, 4, h.MaximumBin())
	assert.Equal(t, 1.0, h.GetMinimum())
	h.X.SetRange(0, 0)
	h.Maximum, h.Minimum = 50, -50
	assert.Equal(t, 50.0, h.GetMaximum())
	assert.Equal(t, -50.0, h.GetMinimum())
	assert.Equal(t, 2, h.MaximumBin()) // the override does not move the bin

	h2 := ow.MustNewHist(ow.ClassTH2D, "h2", "", ow.NewAxis(3, 0, 3), ow.NewAxis(3, 0, 3))
	require.NoError(t, h2.Fill(5, 1.5, 2.5))
	require.NoError(t, h2.Fill(9, 4, 2.5)) // overflow in x: ignored
	assert.Equal(t, 5.0, h2.GetMaximum())
	assert.Equal(t, h2.FindBin(1.5, 2.5, 0), h2.MaximumBin())
	assert.Equal(t, 0.0, h2.GetMinimum())

	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	require.NoError(t, p.Fill(1, 0.5, 4))
	require.NoError(t, p.Fill(1, 0.5, 6))
	assert.Equal(t, 5.0, p.GetMaximum()) // the cell mean
}

func TestResetAndResetStats(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(4, 0, 4))
	require.NoError(t, h.Fill(2, 0.2))
	require.NoError(t, h.Fill(1, 3.9))
	require.NoError(t, h.Fill(1, 3.9))
	// ResetStats: sums from bin centres, entries = effective entries.
	h.ResetStats()
	assert.InDelta(t, 4, h.Stats.Sumw, tol)
	assert.InDelta(t, 6, h.Stats.Sumw2, tol)
	assert.InDelta(t, 2*0.5+2*3.5, h.Stats.Sumwx, tol)
	assert.InDelta(t, 16.0/6, h.Entries, tol)
	assert.InDelta(t, 2, h.Mean(0), tol)

	u := filled1D(t, ow.ClassTH1I, 1.5, 1.5, 8.5)
	u.ResetStats()
	assert.Equal(t, 3.0, u.Entries) // no Sumw2: |sum w|

	h.Maximum = 12
	h.Reset()
	assert.Zero(t, h.Entries)
	assert.Equal(t, ow.Stats{}, h.Stats)
	assert.Len(t, h.Sumw2, 6)
	for _, c := range h.Contents {
		assert.Zero(t, c)
	}
	assert.Equal(t, 12.0, h.Maximum)

	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	require.NoError(t, p.Fill(1, 0.5, 4))
	p.Reset()
	assert.Zero(t, p.BinEntries[1])
	assert.Zero(t, p.Sumw2[1])
}
