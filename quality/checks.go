package quality

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/overwatch-dqm/overwatch"
)

// Reasons shared by the checks for a Null result.
const (
	ReasonInsufficient = "insufficient entries"
	ReasonEmpty        = "empty histogram"
	ReasonNoReference  = "no reference histogram"
)

// Parameter helpers.
func fparam(name string, def any, help string) overwatch.OptionSpec {
	return overwatch.OptionSpec{Name: name, Type: overwatch.OptionFloat, Default: def, Help: help}
}

func iparam(name string, def any, min, max float64, help string) overwatch.OptionSpec {
	return overwatch.OptionSpec{Name: name, Type: overwatch.OptionInt, Default: def, Min: min, Max: max, HasRange: true, Help: help}
}

func bparam(name string, def bool, help string) overwatch.OptionSpec {
	return overwatch.OptionSpec{Name: name, Type: overwatch.OptionBool, Default: def, Help: help}
}

func sparam(name, def, help string) overwatch.OptionSpec {
	return overwatch.OptionSpec{Name: name, Type: overwatch.OptionString, Default: def, Help: help}
}

var minStatParam = fparam("MinStat", -1.0, "minimum entries to judge; fewer gives Null, \"insufficient entries\" (-1: no minimum)")

// pvalueParams grade a p-value: Bad below PValueBad, Medium below
// PValueMedium.
var pvalueParams = []overwatch.OptionSpec{
	{Name: "PValueBad", Type: overwatch.OptionFloat, Default: 0.01, Min: 0, Max: 1, HasRange: true, Help: "p-value below which the result is Bad"},
	{Name: "PValueMedium", Type: overwatch.OptionFloat, Default: 0.05, Min: 0, Max: 1, HasRange: true, Help: "p-value below which the result is Medium"},
}

var nbinsParams = []overwatch.OptionSpec{
	fparam("NBinsGreen", 0.0, "at most this many offending bins is Good (ATLAS green threshold NBins)"),
	fparam("NBinsRed", 1.0, "at least this many offending bins is Bad (ATLAS red threshold NBins); between is Medium"),
}

var publishParams = []overwatch.OptionSpec{
	bparam("PublishBins", true, "publish the offending bins in the result"),
	iparam("MaxPublish", int64(20), 0, 10000, "maximum number of offending bins published"),
}

