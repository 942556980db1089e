package trending

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// alarmDefaults are the original's default parameters per kind
// (original-processing.md §7.2).
var alarmDefaults = map[string]map[string]float64{
	"BetweenValues":         {"centerValue": 50, "maxDistance": 50},
	"CheckLastN":            {"minVal": 0, "maxVal": 100, "ratio": 0.6, "N": 5},
	"MeanInRange":           {"minVal": 0, "maxVal": 100, "N": 5},
	"AbsolutePreviousValue": {"maxDelta": 1},
	"RelativePreviousValue": {"ratio": 2},
}

var knownParams = map[string][]string{
	"BetweenValues":         {"centerValue", "maxDistance", "minVal", "maxVal"},
	"CheckLastN":            {"minVal", "maxVal", "ratio", "N"},
	"MeanInRange":           {"minVal", "maxVal", "N"},
	"AbsolutePreviousValue": {"maxDelta"},
	"RelativePreviousValue": {"ratio"},
	"And":                   {},
	"Or":                    {},
}

// BuildCheck returns the Check a value-alarm spec describes, with the
// original's defaults for parameters not given. Unknown kinds or
// parameters, non-finite values and invalid combinations are errors.
func BuildCheck(s overwatch.AlarmSpec) (Check, error) {
	allowed, ok := knownParams[s.Kind]
	if !ok {
		kinds := make([]string, 0, len(knownParams))
		for k := range knownParams {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		return nil, fmt.Errorf("trending: unknown alarm kind %q (known: %s)", s.Kind, strings.Join(kinds, ", "))
	}
	for k, v := range s.Params {
		found := false
		for _, a := range allowed {
			found = found || a == k
		}
		if !found {
			return nil, fmt.Errorf("trending: alarm %s has no parameter %q (allowed: %s)", s.Kind, k, strings.Join(allowed, ", "))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("trending: alarm %s parameter %s is %v", s.Kind, k, v)
		}
	}
	p := func(name string) float64 {
		if v, ok := s.Params[name]; ok {
			return v
		}
		return alarmDefaults[s.Kind][name]
	}
	has := func(name string) bool { _, ok := s.Params[name]; return ok }
	intN := func() (int, error) {
		n := p("N")
		if n < 1 || n != math.Trunc(n) || n > 1e6 {
			return 0, fmt.Errorf("trending: alarm %s: N must be a positive integer, got %v", s.Kind, n)
		}
		return int(n), nil
	}
	checkRange := func(lo, hi float64) error {
		if lo > hi {
			return fmt.Errorf("trending: alarm %s: minVal %v > maxVal %v", s.Kind, lo, hi)
		}
		return nil
	}
	switch s.Kind {
	case "BetweenValues":
		b := NewBetweenValuesCentered(p("centerValue"), p("maxDistance"))
		if has("minVal") {
			b.Min = s.Params["minVal"]
		}
		if has("maxVal") {
			b.Max = s.Params["maxVal"]
		}
		return b, checkRange(b.Min, b.Max)
	case "CheckLastN":
		n, err := intN()
		if err != nil {
			return nil, err
		}
		if r := p("ratio"); r < 0 || r > 1 {
			return nil, fmt.Errorf("trending: alarm CheckLastN: ratio must be within [0, 1], got %v", r)
		}
		return CheckLastN{Min: p("minVal"), Max: p("maxVal"), Ratio: p("ratio"), N: n}, checkRange(p("minVal"), p("maxVal"))
	case "MeanInRange":
		n, err := intN()
		if err != nil {
			return nil, err
		}
		return MeanInRange{Min: p("minVal"), Max: p("maxVal"), N: n}, checkRange(p("minVal"), p("maxVal"))
	case "AbsolutePreviousValue":
		if p("maxDelta") < 0 {
			return nil, fmt.Errorf("trending: alarm AbsolutePreviousValue: maxDelta must be >= 0, got %v", p("maxDelta"))
		}
		return AbsolutePreviousValue{MaxDelta: p("maxDelta")}, nil
	case "RelativePreviousValue":
		if !(p("ratio") > 1) {
			return nil, fmt.Errorf("trending: alarm RelativePreviousValue: ratio must be > 1, got %v", p("ratio"))
		}
		return RelativePreviousValue{Ratio: p("ratio")}, nil
	}
	return nil, fmt.Errorf("trending: alarm kind %s combines children; it has no check of its own", s.Kind)
}

// alarmName returns the name of an alarm spec within its trend: its Name,
// or kind and label.
func alarmName(s overwatch.AlarmSpec, i int) string {
	if s.Name != "" {
		return s.Name
	}
	name := s.Kind
	if s.Text != "" {
		name += "-" + s.Text
	}
	return fmt.Sprintf("%s#%d", name, i)
}

// ValidateSpec checks an alarm spec (recursively for And/Or).
func ValidateSpec(s overwatch.AlarmSpec) error {
	switch s.Kind {
	case "And", "Or":
		if len(s.Children) == 0 {
			return fmt.Errorf("trending: %s alarm %q has no children", s.Kind, s.Text)
		}
		for _, c := range s.Children {
			if err := ValidateSpec(c); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := BuildCheck(s)
	return err
}

// evaluateSpec evaluates an alarm spec on one series. And/Or specs combine
// children evaluated on the same series (for aggregates over several
// trends, build Aggregate trees directly).
func evaluateSpec(s overwatch.AlarmSpec, series []float64) (bool, string, error) {
	switch s.Kind {
	case "And", "Or":
		var raised []string
		all := true
		for _, c := range s.Children {
			on, _, err := evaluateSpec(c, series)
			if err != nil {
				return false, "", err
			}
			if on {
				raised = append(raised, c.Text)
			} else {
				all = false
			}
		}
		on := len(raised) > 0
		if s.Kind == "And" {
			on = all
		}
		if !on {
			return false, "", nil
		}
		return true, "[" + s.Text + "]: " + strings.Join(raised, ", "), nil
	}
	c, err := BuildCheck(s)
	if err != nil {
		return false, "", err
	}
	on, body := c.Check(series)
	if !on {
		return false, "", nil
	}
	return true, "[" + s.Text + "]: " + body, nil
}
