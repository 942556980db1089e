package overwatch_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
)

// random2D fills a 6x4 TH2 with points, some of them outside the axes.
func random2D(t testing.TB, class string, weighted bool) *ow.Hist {
	t.Helper()
	h := ow.MustNewHist(class, "h2", "title", ow.NewAxis(6, 0, 6), ow.NewAxis(4, -2, 2))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		w := 1.0
		if weighted {
			w = 0.5 + r.Float64()
		}
		require.NoError(t, h.Fill(w, r.Float64()*7-0.5, r.Float64()*5-2.5))
	}
	return h
}

func TestProjectionXWhole(t *testing.T) {
	h := random2D(t, ow.ClassTH2F, false) // has under/overflow fills
	px, err := h.ProjectionX("")
	require.NoError(t, err)
	assert.Equal(t, "h2_px", px.Name)
	assert.Equal(t, ow.ClassTH1D, px.Class)
	assert.Equal(t, "title", px.Title)
	assert.Equal(t, 6, px.X.NBins)
	for ix := 0; ix <= 7; ix++ {
		var want float64
		for iy := 0; iy <= 5; iy++ {
			want += h.Contents[h.Bin(ix, iy, 0)]
		}
		assert.Equal(t, want, px.Contents[ix], "x bin %d", ix)
	}
	// The y flows hold weight the stored sums exclude: as ROOT, the
	// statistics are recomputed from the projected bins and the entries are
	// the rounded total content (here every fill).
	var sw, swx float64
	for ix := 1; ix <= 6; ix++ {
		sw += px.Contents[ix]
		swx += px.Contents[ix] * px.X.BinCenter(ix)
	}
	assert.InDelta(t, swx/sw, px.Mean(0), 1e-9)
	assert.Equal(t, h.Entries, px.Entries)
	assert.Nil(t, px.Sumw2)

	// Fills only in range: the projection keeps h's statistics and entries.
	in := ow.MustNewHist(ow.ClassTH2D, "in", "", ow.NewAxis(6, 0, 6), ow.NewAxis(4, -2, 2))
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 200; i++ {
		require.NoError(t, in.Fill(1, r.Float64()*6, r.Float64()*4-2))
	}
	in.Entries += 3 // entries that are not in the contents must survive
	py, err := in.ProjectionY("proj")
	require.NoError(t, err)
	assert.Equal(t, "proj", py.Name)
	assert.InDelta(t, in.Mean(1), py.Mean(0), tol)
	assert.InDelta(t, in.StdDev(1), py.StdDev(0), tol)
	assert.Equal(t, in.Entries, py.Entries)
	assert.Equal(t, in.Y.Min, py.X.Min)
}

func TestProjectionXSlice(t *testing.T) {
	h := random2D(t, ow.ClassTH2D, true)
	px, err := h.ProjectionX("slice", 2, 3)
	require.NoError(t, err)
	var tot float64
	for ix := 0; ix <= 7; ix++ {
		want := h.Contents[h.Bin(ix, 2, 0)] + h.Contents[h.Bin(ix, 3, 0)]
		wantE := h.Sumw2[h.Bin(ix, 2, 0)] + h.Sumw2[h.Bin(ix, 3, 0)]
		assert.InDelta(t, want, px.Contents[ix], tol)
		assert.InDelta(t, wantE, px.Sumw2[ix], tol)
		tot += want
	}
	// Part of the weight left out: statistics from the projected bins,
	// entries are the effective entries.
	var sw, swx float64
	for ix := 1; ix <= 6; ix++ {
		sw += px.Contents[ix]
		swx += px.Contents[ix] * px.X.BinCenter(ix)
	}
	assert.InDelta(t, swx/sw, px.Mean(0), 1e-9)
	assert.InDelta(t, px.EffectiveEntries(), px.Entries, 1e-9)
	assert.Less(t, px.Entries, h.Entries)

	// Without Sumw2 the entries are the rounded total content.
	u := random2D(t, ow.ClassTH2I, false)
	pu, err := u.ProjectionX("", 1, 1)
	require.NoError(t, err)
	var ut float64
	for _, c := range pu.Contents {
		ut += c
	}
	assert.Equal(t, math.Floor(ut+0.5), pu.Entries)
}

func TestProjectionInnerRangeReusesStats(t *testing.T) {
	h := random2D(t, ow.ClassTH2D, false)
	px, err := h.ProjectionX("", 1, 4) // in-range y bins: h's statistics
	require.NoError(t, err)
	assert.InDelta(t, h.Mean(0), px.Mean(0), tol)
	assert.NotEqual(t, h.Entries, px.Entries) // flows left out: entries recomputed
}

