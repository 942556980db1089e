package config

import (
	"sort"
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// validateLayouts checks the layouts section: each name, each layout's
// bounds and names (overwatch.Layout.Check; the subsystems need not be
// configured: the DQM receiver accepts any). Declared layouts are official.
func (c *Config) validateLayouts(bad func(format string, a ...any)) {
	names := make([]string, 0, len(c.Layouts))
	for n := range c.Layouts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !overwatch.ValidLayoutName(n) {
			bad("layouts: %q is not a layout name (1–%d letters, digits, '_', '-' or '.', starting with a letter or digit)", n, overwatch.MaxLayoutName)
			continue
		}
		l := c.Layouts[n]
		l.Official = true
		if err := l.Check(); err != nil {
			bad("layouts.%s: %s", n, strings.TrimPrefix(err.Error(), overwatch.ErrInvalidLayout.Error()+": "))
			continue
		}
		c.Layouts[n] = l
	}
}
