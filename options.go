package overwatch

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// OptionType is the type of a processing option.
type OptionType string

// The option types.
const (
	OptionBool   OptionType = "bool"
	OptionInt    OptionType = "int"
	OptionFloat  OptionType = "float"
	OptionString OptionType = "string"
)

// OptionSpec declares one processing option of a detector: the web app
// builds the time-slice form from these declarations, and requests are
// validated against them.
type OptionSpec struct {
	Name    string
	Type    OptionType
	Default any // bool, int64, float64 or string matching Type
	// Min and Max bound numeric options (inclusive) when HasRange is set.
	Min, Max float64
	HasRange bool
	Help     string
}

// Values holds processing option values by name. Values are bool, int64,
// float64 or string.
type Values map[string]any

// Bool returns a bool option (false when absent or of another type).
func (v Values) Bool(name string) bool { b, _ := v[name].(bool); return b }

// Int returns an integer option (0 when absent; floats are truncated).
func (v Values) Int(name string) int64 {
	switch x := v[name].(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}

// Float returns a numeric option as float64 (0 when absent).
func (v Values) Float(name string) float64 {
	switch x := v[name].(type) {
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// String returns a string option ("" when absent).
func (v Values) String(name string) string { s, _ := v[name].(string); return s }

// Clone returns a copy of v.
func (v Values) Clone() Values {
	c := make(Values, len(v))
	for k, x := range v {
		c[k] = x
	}
	return c
}

// Equal reports whether v and o hold the same options with the same values.
func (v Values) Equal(o Values) bool { return v.Canonical() == o.Canonical() }

// Canonical returns a canonical text form of v: keys sorted, numbers in a
// fixed format (shortest round-trip, 'g'), so that equal option sets give
// equal strings in every process and language-independent hashes.
func (v Values) Canonical() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		switch x := v[k].(type) {
		case bool:
			b.WriteString(strconv.FormatBool(x))
		case int64:
			b.WriteString(strconv.FormatInt(x, 10))
		case int:
			b.WriteString(strconv.Itoa(x))
		case float64:
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		case string:
			b.WriteString(strconv.Quote(x))
		default:
			b.WriteString(strconv.Quote(fmt.Sprint(x)))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// DefaultValues returns the declared defaults.
func DefaultValues(specs []OptionSpec) Values {
	v := make(Values, len(specs))
	for _, s := range specs {
		v[s.Name] = s.Default
	}
	return v
}

// ParseValues validates raw option texts (as sent by a form or a URL)
// against specs and returns the complete option set: defaults for options
// not given, parsed and range-checked values for the others. An option that
// is not declared is an error naming the declared ones.
func ParseValues(specs []OptionSpec, raw map[string]string) (Values, error) {
	v := DefaultValues(specs)
	byName := make(map[string]OptionSpec, len(specs))
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		byName[s.Name] = s
		names = append(names, s.Name)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, ok := byName[k]
		if !ok {
			if len(names) == 0 {
				return nil, fmt.Errorf("unknown processing option %q: this subsystem declares no options", k)
			}
			return nil, fmt.Errorf("unknown processing option %q (declared: %s)", k, strings.Join(names, ", "))
		}
		x, err := s.Parse(raw[k])
		if err != nil {
			return nil, err
		}
		v[k] = x
	}
	return v, nil
}

// Parse parses and validates one value of the option.
func (s OptionSpec) Parse(text string) (any, error) {
	text = strings.TrimSpace(text)
	switch s.Type {
	case OptionBool:
		switch strings.ToLower(text) {
		case "1", "true", "on", "yes":
			return true, nil
		case "0", "false", "off", "no", "":
			return false, nil
		}
		return nil, fmt.Errorf("option %s: %q is not a boolean", s.Name, text)
	case OptionInt:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("option %s: %q is not an integer", s.Name, text)
		}
		if s.HasRange && (float64(n) < s.Min || float64(n) > s.Max) {
			return nil, fmt.Errorf("option %s: %d is outside [%g, %g]", s.Name, n, s.Min, s.Max)
		}
		return n, nil
	case OptionFloat:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("option %s: %q is not a finite number", s.Name, text)
		}
		if s.HasRange && (f < s.Min || f > s.Max) {
			return nil, fmt.Errorf("option %s: %g is outside [%g, %g]", s.Name, f, s.Min, s.Max)
		}
		return f, nil
	case OptionString:
		return text, nil
	}
	return nil, fmt.Errorf("option %s: unknown type %q", s.Name, s.Type)
}
