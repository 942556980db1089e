package quality_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// The histograms of ROOT's tutorials/math/chi2test.C (N. Gagunashvili,
// D. Haertl, L. Moneta), the example of TH1::Chi2Test's documentation in
// hist/hist/src/TH1.cxx ("Numerical examples"): an unweighted histogram of
// 200 events (217 with w=17 added to bin 15) and a weighted one of 500.
var (
	gagunashviliUnweighted = []float64{0, 1, 0, 1, 1, 6, 7, 2, 22, 30, 27, 20, 13, 9, 9, 13, 19, 11, 9, 0}
	gagunashviliWeighted   = []float64{2.20173025, 3.30143857, 2.5892849, 2.99990201, 4.92877054, 8.33036995,
		6.95084763, 15.206357, 23.9236012, 44.3848114, 49.4465599, 25.1868858, 16.3129692, 13.0289612,
		16.7857609, 22.9914703, 30.5279255, 12.5252123, 16.4104557, 7.86067867}
	gagunashviliErrors = []float64{0.38974303, 0.536510944, 0.529702604, 0.642001867, 0.969341516, 1.47611344,
		1.69797957, 3.28577447, 5.40784931, 9.10106468, 9.73541737, 5.55019951, 3.57914758, 2.77877331,
		3.23697519, 4.3608489, 5.77172089, 3.38666105, 2.98861837, 1.58402085}
)

func gagunashvili(t testing.TB, w float64) (h1, h2 *ow.Hist) {
	h1 = ow.MustNewHist(ow.ClassTH1D, "h1", "Unweighted Histogram", ow.NewAxis(20, 4, 16))
	h2 = ow.MustNewHist(ow.ClassTH1D, "h2", "Weighted Histogram", ow.NewAxis(20, 4, 16))
	for i := range 20 {
		c := gagunashviliUnweighted[i]
		if i == 14 {
			c += w
		}
		require.NoError(t, h1.SetBinContent(i+1, c))
		require.NoError(t, h2.SetBinContent(i+1, gagunashviliWeighted[i]))
		require.NoError(t, h2.SetBinError(i+1, gagunashviliErrors[i]))
	}
	h1.Entries, h2.Entries = 217, 500
	return h1, h2
}

// TestChi2TestGagunashvili reproduces the numbers TH1::Chi2Test's
// documentation gives for its example: "The value of the test statistic χ²
// is equal to 21.09 with p-value equal to 0.33" and, with 17 events added
// to bin 15, "32.33 with p-value equal to 0.029" (ROOT's TH1.cxx, section
// "Numerical examples", macro tutorials/math/chi2test.C with option "UW").
func TestChi2TestGagunashvili(t *testing.T) {
	for _, tc := range []struct {
		w          float64
		chi2, prob float64
		probTol    float64
	}{
		{0, 21.09, 0.33, 0.005},
		{17, 32.33, 0.029, 0.0005},
	} {
		h1, h2 := gagunashvili(t, tc.w)
		r, err := quality.Chi2Test(h1, h2, "UW P")
		require.NoError(t, err)
		assert.Equal(t, "UW", r.Mode)
		assert.Equal(t, 19, r.NDF, "20 bins, none empty in both")
		assert.InDelta(t, tc.chi2, r.Chi2, 0.005, "w=%v", tc.w)
		assert.InDelta(t, tc.prob, r.PValue, tc.probTol, "w=%v", tc.w)
		// h1 has bins with fewer than one event, h2 bins with fewer than 10
		// effective events (bin 1: 2.2²/0.39² = 31.9 ... none): igood 1.
		assert.Equal(t, 1, r.IGood&1)
		assert.InDelta(t, r.Chi2/19, r.Chi2NDF(), 1e-12)
	}
}