func TestProjectionUsesAxisRange(t *testing.T) {
	h := random2D(t, ow.ClassTH2D, false)
	h.Y.SetRange(2, 2)
	px, err := h.ProjectionX("") // (0,-1): last < first and a range is set
	require.NoError(t, err)
	for ix := 0; ix <= 7; ix++ {
		assert.Equal(t, h.Contents[h.Bin(ix, 2, 0)], px.Contents[ix])
	}
	// A range on the projected axis keeps only the bins in range.
	h.Y.SetRange(0, 0)
	h.X.SetRange(2, 4)
	h.X.Labels = []string{"a", "b", "c", "d", "e", "f"}
	h.X.Title = "x title"
	px, err = h.ProjectionX("")
	require.NoError(t, err)
	assert.Equal(t, 3, px.X.NBins)
	assert.Equal(t, 1.0, px.X.Min)
	assert.Equal(t, 4.0, px.X.Max)
	assert.Equal(t, []string{"b", "c", "d"}, px.X.Labels)
	assert.Equal(t, "x title", px.X.Title)
	assert.Zero(t, px.Contents[0])
	assert.Zero(t, px.Contents[4])
	var want float64
	for iy := 0; iy <= 5; iy++ {
		want += h.Contents[h.Bin(3, iy, 0)]
	}
	assert.Equal(t, want, px.Contents[2])
}

func TestProjectionVariableBins(t *testing.T) {
	ax, err := ow.NewAxisEdges([]float64{0, 1, 3, 7, 15})
	require.NoError(t, err)
	h := ow.MustNewHist(ow.ClassTH2D, "v", "", ax, ow.NewAxis(2, 0, 2))
	require.NoError(t, h.Fill(1, 5, 0.5))
	require.NoError(t, h.Fill(1, 5, 1.5))
	require.NoError(t, h.Fill(1, 0.5, 1.5))
	px, err := h.ProjectionX("")
	require.NoError(t, err)
	assert.Equal(t, ax.Edges, px.X.Edges)
	assert.Equal(t, 2.0, px.Contents[3])
	h.X.SetRange(2, 3)
	px, err = h.ProjectionX("")
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 3, 7}, px.X.Edges)
	assert.Equal(t, 2.0, px.Contents[2])
}

// random3D fills a 2x3x4 TH3, with fills outside the axes unless inRange.
func random3D(t testing.TB, inRange bool) *ow.Hist {
	t.Helper()
	h := ow.MustNewHist(ow.ClassTH3D, "h3", "cube", ow.NewAxis(2, 0, 2), ow.NewAxis(3, 0, 3), ow.NewAxis(4, 0, 4))
	r := rand.New(rand.NewPCG(3, 4))
	lo, ext := -0.2, 0.4
	if inRange {
		lo, ext = 0, 0
	}
	for i := 0; i < 300; i++ {
		require.NoError(t, h.Fill(1, r.Float64()*(2+ext)+lo, r.Float64()*(3+ext)+lo, r.Float64()*(4+ext)+lo))
	}
	return h
}

func TestProjection3DTo1D(t *testing.T) {
	h := random3D(t, false)
	pz, err := h.ProjectionZ("", 1, 1, 2, 3)
	require.NoError(t, err)
	assert.Equal(t, "h3_pz", pz.Name)
	for iz := 0; iz <= 5; iz++ {
		want := h.Contents[h.Bin(1, 2, iz)] + h.Contents[h.Bin(1, 3, iz)]
		assert.Equal(t, want, pz.Contents[iz])
	}
	in := random3D(t, true)
	px, err := in.ProjectionX("")
	require.NoError(t, err)
	assert.Equal(t, in.Entries, px.Entries)
	assert.InDelta(t, in.Mean(0), px.Mean(0), 1e-9)
	// Only the y pair given: z stays whole.
	py, err := h.ProjectionY("", 1, 2)
	require.NoError(t, err)
	var want float64
	for iz := 0; iz <= 5; iz++ {
		want += h.Contents[h.Bin(1, 2, iz)] + h.Contents[h.Bin(2, 2, iz)]
	}
	assert.Equal(t, want, py.Contents[2])

	p1, err := h.Project3D("y")
	require.NoError(t, err)
	full, err := h.ProjectionY("")
	require.NoError(t, err)
	assert.Equal(t, full.Contents, p1.Contents)
	assert.Equal(t, "h3_y", p1.Name)
}

