package overwatch_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
)

func TestProfileXOfTH2(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH2F, "h", "title", ow.NewAxis(3, 0, 3), ow.NewAxis(4, 0, 4))
	// x bin 1: 2 entries at y centre 0.5, 1 at 2.5; x bin 2: 3 at 3.5.
	fill := func(n int, x, y float64) {
		for i := 0; i < n; i++ {
			require.NoError(t, h.Fill(1, x, y))
		}
	}
	fill(2, 0.2, 0.7)
	fill(1, 0.9, 2.1)
	fill(3, 1.5, 3.5)
	fill(5, 1.5, 9) // y overflow: not profiled by default
	p, err := h.ProfileX("")
	require.NoError(t, err)
	assert.Equal(t, ow.ClassTProfile, p.Class)
	assert.Equal(t, "h_pfx", p.Name)
	assert.Equal(t, "title", p.Title)
	assert.Equal(t, 3, p.X.NBins)
	assert.InDelta(t, (2*0.5+2.5)/3, p.BinContent(1), 1e-12)
	assert.Equal(t, 3.0, p.BinEntries[1])
	assert.Equal(t, 3.5, p.BinContent(2))
	assert.Nil(t, p.BinSumw2, "unit-weight cells")
	spread := math.Sqrt((2*0.25+6.25)/3 - math.Pow((2*0.5+2.5)/3, 2))
	assert.InDelta(t, spread/math.Sqrt(3), p.BinError(1), 1e-12)
	assert.InDelta(t, 6, p.Entries, 1e-12)
	assert.InDelta(t, (2*0.5+2.5+3*3.5)/6, p.Mean(1), 1e-12)

	// Including the y overflow explicitly.
	q, err := h.ProfileX("q", 1, 5)
	require.NoError(t, err)
	assert.Equal(t, 8.0, q.BinEntries[2])
	assert.InDelta(t, (3*3.5+5*4.5)/8, q.BinContent(2), 1e-12, "overflow centre extrapolated")

	// A slice, and the profile along y.
	s, err := h.ProfileX("s", 4, 4)
	require.NoError(t, err)
	assert.Zero(t, s.BinEntries[1])
	assert.Equal(t, 3.0, s.BinEntries[2])
	py, err := h.ProfileY("")
	require.NoError(t, err)
	assert.Equal(t, "h_pfy", py.Name)
	assert.Equal(t, 4, py.X.NBins)
	assert.InDelta(t, 0.5, py.BinContent(1), 1e-12)
	assert.InDelta(t, 1.5, py.BinContent(4), 1e-12)
	assert.Equal(t, 3.0, py.BinEntries[4])
}

func TestProfileOfWeightedTH2(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH2D, "w", "", ow.NewAxis(2, 0, 2), ow.NewAxis(2, 0, 2))
	require.NoError(t, h.Fill(2, 0.5, 0.5))
	require.NoError(t, h.Fill(3, 0.5, 1.5))
	p, err := h.ProfileX("")
	require.NoError(t, err)
	require.NotNil(t, p.BinSumw2)
	assert.Equal(t, 13.0, p.BinSumw2[1])
	assert.Equal(t, 5.0, p.BinEntries[1])
	assert.InDelta(t, (2*0.5+3*1.5)/5, p.BinContent(1), 1e-12)
	assert.InDelta(t, 25.0/13, p.Entries, 1e-12)
}

// A TProfile2D profiled along x is the TProfile of the same fills.
func TestProfileOfTProfile2D(t *testing.T) {
	p2 := ow.MustNewHist(ow.ClassTProfile2D, "p2", "", ow.NewAxis(5, 0, 5), ow.NewAxis(3, 0, 3))
	direct := ow.MustNewHist(ow.ClassTProfile, "d", "", ow.NewAxis(5, 0, 5))
	r := rand.New(rand.NewPCG(8, 8))
	for i := 0; i < 300; i++ {
		x, y, z := r.Float64()*5, r.Float64()*3, r.NormFloat64()*3+10
		w := 0.5 + r.Float64()
		require.NoError(t, p2.Fill(w, x, y, z))
		require.NoError(t, direct.Fill(w, x, z))
	}
	p, err := p2.ProfileX("")
	require.NoError(t, err)
	for i := 0; i <= 6; i++ {
		assert.InDelta(t, direct.BinContent(i), p.BinContent(i), 1e-9, "bin %d", i)
		assert.InDelta(t, direct.BinError(i), p.BinError(i), 1e-9, "bin %d", i)
		assert.InDelta(t, direct.BinEntries[i], p.BinEntries[i], 1e-9)
	}
	assert.InDelta(t, direct.Mean(1), p.Mean(1), 1e-9)
	assert.InDelta(t, direct.Mean(0), p.Mean(0), 0.5, "bin centres vs fill values")
}

func TestProfileRangesAndErrors(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH2D, "h", "", ow.NewAxis(4, 0, 4), ow.NewAxis(4, 0, 4))
	for _, p := range [][2]float64{{0.5, 0.5}, {1.5, 1.5}, {2.5, 2.5}, {3.5, 3.5}} {
		require.NoError(t, h.Fill(1, p[0], p[1]))
	}
	h.Y.SetRange(2, 3)
	p, err := h.ProfileX("")
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0, 1, 1, 0, 0}, p.BinEntries)
	h.Y.SetRange(0, 0)
	h.X.SetRange(2, 3)
	p, err = h.ProfileX("")
	require.NoError(t, err)
	assert.Equal(t, 2, p.X.NBins)
	assert.Equal(t, 1.0, p.X.Min)
	assert.Equal(t, 1.5, p.BinContent(1))

	for _, bad := range []*ow.Hist{
		ow.MustNewHist(ow.ClassTH1D, "a", "", ow.NewAxis(2, 0, 1)),
		ow.MustNewHist(ow.ClassTH3D, "b", "", ow.NewAxis(2, 0, 1), ow.NewAxis(2, 0, 1), ow.NewAxis(2, 0, 1)),
	} {
		_, err := bad.ProfileX("")
		assert.Error(t, err, bad.Class)
	}
	_, err = h.Profile(2, "")
	assert.Error(t, err)
	_, err = h.ProfileX("", 1)
	assert.Error(t, err)
	broken := h.Clone()
	broken.Contents = nil
	_, err = broken.ProfileY("")
	assert.Error(t, err)
}
