package overwatch_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
)

func TestAxisFindBinUniform(t *testing.T) {
	a := ow.NewAxis(10, -1, 1)
	cases := []struct {
		x    float64
		want int
	}{
		{-1.5, 0}, {-1, 1}, {-0.8000001, 1}, {-0.5, 3}, {0, 6}, {0.999999, 10},
		{1, 11}, {7, 11}, {math.NaN(), 11}, {math.Inf(-1), 0}, {math.Inf(1), 11},
		{math.Nextafter(1, 0), 10}, // rounding at the upper edge stays in range
		{-0.8, 1},                  // as in ROOT: 10*(-0.8+1)/2 rounds to 0.99999…
	}
	for _, c := range cases {
		assert.Equal(t, c.want, a.FindBin(c.x), "x=%v", c.x)
	}
	assert.InDelta(t, -0.9, a.BinCenter(1), 1e-15)
	assert.InDelta(t, 0.2, a.BinWidth(3), 1e-15)
	assert.InDelta(t, -0.6, a.BinLowEdge(3), 1e-15)
	assert.InDelta(t, -0.4, a.BinUpEdge(3), 1e-15)
	assert.InDelta(t, 1.1, a.BinCenter(11), 1e-15, "overflow centre extrapolates")
	assert.False(t, a.IsVariable())
}

func TestAxisFindBinVariable(t *testing.T) {
	a, err := ow.NewAxisEdges([]float64{0, 1, 3, 7, 15})
	require.NoError(t, err)
	require.True(t, a.IsVariable())
	cases := []struct {
		x    float64
		want int
	}{
		{-0.1, 0}, {0, 1}, {0.99, 1}, {1, 2}, {2.5, 2}, {3, 3}, {6.999, 3}, {7, 4}, {14.9, 4}, {15, 5}, {100, 5},
		{math.NaN(), 5},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, a.FindBin(c.x), "x=%v", c.x)
	}
	assert.Equal(t, 2.0, a.BinCenter(2))
	assert.Equal(t, 4.0, a.BinWidth(3))
	assert.Equal(t, 7.0, a.BinLowEdge(4))
	assert.Equal(t, 15.0, a.BinUpEdge(4))
	assert.Equal(t, 0.0, a.Min)
	assert.Equal(t, 15.0, a.Max)

	for _, bad := range [][]float64{{1}, {0, 0}, {0, 2, 1}, {0, math.NaN()}, {math.Inf(-1), 0}} {
		_, err := ow.NewAxisEdges(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestAxisSameBinning(t *testing.T) {
	a := ow.NewAxis(10, 0, 1)
	b := ow.NewAxis(10, 0, 1+1e-12)
	c := ow.NewAxis(10, 0, 1.001)
	assert.True(t, a.SameBinning(&b))
	assert.False(t, a.SameBinning(&c))
	v, _ := ow.NewAxisEdges([]float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1})
	assert.True(t, a.SameBinning(&v), "equal edges, stored differently")
	w, _ := ow.NewAxisEdges([]float64{0, 0.1, 0.2, 0.3, 0.4, 0.55, 0.6, 0.7, 0.8, 0.9, 1})
	assert.False(t, a.SameBinning(&w))
}

func TestNewHistValidation(t *testing.T) {
	_, err := ow.NewHist("TH4F", "h", "", ow.NewAxis(1, 0, 1))
	assert.Error(t, err)
	_, err = ow.NewHist(ow.ClassTH2F, "h", "", ow.NewAxis(1, 0, 1))
	assert.Error(t, err)
	_, err = ow.NewHist(ow.ClassTH1F, "h", "", ow.NewAxis(0, 0, 1))
	assert.Error(t, err)
	_, err = ow.NewHist(ow.ClassTH1F, "h", "", ow.NewAxis(3, 1, 1))
	assert.Error(t, err)
	_, err = ow.NewHist(ow.ClassTH1F, "h", "", ow.NewAxis(3, 0, math.Inf(1)))
	assert.Error(t, err)
	assert.Panics(t, func() { ow.MustNewHist("nope", "h", "") })

	h := ow.MustNewHist(ow.ClassTH3S, "h", "t", ow.NewAxis(2, 0, 1), ow.NewAxis(3, 0, 1), ow.NewAxis(4, 0, 1))
	assert.Equal(t, 4*5*6, h.NCells())
	assert.Len(t, h.Contents, 120)
	assert.Nil(t, h.Sumw2)
	assert.Equal(t, "zaxis", h.Z.Name)
	assert.Equal(t, float64(ow.DefaultMinimum), h.Maximum)
	require.NoError(t, h.Validate())

	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 1))
	assert.Len(t, p.Sumw2, 4)
	assert.Len(t, p.BinEntries, 4)
	assert.True(t, p.IsProfile())
	assert.Equal(t, 1, p.Dim())
}

