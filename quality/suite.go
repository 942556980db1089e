package quality

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/overwatch-dqm/overwatch"
)

// Config is the quality configuration of one subsystem: the checks to run
// (in addition to those its detector plug-in declares) and how their
// results combine into the subsystem's quality.
type Config struct {
	Checks      []overwatch.CheckSpec `yaml:"checks" json:"checks"`
	Aggregation Aggregator            `yaml:"aggregation" json:"aggregation"`
}

// Validate checks every spec against the registry, the uniqueness of their
// IDs and the aggregation rule, and returns every problem found (errors
// wrap ErrConfig).
func (c *Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, s := range c.Checks {
		if err := Validate(s); err != nil {
			errs = append(errs, fmt.Errorf("checks[%d]: %w", i, err))
		}
		if seen[s.ID()] {
			errs = append(errs, fmt.Errorf("checks[%d]: %w: check %s declared twice (give each a distinct name)", i, ErrConfig, s.ID()))
		}
		seen[s.ID()] = true
	}
	if err := c.Aggregation.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("aggregation: %w", err))
	}
	return joinErrs(errs)
}

func joinErrs(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%w; %s", errs[0], strings.Join(msgs[1:], "; "))
}

// OptionPrefix starts the names of the processing options that override
// check parameters: "quality.<check ID>.<parameter>".
const OptionPrefix = "quality."

// OptionName is the processing option overriding a parameter of a check.
func OptionName(id, param string) string { return OptionPrefix + id + "." + param }

// Options returns a processing option for every parameter of every spec,
// named by OptionName, defaulting to the spec's value (or the check's
// default), so that a time slice can re-run the checks with other
// thresholds. Specs must be valid (see Validate); an invalid one is an
// error.
func Options(specs []overwatch.CheckSpec) ([]overwatch.OptionSpec, error) {
	var out []overwatch.OptionSpec
	for _, s := range specs {
		d, ok := Lookup(s.Check)
		if !ok {
			return nil, fmt.Errorf("%w: unknown check %q", ErrConfig, s.Check)
		}
		vals, err := d.Values(s.Params)
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", s.ID(), err)
		}
		for _, p := range d.Params {
			o := p
			o.Name = OptionName(s.ID(), p.Name)
			o.Default = vals[p.Name]
			o.Help = s.Check + " on " + s.Hist + ": " + p.Help
			out = append(out, o)
		}
	}
	return out, nil
}

// Suite is the configured checks of one subsystem, ready to run on its
// histograms. It is safe for concurrent use.
type Suite struct {
	entries []suiteEntry
	agg     Aggregator

	// matches caches the entries applying to each histogram name seen
	// (glob matching costs more than most checks), up to maxMatchCache
	// names.
	mu      sync.RWMutex
	matches map[string][]int
}

const maxMatchCache = 100000

type suiteEntry struct {
	spec  overwatch.CheckSpec
	check Check
	ref   bool // the check compares with a reference
}

// NewSuite builds the checks of specs, each parameter overridden by the
// processing option OptionName(id, param) when opts holds it, and the
// aggregation rule. Errors wrap ErrConfig.
func NewSuite(specs []overwatch.CheckSpec, opts overwatch.Values, agg Aggregator) (*Suite, error) {
	if err := agg.Validate(); err != nil {
		return nil, err
	}
	s := &Suite{agg: agg}
	seen := map[string]bool{}
	for _, spec := range specs {
		if seen[spec.ID()] {
			return nil, fmt.Errorf("%w: check %s declared twice (give each a distinct name)", ErrConfig, spec.ID())
		}
		seen[spec.ID()] = true
		if prefix := OptionPrefix + spec.ID() + "."; len(opts) > 0 {
			params := make(map[string]any, len(spec.Params))
			for k, v := range spec.Params {
				params[k] = v
			}
			for k, v := range opts {
				if strings.HasPrefix(k, prefix) {
					params[strings.TrimPrefix(k, prefix)] = v
				}
			}
			spec.Params = params
		}
		c, err := New(spec)
		if err != nil {
			return nil, err
		}
		d, _ := Lookup(spec.Check)
		s.entries = append(s.entries, suiteEntry{spec: spec, check: c, ref: d != nil && d.Reference})
	}
	return s, nil
}

// Len returns the number of checks of the suite.
func (s *Suite) Len() int { return len(s.entries) }

// Applies reports whether any check of the suite applies to the histogram.
func (s *Suite) Applies(name string) bool { return len(s.matching(name)) > 0 }

