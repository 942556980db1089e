package quality

import (
	"fmt"
	"math"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/overwatch-dqm/overwatch"
)

// Definition describes a check kind: its name, what it does, its typed
// parameters (a parameter whose Default is nil is required) and how to
// build a configured Check from validated parameter values.
type Definition struct {
	Name string
	Help string
	// Reference reports whether the check compares with a reference
	// histogram.
	Reference bool
	Params    []overwatch.OptionSpec
	// New builds the check from values that hold every parameter, typed
	// (bool, int64, float64 or string as the spec says).
	New func(p overwatch.Values) (Check, error)
}

// Param returns the named parameter's spec.
func (d *Definition) Param(name string) (overwatch.OptionSpec, bool) {
	for _, p := range d.Params {
		if p.Name == name {
			return p, true
		}
	}
	return overwatch.OptionSpec{}, false
}

var (
	regMu    sync.RWMutex
	registry = map[string]*Definition{}
)

// Register adds a check kind to the registry; checks register from init
// functions. It panics on an empty or duplicate name or a missing New, which
// are programming errors.
func Register(d Definition) {
	if d.Name == "" || d.New == nil {
		panic("quality: Register needs a name and a New function")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[d.Name]; dup {
		panic("quality: check " + d.Name + " registered twice")
	}
	registry[d.Name] = &d
}

// Lookup returns the named check kind.
func Lookup(name string) (*Definition, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	d, ok := registry[name]
	return d, ok
}

// Definitions returns every registered check kind, sorted by name.
func Definitions() []*Definition {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]*Definition, 0, len(registry))
	for _, d := range registry {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func names() string {
	var s []string
	for _, d := range Definitions() {
		s = append(s, d.Name)
	}
	return strings.Join(s, ", ")
}

// New builds the check a spec declares, validating it against the
// registry: the check must be registered, every parameter known, of the
// right type and in range, and every required parameter given. Errors wrap
// ErrConfig and name the check and the parameter.
func New(spec overwatch.CheckSpec) (Check, error) {
	d, ok := Lookup(spec.Check)
	if !ok {
		return nil, fmt.Errorf("%w: unknown check %q (known: %s)", ErrConfig, spec.Check, names())
	}
	vals, err := d.Values(spec.Params)
	if err != nil {
		return nil, fmt.Errorf("check %s (%s): %w", spec.ID(), spec.Check, err)
	}
	c, err := d.New(vals)
	if err != nil {
		return nil, fmt.Errorf("check %s (%s): %w", spec.ID(), spec.Check, err)
	}
	return c, nil
}

// Validate reports whether a spec declares a valid check (see New); the
// histogram pattern must also be a valid path.Match pattern.
func Validate(spec overwatch.CheckSpec) error {
	if spec.Hist == "" {
		return fmt.Errorf("%w: check %s: hist (a histogram name or pattern) is required", ErrConfig, spec.ID())
	}
	if _, err := pathMatch(spec.Hist); err != nil {
		return fmt.Errorf("%w: check %s: hist %q: %v", ErrConfig, spec.ID(), spec.Hist, err)
	}
	_, err := New(spec)
	return err
}

// pathMatch reports a malformed glob pattern.
func pathMatch(pattern string) (bool, error) { return path.Match(pattern, "") }

// Values turns raw parameters (as YAML or JSON decode them) into typed
// values with the defaults filled in. Errors wrap ErrConfig.
func (d *Definition) Values(raw map[string]any) (overwatch.Values, error) {
	v := make(overwatch.Values, len(d.Params))
	for name, x := range raw {
		p, ok := d.Param(name)
		if !ok {
			var known []string
			for _, p := range d.Params {
				known = append(known, p.Name)
			}
			return nil, fmt.Errorf("%w: unknown parameter %q (parameters: %s)", ErrConfig, name, strings.Join(known, ", "))
		}
		t, err := coerce(p, x)
		if err != nil {
			return nil, err
		}
		v[name] = t
	}
	for _, p := range d.Params {
		if _, ok := v[p.Name]; ok {
			continue
		}
		if p.Default == nil {
			return nil, fmt.Errorf("%w: parameter %s is required (%s)", ErrConfig, p.Name, p.Help)
		}
		v[p.Name] = p.Default
	}
	return v, nil
}

// coerce converts a decoded value to the parameter's type.
func coerce(p overwatch.OptionSpec, x any) (any, error) {
	bad := func() error {
		return fmt.Errorf("%w: parameter %s must be of type %s, not %v (%T)", ErrConfig, p.Name, p.Type, x, x)
	}
	var out any
	switch p.Type {
	case overwatch.OptionString:
		s, ok := x.(string)
		if !ok {
			return nil, bad()
		}
		return s, nil
	case overwatch.OptionBool:
		switch b := x.(type) {
		case bool:
			return b, nil
		case int: // ATLAS writes flags as 0/1
			if b == 0 || b == 1 {
				return b == 1, nil
			}
		case string:
			v, err := p.Parse(b)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrConfig, err)
			}
			return v, nil
		}
		return nil, bad()
	case overwatch.OptionInt:
		switch n := x.(type) {
		case int:
			out = int64(n)
		case int64:
			out = n
		case float64:
			if n != math.Trunc(n) || math.IsInf(n, 0) {
				return nil, bad()
			}
			out = int64(n)
		case string:
			v, err := p.Parse(n)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrConfig, err)
			}
			return v, nil
		default:
			return nil, bad()
		}
	case overwatch.OptionFloat:
		switch n := x.(type) {
		case int:
			out = float64(n)
		case int64:
			out = float64(n)
		case float64:
			if math.IsNaN(n) {
				return nil, bad()
			}
			out = n
		case string:
			v, err := p.Parse(n)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrConfig, err)
			}
			return v, nil
		default:
			return nil, bad()
		}
	default:
		return nil, fmt.Errorf("%w: parameter %s has unknown type %q", ErrConfig, p.Name, p.Type)
	}
	if p.HasRange {
		f := overwatch.Values{"x": out}.Float("x")
		if f < p.Min || f > p.Max {
			return nil, fmt.Errorf("%w: parameter %s = %v is outside [%g, %g]", ErrConfig, p.Name, x, p.Min, p.Max)
		}
	}
	return out, nil
}