func TestBinIndexing(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH3D, "h", "", ow.NewAxis(2, 0, 2), ow.NewAxis(3, 0, 3), ow.NewAxis(4, 0, 4))
	seen := map[int]bool{}
	for iz := 0; iz <= 5; iz++ {
		for iy := 0; iy <= 4; iy++ {
			for ix := 0; ix <= 3; ix++ {
				b := h.Bin(ix, iy, iz)
				assert.Equal(t, ix+4*(iy+5*iz), b) // ROOT's global bin order
				x, y, z := h.BinXYZ(b)
				assert.Equal(t, [3]int{ix, iy, iz}, [3]int{x, y, z})
				inRange := ix >= 1 && ix <= 2 && iy >= 1 && iy <= 3 && iz >= 1 && iz <= 4
				assert.Equal(t, inRange, h.IsInRange(b))
				seen[b] = true
			}
		}
	}
	assert.Len(t, seen, h.NCells())
	assert.Equal(t, h.Bin(2, 1, 4), h.FindBin(1.5, 0.5, 3.5))
	assert.Equal(t, h.Bin(0, 4, 5), h.FindBin(-1, 9, 9))

	h1 := ow.MustNewHist(ow.ClassTH1C, "h", "", ow.NewAxis(5, 0, 5))
	assert.Equal(t, 3, h1.Bin(3, 7, 9), "y and z ignored in 1-D")
	assert.Equal(t, 3, h1.FindBin(2.5, 100, 100))
	x, y, z := h1.BinXYZ(6)
	assert.Equal(t, [3]int{6, 0, 0}, [3]int{x, y, z})
	h2 := ow.MustNewHist(ow.ClassTH2C, "h", "", ow.NewAxis(5, 0, 5), ow.NewAxis(2, 0, 2))
	assert.Equal(t, 3+7*2, h2.Bin(3, 2, 9))
}

func TestFillSemantics(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(4, 0, 4))
	require.NoError(t, h.Fill(1, 0.5))
	require.NoError(t, h.Fill(1, 9)) // overflow: an entry, no statistics
	assert.Equal(t, 2.0, h.Entries)
	assert.Equal(t, 1.0, h.Contents[5])
	assert.Equal(t, ow.Stats{Sumw: 1, Sumw2: 1, Sumwx: 0.5, Sumwx2: 0.25}, h.Stats)
	assert.Nil(t, h.Sumw2, "unit weights need no Sumw2")
	require.NoError(t, h.Fill(3, 0.5))
	require.NotNil(t, h.Sumw2, "a weight != 1 starts storing Sumw2")
	assert.Equal(t, []float64{0, 10, 0, 0, 0, 1}, h.Sumw2)
	assert.Equal(t, math.Sqrt(10), h.BinError(1))
	assert.Error(t, h.Fill(1, 1, 2))
	assert.Error(t, h.Fill(1))

	h2 := ow.MustNewHist(ow.ClassTH2F, "h", "", ow.NewAxis(2, 0, 2), ow.NewAxis(2, 0, 2))
	require.NoError(t, h2.Fill(2, 0.5, 1.5))
	assert.Equal(t, ow.Stats{Sumw: 2, Sumw2: 4, Sumwx: 1, Sumwx2: 0.5, Sumwy: 3, Sumwy2: 4.5, Sumwxy: 1.5}, h2.Stats)
	require.NoError(t, h2.Fill(1, 0.5, 7)) // y overflow: no statistics
	assert.Equal(t, 2.0, h2.Stats.Sumw)

	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	p.PMin, p.PMax = 0, 10
	require.NoError(t, p.Fill(1, 0.5, 4))
	require.NoError(t, p.Fill(1, 0.5, 11)) // outside [PMin, PMax]: rejected
	require.NoError(t, p.Fill(1, 0.5, math.NaN()))
	assert.Equal(t, 1.0, p.Entries)
	assert.Equal(t, 4.0, p.BinContent(1))
	assert.Equal(t, 1.0, p.BinEntries[1])
	assert.Nil(t, p.BinSumw2)
	require.NoError(t, p.Fill(2, 0.5, 6))
	require.NotNil(t, p.BinSumw2, "weighted profile fills store the bin sum of w²")
	assert.Equal(t, 5.0, p.BinSumw2[1])
}

