package config

import (
	"sort"

	"github.com/overwatch-dqm/overwatch"
)

// validateQuality checks the quality section: subsystem names, and each
// subsystem's checks against the quality package's registry (unknown check,
// unknown or ill-typed parameter, duplicate names, aggregation rule).
func (c *Config) validateQuality(bad func(format string, a ...any)) {
	subs := make([]string, 0, len(c.Quality))
	for s := range c.Quality {
		subs = append(subs, s)
	}
	sort.Strings(subs)
	for _, s := range subs {
		if !overwatch.ValidSubsystem(s) {
			bad("quality: %q is not a subsystem name (2-8 upper-case letters/digits, e.g. EMC)", s)
			continue
		}
		q := c.Quality[s]
		if err := q.Validate(); err != nil {
			bad("quality.%s: %v", s, err)
		}
	}
}