// TestKolmogorovProbTable checks TMath::KolmogorovProb against Smirnov's
// tabulated Kolmogorov distribution K(z) = 1 − Q(z) (as quoted by
// Distributions.jl's test of its Kolmogorov distribution): K(0.5) =
// 0.036055, K(1.0) = 0.730000, K(1.5) = 0.977782, K(2.0) = 0.999329; and
// ROOT's branches (1 below 0.2, 0 from 6.8116 on).
func TestKolmogorovProbTable(t *testing.T) {
	for _, tc := range []struct{ z, k float64 }{
		{0.5, 0.036055}, {1.0, 0.730000}, {1.01, 0.740566}, {1.5, 0.977782}, {2.0, 0.999329},
	} {
		assert.InDelta(t, 1-tc.k, quality.KolmogorovProb(tc.z), 1e-6, "z=%v", tc.z)
	}
	assert.Equal(t, 1.0, quality.KolmogorovProb(0.1))
	assert.Equal(t, 0.0, quality.KolmogorovProb(7))
	assert.Equal(t, quality.KolmogorovProb(1.2), quality.KolmogorovProb(-1.2))
}

// TestKolmogorovTestNote3 reproduces the figure of NOTE3 of
// TH1::KolmogorovTest's documentation (Jan Conrad, Fred James, in ROOT's
// hist/hist/src/TH1.cxx): "when comparing two uniform distributions of 500
// events in 100 bins, the values of PROB, instead of being exactly
// uniformly distributed between zero and one, have a mean value of about
// 0.56".
func TestKolmogorovTestNote3(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 56))
	const pairs = 4000
	sum := 0.0
	for range pairs {
		h1 := ow.MustNewHist(ow.ClassTH1D, "u1", "", ow.NewAxis(100, 0, 1))
		h2 := ow.MustNewHist(ow.ClassTH1D, "u2", "", ow.NewAxis(100, 0, 1))
		for range 500 {
			_ = h1.Fill(1, rng.Float64())
			_ = h2.Fill(1, rng.Float64())
		}
		r, err := quality.KolmogorovTest(h1, h2, "")
		require.NoError(t, err)
		sum += r.Prob
	}
	mean := sum / pairs
	// Independent runs of the same experiment (4000 pairs, other seeds, a
	// NumPy transcription) give means between 0.557 and 0.575: "about 0.56"
	// is tested as 0.56 ± 0.025, well away from the 0.5 of an unbinned test.
	assert.InDelta(t, 0.56, mean, 0.025, "mean PROB %v", mean)
}

func hist1(t testing.TB, name string, contents ...float64) *ow.Hist {
	h := ow.MustNewHist(ow.ClassTH1D, name, "", ow.NewAxis(len(contents), 0, float64(len(contents))))
	for i, c := range contents {
		require.NoError(t, h.SetBinContent(i+1, c))
	}
	h.Entries = 0
	for _, c := range contents {
		h.Entries += c
	}
	return h
}

