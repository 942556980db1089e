package quality

import (
	"errors"

	"github.com/overwatch-dqm/overwatch"
)

// ErrConfig is wrapped by every error about a check declaration: an unknown
// check, an unknown, missing or ill-typed parameter, or parameters that
// contradict each other.
var ErrConfig = errors.New("quality: invalid check configuration")

// Check is one data-quality check, configured: Run judges a histogram,
// against a reference when the check compares (ref may be nil otherwise;
// a comparing check given no reference returns a Null result saying so).
// Run never panics and never modifies h or ref; incompatible binning of h
// and ref is an error wrapping overwatch.ErrIncompatible.
type Check interface {
	// Name returns the registered name of the check (e.g. "Chi2Test").
	Name() string
	Run(h, ref *overwatch.Hist) (Result, error)
}

// Excluder is implemented by the checks that can leave known bad channels
// out (DeadChannels, HotChannels): the cells in exclude are neither judged
// nor reported.
type Excluder interface {
	RunExcluding(h, ref *overwatch.Hist, exclude []int) (Result, error)
}

// Value is one named number a check used or computed (a threshold, a
// statistic, a count).
type Value struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Bin is an offending bin published by a check: its global cell, its bin
// centres and its content.
type Bin struct {
	Cell    int     `json:"cell"`
	X       float64 `json:"x"`
	Y       float64 `json:"y,omitempty"`
	Content float64 `json:"content"`
}

// Result is the verdict of a check on one histogram.
type Result struct {
	// Check is the registered name of the check that produced the result.
	Check string `json:"check"`
	// Quality is Good, Medium or Bad, or Null when the check could not judge
	// (empty histogram, insufficient entries, no reference); Reason says why.
	Quality overwatch.Quality `json:"quality"`
	Reason  string            `json:"reason"`
	// Values are the numbers the check used and computed.
	Values []Value `json:"values,omitempty"`
	// Bins is the mask of offending bins (global cells, increasing) for the
	// checks that locate them; nil otherwise.
	Bins []int `json:"bins,omitempty"`
	// Published lists up to the check's MaxPublish offending bins with their
	// coordinates, for display.
	Published []Bin `json:"published,omitempty"`
}

// Value returns the named value of the result.
func (r Result) Value(name string) (float64, bool) {
	for _, v := range r.Values {
		if v.Name == name {
			return v.Value, true
		}
	}
	return 0, false
}

// Mask returns a histogram with h's binning holding h's content in the
// offending bins of r and zero elsewhere (ATLAS's result histogram), or nil
// when r has no offending bins.
func (r Result) Mask(h *overwatch.Hist) *overwatch.Hist {
	if len(r.Bins) == 0 || h == nil || h.IsProfile() {
		return nil
	}
	m := h.CloneEmpty()
	m.Name = h.Name + "_mask"
	for _, c := range r.Bins {
		if c >= 0 && c < len(m.Contents) && c < len(h.Contents) {
			m.Contents[c] = h.Contents[c]
		}
	}
	m.Entries = float64(len(r.Bins))
	return m
}

// null returns a Null result with a reason.
func null(check, reason string, values ...Value) Result {
	return Result{Check: check, Quality: overwatch.QualityNull, Reason: reason, Values: values}
}

// byCount grades a count of offending bins the way ATLAS's algorithms grade
// NBins: Good up to green, Bad from red on, Medium between.
func byCount(count, green, red float64) overwatch.Quality {
	switch {
	case count <= green:
		return overwatch.QualityGood
	case count < red:
		return overwatch.QualityMedium
	}
	return overwatch.QualityBad
}
