package quality

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/overwatch-dqm/overwatch"
)

// ErrEmpty is wrapped by the errors of the statistical tests when a
// histogram has no content in the compared range (ROOT prints "one
// histogram is empty" / "integral is zero" and returns 0).
var ErrEmpty = errors.New("quality: histogram is empty")

// ErrUndefined is wrapped by the errors of the statistical tests when the
// test is undefined for the given contents, e.g. all errors zero (ROOT
// prints an error and returns 0).
var ErrUndefined = errors.New("quality: test undefined for these histograms")

// Chi2Result is what ROOT's TH1::Chi2TestX computes.
type Chi2Result struct {
	Chi2   float64 // the χ² statistic
	NDF    int     // degrees of freedom: bins compared − 1 − bins empty in both
	PValue float64 // TMath::Prob(Chi2, NDF)
	// IGood is ROOT's igood: 0 no problem; +1 a bin of the first histogram
	// has fewer than 1 event (UU, UW) or 10 effective events (WW); +2 the
	// same for the second histogram (1 event for UU, 10 effective events for
	// UW and WW).
	IGood int
	// Mode is the comparison made: "UU", "UW" or "WW".
	Mode string
}

// Chi2NDF returns Chi2/NDF (0 when NDF is 0, as ROOT's "CHI2/NDF" option).
func (r Chi2Result) Chi2NDF() float64 {
	if r.NDF == 0 {
		return 0
	}
	return r.Chi2 / float64(r.NDF)
}

