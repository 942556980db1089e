package timeslice_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// fill fills h with the points (one coordinate list per fill, weight w).
func fill(t testing.TB, h *ow.Hist, w float64, pts ...[]float64) {
	t.Helper()
	for _, p := range pts {
		require.NoError(t, h.Fill(w, p...))
	}
}

func pts1(xs ...float64) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = []float64{x}
	}
	return out
}

func TestDiffIsTheWindowHistogram(t *testing.T) {
	first := pts1(1.5, 2.5, 2.5, 9.5, -3)
	window := pts1(4.5, 4.5, 5.5, 7.5, 12)

	earlier := ow.MustNewHist(ow.ClassTH1F, "h", "t", ow.NewAxis(10, 0, 10))
	fill(t, earlier, 1, first...)
	later := earlier.Clone()
	fill(t, later, 1, window...)
	only := ow.MustNewHist(ow.ClassTH1F, "h", "t", ow.NewAxis(10, 0, 10))
	fill(t, only, 1, window...)

	d, info, err := timeslice.Diff(later, earlier)
	require.NoError(t, err)
	assert.False(t, info.Reset)
	assert.Equal(t, -1, info.Cell)
	assert.Equal(t, only.Contents, d.Contents)
	assert.Nil(t, d.Sumw2, "no Sumw2 on either side: errors stay sqrt(content)")
	assert.InDelta(t, math.Sqrt(2), d.BinError(5), 1e-12)
	assert.Equal(t, only.Entries, d.Entries)
	assert.InDelta(t, only.Mean(0), d.Mean(0), 1e-12)
	assert.InDelta(t, only.StdDev(0), d.StdDev(0), 1e-12)
	assert.InDelta(t, only.MeanError(0), d.MeanError(0), 1e-12)
	// Inputs untouched.
	assert.Equal(t, 2.0, earlier.Contents[3])
	assert.Equal(t, 2.0, later.Contents[3])
}

func TestDiffUncertaintiesAreThoseOfTheWindow(t *testing.T) {
	earlier := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(4, 0, 4))
	fill(t, earlier, 2, pts1(0.5, 0.5)...) // sumw2 8 in bin 1
	later := earlier.Clone()
	fill(t, later, 3, pts1(0.5)...) // + 9
	d, _, err := timeslice.Diff(later, earlier)
	require.NoError(t, err)
	assert.Equal(t, 3.0, d.Contents[1])
	assert.Equal(t, 9.0, d.Sumw2[1])
	assert.Equal(t, 3.0, d.BinError(1)) // not sqrt(17+8) as TH1::Add(h,-1) would give
	assert.InDelta(t, 1, d.EffectiveEntries(), 1e-12)

	// Only the later snapshot stores Sumw2: the earlier one's is implied
	// by its contents (unit weights).
	e := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(4, 0, 4))
	fill(t, e, 1, pts1(0.5, 0.5, 0.5)...)
	l := e.Clone()
	fill(t, l, 2, pts1(0.5)...)
	require.NotNil(t, l.Sumw2)
	d, _, err = timeslice.Diff(l, e)
	require.NoError(t, err)
	assert.Equal(t, 2.0, d.Contents[1])
	assert.Equal(t, 4.0, d.Sumw2[1])
}

func TestDiffProfiles(t *testing.T) {
	earlier := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	fill(t, earlier, 1, []float64{0.5, 10}, []float64{0.5, 12})
	later := earlier.Clone()
	fill(t, later, 1, []float64{0.5, -4}, []float64{1.5, 7})
	d, info, err := timeslice.Diff(later, earlier)
	require.NoError(t, err)
	require.False(t, info.Reset, "a falling sum of y is not a reset")
	assert.Equal(t, -4.0, d.BinContent(1))
	assert.Equal(t, 1.0, d.BinEntries[1])
	assert.Equal(t, 7.0, d.BinContent(2))
	assert.InDelta(t, 1.5, d.Mean(1), 1e-12)
	assert.Equal(t, 2.0, d.Entries)

	p2 := ow.MustNewHist(ow.ClassTProfile2D, "p2", "", ow.NewAxis(2, 0, 2), ow.NewAxis(2, 0, 2))
	fill(t, p2, 2, []float64{0.5, 0.5, 3})
	p2l := p2.Clone()
	fill(t, p2l, 0.5, []float64{0.5, 0.5, 5})
	d, _, err = timeslice.Diff(p2l, p2)
	require.NoError(t, err)
	b := d.FindBin(0.5, 0.5, 0)
	assert.Equal(t, 5.0, d.BinContent(b))
	require.NotNil(t, d.BinSumw2)
	assert.Equal(t, 0.25, d.BinSumw2[b])
}

