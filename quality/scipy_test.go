package quality_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

const python = "/usr/bin/python3"

// scipy runs a Python script with SciPy on the JSON encoding of in and
// decodes its JSON output into out. It skips when Debian's python3-scipy is
// not installed (make setup-system installs it).
func scipy(t *testing.T, script string, in, out any) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s not found: run make setup-system (python3-scipy)", python)
	}
	if err := exec.Command(python, "-c", "import scipy.stats").Run(); err != nil {
		t.Skipf("SciPy not importable by %s: run make setup-system (python3-scipy)", python)
	}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	res, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	require.NoError(t, json.Unmarshal(res, out))
}

// randomPair returns two unweighted histograms of nbins bins filled with n1
// and n2 events from two slightly different Gaussians.
func randomPair(rng *rand.Rand, nbins, n1, n2 int, shift float64) (*ow.Hist, *ow.Hist, []float64, []float64) {
	h1 := ow.MustNewHist(ow.ClassTH1D, "a", "", ow.NewAxis(nbins, -4, 4))
	h2 := ow.MustNewHist(ow.ClassTH1D, "b", "", ow.NewAxis(nbins, -4, 4))
	fill := func(h *ow.Hist, n int, mu float64) []float64 {
		for range n {
			_ = h.Fill(1, rng.NormFloat64()+mu)
		}
		c := make([]float64, nbins)
		copy(c, h.Contents[1:nbins+1])
		return c
	}
	return h1, h2, fill(h1, n1, 0), fill(h2, n2, shift)
}

// TestChi2TestAgreesWithSciPy compares the unweighted-unweighted χ² with
// scipy.stats.chi2_contingency on the 2×r table of the bins not empty in
// both histograms (Pearson's statistic without continuity correction, which
// is ROOT's UU statistic: X² = 1/(MN) Σ (M n_i − N m_i)²/(n_i + m_i)), and
// its degrees of freedom r−1 and p-value.
func TestChi2TestAgreesWithSciPy(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2026))
	type pair struct{ A, B []float64 }
	var pairs []pair
	var ours []quality.Chi2Result
	for i := range 40 {
		h1, h2, a, b := randomPair(rng, 10+i, 200+37*i, 500+11*i, 0.05*float64(i%5))
		r, err := quality.Chi2Test(h1, h2, "UU")
		require.NoError(t, err)
		ours = append(ours, r)
		var fa, fb []float64
		for k := range a {
			if a[k] != 0 || b[k] != 0 {
				fa, fb = append(fa, a[k]), append(fb, b[k])
			}
		}
		pairs = append(pairs, pair{fa, fb})
	}
	var theirs [][3]float64
	scipy(t, `
import json, sys
from scipy.stats import chi2_contingency
out = []
for p in json.load(sys.stdin):
    stat, pv, dof, _ = chi2_contingency([p["A"], p["B"]], correction=False)
    out.append([stat, pv, dof])
print(json.dumps(out))
`, pairs, &theirs)
	require.Len(t, theirs, len(ours))
	for i, r := range ours {
		assert.InEpsilon(t, theirs[i][0], r.Chi2, 1e-10, "pair %d statistic", i)
		assert.Equal(t, int(theirs[i][2]), r.NDF, "pair %d dof", i)
		assert.InDelta(t, theirs[i][1], r.PValue, 1e-9*math.Max(1, theirs[i][1]), "pair %d p-value", i)
	}
}

// TestKolmogorovTestAgreesWithSciPy compares ROOT's binned Kolmogorov test
// with SciPy where the definitions coincide. ROOT's maximum distance is
// computed on the cumulative bin sums; scipy.stats.ks_2samp works on
// unbinned samples, so each histogram is expanded into a sample with its
// events at the bin centres: the ECDFs then step only at bin centres and
// ks_2samp's D equals ROOT's MaxDist exactly. The probabilities differ by
// definition (ks_2samp's "asymp" uses the finite-n kstwo distribution with
// n = round(n1 n2/(n1+n2)); ROOT uses the asymptotic Kolmogorov
// distribution of z = D sqrt(n1 n2/(n1+n2))), so ROOT's probability is
// compared with scipy.stats.kstwobign.sf(z), the same asymptotic
// distribution, which TMath::KolmogorovProb approximates.
func TestKolmogorovTestAgreesWithSciPy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	type pair struct {
		Centres []float64
		A, B    []float64
		Z       float64
	}
	var pairs []pair
	var ours []quality.KSResult
	for i := range 40 {
		nb := 5 + 3*i
		h1, h2, a, b := randomPair(rng, nb, 100+23*i, 300+7*i, 0.04*float64(i%6))
		r, err := quality.KolmogorovTest(h1, h2, "")
		require.NoError(t, err)
		ours = append(ours, r)
		c := make([]float64, nb)
		for k := range c {
			c[k] = h1.X.BinCenter(k + 1)
		}
		pairs = append(pairs, pair{c, a, b, r.Z})
	}
	var theirs [][2]float64
	scipy(t, `
import json, sys
import numpy as np
from scipy.stats import ks_2samp, kstwobign
out = []
for p in json.load(sys.stdin):
    c = np.array(p["Centres"])
    x = np.repeat(c, np.array(p["A"], dtype=int))
    y = np.repeat(c, np.array(p["B"], dtype=int))
    d = ks_2samp(x, y).statistic
    out.append([d, kstwobign.sf(p["Z"])])
print(json.dumps(out))
`, pairs, &theirs)
	require.Len(t, theirs, len(ours))
	for i, r := range ours {
		assert.InDelta(t, theirs[i][0], r.MaxDist, 1e-12, "pair %d distance", i)
		assert.InDelta(t, theirs[i][1], r.Prob, 2e-6, "pair %d probability", i)
	}
}
