package quality_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

func mustCheck(t testing.TB, name string, params map[string]any) quality.Check {
	t.Helper()
	c, err := quality.New(ow.CheckSpec{Hist: "*", Check: name, Params: params})
	require.NoError(t, err)
	require.Equal(t, name, c.Name())
	return c
}

func flat(t testing.TB, name string, n int, v float64) *ow.Hist {
	c := make([]float64, n)
	for i := range c {
		c[i] = v
	}
	return hist1(t, name, c...)
}

func with(h *ow.Hist, bin int, v float64) *ow.Hist {
	h = h.Clone()
	h.Contents[bin] = v
	return h
}

func map2(t testing.TB, nx, ny int, v float64) *ow.Hist {
	h := ow.MustNewHist(ow.ClassTH2D, "map", "", ow.NewAxis(nx, 0, float64(nx)), ow.NewAxis(ny, 0, float64(ny)))
	for iy := 1; iy <= ny; iy++ {
		for ix := 1; ix <= nx; ix++ {
			require.NoError(t, h.SetBinContent(h.Bin(ix, iy, 0), v))
		}
	}
	h.Entries = v * float64(nx*ny)
	return h
}

// TestChecks is the table of every check's rules and edge cases.
func TestChecks(t *testing.T) {
	base := flat(t, "h", 10, 100)
	empty := flat(t, "e", 10, 0)
	gauss := hist1(t, "g", 1, 5, 20, 50, 80, 80, 50, 20, 5, 1)
	other := hist1(t, "o", 80, 50, 20, 5, 1, 1, 5, 20, 50, 80)
	h3 := ow.MustNewHist(ow.ClassTH3D, "h3", "", ow.NewAxis(2, 0, 2), ow.NewAxis(2, 0, 2), ow.NewAxis(2, 0, 2))
	wide := flat(t, "w", 12, 100)
	few := with(base, 1, 100)
	few.Entries = 3

	type tc struct {
		name   string
		check  string
		params map[string]any
		h, ref *ow.Hist
		want   ow.Quality
		reason string // substring of the reason
		bins   []int
		err    error
	}
	for _, c := range []tc{
		// Chi2Test
		{name: "chi2 same", check: "Chi2Test", h: gauss, ref: gauss.Clone(), want: ow.QualityGood, reason: "p-value 1"},
		{name: "chi2 different", check: "Chi2Test", h: gauss, ref: other, want: ow.QualityBad},
		{name: "chi2 no reference", check: "Chi2Test", h: gauss, want: ow.QualityNull, reason: quality.ReasonNoReference},
		{name: "chi2 empty", check: "Chi2Test", h: empty, ref: gauss, want: ow.QualityNull, reason: quality.ReasonEmpty},
		{name: "chi2 minstat", check: "Chi2Test", params: map[string]any{"MinStat": 10}, h: few, ref: base, want: ow.QualityNull, reason: quality.ReasonInsufficient},
		{name: "chi2 binning", check: "Chi2Test", h: gauss, ref: wide, err: ow.ErrIncompatible},
		{name: "chi2 medium", check: "Chi2Test", params: map[string]any{"PValueBad": 0.0, "PValueMedium": 1}, h: gauss, ref: with(gauss, 3, 30), want: ow.QualityMedium},
		// KolmogorovTest
		{name: "ks same", check: "KolmogorovTest", h: gauss, ref: gauss.Clone(), want: ow.QualityGood},
		{name: "ks different", check: "KolmogorovTest", h: gauss, ref: other, want: ow.QualityBad},
		{name: "ks maxdist", check: "KolmogorovTest", params: map[string]any{"MaxDist": 0.001, "PValueBad": 0.0, "PValueMedium": 0.0}, h: gauss, ref: with(gauss, 3, 30), want: ow.QualityBad, reason: "exceeds"},
		{name: "ks 2D", check: "KolmogorovTest", h: map2(t, 3, 3, 1), ref: map2(t, 3, 3, 1), err: ow.ErrIncompatible},
		{name: "ks empty ref", check: "KolmogorovTest", h: gauss, ref: empty, want: ow.QualityNull, reason: quality.ReasonEmpty},
		// BinByBin
		{name: "bbb same shape", check: "BinByBin", params: map[string]any{"MaxDiffRel": 0.1}, h: base, ref: flat(t, "r", 10, 50), want: ow.QualityGood},
		{name: "bbb one bin", check: "BinByBin", params: map[string]any{"MaxDiffRel": 0.1}, h: with(base, 4, 200), ref: base, want: ow.QualityBad, bins: []int{4}},
		{name: "bbb abs and rel", check: "BinByBin", params: map[string]any{"MaxDiffRel": 0.1, "MaxDiffAbs": 50, "Normalize": false}, h: with(with(base, 4, 140), 5, 200), ref: base, want: ow.QualityBad, bins: []int{5}},
		{name: "bbb sigma", check: "BinByBin", params: map[string]any{"NSigma": 3, "Normalize": false}, h: with(with(base, 2, 120), 7, 160), ref: base, want: ow.QualityBad, bins: []int{7}},
		{name: "bbb green", check: "BinByBin", params: map[string]any{"MaxDiffRel": 0.1, "Normalize": false, "NBinsGreen": 1, "NBinsRed": 3}, h: with(base, 4, 200), ref: base, want: ow.QualityGood},
		{name: "bbb medium", check: "BinByBin", params: map[string]any{"MaxDiffRel": 0.1, "Normalize": false, "NBinsGreen": 1, "NBinsRed": 3}, h: with(with(base, 4, 200), 6, 0), ref: base, want: ow.QualityMedium, bins: []int{4, 6}},
		{name: "bbb empty ref", check: "BinByBin", params: map[string]any{"MaxDiffRel": 0.1}, h: base, ref: empty, want: ow.QualityNull, reason: "empty reference"},
		{name: "bbb empty", check: "BinByBin", params: map[string]any{"MaxDiffRel": 0.1}, h: empty, ref: base, want: ow.QualityNull, reason: quality.ReasonEmpty},
		{name: "bbb binning", check: "BinByBin", params: map[string]any{"MaxDiffRel": 0.1}, h: base, ref: wide, err: ow.ErrIncompatible},
		// Bins_Diff_FromAvg
		{name: "bdfa flat", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3}, h: base, want: ow.QualityGood, reason: "average 100"},
		{name: "bdfa hot bin", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3}, h: with(base, 3, 400), want: ow.QualityBad, bins: []int{3}},
		{name: "bdfa both sides", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3}, h: with(with(base, 3, 400), 8, 20), want: ow.QualityBad, bins: []int{3, 8}},
		{name: "bdfa greater", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3, "GreaterThan": true}, h: with(with(base, 3, 400), 8, 20), want: ow.QualityBad, bins: []int{3}},
		{name: "bdfa less", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3, "LessThan": 1}, h: with(with(base, 3, 400), 8, 20), want: ow.QualityBad, bins: []int{8}},
		{name: "bdfa both flags = both sides", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3, "LessThan": true, "GreaterThan": true}, h: with(with(base, 3, 400), 8, 20), want: ow.QualityBad, bins: []int{3, 8}},
		{name: "bdfa ignoreval", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3, "ignoreval": 400}, h: with(base, 3, 400), want: ow.QualityGood},
		{name: "bdfa maxdiffabs", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3, "MaxDiffAbs": 500}, h: with(base, 3, 400), want: ow.QualityGood},
		{name: "bdfa maxdiffrel", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3, "MaxDiffRel": 5}, h: with(base, 3, 400), want: ow.QualityGood},
		{name: "bdfa minstat", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3, "MinStat": 10}, h: few, want: ow.QualityNull, reason: "insufficient entries"},
		{name: "bdfa empty", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3}, h: empty, want: ow.QualityNull, reason: "non-zero error"},
		{name: "bdfa 3D", check: "Bins_Diff_FromAvg", params: map[string]any{"NSigma": 3}, h: h3, err: ow.ErrIncompatible},
		// Mean / StdDev
		{name: "mean in", check: "MeanInRange", params: map[string]any{"Min": 4, "Max": 6}, h: gauss, want: ow.QualityGood},
		{name: "mean out", check: "MeanInRange", params: map[string]any{"Min": 0, "Max": 4}, h: gauss, want: ow.QualityBad, reason: "outside"},
		{name: "mean empty", check: "MeanInRange", params: map[string]any{"Min": 0, "Max": 4}, h: empty, want: ow.QualityNull, reason: quality.ReasonEmpty},
		{name: "mean axis", check: "MeanInRange", params: map[string]any{"Min": 0, "Max": 4, "Axis": 1}, h: gauss, err: ow.ErrIncompatible},
		{name: "stddev in", check: "StdDevInRange", params: map[string]any{"Min": 1, "Max": 2}, h: gauss, want: ow.QualityGood},
		{name: "stddev out", check: "StdDevInRange", params: map[string]any{"Min": 2, "Max": 3}, h: gauss, want: ow.QualityBad},
		// MinEntries
		{name: "entries ok", check: "MinEntries", params: map[string]any{"Min": 1000}, h: base, want: ow.QualityGood},
		{name: "entries few", check: "MinEntries", params: map[string]any{"Min": 1001}, h: base, want: ow.QualityBad, reason: "fewer than"},
		{name: "entries empty", check: "MinEntries", params: map[string]any{"Min": 1}, h: empty, want: ow.QualityBad},
		// EmptyBinsFraction
		{name: "empty frac ok", check: "EmptyBinsFraction", params: map[string]any{"MaxFraction": 0.1}, h: with(base, 2, 0), want: ow.QualityGood},
		{name: "empty frac bad", check: "EmptyBinsFraction", params: map[string]any{"MaxFraction": 0.1}, h: with(with(base, 2, 0), 3, 0), want: ow.QualityBad},
		{name: "empty frac medium", check: "EmptyBinsFraction", params: map[string]any{"MaxFraction": 0.5, "MediumFraction": 0.1}, h: with(with(base, 2, 0), 3, 0), want: ow.QualityMedium},
		{name: "empty frac all", check: "EmptyBinsFraction", params: map[string]any{"MaxFraction": 0.5}, h: empty, want: ow.QualityBad, reason: "10 of 10"},
		// Dead / hot channels
		{name: "dead none", check: "DeadChannels", h: base, want: ow.QualityGood},
		{name: "dead one", check: "DeadChannels", h: with(base, 5, 0), want: ow.QualityBad, bins: []int{5}},
		{name: "dead low", check: "DeadChannels", h: with(with(base, 5, 5), 9, 50), want: ow.QualityBad, bins: []int{5}},
		{name: "dead edge", check: "DeadChannels", h: with(base, 1, 0), want: ow.QualityBad, bins: []int{1}},
		{name: "dead low stat not judged", check: "DeadChannels", h: with(flat(t, "l", 10, 2), 5, 0), want: ow.QualityGood, reason: "of 0 judged"},
		{name: "dead 2D", check: "DeadChannels", params: map[string]any{"Radius": 1}, h: with(map2(t, 6, 5, 50), 3+8*2, 0), want: ow.QualityBad, bins: []int{3 + 8*2}},
		{name: "dead 3D", check: "DeadChannels", h: h3, err: ow.ErrIncompatible},
		{name: "hot none", check: "HotChannels", h: base, want: ow.QualityGood},
		{name: "hot one", check: "HotChannels", h: with(base, 7, 5000), want: ow.QualityBad, bins: []int{7}},
		{name: "hot in empty region", check: "HotChannels", h: with(empty, 7, 11), want: ow.QualityBad, bins: []int{7}},
		{name: "hot 2D", check: "HotChannels", params: map[string]any{"Radius": 1, "HotFactor": 3}, h: with(map2(t, 6, 5, 50), 4+8*3, 151), want: ow.QualityBad, bins: []int{4 + 8*3}},
		{name: "hot empty", check: "HotChannels", h: empty, want: ow.QualityGood},
		// Broken histograms are errors, never panics.
		{name: "broken", check: "MinEntries", params: map[string]any{"Min": 1}, h: &ow.Hist{Class: ow.ClassTH1D, X: ow.NewAxis(3, 0, 1)}, err: ow.ErrIncompatible},
		{name: "nil", check: "HotChannels", err: ow.ErrIncompatible},
	} {
		t.Run(c.name, func(t *testing.T) {
			chk := mustCheck(t, c.check, c.params)
			r, err := chk.Run(c.h, c.ref)
			if c.err != nil {
				require.ErrorIs(t, err, c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.check, r.Check)
			assert.Equal(t, c.want, r.Quality, r.Reason)
			assert.Contains(t, r.Reason, c.reason)
			assert.NotEmpty(t, r.Reason)
			if c.bins != nil {
				assert.Equal(t, c.bins, r.Bins)
			}
		})
	}
}

