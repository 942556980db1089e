package overwatch

import "path"

// CheckSpec declares one data-quality check on the histograms of a
// subsystem. It is data only: Check names a check registered in the
// quality package (e.g. "Chi2Test", "Bins_Diff_FromAvg") and Params holds
// its parameters by the names that check documents (numbers, booleans or
// strings, as YAML decodes them). The quality package validates a spec
// against its registry and runs it; the root package only carries it, so
// that detector plug-ins and the YAML configuration declare checks the same
// way.
type CheckSpec struct {
	// Name identifies the check within the subsystem (in results, logs and
	// processing option names); empty means Check.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Hist is the histogram name the check applies to, or a glob pattern in
	// the syntax of path.Match ("EMC*Amp", "TPC/cluster?").
	Hist string `yaml:"hist" json:"hist"`
	// Check is the registered check's name.
	Check string `yaml:"check" json:"check"`
	// Params are the check's parameters; absent ones take their defaults.
	Params map[string]any `yaml:"params,omitempty" json:"params,omitempty"`
}

// ID returns Name, or Check when Name is empty.
func (s CheckSpec) ID() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Check
}

// Matches reports whether the spec applies to the named histogram: the
// names are equal or Hist is a path.Match pattern matching name (a
// malformed pattern matches nothing).
func (s CheckSpec) Matches(name string) bool {
	if s.Hist == name {
		return true
	}
	ok, err := path.Match(s.Hist, name)
	return err == nil && ok
}

// Checker is the optional detector hook declaring data-quality checks: the
// checks its experts want run on the histograms of a subsystem's snapshots,
// in addition to those of the configuration.
type Checker interface {
	Checks(v *View) []CheckSpec
}