// Chi2Test compares two histograms with Gagunashvili's χ² homogeneity test
// exactly as ROOT's TH1::Chi2Test / Chi2TestX: option (case-insensitive)
// holds "UU" (two unweighted histograms), "UW" (h1 unweighted, h2
// weighted), "WW" (two weighted), none of them to deduce the mode from the
// histograms' sums of weights as ROOT does, "NORM" (with UU: the histograms
// were scaled, contents are turned back into effective counts), "UF" and
// "OF" (include under- and overflow cells). ROOT's "P" (print), "CHI2" and
// "CHI2/NDF" (return value selectors) are accepted and change nothing: the
// result carries the statistic, ndf, p-value and igood. Bin ranges set on
// h1's axes (Axis.SetRange) restrict the test as in ROOT. Normalised
// residuals (ROOT's res argument) are not computed.
//
// Histograms of different dimension or binning give an error wrapping
// overwatch.ErrIncompatible (ROOT only prints a message and goes on); an
// empty histogram gives ErrEmpty; the cases ROOT rejects as undefined (all
// errors zero, NORM with zero errors) give ErrUndefined.
func Chi2Test(h1, h2 *overwatch.Hist, option string) (Chi2Result, error) {
	var r Chi2Result
	if err := sameBinning(h1, h2); err != nil {
		return r, err
	}
	opt := strings.ToUpper(option)
	lo, hi := binRange(h1)
	if strings.Contains(opt, "OF") {
		for d := 0; d < h1.Dim(); d++ {
			hi[d] = axisOf(h1, d).NBins + 1
		}
	}
	if strings.Contains(opt, "UF") {
		for d := 0; d < h1.Dim(); d++ {
			lo[d] = 0
		}
	}
	ndf := (hi[0] - lo[0] + 1) * (hi[1] - lo[1] + 1) * (hi[2] - lo[2] + 1)
	ndf--
	uu := strings.Contains(opt, "UU")
	uw := strings.Contains(opt, "UW")
	ww := strings.Contains(opt, "WW")
	scaled := strings.Contains(opt, "NORM")

	s1, s2 := h1.StatSums(), h2.StatSums()
	eff1, eff2 := 0.0, 0.0
	if s1.Sumw2 != 0 {
		eff1 = s1.Sumw * s1.Sumw / s1.Sumw2
	}
	if s2.Sumw2 != 0 {
		eff2 = s2.Sumw * s2.Sumw / s2.Sumw2
	}
	if !uu && !uw && !ww {
		if math.Abs(s1.Sumw-eff1) < 1 {
			if math.Abs(s2.Sumw-eff2) < 1 {
				uu = true
			} else {
				uw = true
			}
		} else {
			ww = true
		}
	}
	if scaled && !uu {
		scaled = false // ROOT: "NORM option should be used together with UU option. It is ignored"
	}
	cb, cells := getCells(h1, lo, hi)
	defer cellPool.Put(cb)

	var sum1, sum2, sumw1, sumw2 float64
	if uu && scaled {
		for _, bin := range cells {
			e1, e2 := errSq(h1, bin), errSq(h2, bin)
			sum1 += effCount(content(h1, bin), e1)
			sum2 += effCount(content(h2, bin), e2)
			sumw1 += e1
			sumw2 += e2
		}
		if sumw1 <= 0 || sumw2 <= 0 {
			return r, fmt.Errorf("%w: option NORM with a histogram whose errors are all zero", ErrUndefined)
		}
	} else {
		for _, bin := range cells {
			sum1 += content(h1, bin)
			sum2 += content(h2, bin)
			if ww {
				sumw1 += errSq(h1, bin)
			}
			if uw || ww {
				sumw2 += errSq(h2, bin)
			}
		}
	}
	if sum1 == 0 || sum2 == 0 {
		return r, fmt.Errorf("%w: %s in the χ² test", ErrEmpty, emptyName(h1, h2, sum1))
	}
	if ww && sumw1 <= 0 && sumw2 <= 0 {
		return r, fmt.Errorf("%w: both histograms have all errors zero", ErrUndefined)
	}

	var chi2 float64
	var m, n int
	switch {
	case uu:
		r.Mode = "UU"
		for _, bin := range cells {
			c1, c2 := content(h1, bin), content(h2, bin)
			if scaled {
				c1 = effCount(c1, errSq(h1, bin))
				c2 = effCount(c2, errSq(h2, bin))
			}
			if int64(c1) == 0 && int64(c2) == 0 {
				ndf-- // no data means one degree of freedom less
				continue
			}
			if c1 < 1 {
				m++
			}
			if c2 < 1 {
				n++
			}
			delta := sum2*c1 - sum1*c2
			chi2 += delta * delta / (c1 + c2)
		}
		chi2 /= sum1 * sum2
	case uw:
		r.Mode = "UW"
		for _, bin := range cells {
			c1, c2 := content(h1, bin), content(h2, bin)
			e2 := errSq(h2, bin)
			if c1*c1 == 0 && c2*c2 == 0 {
				ndf--
				continue
			}
			if c2*c2 == 0 && e2 == 0 {
				if sumw2 <= 0 {
					return r, fmt.Errorf("%w: bin %d of %q has zero content and zero error while all its errors are zero", ErrUndefined, bin, h2.Name)
				}
				e2 = sumw2 / sum2 // approximate error scaled by the total sum of weights
			}
			if c1 < 1 {
				m++
			}
			if e2 > 0 && c2*c2/e2 < 10 {
				n++
			}
			var1 := sum2*c2 - sum1*e2
			var2 := var1*var1 + 4*sum2*sum2*c1*e2
			// ROOT: "if cnt1 is zero and cnt2 = 1 and sum1 = sum2 var1 = 0 &&
			// var2 == 0, approximate by incrementing cnt1" — sum1 stays
			// incremented for the following bins, as in ROOT.
			for guard := 0; (var1*var1+c1 == 0 || var1+var2 == 0) && guard < 1000; guard++ {
				sum1++
				c1++
				var1 = sum2*c2 - sum1*e2
				var2 = var1*var1 + 4*sum2*sum2*c1*e2
			}
			var2 = math.Sqrt(var2)
			for guard := 0; var1+var2 == 0 && guard < 1000; guard++ {
				sum1++
				c1++
				var1 = sum2*c2 - sum1*e2
				var2 = var1*var1 + 4*sum2*sum2*c1*e2
				for g2 := 0; (var1*var1+c1 == 0 || var1+var2 == 0) && g2 < 1000; g2++ {
					sum1++
					c1++
					var1 = sum2*c2 - sum1*e2
					var2 = var1*var1 + 4*sum2*sum2*c1*e2
				}
				var2 = math.Sqrt(var2)
			}
			probb := (var1 + var2) / (2 * sum2 * sum2)
			nexp1 := probb * sum1
			nexp2 := probb * sum2
			d1 := c1 - nexp1
			d2 := c2 - nexp2
			chi2 += d1 * d1 / nexp1
			if e2 > 0 {
				chi2 += d2 * d2 / e2
			}
		}
	default: // WW
		r.Mode = "WW"
		for _, bin := range cells {
			c1, c2 := content(h1, bin), content(h2, bin)
			e1, e2 := errSq(h1, bin), errSq(h2, bin)
			if c1*c1 == 0 && c2*c2 == 0 {
				ndf--
				continue
			}
			if e1 == 0 && e2 == 0 {
				return r, fmt.Errorf("%w: both histograms have zero error in bin %d", ErrUndefined, bin)
			}
			sigma := sum1*sum1*e2 + sum2*sum2*e1
			delta := sum2*c1 - sum1*c2
			chi2 += delta * delta / sigma
			if e1 > 0 && c1*c1/e1 < 10 {
				m++
			}
			if e2 > 0 && c2*c2/e2 < 10 {
				n++
			}
		}
	}
	if m > 0 {
		r.IGood++
	}
	if n > 0 {
		r.IGood += 2
	}
	r.Chi2, r.NDF, r.PValue = chi2, ndf, chi2Prob(chi2, ndf)
	return r, nil
}