func TestPublishAndMask(t *testing.T) {
	h := flat(t, "h", 300, 100)
	for i := 1; i <= 30; i++ {
		h.Contents[3*i] = 1000
	}
	r, err := mustCheck(t, "Bins_Diff_FromAvg", map[string]any{"NSigma": 3}).Run(h, nil)
	require.NoError(t, err)
	assert.Len(t, r.Bins, 30)
	assert.Len(t, r.Published, 20, "MaxPublish defaults to 20")
	assert.Equal(t, quality.Bin{Cell: 3, X: 2.5, Content: 1000}, r.Published[0])
	n, ok := r.Value("NBins")
	assert.True(t, ok)
	assert.Equal(t, 30.0, n)
	m := r.Mask(h)
	require.NotNil(t, m)
	assert.Equal(t, 1000.0, m.Contents[3])
	assert.Equal(t, 0.0, m.Contents[4])

	r, err = mustCheck(t, "Bins_Diff_FromAvg", map[string]any{"NSigma": 3, "MaxPublish": 5}).Run(h, nil)
	require.NoError(t, err)
	assert.Len(t, r.Published, 5)
	r, err = mustCheck(t, "Bins_Diff_FromAvg", map[string]any{"NSigma": 3, "PublishBins": false}).Run(h, nil)
	require.NoError(t, err)
	assert.Empty(t, r.Published)
	assert.Len(t, r.Bins, 30, "the mask is kept")

	good, err := mustCheck(t, "MinEntries", map[string]any{"Min": 1}).Run(h, nil)
	require.NoError(t, err)
	assert.Nil(t, good.Mask(h))
}

func TestChecksDoNotModifyInputs(t *testing.T) {
	h := hist1(t, "g", 1, 5, 20, 50, 0, 80, 50, 20, 5, 1)
	ref := hist1(t, "r", 2, 5, 21, 48, 80, 80, 50, 20, 5, 1)
	hc, rc := h.Clone(), ref.Clone()
	for _, d := range quality.Definitions() {
		params := map[string]any{}
		for _, p := range d.Params {
			if p.Default == nil {
				params[p.Name] = 1.0
			}
		}
		if d.Name == "BinByBin" {
			params["NSigma"] = 2.0
		}
		if d.Name == "MeanInRange" || d.Name == "StdDevInRange" {
			params["Max"] = 10.0
		}
		c := mustCheck(t, d.Name, params)
		_, err := c.Run(h, ref)
		require.NoError(t, err, d.Name)
	}
	assert.Equal(t, hc, h)
	assert.Equal(t, rc, ref)
}