// NeedsReference reports whether a check of the suite applying to the
// histogram compares with a reference (so that the caller fetches one only
// then).
func (s *Suite) NeedsReference(name string) bool {
	for _, i := range s.matching(name) {
		if s.entries[i].ref {
			return true
		}
	}
	return false
}

// matching returns the indices of the entries applying to name.
func (s *Suite) matching(name string) []int {
	s.mu.RLock()
	m, ok := s.matches[name]
	s.mu.RUnlock()
	if ok {
		return m
	}
	for i, e := range s.entries {
		if e.spec.Matches(name) {
			m = append(m, i)
		}
	}
	s.mu.Lock()
	if s.matches == nil {
		s.matches = map[string][]int{}
	}
	if len(s.matches) < maxMatchCache {
		s.matches[name] = m
	}
	s.mu.Unlock()
	return m
}

// Outcome is the result of one check of a suite on one histogram.
type Outcome struct {
	ID     string `json:"id"`
	Hist   string `json:"hist"`
	Result `json:"result"`
}

// Run runs every check of the suite that applies to the named histogram, in
// declaration order; ref is the histogram's reference (nil when there is
// none). A check's error (e.g. a reference with other binning) becomes a
// Null outcome whose reason is the error, so that one bad reference does
// not hide the other checks.
func (s *Suite) Run(name string, h, ref *overwatch.Hist) []Outcome {
	idx := s.matching(name)
	if len(idx) == 0 {
		return nil
	}
	out := make([]Outcome, 0, len(idx))
	for _, i := range idx {
		e := &s.entries[i]
		r, err := e.check.Run(h, ref)
		if err != nil {
			r = null(e.check.Name(), err.Error())
		}
		out = append(out, Outcome{ID: e.spec.ID(), Hist: name, Result: r})
	}
	return out
}

// RunExcluding is Run with known bad channels (global cells of h) left
// out: checks that can (Excluder: DeadChannels, HotChannels) skip them;
// the others see copies of h and ref with those cells emptied, so that a
// masked channel does not count in a comparison (Chi2Test skips bins empty
// in both, BinByBin finds them equal). EmptyBinsFraction still counts them
// as empty.
func (s *Suite) RunExcluding(name string, h, ref *overwatch.Hist, exclude []int) []Outcome {
	if len(exclude) == 0 {
		return s.Run(name, h, ref)
	}
	idx := s.matching(name)
	if len(idx) == 0 {
		return nil
	}
	var mh, mref *overwatch.Hist // masked copies, made when first needed
	out := make([]Outcome, 0, len(idx))
	for _, i := range idx {
		e := &s.entries[i]
		var r Result
		var err error
		if ex, ok := e.check.(Excluder); ok {
			r, err = ex.RunExcluding(h, ref, exclude)
		} else {
			if mh == nil {
				mh, mref = emptied(h, exclude), emptied(ref, exclude)
			}
			r, err = e.check.Run(mh, mref)
		}
		if err != nil {
			r = null(e.check.Name(), err.Error())
		}
		out = append(out, Outcome{ID: e.spec.ID(), Hist: name, Result: r})
	}
	return out
}

// emptied returns a copy of h with the given cells' content (and errors)
// set to zero, nil for nil.
func emptied(h *overwatch.Hist, cells []int) *overwatch.Hist {
	if h == nil {
		return nil
	}
	c := h.Clone()
	for _, cell := range cells {
		if cell >= 0 && cell < len(c.Contents) {
			c.Contents[cell] = 0
			if cell < len(c.Sumw2) {
				c.Sumw2[cell] = 0
			}
			if cell < len(c.BinEntries) {
				c.BinEntries[cell] = 0
			}
		}
	}
	return c
}

// Aggregate combines qualities with the suite's rule.
func (s *Suite) Aggregate(qs []overwatch.Quality) (overwatch.Quality, string) {
	return s.agg.Aggregate(qs)
}

// Summary aggregates outcomes with the suite's rule.
func (s *Suite) Summary(outs []Outcome) (overwatch.Quality, string) {
	qs := make([]overwatch.Quality, len(outs))
	for i, o := range outs {
		qs[i] = o.Quality
	}
	return s.agg.Aggregate(qs)
}

// Worst returns the worst of the outcomes of one histogram with their
// reasons, worst first, as the histogram's flag.
func Worst(outs []Outcome) (overwatch.Quality, []string) {
	q := overwatch.QualityNull
	sorted := append([]Outcome(nil), outs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Quality > sorted[j].Quality })
	var reasons []string
	for _, o := range sorted {
		q = max(q, o.Quality)
		reasons = append(reasons, o.ID+": "+o.Quality.String()+" — "+o.Reason)
	}
	return q, reasons
}