// chi2Prob is ROOT's TMath::Prob: the upper tail probability of the χ²
// distribution with ndf degrees of freedom (1 for chi2 ≤ 0 with ndf > 0,
// 0 for ndf ≤ 0).
func chi2Prob(chi2 float64, ndf int) float64 {
	if ndf <= 0 {
		return 0
	}
	if chi2 <= 0 {
		if chi2 < 0 {
			return 0
		}
		return 1
	}
	return distuv.ChiSquared{K: float64(ndf)}.Survival(chi2)
}

func effCount(c, e2 float64) float64 {
	if e2 > 0 {
		return math.Floor(c*c/e2 + 0.5) // avoid rounding errors, as ROOT
	}
	return 0
}

func emptyName(h1, h2 *overwatch.Hist, sum1 float64) string {
	if sum1 == 0 {
		return fmt.Sprintf("%q has no content", h1.Name)
	}
	return fmt.Sprintf("%q has no content", h2.Name)
}

// KSResult is what ROOT's TH1::KolmogorovTest computes.
type KSResult struct {
	// Prob is the probability ROOT returns by default: TMath::KolmogorovProb
	// of the scaled distance, combined with the normalisation probability
	// when option N is given.
	Prob float64
	// MaxDist is the maximum distance between the normalised cumulative
	// distributions (what option "M" returns).
	MaxDist float64
	// Z is the scaled distance given to KolmogorovProb.
	Z float64
	// ProbShape and ProbNorm are the shape and normalisation probabilities
	// combined into Prob by option N (ProbNorm is 0 without N).
	ProbShape, ProbNorm float64
	// ProbToys is the pseudo-experiment probability of option X (what ROOT
	// returns with X); Toys is the number of pseudo-experiments run (0 without
	// X; fewer than asked when they would draw more than 1e7 events in all).
	ProbToys float64
	Toys     int
	// ESum1 and ESum2 are the effective entries of the compared ranges (0
	// when a histogram has zero errors and is treated as a function).
	ESum1, ESum2 float64
}

