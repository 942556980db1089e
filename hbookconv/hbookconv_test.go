package hbookconv_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-hep.org/x/hep/hbook"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/hbookconv"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
)

func near(t *testing.T, want, got float64, msg ...any) {
	t.Helper()
	assert.InDelta(t, want, got, 1e-9*math.Max(1, math.Abs(want)), msg...)
}

func assertStats(t *testing.T, want, got *ow.Hist) {
	t.Helper()
	near(t, want.Entries, got.Entries, "entries")
	w, g := want.Stats, got.Stats
	for _, p := range [][3]any{
		{"sumw", w.Sumw, g.Sumw}, {"sumw2", w.Sumw2, g.Sumw2}, {"sumwx", w.Sumwx, g.Sumwx}, {"sumwx2", w.Sumwx2, g.Sumwx2},
		{"sumwy", w.Sumwy, g.Sumwy}, {"sumwy2", w.Sumwy2, g.Sumwy2}, {"sumwxy", w.Sumwxy, g.Sumwxy},
	} {
		near(t, p[1].(float64), p[2].(float64), p[0])
	}
}

func sumw2Of(h *ow.Hist, bin int) float64 {
	if len(h.Sumw2) == len(h.Contents) {
		return h.Sumw2[bin]
	}
	return h.Contents[bin]
}

// TestRoundTrip1D: every 1-D class comes back with the same edges, cells
// (under/overflow included), errors, entries, statistics, name and title.
func TestRoundTrip1D(t *testing.T) {
	n := 0
	for _, e := range histtest.ModelObjects(t) {
		h, ok := e.Object.(*ow.Hist)
		if !ok || h.Dim() != 1 || h.IsProfile() {
			continue
		}
		n++
		hb, err := hbookconv.ToH1D(h)
		require.NoError(t, err, h.Class)
		assert.Equal(t, h.Name, hb.Name())
		back, err := hbookconv.FromH1D(hb)
		require.NoError(t, err, h.Class)
		assert.Equal(t, ow.ClassTH1D, back.Class)
		assert.Equal(t, h.Title, back.Title)
		assert.True(t, h.X.SameBinning(&back.X), h.Class)
		assert.Equal(t, h.Contents, back.Contents, h.Class)
		for i := range h.Contents {
			assert.Equal(t, sumw2Of(h, i), back.Sumw2[i], "%s cell %d", h.Class, i)
		}
		assertStats(t, h, back)
		near(t, h.Entries, float64(hb.Entries()))
	}
	assert.Equal(t, 5, n, "TH1C, TH1S, TH1I, TH1F, TH1D")
}

// TestRoundTrip2D: every 2-D class comes back with the same in-range cells
// and statistics; each of the eight outflow regions keeps its total.
func TestRoundTrip2D(t *testing.T) {
	n := 0
	for _, e := range histtest.ModelObjects(t) {
		h, ok := e.Object.(*ow.Hist)
		if !ok || h.Dim() != 2 || h.IsProfile() {
			continue
		}
		n++
		hb, err := hbookconv.ToH2D(h)
		require.NoError(t, err, h.Class)
		back, err := hbookconv.FromH2D(hb)
		require.NoError(t, err, h.Class)
		assert.Equal(t, ow.ClassTH2D, back.Class)
		assert.True(t, h.X.SameBinning(&back.X) && h.Y.SameBinning(&back.Y), h.Class)
		nx, ny := h.X.NBins, h.Y.NBins
		regions := map[[2]int]float64{}
		key := func(ix, iy int) [2]int {
			side := func(i, n int) int {
				switch {
				case i == 0:
					return -1
				case i == n+1:
					return 1
				}
				return 0
			}
			return [2]int{side(ix, nx), side(iy, ny)}
		}
		for iy := 0; iy <= ny+1; iy++ {
			for ix := 0; ix <= nx+1; ix++ {
				bin := h.Bin(ix, iy, 0)
				k := key(ix, iy)
				if k == [2]int{} {
					assert.Equal(t, h.Contents[bin], back.Contents[bin], "%s (%d,%d)", h.Class, ix, iy)
					assert.Equal(t, sumw2Of(h, bin), back.Sumw2[bin])
					continue
				}
				regions[k] += h.Contents[bin]
				regions[k] -= back.Contents[bin]
			}
		}
		for k, d := range regions {
			near(t, 0, d, "%s region %v keeps its total", h.Class, k)
		}
		assertStats(t, h, back)
	}
	assert.Equal(t, 5, n, "TH2C, TH2S, TH2I, TH2F, TH2D")
}