func TestKolmogorovTestOptions(t *testing.T) {
	a := hist1(t, "a", 10, 20, 30, 40)
	b := hist1(t, "b", 40, 30, 20, 10)
	r, err := quality.KolmogorovTest(a, b, "")
	require.NoError(t, err)
	// cumulative: a 0.1 0.3 0.6 1.0, b 0.4 0.7 0.9 1.0 → D = 0.4 at bin 2.
	assert.InDelta(t, 0.4, r.MaxDist, 1e-12)
	assert.InDelta(t, 0.4*math.Sqrt(100*100/200.0), r.Z, 1e-12)
	assert.InDelta(t, quality.KolmogorovProb(r.Z), r.Prob, 0)
	assert.InDelta(t, 100.0, r.ESum1, 1e-9)

	// U and O: under/overflow content enters the sums only with the option.
	a.Contents[0], b.Contents[5] = 100, 100
	r0, err := quality.KolmogorovTest(a, b, "M")
	require.NoError(t, err)
	assert.InDelta(t, 0.4, r0.MaxDist, 1e-12, "flows ignored by default")
	ru, err := quality.KolmogorovTest(a, b, "UO")
	require.NoError(t, err)
	// a: 100 10 20 30 40 0 (sum 200) cum .5 .55 .65 .8 1 1; b: 0 40 30 20 10 100 (sum 200) cum 0 .2 .35 .45 .5 1
	assert.InDelta(t, 0.5, ru.MaxDist, 1e-12)

	// N: same normalisation gives ProbNorm 1 and Prob = p(1 − ln p).
	c := hist1(t, "c", 10, 20, 30, 40)
	d := hist1(t, "d", 12, 18, 33, 37)
	rn, err := quality.KolmogorovTest(c, d, "N")
	require.NoError(t, err)
	assert.InDelta(t, 1, rn.ProbNorm, 1e-12)
	assert.InDelta(t, rn.ProbShape*(1-math.Log(rn.ProbShape)), rn.Prob, 1e-12)
	// Different normalisations lower it.
	e := hist1(t, "e", 20, 40, 60, 80)
	rn2, err := quality.KolmogorovTest(c, e, "N")
	require.NoError(t, err)
	assert.InDelta(t, 1, rn2.ProbShape, 1e-12, "same shape")
	assert.Less(t, rn2.ProbNorm, 0.01)
	assert.Less(t, rn2.Prob, 0.1)

	// X: pseudo-experiments; identical shapes never exceed a zero distance
	// by much, very different shapes are never reached.
	rx, err := quality.KolmogorovTest(c, d, "X=200")
	require.NoError(t, err)
	assert.Equal(t, 200, rx.Toys)
	assert.Greater(t, rx.ProbToys, 0.5)
	rx2, err := quality.KolmogorovTest(a, b, "X")
	require.NoError(t, err)
	assert.Equal(t, 1000, rx2.Toys)
	assert.Less(t, rx2.ProbToys, 0.01)
	rx3, err := quality.KolmogorovTest(c, d, "X=200")
	require.NoError(t, err)
	assert.Equal(t, rx.ProbToys, rx3.ProbToys, "fixed seed: reproducible")
}

func TestStatTestErrors(t *testing.T) {
	a := hist1(t, "a", 1, 2, 3)
	b := hist1(t, "b", 1, 2, 3, 4)
	empty := hist1(t, "z", 0, 0, 0)
	h2 := ow.MustNewHist(ow.ClassTH2D, "h2", "", ow.NewAxis(3, 0, 3), ow.NewAxis(2, 0, 2))
	shifted := ow.MustNewHist(ow.ClassTH1D, "s", "", ow.NewAxis(3, 1, 4))

	for _, o := range []*ow.Hist{b, h2, shifted, nil} {
		_, err := quality.Chi2Test(a, o, "UU")
		assert.ErrorIs(t, err, ow.ErrIncompatible)
		_, err = quality.KolmogorovTest(a, o, "")
		assert.ErrorIs(t, err, ow.ErrIncompatible)
	}
	_, err := quality.KolmogorovTest(h2, h2, "")
	assert.ErrorIs(t, err, ow.ErrIncompatible, "KS is 1-D only")
	broken := a.Clone()
	broken.Contents = broken.Contents[:2]
	_, err = quality.Chi2Test(broken, a, "")
	assert.ErrorIs(t, err, ow.ErrIncompatible)
	_, err = quality.KolmogorovTest(a, broken, "")
	assert.ErrorIs(t, err, ow.ErrIncompatible)

	for _, opt := range []string{"UU", "UW", "WW", ""} {
		_, err = quality.Chi2Test(a, empty, opt)
		assert.ErrorIs(t, err, quality.ErrEmpty, opt)
		_, err = quality.Chi2Test(empty, a, opt)
		assert.ErrorIs(t, err, quality.ErrEmpty, opt)
	}
	// NORM: ROOT refuses all-zero errors before looking at the contents.
	_, err = quality.Chi2Test(a, empty, "UU NORM")
	assert.ErrorIs(t, err, quality.ErrUndefined)
	_, err = quality.KolmogorovTest(empty, a, "")
	assert.ErrorIs(t, err, quality.ErrEmpty)
	_, err = quality.KolmogorovTest(a, empty, "")
	assert.ErrorIs(t, err, quality.ErrEmpty)

	// Zero errors on both: undefined.
	za, zb := a.Clone(), a.Clone()
	za.Sumw2, zb.Sumw2 = make([]float64, 5), make([]float64, 5)
	_, err = quality.KolmogorovTest(za, zb, "")
	assert.ErrorIs(t, err, quality.ErrUndefined)
	_, err = quality.Chi2Test(za, zb, "WW")
	assert.ErrorIs(t, err, quality.ErrUndefined)
	_, err = quality.Chi2Test(za, zb, "UU NORM")
	assert.ErrorIs(t, err, quality.ErrUndefined)
}