// KolmogorovTest compares the shapes of two 1-D histograms exactly as ROOT's
// TH1::KolmogorovTest (HBOOK's HDIFF): the maximum distance between the
// normalised cumulative sums over the bins, scaled by the effective entries
// (sqrt(n1 n2/(n1+n2)), or sqrt(n) when one histogram has zero errors and is
// taken as a function) and turned into a probability with
// TMath::KolmogorovProb. Options (case-insensitive): "U" and "O" include the
// under- and overflow bins; "N" combines the shape probability with the χ²
// probability of the normalisations (Eadie et al. 11.6.2); "M" and "D" are
// accepted and change nothing (the result carries both the probability and
// MaxDist; nothing is printed); "X" or "X=n" runs n (default 1000)
// pseudo-experiments drawn from the histogram with the larger statistics
// and sets ProbToys (the draws use a fixed seed, so results are
// reproducible but not ROOT's random numbers).
//
// This is a binned test: with few bins the distance is smaller than the
// unbinned two-sample distance and the probability is biased upwards (see
// ROOT's NOTE3). Histograms that are not 1-D or whose bin edges differ give
// an error wrapping overwatch.ErrIncompatible; a histogram with zero
// integral gives ErrEmpty; both with zero errors gives ErrUndefined.
func KolmogorovTest(h1, h2 *overwatch.Hist, option string) (KSResult, error) {
	var r KSResult
	if h1 == nil || h2 == nil {
		return r, fmt.Errorf("%w: nil histogram", overwatch.ErrIncompatible)
	}
	if h1.Dim() != 1 || h2.Dim() != 1 {
		return r, fmt.Errorf("%w: the Kolmogorov test needs two 1-D histograms (%s %q, %s %q)",
			overwatch.ErrIncompatible, h1.Class, h1.Name, h2.Class, h2.Name)
	}
	if h1.X.NBins != h2.X.NBins {
		return r, fmt.Errorf("%w: %q and %q have %d and %d bins", overwatch.ErrIncompatible, h1.Name, h2.Name, h1.X.NBins, h2.X.NBins)
	}
	for i := 1; i <= h1.X.NBins+1; i++ {
		if a, b := h1.X.BinLowEdge(i), h2.X.BinLowEdge(i); !equalRel(a, b, 1e-15) {
			return r, fmt.Errorf("%w: %q and %q have different bin edges (%g and %g)", overwatch.ErrIncompatible, h1.Name, h2.Name, a, b)
		}
	}
	if err := checkCells(h1); err != nil {
		return r, err
	}
	if err := checkCells(h2); err != nil {
		return r, err
	}
	opt := strings.ToUpper(option)
	first, last := 1, h1.X.NBins
	if strings.Contains(opt, "U") {
		first = 0
	}
	if strings.Contains(opt, "O") {
		last = h1.X.NBins + 1
	}
	var sum1, sum2, w1, w2 float64
	for bin := first; bin <= last; bin++ {
		sum1 += content(h1, bin)
		sum2 += content(h2, bin)
		w1 += err2(h1, bin)
		w2 += err2(h2, bin)
	}
	if sum1 == 0 {
		return r, fmt.Errorf("%w: %q has zero integral in the Kolmogorov test", ErrEmpty, h1.Name)
	}
	if sum2 == 0 {
		return r, fmt.Errorf("%w: %q has zero integral in the Kolmogorov test", ErrEmpty, h2.Name)
	}
	afunc1, afunc2 := w1 <= 0, w2 <= 0
	if !afunc1 {
		r.ESum1 = sum1 * sum1 / w1
	}
	if !afunc2 {
		r.ESum2 = sum2 * sum2 / w2
	}
	if afunc1 && afunc2 {
		return r, fmt.Errorf("%w: errors are zero for both histograms", ErrUndefined)
	}
	r.MaxDist = ksDistance(h1, h2, first, last, sum1, sum2)
	switch {
	case afunc1:
		r.Z = r.MaxDist * math.Sqrt(r.ESum2)
	case afunc2:
		r.Z = r.MaxDist * math.Sqrt(r.ESum1)
	default:
		r.Z = r.MaxDist * math.Sqrt(r.ESum1*r.ESum2/(r.ESum1+r.ESum2))
	}
	r.Prob = KolmogorovProb(r.Z)
	r.ProbShape = r.Prob
	if strings.Contains(opt, "N") && !afunc1 && !afunc2 {
		d := r.ESum1 - r.ESum2
		r.ProbNorm = chi2Prob(d*d/(r.ESum1+r.ESum2), 1)
		if r.Prob > 0 && r.ProbNorm > 0 {
			r.Prob *= r.ProbNorm * (1 - math.Log(r.Prob*r.ProbNorm))
		} else {
			r.Prob = 0
		}
	}
	if i := strings.Index(opt, "X"); i >= 0 {
		r.Toys = 1000
		if strings.HasPrefix(opt[i:], "X=") {
			j := i + 2
			for j < len(opt) && opt[j] >= '0' && opt[j] <= '9' {
				j++
			}
			if n, err := strconv.Atoi(opt[i+2 : j]); err == nil && n > 0 {
				r.Toys = min(n, maxToys)
			}
		}
		// Bound the work: at most maxToyEvents events drawn in all.
		if per := r.ESum1 + r.ESum2; per*float64(r.Toys) > maxToyEvents {
			r.Toys = max(1, int(maxToyEvents/per))
		}
		r.ProbToys = ksToys(h1, h2, r, afunc1, afunc2)
	}
	return r, nil
}

// maxToys bounds option X's pseudo-experiments, maxToyEvents the events
// they draw in all (Toys is lowered to stay within it).
const (
	maxToys      = 100000
	maxToyEvents = 1e7
)