func TestDiffResetDetection(t *testing.T) {
	cases := []struct {
		name      string
		class     string
		mutate    func(later, earlier *ow.Hist)
		reset     bool
		cell      int
		clamped   int
		wantCount float64 // content of cell 3 of the result
	}{
		{"growth", ow.ClassTH1D, func(l, e *ow.Hist) { l.Contents[3] += 2; l.Entries += 2 }, false, -1, 0, 2},
		{"content down", ow.ClassTH1D, func(l, e *ow.Hist) { l.Contents[3] = e.Contents[3] - 1 }, true, 3, 0, 999},
		{"overflow down", ow.ClassTH1D, func(l, e *ow.Hist) { e.Contents[11] = 4 }, true, 11, 0, 1000},
		{"entries down", ow.ClassTH1D, func(l, e *ow.Hist) { e.Entries = l.Entries + 1 }, true, -1, 0, 1000},
		{"float32 rounding is not a reset", ow.ClassTH1F, func(l, e *ow.Hist) {
			e.Contents[3] = 1e6
			l.Contents[3] = float64(math.Nextafter32(1e6, 0))
		}, false, -1, 1, 0},
		{"the same decrease of a double is a reset", ow.ClassTH1D, func(l, e *ow.Hist) {
			e.Contents[3] = 1e6
			l.Contents[3] = float64(math.Nextafter32(1e6, 0))
		}, true, 3, 0, float64(math.Nextafter32(1e6, 0))},
		{"float32 decrease of one count", ow.ClassTH1F, func(l, e *ow.Hist) { l.Contents[3] = e.Contents[3] - 1 }, true, 3, 0, 999},
		{"NaN is not a reset", ow.ClassTH1D, func(l, e *ow.Hist) { l.Contents[3] = math.NaN() }, false, -1, 0, math.NaN()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := ow.MustNewHist(c.class, "h", "", ow.NewAxis(10, 0, 10))
			e.Contents[3] = 1000
			e.Entries = 1000
			l := e.Clone()
			c.mutate(l, e)
			d, info, err := timeslice.Diff(l, e)
			require.NoError(t, err)
			assert.Equal(t, c.reset, info.Reset)
			assert.Equal(t, c.cell, info.Cell)
			assert.Equal(t, c.clamped, info.Clamped)
			if c.reset {
				assert.NotEmpty(t, info.Reason)
				assert.Equal(t, l.Contents, d.Contents, "the later snapshot as it is")
				assert.Equal(t, l.Entries, d.Entries)
				assert.NotSame(t, l, d)
			}
			if math.IsNaN(c.wantCount) {
				assert.True(t, math.IsNaN(d.Contents[3]))
			} else {
				assert.Equal(t, c.wantCount, d.Contents[3])
			}
			for i, v := range d.Contents {
				assert.False(t, v < 0, "cell %d negative: %v", i, v)
			}
		})
	}

	// Profiles: the bin entries are the counts.
	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	fill(t, p, 1, []float64{0.5, 1}, []float64{1.5, 1})
	pl := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	fill(t, pl, 1, []float64{0.5, 1}, []float64{0.5, 1}, []float64{0.5, 1})
	_, info, err := timeslice.Diff(pl, p)
	require.NoError(t, err)
	assert.True(t, info.Reset)
	assert.Equal(t, 2, info.Cell)
}