func TestBinErrorModes(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1I, "h", "", ow.NewAxis(2, 0, 2))
	h.Contents[1] = -9
	assert.Equal(t, 3.0, h.BinError(1), "sqrt(|content|) without Sumw2")
	assert.Zero(t, h.BinError(-1))
	assert.Zero(t, h.BinError(99))
	assert.Zero(t, h.BinContent(99))

	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	for _, y := range []float64{1, 3, 5, 7} {
		require.NoError(t, p.Fill(1, 0.5, y))
	}
	spread := math.Sqrt((1+9+25+49)/4.0 - 16) // sqrt(5)
	modes := map[string]float64{"": spread / 2, "s": spread, "i": spread / 2, "g": 0.5}
	for mode, want := range modes {
		p.ErrorMode = mode
		assert.InDelta(t, want, p.BinError(1), 1e-12, "mode %q", mode)
	}
	p.ErrorMode = ""
	assert.Zero(t, p.BinError(2), "empty profile cell")
	require.NoError(t, p.Fill(1, 1.5, 2))
	p.ErrorMode = "i"
	assert.InDelta(t, 1/math.Sqrt(12), p.BinError(2), 1e-12, "zero spread with option i")
}

func TestAddSemantics(t *testing.T) {
	a := filled1D(t, ow.ClassTH1D, 1.5, 2.5)
	b := filled1D(t, ow.ClassTH1D, 2.5, 7.5, 20)
	a.Maximum = 3
	require.NoError(t, a.Add(b, 1))
	assert.Equal(t, 5.0, a.Entries)
	assert.Equal(t, 2.0, a.Contents[3])
	assert.Equal(t, 1.0, a.Contents[11])
	assert.InDelta(t, (1.5+2.5+2.5+7.5)/4, a.Mean(0), 1e-12)
	assert.Nil(t, a.Sumw2)
	assert.Equal(t, float64(ow.DefaultMinimum), a.Maximum, "Add clears Maximum")

	c := filled1D(t, ow.ClassTH1D, 1.5)
	require.NoError(t, c.Add(b, 2))
	require.NotNil(t, c.Sumw2)
	assert.Equal(t, 4.0, c.Sumw2[3], "errors scale with c")
	assert.Equal(t, 2.0, c.BinError(3))
	assert.Equal(t, 7.0, c.Entries)
	assert.InDelta(t, 5.0, c.Stats.Sumw, 1e-12)
	assert.InDelta(t, 9.0, c.Stats.Sumw2, 1e-12)

	// A subtraction recomputes the statistics from the bins.
	d := filled1D(t, ow.ClassTH1D, 1.5, 1.5, 2.5, 8.2)
	e := filled1D(t, ow.ClassTH1D, 1.5)
	require.NoError(t, d.Add(e, -1))
	assert.Equal(t, 1.0, d.Contents[2])
	assert.InDelta(t, (1.5+2.5+8.5)/3, d.Mean(0), 1e-12, "bin centres")
	assert.InDelta(t, d.EffectiveEntries(), d.Entries, 1e-12)

	// Statistics cleared by SetBinContent are recomputed before adding.
	f := ow.MustNewHist(ow.ClassTH1D, "h", "", ow.NewAxis(10, 0, 10))
	require.NoError(t, f.SetBinContent(3, 2))
	require.NoError(t, f.Add(filled1D(t, ow.ClassTH1D, 6.5), 1))
	assert.InDelta(t, (2*2.5+6.5)/3, f.Mean(0), 1e-12)

	// Incompatible: error, h unchanged.
	g := filled1D(t, ow.ClassTH1D, 1.5)
	other := ow.MustNewHist(ow.ClassTH1D, "o", "", ow.NewAxis(5, 0, 10))
	err := g.Add(other, 1)
	require.ErrorIs(t, err, ow.ErrIncompatible)
	assert.Equal(t, 1.0, g.Entries)
	assert.ErrorIs(t, g.Add(nil, 1), ow.ErrIncompatible)

	// Bin labels: a bin labelled differently on both sides is another bin.
	la := ow.MustNewHist(ow.ClassTH1D, "l", "", ow.NewAxis(3, 0, 3))
	la.X.Labels = []string{"a", "b", ""}
	lb := la.Clone()
	lb.X.Labels = []string{"a", "", "c"}
	assert.NoError(t, la.Compatible(lb), "unlabelled bins match anything")
	lb.X.Labels[0] = "z"
	assert.ErrorIs(t, la.Compatible(lb), ow.ErrIncompatible)

	// Profiles: TProfile::Add adds |c| times the counts.
	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	require.NoError(t, p.Fill(1, 0.5, 4))
	q := p.Clone()
	require.NoError(t, p.Add(q, -1))
	assert.Equal(t, 2.0, p.BinEntries[1])
	assert.Equal(t, 0.0, p.BinContent(1))
	assert.Equal(t, 2.0, p.Entries)
	r := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	require.NoError(t, r.Fill(2, 1.5, 1))
	s := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	require.NoError(t, s.Fill(1, 1.5, 4))
	require.NoError(t, s.Add(r, 1))
	assert.Equal(t, 2.0, s.BinContent(2))
	require.NotNil(t, s.BinSumw2)
	assert.Equal(t, 5.0, s.BinSumw2[2])
}