func TestChi2TestModes(t *testing.T) {
	a := hist1(t, "a", 10, 0, 30, 40, 5)
	b := hist1(t, "b", 12, 0, 27, 45, 0)
	r, err := quality.Chi2Test(a, b, "")
	require.NoError(t, err)
	assert.Equal(t, "UU", r.Mode, "deduced: both unweighted")
	assert.Equal(t, 3, r.NDF, "5 bins, one empty in both")
	assert.Equal(t, 2, r.IGood, "h2 has a bin with fewer than 1 event")
	// Hand formula: X² = 1/(MN) Σ (M n − N m)²/(n + m), N = 85, M = 84.
	n, m := []float64{10, 30, 40, 5}, []float64{12, 27, 45, 0}
	want := 0.0
	for i := range n {
		d := 84*n[i] - 85*m[i]
		want += d * d / (n[i] + m[i])
	}
	want /= 85 * 84
	assert.InDelta(t, want, r.Chi2, 1e-12)

	// NORM: scaled unweighted histograms give back the counts' statistic.
	as, bs := a.Clone(), b.Clone()
	as.EnableSumw2()
	bs.EnableSumw2()
	as.Scale(0.5)
	bs.Scale(3)
	rn, err := quality.Chi2Test(as, bs, "UU NORM")
	require.NoError(t, err)
	assert.InDelta(t, r.Chi2, rn.Chi2, 1e-9)
	assert.Equal(t, r.NDF, rn.NDF)

	// A weighted histogram is deduced as WW; WW of a histogram with itself
	// scaled is χ² 0, p-value 1.
	w := a.Clone()
	w.EnableSumw2()
	w.Scale(2.5)
	rw, err := quality.Chi2Test(w, w.Clone(), "")
	require.NoError(t, err)
	assert.Equal(t, "WW", rw.Mode)
	assert.InDelta(t, 0, rw.Chi2, 1e-12)
	assert.Equal(t, 1.0, rw.PValue)

	// UF/OF add the flows to the compared cells.
	a.Contents[0], b.Contents[0] = 3, 4
	ru, err := quality.Chi2Test(a, b, "UU UF OF")
	require.NoError(t, err)
	assert.Equal(t, 4, ru.NDF, "7 cells, overflow and bin 2 empty in both")

	// An axis range restricts the test.
	a.X.SetRange(3, 4)
	rr, err := quality.Chi2Test(a, b, "UU")
	require.NoError(t, err)
	assert.Equal(t, 1, rr.NDF)
}

func TestKolmogorovToysAreBounded(t *testing.T) {
	a := hist1(t, "a", 1e5, 2e5, 3e5)
	b := hist1(t, "b", 1e5, 2e5, 3.1e5)
	r, err := quality.KolmogorovTest(a, b, "X=100000")
	require.NoError(t, err)
	assert.Equal(t, 8, r.Toys, "1e7 events / 1.21e6 per toy")
	assert.Less(t, r.ProbToys, 0.5, "a 1.6%% shape difference over 6e5 events is significant")
}