func TestDiffErrors(t *testing.T) {
	a := ow.MustNewHist(ow.ClassTH1D, "a", "", ow.NewAxis(10, 0, 10))
	_, _, err := timeslice.Diff(nil, a)
	assert.ErrorIs(t, err, timeslice.ErrNoHist)
	_, _, err = timeslice.Diff(a, nil)
	assert.ErrorIs(t, err, timeslice.ErrNoHist)
	for _, other := range []*ow.Hist{
		ow.MustNewHist(ow.ClassTH1D, "b", "", ow.NewAxis(11, 0, 10)),
		ow.MustNewHist(ow.ClassTH1D, "b", "", ow.NewAxis(10, 0, 11)),
		ow.MustNewHist(ow.ClassTH2D, "b", "", ow.NewAxis(10, 0, 10), ow.NewAxis(1, 0, 1)),
		ow.MustNewHist(ow.ClassTProfile, "b", "", ow.NewAxis(10, 0, 10)),
	} {
		_, _, err = timeslice.Diff(a, other)
		assert.ErrorIs(t, err, ow.ErrIncompatible, other.Class)
	}
	bad := a.Clone()
	bad.Contents = bad.Contents[:5]
	_, _, err = timeslice.Diff(bad, a)
	assert.Error(t, err)
	_, _, err = timeslice.Diff(a, bad)
	assert.Error(t, err)
}

func TestSum(t *testing.T) {
	a := ow.MustNewHist(ow.ClassTH1I, "h", "", ow.NewAxis(4, 0, 4))
	fill(t, a, 1, pts1(0.5, 1.5)...)
	b := a.Clone()
	c := ow.MustNewHist(ow.ClassTH1I, "h", "", ow.NewAxis(4, 0, 4))
	fill(t, c, 2, pts1(3.5)...)
	s, err := timeslice.Sum(a, b, c)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 2, 2, 0, 2, 0}, s.Contents)
	assert.Equal(t, 5.0, s.Entries)
	assert.Equal(t, 4.0, s.Sumw2[4])
	assert.Equal(t, 1.0, a.Contents[1], "inputs untouched")

	one, err := timeslice.Sum(a)
	require.NoError(t, err)
	assert.Equal(t, a.Contents, one.Contents)
	assert.NotSame(t, a, one)

	_, err = timeslice.Sum()
	assert.ErrorIs(t, err, timeslice.ErrNoHist)
	_, err = timeslice.Sum(a, nil)
	assert.ErrorIs(t, err, timeslice.ErrNoHist)
	_, err = timeslice.Sum(a, ow.MustNewHist(ow.ClassTH1I, "h", "", ow.NewAxis(5, 0, 4)))
	assert.ErrorIs(t, err, ow.ErrIncompatible)
}

// classes lists every histogram class with its dimension.
var classes = []string{
	ow.ClassTH1C, ow.ClassTH1S, ow.ClassTH1I, ow.ClassTH1F, ow.ClassTH1D,
	ow.ClassTH2C, ow.ClassTH2S, ow.ClassTH2I, ow.ClassTH2F, ow.ClassTH2D,
	ow.ClassTH3C, ow.ClassTH3S, ow.ClassTH3I, ow.ClassTH3F, ow.ClassTH3D,
	ow.ClassTProfile, ow.ClassTProfile2D,
}

// randomAxes returns dim random axes, some with variable bins.
func randomAxes(r *rand.Rand, dim int) []ow.Axis {
	axes := make([]ow.Axis, dim)
	for i := range axes {
		n := 1 + r.IntN(6)
		lo := r.Float64()*10 - 5
		if r.IntN(2) == 0 {
			axes[i] = ow.NewAxis(n, lo, lo+1+r.Float64()*10)
			continue
		}
		edges := []float64{lo}
		for j := 0; j < n; j++ {
			edges = append(edges, edges[j]+0.1+r.Float64()*3)
		}
		a, err := ow.NewAxisEdges(edges)
		if err != nil {
			panic(err)
		}
		axes[i] = a
	}
	return axes
}