func concat(groups ...[]overwatch.OptionSpec) []overwatch.OptionSpec {
	var out []overwatch.OptionSpec
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func init() {
	Register(Definition{
		Name: "Chi2Test", Reference: true,
		Help: "ROOT's TH1::Chi2Test of the histogram against the reference; Bad/Medium below the p-value thresholds",
		Params: concat([]overwatch.OptionSpec{
			sparam("Option", "", "TH1::Chi2Test option: UU, UW, WW, NORM, UF, OF (empty: deduced from the histograms)"),
			minStatParam,
		}, pvalueParams),
		New: func(p overwatch.Values) (Check, error) {
			c := &chi2Check{opt: p.String("Option"), minStat: p.Float("MinStat"), pv: pvGrades(p)}
			return c, c.pv.validate()
		},
	})
	Register(Definition{
		Name: "KolmogorovTest", Reference: true,
		Help: "ROOT's TH1::KolmogorovTest of the histogram against the reference (1-D); Bad/Medium below the p-value thresholds, Bad above MaxDist when set",
		Params: concat([]overwatch.OptionSpec{
			sparam("Option", "", "TH1::KolmogorovTest option: U, O, N, X[=n] (M and D are accepted and change nothing)"),
			fparam("MaxDist", -1.0, "Bad when the maximum distance exceeds this (-1: not used)"),
			minStatParam,
		}, pvalueParams),
		New: func(p overwatch.Values) (Check, error) {
			c := &ksCheck{opt: p.String("Option"), maxDist: p.Float("MaxDist"), minStat: p.Float("MinStat"), pv: pvGrades(p)}
			return c, c.pv.validate()
		},
	})
	Register(Definition{
		Name: "BinByBin", Reference: true,
		Help: "compares every bin with the reference (scaled to the histogram's integral unless Normalize is false); a bin offends when it exceeds every tolerance set",
		Params: concat([]overwatch.OptionSpec{
			fparam("MaxDiffAbs", -1.0, "absolute difference tolerance (-1: not used)"),
			fparam("MaxDiffRel", -1.0, "relative difference tolerance, |h-ref|/|ref| (-1: not used)"),
			fparam("NSigma", -1.0, "tolerance in combined errors, |h-ref|/sqrt(eh²+eref²) (-1: not used)"),
			bparam("Normalize", true, "scale the reference to the histogram's integral first"),
			fparam("ignoreval", -99999.0, "bins of the histogram with this content are skipped"),
			minStatParam,
		}, nbinsParams, publishParams),
		New: func(p overwatch.Values) (Check, error) {
			c := &binByBin{
				abs: p.Float("MaxDiffAbs"), rel: p.Float("MaxDiffRel"), nsigma: p.Float("NSigma"),
				norm: p.Bool("Normalize"), ignore: p.Float("ignoreval"), minStat: p.Float("MinStat"),
				grade: countGrades(p), pub: pubOpts(p),
			}
			if c.abs < 0 && c.rel < 0 && c.nsigma < 0 {
				return nil, fmt.Errorf("%w: set at least one of MaxDiffAbs, MaxDiffRel, NSigma", ErrConfig)
			}
			return c, c.grade.validate()
		},
	})
	Register(Definition{
		Name: "Bins_Diff_FromAvg",
		Help: "ATLAS Bins_Diff_FromAvg: error-weighted average of the bins; counts the bins more than NSigma errors (and MaxDiffAbs, MaxDiffRel) away from it",
		Params: concat([]overwatch.OptionSpec{
			fparam("NSigma", nil, "number of errors a bin must be within the average"),
			fparam("MaxDiffAbs", -1.0, "a bin also needs to be more than this away from the average (-1: not used)"),
			fparam("MaxDiffRel", -1.0, "a bin also needs to be more than this relative difference away (-1: not used)"),
			bparam("GreaterThan", false, "only bins above the average offend"),
			bparam("LessThan", false, "only bins below the average offend"),
			fparam("ignoreval", -99999.0, "bins with this content are skipped"),
			minStatParam,
		}, nbinsParams, publishParams),
		New: func(p overwatch.Values) (Check, error) {
			c := &binsDiffFromAvg{
				nsigma: p.Float("NSigma"), abs: p.Float("MaxDiffAbs"), rel: p.Float("MaxDiffRel"),
				greater: p.Bool("GreaterThan"), less: p.Bool("LessThan"), ignore: p.Float("ignoreval"),
				minStat: p.Float("MinStat"), grade: countGrades(p), pub: pubOpts(p),
			}
			if c.greater && c.less { // ATLAS: "Will check for both"
				c.greater, c.less = false, false
			}
			return c, c.grade.validate()
		},
	})
	for _, what := range []string{"Mean", "StdDev"} {
		Register(Definition{
			Name: what + "InRange",
			Help: "Bad when the histogram's " + what + " along Axis is outside [Min, Max]",
			Params: []overwatch.OptionSpec{
				fparam("Min", nil, "lowest accepted value"),
				fparam("Max", nil, "highest accepted value"),
				iparam("Axis", int64(0), 0, 2, "axis: 0 x, 1 y, 2 z (profiles: the profiled quantity is Dim)"),
				minStatParam,
			},
			New: func(p overwatch.Values) (Check, error) {
				c := &momentInRange{what: what, name: what + "InRange", min: p.Float("Min"), max: p.Float("Max"), axis: int(p.Int("Axis")), minStat: p.Float("MinStat")}
				if !(c.min <= c.max) {
					return nil, fmt.Errorf("%w: Min %g is above Max %g", ErrConfig, c.min, c.max)
				}
				return c, nil
			},
		})
	}
	Register(Definition{
		Name: "MinEntries",
		Help: "Bad when the histogram has fewer than Min entries",
		Params: []overwatch.OptionSpec{
			fparam("Min", nil, "minimum number of entries"),
		},
		New: func(p overwatch.Values) (Check, error) { return &minEntries{min: p.Float("Min")}, nil },
	})
	Register(Definition{
		Name: "EmptyBinsFraction",
		Help: "Bad when the fraction of empty in-range bins exceeds MaxFraction, Medium above MediumFraction",
		Params: []overwatch.OptionSpec{
			{Name: "MaxFraction", Type: overwatch.OptionFloat, Min: 0, Max: 1, HasRange: true, Help: "fraction of empty bins above which the result is Bad"},
			{Name: "MediumFraction", Type: overwatch.OptionFloat, Default: -1.0, Min: -1, Max: 1, HasRange: true, Help: "fraction above which the result is Medium (-1: not used)"},
			minStatParam,
		},
		New: func(p overwatch.Values) (Check, error) {
			c := &emptyFraction{bad: p.Float("MaxFraction"), medium: p.Float("MediumFraction"), minStat: p.Float("MinStat")}
			if c.medium > c.bad {
				return nil, fmt.Errorf("%w: MediumFraction %g is above MaxFraction %g", ErrConfig, c.medium, c.bad)
			}
			return c, nil
		},
	})
	chanParams := []overwatch.OptionSpec{
		iparam("Radius", int64(2), 1, 10, "neighbourhood half-width in bins for the local median (1-D: 2R neighbours, 2-D: (2R+1)²-1)"),
	}
	Register(Definition{
		Name: "DeadChannels",
		Help: "1-D or 2-D channel map: a channel is dead when its content is at most DeadFraction × the median of its neighbours (zero included) where that median is at least MinMedian",
		Params: concat(chanParams, []overwatch.OptionSpec{
			{Name: "DeadFraction", Type: overwatch.OptionFloat, Default: 0.1, Min: 0, Max: 1, HasRange: true, Help: "fraction of the local median at or below which a channel is dead"},
			fparam("MinMedian", 5.0, "channels are judged only where the local median is at least this"),
			minStatParam,
		}, nbinsParams, publishParams),
		New: func(p overwatch.Values) (Check, error) {
			c := &channels{name: "DeadChannels", radius: int(p.Int("Radius")), factor: p.Float("DeadFraction"),
				minMedian: p.Float("MinMedian"), minStat: p.Float("MinStat"), grade: countGrades(p), pub: pubOpts(p)}
			return c, c.grade.validate()
		},
	})
	Register(Definition{
		Name: "HotChannels",
		Help: "1-D or 2-D channel map: a channel is hot when its content exceeds HotFactor × max(median of its neighbours, MinMedian)",
		Params: concat(chanParams, []overwatch.OptionSpec{
			fparam("HotFactor", 10.0, "multiple of the local median above which a channel is hot"),
			fparam("MinMedian", 1.0, "floor of the local median (a channel in an empty neighbourhood is hot above HotFactor × MinMedian)"),
			minStatParam,
		}, nbinsParams, publishParams),
		New: func(p overwatch.Values) (Check, error) {
			c := &channels{name: "HotChannels", hot: true, radius: int(p.Int("Radius")), factor: p.Float("HotFactor"),
				minMedian: p.Float("MinMedian"), minStat: p.Float("MinStat"), grade: countGrades(p), pub: pubOpts(p)}
			if c.factor <= 0 {
				return nil, fmt.Errorf("%w: HotFactor must be positive, not %g", ErrConfig, c.factor)
			}
			return c, c.grade.validate()
		},
	})
}

type pvGrade struct {
	bad, medium float64
	txt         string
}

func pvGrades(p overwatch.Values) pvGrade {
	g := pvGrade{bad: p.Float("PValueBad"), medium: p.Float("PValueMedium")}
	g.txt = rb(make([]byte, 0, 128)).s(" (Bad below ").g(g.bad, -1).s(", Medium below ").g(g.medium, -1).s(")").String()
	return g
}

func (g pvGrade) validate() error {
	if g.bad > g.medium {
		return fmt.Errorf("%w: PValueBad %g is above PValueMedium %g", ErrConfig, g.bad, g.medium)
	}
	return nil
}

func (g pvGrade) grade(p float64) overwatch.Quality {
	switch {
	case p < g.bad:
		return overwatch.QualityBad
	case p < g.medium:
		return overwatch.QualityMedium
	}
	return overwatch.QualityGood
}

// text is the " (Bad below …, Medium below …)" part of a reason.
func (g pvGrade) text() string { return g.txt }

type countGrade struct {
	green, red float64
	txt        string
}

// text is the " (Good up to …, Bad from …)" part of a reason.
func (c countGrade) text() string { return c.txt }

func countGrades(p overwatch.Values) countGrade {
	c := countGrade{green: p.Float("NBinsGreen"), red: p.Float("NBinsRed")}
	c.txt = rb(make([]byte, 0, 128)).s(" (Good up to ").g(c.green, -1).s(", Bad from ").g(c.red, -1).s(")").String()
	return c
}

func (g countGrade) validate() error {
	if g.green >= g.red {
		return fmt.Errorf("%w: NBinsGreen %g must be below NBinsRed %g", ErrConfig, g.green, g.red)
	}
	return nil
}

type pubOpt struct {
	on  bool
	max int
}

func pubOpts(p overwatch.Values) pubOpt {
	return pubOpt{on: p.Bool("PublishBins"), max: int(p.Int("MaxPublish"))}
}

// publish appends an offending bin to r (Bins always, Published up to max).
func (o pubOpt) publish(r *Result, h *overwatch.Hist, cell int, v float64) {
	if r.Bins == nil {
		r.Bins = make([]int, 0, 16) // fewer reallocations as bins offend
	}
	r.Bins = append(r.Bins, cell)
	if !o.on || len(r.Published) >= o.max {
		return
	}
	if r.Published == nil {
		r.Published = make([]Bin, 0, min(o.max, 32))
	}
	ix, iy, _ := h.BinXYZ(cell)
	b := Bin{Cell: cell, X: h.X.BinCenter(ix), Content: v}
	if h.Dim() >= 2 {
		b.Y = h.Y.BinCenter(iy)
	}
	r.Published = append(r.Published, b)
}

// prelude handles what every check does first: a valid histogram, the
// minimum statistics, an empty histogram. It returns a Null result and
// true when the check cannot judge.
func prelude(name string, h *overwatch.Hist, minStat float64) (Result, bool, error) {
	if err := checkCells(h); err != nil {
		return Result{}, true, err
	}
	if minStat >= 0 && h.Entries < minStat {
		return null(name, ReasonInsufficient, Value{"Entries", h.Entries}, Value{"MinStat", minStat}), true, nil
	}
	return Result{}, false, nil
}

// referencePrelude adds the reference's presence and binning.
func referencePrelude(name string, h, ref *overwatch.Hist, minStat float64, binning bool) (Result, bool, error) {
	if r, done, err := prelude(name, h, minStat); done {
		return r, done, err
	}
	if ref == nil {
		return null(name, ReasonNoReference), true, nil
	}
	if binning { // the statistical tests check the binning themselves
		if err := sameBinning(h, ref); err != nil {
			return Result{}, true, err
		}
	}
	return Result{}, false, nil
}

// statErr turns the statistical tests' "cannot judge" errors into Null
// results and passes other errors on.
func statErr(name string, err error) (Result, error) {
	switch {
	case errors.Is(err, ErrEmpty):
		return null(name, ReasonEmpty+": "+err.Error()), nil
	case errors.Is(err, ErrUndefined):
		return null(name, err.Error()), nil
	}
	return Result{}, err
}

type chi2Check struct {
	opt     string
	minStat float64
	pv      pvGrade
}

func (c *chi2Check) Name() string { return "Chi2Test" }

func (c *chi2Check) Run(h, ref *overwatch.Hist) (Result, error) {
	if r, done, err := referencePrelude(c.Name(), h, ref, c.minStat, false); done {
		return r, err
	}
	t, err := Chi2Test(h, ref, c.opt)
	if err != nil {
		return statErr(c.Name(), err)
	}
	q := c.pv.grade(t.PValue)
	return Result{
		Check: c.Name(), Quality: q,
		Reason: rb(make([]byte, 0, 128)).s("χ² ").s(t.Mode).s(" = ").g(t.Chi2, 4).s(" for ").d(t.NDF).s(" degrees of freedom, p-value ").g(t.PValue, 3).s(c.pv.text()).String(),
		Values: []Value{{"Chi2", t.Chi2}, {"NDF", float64(t.NDF)}, {"PValue", t.PValue}, {"IGood", float64(t.IGood)},
			{"PValueBad", c.pv.bad}, {"PValueMedium", c.pv.medium}},
	}, nil
}

type ksCheck struct {
	opt     string
	maxDist float64
	minStat float64
	pv      pvGrade
}

func (c *ksCheck) Name() string { return "KolmogorovTest" }

func (c *ksCheck) Run(h, ref *overwatch.Hist) (Result, error) {
	if r, done, err := referencePrelude(c.Name(), h, ref, c.minStat, false); done {
		return r, err
	}
	t, err := KolmogorovTest(h, ref, c.opt)
	if err != nil {
		return statErr(c.Name(), err)
	}
	p := t.Prob
	if t.Toys > 0 {
		p = t.ProbToys
	}
	q := c.pv.grade(p)
	reason := rb(make([]byte, 0, 128)).s("Kolmogorov probability ").g(p, 3).s(", maximum distance ").g(t.MaxDist, 3).s(c.pv.text()).String()
	if c.maxDist >= 0 && t.MaxDist > c.maxDist {
		q = overwatch.QualityBad
		reason = rb(make([]byte, 0, 128)).s("Kolmogorov maximum distance ").g(t.MaxDist, 3).s(" exceeds ").g(c.maxDist, -1).s(" (probability ").g(p, 3).s(")").String()
	}
	return Result{
		Check: c.Name(), Quality: q, Reason: reason,
		Values: []Value{{"Prob", p}, {"MaxDist", t.MaxDist}, {"Z", t.Z}, {"PValueBad", c.pv.bad}, {"PValueMedium", c.pv.medium}},
	}, nil
}

type binByBin struct {
	abs, rel, nsigma float64
	norm             bool
	ignore, minStat  float64
	grade            countGrade
	pub              pubOpt
}

func (c *binByBin) Name() string { return "BinByBin" }

func (c *binByBin) Run(h, ref *overwatch.Hist) (Result, error) {
	if r, done, err := referencePrelude(c.Name(), h, ref, c.minStat, true); done {
		return r, err
	}
	lo, hi := binRange(h)
	cb, cells := getCells(h, lo, hi)
	defer cellPool.Put(cb)
	ncells := len(cells)
	scale := 1.0
	if c.norm {
		var sh, sr float64
		for _, b := range cells {
			sh += content(h, b)
			sr += content(ref, b)
		}
		if sh == 0 {
			return null(c.Name(), ReasonEmpty), nil
		}
		if sr == 0 {
			return null(c.Name(), "empty reference histogram"), nil
		}
		scale = sh / sr
	}
	r := Result{Check: c.Name()}
	for _, b := range cells {
		v := content(h, b)
		if v == c.ignore {
			continue
		}
		rv := content(ref, b) * scale
		d := math.Abs(v - rv)
		if c.abs >= 0 && !(d > c.abs) {
			continue
		}
		if c.rel >= 0 {
			rel := 0.0
			switch {
			case rv != 0:
				rel = d / math.Abs(rv)
			case d != 0:
				rel = math.Inf(1)
			}
			if !(rel > c.rel) {
				continue
			}
		}
		if c.nsigma >= 0 {
			s := math.Sqrt(err2(h, b) + scale*scale*err2(ref, b))
			if s == 0 || !(d/s > c.nsigma) {
				continue
			}
		}
		c.pub.publish(&r, h, b, v)
	}
	n := float64(len(r.Bins))
	r.Quality = byCount(n, c.grade.green, c.grade.red)
	r.Reason = rb(make([]byte, 0, 128)).d(len(r.Bins)).s(" of ").d(ncells).s(" bins differ from the reference").s(c.grade.text()).String()
	r.Values = []Value{{"NBins", n}, {"Scale", scale}, {"MaxDiffAbs", c.abs}, {"MaxDiffRel", c.rel}, {"NSigma", c.nsigma}}
	return r, nil
}

type binsDiffFromAvg struct {
	nsigma, abs, rel float64
	greater, less    bool
	ignore, minStat  float64
	grade            countGrade
	pub              pubOpt
}

func (c *binsDiffFromAvg) Name() string { return "Bins_Diff_FromAvg" }

// Run follows athena's dqm_algorithms/src/Bins_Diff_FromAvg.cxx: the
// average is Σ(c/e²)/Σ(1/e²) over the bins whose content is not ignoreval
// and whose error is not zero; a bin offends when |c-avg|/e > NSigma,
// |c-avg| > MaxDiffAbs and |c-avg|/avg > MaxDiffRel (with GreaterThan or
// LessThan only on that side). Differences from athena: the first
// MaxPublish offending bins are published (athena publishes MaxPublish-1)
// and PublishBins defaults to true.
func (c *binsDiffFromAvg) Run(h, _ *overwatch.Hist) (Result, error) {
	if r, done, err := prelude(c.Name(), h, c.minStat); done {
		return r, err
	}
	if h.Dim() > 2 {
		return Result{}, fmt.Errorf("%w: Bins_Diff_FromAvg needs a 1-D or 2-D histogram, %q is %d-D", overwatch.ErrIncompatible, h.Name, h.Dim())
	}
	lo, hi := binRange(h)
	cb, cells := getCells(h, lo, hi)
	defer cellPool.Put(cb)
	var sumwe, sume float64
	for _, b := range cells {
		v, e2 := content(h, b), err2(h, b)
		if v == c.ignore || e2 == 0 {
			continue
		}
		w := 1 / e2
		sumwe += v * w
		sume += w
	}
	if sume == 0 {
		return null(c.Name(), "no bin with a non-zero error", Value{"SumErrors", sume}), nil
	}
	avg := sumwe / sume
	r := Result{Check: c.Name()}
	for _, b := range cells {
		v, e2 := content(h, b), err2(h, b)
		if v == c.ignore || e2 == 0 {
			continue
		}
		e := math.Sqrt(e2)
		diff := v - avg
		rel := 1.0
		if avg != 0 {
			rel = diff / avg
		} else if diff == 0 {
			rel = 0
		}
		if (c.greater && diff < 0) || (c.less && diff > 0) {
			continue
		}
		if math.Abs(diff/e) > c.nsigma && math.Abs(diff) > c.abs && math.Abs(rel) > c.rel {
			c.pub.publish(&r, h, b, v)
		}
	}
	n := float64(len(r.Bins))
	r.Quality = byCount(n, c.grade.green, c.grade.red)
	r.Reason = rb(make([]byte, 0, 128)).d(len(r.Bins)).s(" bins more than ").g(c.nsigma, -1).s(" σ from the average ").g(avg, 4).s(c.grade.text()).String()
	r.Values = []Value{{"Average", avg}, {"NBins", n}, {"NSigma", c.nsigma}}
	return r, nil
}

type momentInRange struct {
	what     string
	name     string
	min, max float64
	axis     int
	minStat  float64
}

func (c *momentInRange) Name() string { return c.name }

func (c *momentInRange) Run(h, _ *overwatch.Hist) (Result, error) {
	if r, done, err := prelude(c.Name(), h, c.minStat); done {
		return r, err
	}
	maxAxis := h.Dim() - 1
	if h.IsProfile() {
		maxAxis++
	}
	if c.axis > maxAxis {
		return Result{}, fmt.Errorf("%w: %s %q has no axis %d", overwatch.ErrIncompatible, h.Class, h.Name, c.axis)
	}
	if h.StatSums().Sumw == 0 {
		return null(c.Name(), ReasonEmpty), nil
	}
	v := h.Mean(c.axis)
	if c.what == "StdDev" {
		v = h.StdDev(c.axis)
	}
	r := Result{Check: c.Name(), Quality: overwatch.QualityGood,
		Values: []Value{{c.what, v}, {"Min", c.min}, {"Max", c.max}}}
	if v < c.min || v > c.max || math.IsNaN(v) {
		r.Quality = overwatch.QualityBad
		r.Reason = rb(make([]byte, 0, 128)).s(c.what).s(" ").g(v, 4).s(" is outside [").g(c.min, -1).s(", ").g(c.max, -1).s("]").String()
	} else {
		r.Reason = rb(make([]byte, 0, 128)).s(c.what).s(" ").g(v, 4).s(" is within [").g(c.min, -1).s(", ").g(c.max, -1).s("]").String()
	}
	return r, nil
}

type minEntries struct{ min float64 }

func (c *minEntries) Name() string { return "MinEntries" }

func (c *minEntries) Run(h, _ *overwatch.Hist) (Result, error) {
	if err := checkCells(h); err != nil {
		return Result{}, err
	}
	r := Result{Check: c.Name(), Quality: overwatch.QualityGood, Values: []Value{{"Entries", h.Entries}, {"Min", c.min}}}
	if h.Entries < c.min {
		r.Quality = overwatch.QualityBad
		r.Reason = rb(make([]byte, 0, 128)).g(h.Entries, -1).s(" entries, fewer than ").g(c.min, -1).String()
	} else {
		r.Reason = rb(make([]byte, 0, 128)).g(h.Entries, -1).s(" entries, at least ").g(c.min, -1).String()
	}
	return r, nil
}

type emptyFraction struct{ bad, medium, minStat float64 }

func (c *emptyFraction) Name() string { return "EmptyBinsFraction" }

func (c *emptyFraction) Run(h, _ *overwatch.Hist) (Result, error) {
	if r, done, err := prelude(c.Name(), h, c.minStat); done {
		return r, err
	}
	lo, hi := binRange(h)
	n := countCells(lo, hi)
	if n == 0 {
		return null(c.Name(), "no bin in range"), nil
	}
	empty := 0
	cb, cells := getCells(h, lo, hi)
	defer cellPool.Put(cb)
	for _, b := range cells {
		if content(h, b) == 0 {
			empty++
		}
	}
	f := float64(empty) / float64(n)
	r := Result{Check: c.Name(), Quality: overwatch.QualityGood,
		Values: []Value{{"Fraction", f}, {"EmptyBins", float64(empty)}, {"MaxFraction", c.bad}, {"MediumFraction", c.medium}}}
	switch {
	case f > c.bad:
		r.Quality = overwatch.QualityBad
	case c.medium >= 0 && f > c.medium:
		r.Quality = overwatch.QualityMedium
	}
	r.Reason = rb(make([]byte, 0, 128)).d(empty).s(" of ").d(n).s(" bins empty (").g(f, 3).s("; Bad above ").g(c.bad, -1).s(")").String()
	return r, nil
}

// channels finds dead or hot channels on a 1-D or 2-D map by comparing each
// in-range bin with the median of its in-range neighbours within Radius.
type channels struct {
	name      string
	hot       bool
	radius    int
	factor    float64
	minMedian float64
	minStat   float64
	grade     countGrade
	pub       pubOpt
}

func (c *channels) Name() string { return c.name }

func (c *channels) Run(h, _ *overwatch.Hist) (Result, error) { return c.run(h, nil) }

// RunExcluding is Run with the given cells (known bad channels) neither
// judged nor reported.
func (c *channels) RunExcluding(h, _ *overwatch.Hist, exclude []int) (Result, error) {
	if len(exclude) == 0 {
		return c.run(h, nil)
	}
	ex := make(map[int]bool, len(exclude))
	for _, e := range exclude {
		ex[e] = true
	}
	return c.run(h, ex)
}

func (c *channels) run(h *overwatch.Hist, exclude map[int]bool) (Result, error) {
	if r, done, err := prelude(c.name, h, c.minStat); done {
		return r, err
	}
	if h.Dim() > 2 {
		return Result{}, fmt.Errorf("%w: %s needs a 1-D or 2-D channel map, %q is %d-D", overwatch.ErrIncompatible, c.name, h.Name, h.Dim())
	}
	dim := h.Dim()
	nx, ny := h.X.NBins, 1
	if dim == 2 {
		ny = h.Y.NBins
	}
	ry := c.radius
	if dim == 1 {
		ry = 0
	}
	// The in-range contents as a dense nx × ny grid, and a scratch buffer
	// for the neighbourhoods, from a pool.
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	grid := sc.grid(nx * ny)
	stride := nx + 2 // cells per row, with under- and overflow
	if dim == 1 {
		copy(grid, h.Contents[1:nx+1])
	}
	for iy := 1; iy <= ny && (dim == 2 || h.BinEntries != nil); iy++ {
		for ix := 1; ix <= nx; ix++ {
			grid[(iy-1)*nx+ix-1] = content(h, ix+stride*iy*(dim-1))
		}
	}
	buf := sc.buf[:0]
	r := Result{Check: c.name}
	judged := 0
	for iy := 0; iy < ny; iy++ {
		for ix := 0; ix < nx; ix++ {
			y0, y1 := max(0, iy-ry), min(ny-1, iy+ry)
			x0, x1 := max(0, ix-c.radius), min(nx-1, ix+c.radius)
			lo, hi := math.Inf(1), math.Inf(-1)
			if dim == 1 {
				// A 1-D map: the neighbours left and right of the
				// channel, without testing each for being the channel.
				for _, x := range grid[x0:ix] {
					if x < lo {
						lo = x
					}
					if x > hi {
						hi = x
					}
				}
				for _, x := range grid[ix+1 : x1+1] {
					if x < lo {
						lo = x
					}
					if x > hi {
						hi = x
					}
				}
			} else {
				for jy := y0; jy <= y1; jy++ {
					row := grid[jy*nx : (jy+1)*nx]
					for jx := x0; jx <= x1; jx++ {
						if jx != ix || jy != iy {
							x := row[jx]
							if x < lo {
								lo = x
							}
							if x > hi {
								hi = x
							}
						}
					}
				}
			}
			if hi < lo {
				continue // no neighbour
			}
			// median gathers the neighbourhood and returns its median, for
			// the channels the bounds do not decide.
			median := func() float64 {
				buf = buf[:0]
				for jy := y0; jy <= y1; jy++ {
					row := grid[jy*nx : (jy+1)*nx]
					for jx := x0; jx <= x1; jx++ {
						if jx != ix || jy != iy {
							buf = append(buf, row[jx])
						}
					}
				}
				return medianOf(buf)
			}
			// The median lies within [lo, hi]: most channels are decided by
			// these bounds without sorting their neighbourhood.
			v := grid[iy*nx+ix]
			cell := ix + 1 + stride*(iy+1)*(dim-1)
			if exclude != nil && exclude[cell] {
				continue
			}
			if c.hot {
				judged++
				if v <= c.factor*max(lo, c.minMedian) {
					continue
				}
				if v > c.factor*max(median(), c.minMedian) {
					c.pub.publish(&r, h, cell, v)
				}
				continue
			}
			if hi < c.minMedian {
				continue // median below MinMedian: not judged
			}
			if lo >= c.minMedian && v > c.factor*hi {
				judged++ // judged and alive
				continue
			}
			med := median()
			if med < c.minMedian {
				continue
			}
			judged++
			if v <= c.factor*med {
				c.pub.publish(&r, h, cell, v)
			}
		}
	}
	sc.buf = buf
	kind := "dead"
	if c.hot {
		kind = "hot"
	}
	n := float64(len(r.Bins))
	r.Quality = byCount(n, c.grade.green, c.grade.red)
	reason := rb(make([]byte, 0, 128)).d(len(r.Bins)).s(" ").s(kind).s(" channels of ").d(judged).s(" judged").s(c.grade.text())
	if len(exclude) > 0 {
		reason = reason.s(" (").d(len(exclude)).s(" known bad channels excluded)")
	}
	r.Reason = reason.String()
	r.Values = []Value{{"NBins", n}, {"Judged", float64(judged)}}
	return r, nil
}

// scratch holds reusable buffers of the channel checks.
type scratch struct{ g, buf []float64 }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (s *scratch) grid(n int) []float64 {
	if cap(s.g) < n {
		s.g = make([]float64, n)
	}
	return s.g[:n]
}

// medianOf sorts s and returns its median.
func medianOf(s []float64) float64 {
	if len(s) <= 16 {
		for i := 1; i < len(s); i++ { // insertion sort: neighbourhoods are small
			for j := i; j > 0 && s[j] < s[j-1]; j-- {
				s[j], s[j-1] = s[j-1], s[j]
			}
		}
	} else {
		slices.Sort(s)
	}
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return 0.5 * (s[n/2-1] + s[n/2])
}

// Reasons are built without fmt: a check runs thousands of times per
// snapshot and fmt's boxing of every argument dominated their cost.

// rb builds a reason in one buffer.
type rb []byte

func (b rb) s(x string) rb            { return append(b, x...) }
func (b rb) g(x float64, prec int) rb { return strconv.AppendFloat(b, x, 'g', prec, 64) }
func (b rb) d(n int) rb               { return strconv.AppendInt(b, int64(n), 10) }
func (b rb) String() string           { return string(b) }