func TestScaleSemantics(t *testing.T) {
	h := filled1D(t, ow.ClassTH1F, 1.5, 2.5, 2.5)
	h.Contour = []float64{1, 2}
	h.Minimum = 0
	mean, sd := h.Mean(0), h.StdDev(0)
	h.Scale(0.5)
	assert.Equal(t, 1.0, h.Contents[3])
	assert.Equal(t, 0.5*math.Sqrt(2), h.BinError(3), "Sumw2 seeded with 2, times 0.25")
	assert.Equal(t, 3.0, h.Entries, "entries unchanged")
	assert.InDelta(t, mean, h.Mean(0), 1e-12)
	assert.InDelta(t, sd, h.StdDev(0), 1e-12)
	assert.InDelta(t, 3, h.EffectiveEntries(), 1e-12)
	assert.Equal(t, []float64{0.5, 1}, h.Contour)
	assert.Equal(t, float64(ow.DefaultMinimum), h.Minimum)

	u := filled1D(t, ow.ClassTH1D, 1.5)
	u.Scale(1)
	assert.Nil(t, u.Sumw2, "scaling by 1 needs no Sumw2")

	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	require.NoError(t, p.Fill(1, 0.5, 4))
	require.NoError(t, p.Fill(1, 0.5, 6))
	p.Scale(10)
	assert.Equal(t, 50.0, p.BinContent(1))
	assert.Equal(t, 2.0, p.BinEntries[1])
	assert.InDelta(t, 50, p.Mean(1), 1e-12)
	assert.InDelta(t, 10, p.StdDev(1), 1e-9)
}