// randomFills fills h with random points (some outside the axes) and
// positive weights (unit weights unless weighted).
func randomFills(t testing.TB, r *rand.Rand, h *ow.Hist, weighted bool) {
	t.Helper()
	axes := []ow.Axis{h.X, h.Y, h.Z}
	n := r.IntN(40)
	for i := 0; i < n; i++ {
		var xs []float64
		for k := 0; k < h.Dim(); k++ {
			a := axes[k]
			w := a.Max - a.Min
			xs = append(xs, a.Min-0.1*w+r.Float64()*1.2*w)
		}
		if h.IsProfile() {
			xs = append(xs, r.NormFloat64()*5)
		}
		w := 1.0
		if weighted {
			w = 0.1 + 2*r.Float64()
		}
		require.NoError(t, h.Fill(w, xs...))
	}
	if r.IntN(4) == 0 {
		h.StatOverflows = 1
	}
}

// TestDiffOfSumProperty checks Diff(Add(a, b), a) == b for random
// histograms of every class.
func TestDiffOfSumProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 7))
	for iter := 0; iter < 60; iter++ {
		for _, class := range classes {
			dim := ow.ClassDim(class)
			axes := randomAxes(r, dim)
			a := ow.MustNewHist(class, "h", "", axes...)
			b := ow.MustNewHist(class, "h", "", axes...)
			so := int32(2)
			if r.IntN(3) == 0 {
				so = 1
			}
			a.StatOverflows, b.StatOverflows = so, so
			randomFills(t, r, a, r.IntN(2) == 0)
			randomFills(t, r, b, r.IntN(2) == 0)
			a.StatOverflows, b.StatOverflows = so, so
			sum := a.Clone()
			require.NoError(t, sum.Add(b, 1))

			d, info, err := timeslice.Diff(sum, a)
			require.NoError(t, err)
			require.False(t, info.Reset, "%s iteration %d: %s", class, iter, info.Reason)
			near := func(want, got float64, what string, args ...any) {
				t.Helper()
				assert.InDelta(t, want, got, 1e-9*(1+math.Abs(want)), append([]any{what + " (%s, iteration %d)"}, append(args, class, iter)...)...)
			}
			for i := range b.Contents {
				near(b.Contents[i], d.Contents[i], "content of cell %d", i)
				if !b.IsProfile() {
					near(b.BinError(i), d.BinError(i), "error of cell %d", i)
					continue
				}
				// Profile errors are a difference of nearly equal numbers
				// (sum w·y²/sum w - mean²): compare the arrays they come from.
				near(b.BinEntries[i], d.BinEntries[i], "bin entries of cell %d", i)
				near(b.Sumw2[i], d.Sumw2[i], "sum of w·y² of cell %d", i)
				bw2 := b.BinEntries[i]
				if b.BinSumw2 != nil {
					bw2 = b.BinSumw2[i]
				}
				dw2 := d.BinEntries[i]
				if d.BinSumw2 != nil {
					dw2 = d.BinSumw2[i]
				}
				near(bw2, dw2, "bin sum of w² of cell %d", i)
			}
			near(b.Entries, d.Entries, "entries")
			bs, ds := b.Stats, d.Stats
			for _, f := range []struct {
				name      string
				want, got float64
			}{
				{"sumw", bs.Sumw, ds.Sumw}, {"sumw2", bs.Sumw2, ds.Sumw2},
				{"sumwx", bs.Sumwx, ds.Sumwx}, {"sumwx2", bs.Sumwx2, ds.Sumwx2},
				{"sumwy", bs.Sumwy, ds.Sumwy}, {"sumwy2", bs.Sumwy2, ds.Sumwy2}, {"sumwxy", bs.Sumwxy, ds.Sumwxy},
				{"sumwz", bs.Sumwz, ds.Sumwz}, {"sumwz2", bs.Sumwz2, ds.Sumwz2},
				{"sumwxz", bs.Sumwxz, ds.Sumwxz}, {"sumwyz", bs.Sumwyz, ds.Sumwyz},
			} {
				near(f.want, f.got, f.name)
			}
			for axis := 0; axis <= dim; axis++ {
				near(b.Mean(axis), d.Mean(axis), "mean %d", axis)
				// The variance, not its square root, which magnifies the
				// rounding of a vanishing variance.
				v, m := b.StdDev(axis), b.Mean(axis)
				assert.InDelta(t, v*v, d.StdDev(axis)*d.StdDev(axis), 1e-9*(1+v*v+m*m), "variance %d (%s, iteration %d)", axis, class, iter)
			}
		}
	}
}