func TestProject3DOrientation(t *testing.T) {
	h := random3D(t, true)
	flows := random3D(t, false)
	cases := []struct {
		opt        string
		xAxis, yAx int // original axes on the result's x and y
	}{
		{"xy", 1, 0}, {"yx", 0, 1}, {"xz", 2, 0}, {"zx", 0, 2}, {"yz", 2, 1}, {"zy", 1, 2},
	}
	nb := []int{2, 3, 4}
	for _, c := range cases {
		t.Run(c.opt, func(t *testing.T) {
			p, err := h.Project3D(c.opt)
			require.NoError(t, err)
			assert.Equal(t, ow.ClassTH2D, p.Class)
			assert.Equal(t, "h3_"+c.opt, p.Name)
			assert.Equal(t, "cube "+c.opt+" projection", p.Title)
			assert.Equal(t, nb[c.xAxis], p.X.NBins)
			assert.Equal(t, nb[c.yAx], p.Y.NBins)
			out := 3 - c.xAxis - c.yAx
			for i := 0; i < nb[c.xAxis]+2; i++ {
				for j := 0; j < nb[c.yAx]+2; j++ {
					var want float64
					for k := 0; k < nb[out]+2; k++ {
						var idx [3]int
						idx[c.xAxis], idx[c.yAx], idx[out] = i, j, k
						want += h.Contents[h.Bin(idx[0], idx[1], idx[2])]
					}
					assert.Equal(t, want, p.Contents[p.Bin(i, j, 0)])
				}
			}
			// Everything kept: statistics and entries are h's, mapped.
			assert.Equal(t, h.Entries, p.Entries)
			assert.InDelta(t, h.Mean(c.xAxis), p.Mean(0), 1e-9)
			assert.InDelta(t, h.Mean(c.yAx), p.Mean(1), 1e-9)
			assert.InDelta(t, h.StdDev(c.yAx), p.StdDev(1), 1e-9)

			// With flows the projected total differs from the stored sum of
			// weights: ROOT recomputes the statistics from the bins and sets
			// the entries to the rounded effective entries.
			f, err := flows.Project3D(c.opt)
			require.NoError(t, err)
			var sw, swx float64
			for i := 1; i <= f.X.NBins; i++ {
				for j := 1; j <= f.Y.NBins; j++ {
					c := f.Contents[f.Bin(i, j, 0)]
					sw += c
					swx += c * f.X.BinCenter(i)
				}
			}
			assert.InDelta(t, swx/sw, f.Mean(0), 1e-9)
			assert.Equal(t, math.Floor(sw+0.5), f.Entries)
		})
	}
}

func TestProject3DRangesAndFlows(t *testing.T) {
	h := random3D(t, false)
	p, err := h.Project3D("yx nuf nof")
	require.NoError(t, err)
	var tot float64
	for i := 0; i < 4; i++ {
		for j := 0; j < 5; j++ {
			var want float64
			for k := 1; k <= 4; k++ {
				want += h.Contents[h.Bin(i, j, k)]
			}
			assert.Equal(t, want, p.Contents[p.Bin(i, j, 0)])
			tot += want
		}
	}
	assert.NotEqual(t, h.Entries, p.Entries)
	assert.Equal(t, math.Floor(p.EffectiveEntries()+0.5), p.Entries)

	q, err := h.Project3D("yx", 2, 2)
	require.NoError(t, err)
	assert.Equal(t, h.Contents[h.Bin(1, 1, 2)], q.Contents[q.Bin(1, 1, 0)])

	h.Z.SetRange(3, 4)
	r, err := h.Project3D("yx")
	require.NoError(t, err)
	assert.Equal(t, h.Contents[h.Bin(1, 1, 3)]+h.Contents[h.Bin(1, 1, 4)], r.Contents[r.Bin(1, 1, 0)])
}

func TestProjectionErrors(t *testing.T) {
	h1 := ow.MustNewHist(ow.ClassTH1D, "h1", "", ow.NewAxis(3, 0, 3))
	_, err := h1.ProjectionX("")
	assert.Error(t, err)
	h2 := random2D(t, ow.ClassTH2D, false)
	_, err = h2.ProjectionZ("")
	assert.Error(t, err)
	_, err = h2.ProjectionX("", 1)
	assert.Error(t, err)
	_, err = h2.ProjectionX("", 1, 2, 3, 4)
	assert.Error(t, err)
	_, err = h2.Project3D("xy")
	assert.Error(t, err)
	h3 := random3D(t, false)
	for _, opt := range []string{"", "xx", "xyz", "q", "x y"} {
		_, err = h3.Project3D(opt)
		assert.Error(t, err, opt)
	}
	_, err = h3.Project3D("x", 1, 2)
	assert.Error(t, err)
	_, err = h3.Project3D("xy", 1, 2, 3, 4)
	assert.Error(t, err)
	p := ow.MustNewHist(ow.ClassTProfile2D, "p", "", ow.NewAxis(2, 0, 2), ow.NewAxis(2, 0, 2))
	_, err = p.ProjectionX("")
	assert.Error(t, err)
	bad := random2D(t, ow.ClassTH2D, false)
	bad.Contents = bad.Contents[:3]
	_, err = bad.ProjectionX("")
	assert.ErrorIs(t, err, ow.ErrIncompatible)
}