// ksDistance is the maximum distance between the normalised cumulative sums
// of h1 and h2 over bins first..last.
func ksDistance(h1, h2 *overwatch.Hist, first, last int, sum1, sum2 float64) float64 {
	s1, s2 := 1/sum1, 1/sum2
	var d, r1, r2 float64
	for bin := first; bin <= last; bin++ {
		r1 += s1 * content(h1, bin)
		r2 += s2 * content(h2, bin)
		d = max(d, math.Abs(r1-r2)) // the builtin: math.Max's semantics, inlined
	}
	return d
}

// ksToys runs ROOT's option X: pseudo-experiments of the effective entries
// of each non-function histogram drawn from the parent (the histogram with
// more effective entries, or the function), counting the toys whose
// distance (over the in-range bins, as ROOT's toys use option "M" only)
// exceeds the observed one.
func ksToys(h1, h2 *overwatch.Hist, r KSResult, afunc1, afunc2 bool) float64 {
	parent := h2
	if afunc1 || r.ESum1 > r.ESum2 {
		parent = h1
	}
	n := parent.X.NBins
	cum := make([]float64, n+1) // cum[i]: integral of bins 1..i, negatives ignored
	for i := 1; i <= n; i++ {
		cum[i] = cum[i-1] + max(0, content(parent, i))
	}
	if cum[n] <= 0 {
		return 0
	}
	rng := rand.New(rand.NewPCG(1, 2))
	t1 := make([]float64, n+2)
	t2 := make([]float64, n+2)
	fill := func(t []float64, events int) {
		clear(t)
		for range events {
			u := rng.Float64() * cum[n]
			lo, hi := 1, n
			for lo < hi { // first bin whose cumulative exceeds u
				mid := (lo + hi) / 2
				if cum[mid] > u {
					hi = mid
				} else {
					lo = mid + 1
				}
			}
			t[lo]++
		}
	}
	dist := func(a, b []float64) float64 {
		var sa, sb float64
		for i := 1; i <= n; i++ {
			sa += a[i]
			sb += b[i]
		}
		if sa == 0 || sb == 0 {
			return 0 // ROOT's KolmogorovTest returns 0 on an empty toy
		}
		var d, ra, rb float64
		for i := 1; i <= n; i++ {
			ra += a[i] / sa
			rb += b[i] / sb
			d = max(d, math.Abs(ra-rb))
		}
		return d
	}
	pc := make([]float64, n+2)
	for i := 1; i <= n; i++ {
		pc[i] = content(parent, i)
	}
	exceed := 0
	for range r.Toys {
		if !afunc1 {
			fill(t1, int(r.ESum1))
		}
		if !afunc2 {
			fill(t2, int(r.ESum2))
		}
		var d float64
		switch {
		case afunc1:
			d = dist(pc, t2)
		case afunc2:
			d = dist(pc, t1)
		default:
			d = dist(t1, t2)
		}
		if d > r.MaxDist {
			exceed++
		}
	}
	return float64(exceed) / float64(r.Toys)
}

// KolmogorovProb is ROOT's TMath::KolmogorovProb (CERNLIB PROBKL): the
// probability that Kolmogorov's statistic exceeds z under the null
// hypothesis.
func KolmogorovProb(z float64) float64 {
	const (
		w  = 2.50662827
		c1 = -1.2337005501361697 // -π²/8
		c2 = -11.103304951225528 // 9 c1
		c3 = -30.842513753404244 // 25 c1
	)
	fj := [4]float64{-2, -8, -18, -32}
	u := math.Abs(z)
	switch {
	case u < 0.2:
		return 1
	case u < 0.755:
		v := 1 / (u * u)
		return 1 - w*(math.Exp(c1*v)+math.Exp(c2*v)+math.Exp(c3*v))/u
	case u < 6.8116:
		var r [4]float64
		v := u * u
		maxj := max(1, int(math.RoundToEven(3/u)))
		for j := 0; j < maxj && j < 4; j++ {
			r[j] = math.Exp(fj[j] * v)
		}
		return 2 * (r[0] - r[1] + r[2] - r[3])
	}
	return 0
}

// equalRel is TMath::AreEqualRel.
func equalRel(a, b, prec float64) bool {
	d := math.Abs(a - b)
	return d <= 0.5*prec*(math.Abs(a)+math.Abs(b)) || d < math.SmallestNonzeroFloat64
}