// TestRoundTrip2DOneCellPerRegion: with at most one outside cell filled per
// region, the 2-D round trip is exact cell by cell.
func TestRoundTrip2DOneCellPerRegion(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH2F, "h", "t", ow.NewAxis(4, 0, 4), ow.NewAxis(3, 0, 3))
	for _, p := range [][3]float64{{0.5, 0.5, 1}, {2.5, 1.5, 3}, {-1, 1.5, 2}, {5, 2.5, 1}, {1.5, -1, 4}, {3.5, 9, 2}, {-1, -1, 1}, {5, 5, 1}, {-1, 5, 1}, {5, -1, 1}} {
		require.NoError(t, h.Fill(p[2], p[0], p[1]))
	}
	hb, err := hbookconv.ToH2D(h)
	require.NoError(t, err)
	back, err := hbookconv.FromH2D(hb)
	require.NoError(t, err)
	for i := range h.Contents {
		assert.Equal(t, h.Contents[i], back.Contents[i], "cell %d", i)
	}
	assertStats(t, h, back)
}

// TestFromGoHepFills: a histogram filled by go-hep converts to what
// Overwatch's own Fill makes of the same data.
func TestFromGoHepFills(t *testing.T) {
	xs := []float64{-2, 0.1, 0.2, 0.7, 1.5, 1.5, 2.9, 3.5, 9}
	ws := []float64{1, 2, 0.5, 1, 1, 3, 1, 2, 1}
	hb := hbook.NewH1D(6, -1, 3)
	hb.Ann["name"] = "hx"
	ours := ow.MustNewHist(ow.ClassTH1D, "hx", "", ow.NewAxis(6, -1, 3))
	ours.EnableSumw2()
	hb2 := hbook.NewH2DFromEdges([]float64{-1, 0, 0.5, 3}, []float64{0, 1, 2})
	ours2 := ow.MustNewHist(ow.ClassTH2D, "", "", mustEdges(t, -1, 0, 0.5, 3), ow.NewAxis(2, 0, 2))
	ours2.EnableSumw2()
	for i, x := range xs {
		hb.Fill(x, ws[i])
		require.NoError(t, ours.Fill(ws[i], x))
		y := float64(i%3) - 0.2
		hb2.Fill(x, y, ws[i])
		require.NoError(t, ours2.Fill(ws[i], x, y))
	}
	got, err := hbookconv.FromH1D(hb)
	require.NoError(t, err)
	assert.Equal(t, ours.Contents, got.Contents)
	assert.Equal(t, ours.Sumw2, got.Sumw2)
	assertStats(t, ours, got)
	near(t, ours.Mean(0), got.Mean(0))

	got2, err := hbookconv.FromH2D(hb2)
	require.NoError(t, err)
	assertStats(t, ours2, got2)
	for ix := 1; ix <= 3; ix++ {
		for iy := 1; iy <= 2; iy++ {
			bin := ours2.Bin(ix, iy, 0)
			assert.Equal(t, ours2.Contents[bin], got2.Contents[bin])
		}
	}
	assert.True(t, got2.X.IsVariable())
}

func mustEdges(t *testing.T, e ...float64) ow.Axis {
	a, err := ow.NewAxisEdges(e)
	require.NoError(t, err)
	return a
}

func TestUnsupported(t *testing.T) {
	for _, c := range []string{ow.ClassTProfile, ow.ClassTH3D, ow.ClassTProfile2D} {
		axes := []ow.Axis{ow.NewAxis(2, 0, 1), ow.NewAxis(2, 0, 1), ow.NewAxis(2, 0, 1)}[:ow.ClassDim(c)]
		h := ow.MustNewHist(c, "p", "", axes...)
		_, err1 := hbookconv.ToH1D(h)
		_, err2 := hbookconv.ToH2D(h)
		assert.True(t, errors.Is(err1, hbookconv.ErrUnsupported) && errors.Is(err2, hbookconv.ErrUnsupported), c)
	}
	_, err := hbookconv.ToH1D(nil)
	assert.Error(t, err)
	_, err = hbookconv.FromH1D(&hbook.H1D{})
	assert.Error(t, err)
	_, err = hbookconv.FromH2D(&hbook.H2D{})
	assert.Error(t, err)
	gap := hbook.NewH1DFromBins(hbook.Range{Min: 0, Max: 1}, hbook.Range{Min: 2, Max: 3})
	_, err = hbookconv.FromH1D(gap)
	assert.ErrorContains(t, err, "contiguous")
}