func TestIntegralCloneValidate(t *testing.T) {
	h := filled1D(t, ow.ClassTH1D, -1, 0.5, 0.5, 3.5, 99)
	assert.Equal(t, 3.0, h.Integral(), "under/overflow excluded")
	h.X.SetRange(1, 2)
	assert.Equal(t, 2.0, h.Integral(), "axis range honoured")
	h.X.SetRange(0, 11)
	assert.Equal(t, 5.0, h.Integral(), "a range may include the flows")
	h.X.SetRange(0, 0)
	h2 := ow.MustNewHist(ow.ClassTH2D, "h2", "", ow.NewAxis(2, 0, 2), ow.NewAxis(2, 0, 2))
	require.NoError(t, h2.Fill(1, 0.5, 0.5))
	require.NoError(t, h2.Fill(1, 1.5, 1.5))
	require.NoError(t, h2.Fill(1, 1.5, 5))
	assert.Equal(t, 2.0, h2.Integral())
	h2.Y.SetRange(2, 2)
	assert.Equal(t, 1.0, h2.Integral())
	p := ow.MustNewHist(ow.ClassTProfile, "p", "", ow.NewAxis(2, 0, 2))
	require.NoError(t, p.Fill(1, 0.5, 4))
	require.NoError(t, p.Fill(1, 1.5, 6))
	assert.Equal(t, 10.0, p.Integral(), "profiles sum the bin means")

	h.X.Labels = make([]string, 10)
	h.Contour = []float64{1}
	c := h.Clone()
	c.Contents[1] = 42
	c.X.Labels[0] = "x"
	c.Contour[0] = 2
	assert.Equal(t, 2.0, h.Contents[1])
	assert.Equal(t, "", h.X.Labels[0])
	assert.Equal(t, 1.0, h.Contour[0])

	e := h.CloneEmpty()
	assert.Equal(t, h.X, e.X)
	assert.Zero(t, e.Entries)
	assert.Equal(t, ow.Stats{}, e.Stats)
	assert.Len(t, e.Contents, len(h.Contents))
	for _, v := range e.Contents {
		assert.Zero(t, v)
	}
	e.X.Labels[1] = "y"
	assert.Equal(t, "", h.X.Labels[1])

	bad := []func(h *ow.Hist){
		func(h *ow.Hist) { h.Class = "TH9" },
		func(h *ow.Hist) { h.Contents = h.Contents[1:] },
		func(h *ow.Hist) { h.Sumw2 = []float64{1} },
		func(h *ow.Hist) { h.X.Edges = []float64{0, 1} },
		func(h *ow.Hist) { h.X.Labels = []string{"a"} },
		func(h *ow.Hist) { h.X.NBins = 0 },
	}
	for i, mutate := range bad {
		b := filled1D(t, ow.ClassTH1D, 1)
		mutate(b)
		assert.Error(t, b.Validate(), "case %d", i)
	}
	u := filled1D(t, ow.ClassTH1D, 1.5, 1.5)
	u.EnableSumw2()
	assert.Equal(t, 2.0, u.Sumw2[2], "seeded from the contents")
	u.Sumw2[2] = 7
	u.EnableSumw2()
	assert.Equal(t, 7.0, u.Sumw2[2], "no-op when present")
}

// Fill accumulates as ROOT's storage types do (TH1x::AddBinContent).
func TestFillStorageTypes(t *testing.T) {
	cases := []struct {
		class string
		w     float64
		n     int
		want  float64
		start float64
	}{
		{ow.ClassTH1C, 1, 200, 127, 0},           // saturates at 127
		{ow.ClassTH1C, -1, 200, -127, 0},         // and at -127
		{ow.ClassTH2S, 1000, 40, 32767, 0},       // saturates at 32767
		{ow.ClassTH1I, 2.9, 3, 6, 0},             // Int_t(w) truncates
		{ow.ClassTH1I, -2.9, 3, -6, 0},           // towards zero
		{ow.ClassTH1I, 0.5, 10, 0, 0},            // weights below one add nothing
		{ow.ClassTH1F, 1, 5, 1 << 24, 1<<24 - 2}, // float32 stops counting at 2^24
		{ow.ClassTH1D, 0.1, 10, 0.1 * 10, 0},
	}
	for _, c := range cases {
		axes := []ow.Axis{ow.NewAxis(1, 0, 1)}
		if ow.ClassDim(c.class) == 2 {
			axes = append(axes, ow.NewAxis(1, 0, 1))
		}
		h := ow.MustNewHist(c.class, "h", "", axes...)
		xs := make([]float64, len(axes))
		for i := range xs {
			xs[i] = 0.5
		}
		b := h.FindBin(0.5, 0.5, 0)
		h.Contents[b] = c.start
		for i := 0; i < c.n; i++ {
			require.NoError(t, h.Fill(c.w, xs...))
		}
		assert.InDelta(t, c.want, h.Contents[b], 1e-9, "%s w=%v n=%d", c.class, c.w, c.n)
		if c.w != 1 {
			assert.InDelta(t, float64(c.n)*c.w*c.w, h.Sumw2[b], 1e-9*float64(c.n), "%s: Sumw2 is exact", c.class)
		}
		assert.Equal(t, float64(c.n), h.Entries)
	}
}
