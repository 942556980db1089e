package overwatch_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
)

func TestRebin1DExact(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1F, "h", "t", ow.NewAxis(10, 0, 10))
	for i := range h.Contents {
		h.Contents[i] = float64(i + 1) // cells 0..11
	}
	h.Entries = 78
	h.Stats = ow.Stats{Sumw: 55, Sumw2: 55, Sumwx: 1, Sumwx2: 2}
	r, err := h.Rebin(2, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, 5, r.X.NBins)
	assert.Equal(t, 10.0, r.X.Max)
	assert.Equal(t, []float64{1, 2 + 3, 4 + 5, 6 + 7, 8 + 9, 10 + 11, 12}, r.Contents)
	assert.Equal(t, h.Stats, r.Stats)
	assert.Equal(t, h.Entries, r.Entries)
	assert.Equal(t, ow.ClassTH1F, r.Class)
	assert.Equal(t, "h", r.Name)
	assert.Equal(t, 10, h.X.NBins, "h untouched")
}

func TestRebin1DRemainderGoesToOverflow(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(10, 0, 10))
	for _, x := range []float64{0.5, 1.5, 2.5, 8.5, 9.5, 9.5, 12} {
		require.NoError(t, h.Fill(1, x))
	}
	r, err := h.Rebin(3, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, 3, r.X.NBins)
	assert.Equal(t, 9.0, r.X.Max)
	assert.Equal(t, []float64{0, 3, 0, 1, 3}, r.Contents)
	assert.Equal(t, 7.0, r.Entries)
	// Statistics recomputed from the remaining in-range bins (centres 1.5, 7.5).
	assert.InDelta(t, (3*1.5+7.5)/4, r.Mean(0), tol)
}

func TestRebinVariableAndLabels(t *testing.T) {
	ax, err := ow.NewAxisEdges([]float64{0, 1, 2, 4, 8, 16})
	require.NoError(t, err)
	ax.Labels = []string{"a", "b", "c", "d", "e"}
	ax.Title = "energy"
	h := ow.MustNewHist(ow.ClassTH1D, "v", "", ax)
	require.NoError(t, h.Fill(1, 5))
	r, err := h.Rebin(2, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 2, 8}, r.X.Edges)
	assert.Nil(t, r.X.Labels)
	assert.Equal(t, "energy", r.X.Title)
	assert.Equal(t, 1.0, r.Contents[2])
	same, err := h.Rebin(1, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, ax.Labels, same.X.Labels)
}

func TestRebin2DAndProfile(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH2D, "h", "", ow.NewAxis(4, 0, 4), ow.NewAxis(6, 0, 6))
	require.NoError(t, h.Fill(2, 0.5, 0.5))
	require.NoError(t, h.Fill(1, 1.5, 2.5))
	require.NoError(t, h.Fill(1, 3.5, 5.5))
	r, err := h.Rebin(2, 3, 0)
	require.NoError(t, err)
	assert.Equal(t, 2, r.X.NBins)
	assert.Equal(t, 2, r.Y.NBins)
	assert.Equal(t, 3.0, r.Contents[r.Bin(1, 1, 0)])
	assert.Equal(t, 1.0, r.Contents[r.Bin(2, 2, 0)])
	assert.Equal(t, 5.0, r.Sumw2[r.Bin(1, 1, 0)])
	assert.InDelta(t, h.Mean(1), r.Mean(1), tol)

	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(4, 0, 4))
	require.NoError(t, p.Fill(1, 0.5, 10))
	require.NoError(t, p.Fill(3, 1.5, 30))
	rp, err := p.Rebin(2, 0, 0)
	require.NoError(t, err)
	assert.InDelta(t, (10+90)/4.0, rp.BinContent(1), tol)
	assert.Equal(t, 4.0, rp.BinEntries[1])
	assert.InDelta(t, p.Mean(1), rp.Mean(1), tol)
}

func TestRebinErrors(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(4, 0, 4))
	for _, g := range [][3]int{{5, 1, 1}, {-1, 1, 1}, {2, 2, 1}, {2, 1, 3}} {
		_, err := h.Rebin(g[0], g[1], g[2])
		assert.Error(t, err, "%v", g)
	}
	assert.Equal(t, 1, ow.RebinFactor(100, 200))
	assert.Equal(t, 4, ow.RebinFactor(100, 30))
	assert.Equal(t, 1, ow.RebinFactor(100, 0))
}

// Statistics recomputed from h's bins (no stored sums) are those of the
// original bin centres, as ROOT's PutStats(GetStats()).
func TestRebinKeepsRecomputedStats(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(4, 0, 4))
	require.NoError(t, h.SetBinContent(1, 1)) // centre 0.5
	require.NoError(t, h.SetBinContent(2, 3)) // centre 1.5
	r, err := h.Rebin(2, 0, 0)
	require.NoError(t, err)
	assert.InDelta(t, 1.25, h.Mean(0), 1e-12)
	assert.InDelta(t, 1.25, r.Mean(0), 1e-12, "not the new centre 1.0")
	assert.InDelta(t, 4, r.Stats.Sumw, 1e-12)
}
