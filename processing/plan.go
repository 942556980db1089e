package processing

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"sync"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// item kinds of a plan.
const (
	kindFile    = iota // a histogram read from the snapshot
	kindDerived        // a histogram derived by the detector
	kindStack          // an overlay of histograms
)

// planItem is one histogram of a subsystem view with everything needed to
// process it.
type planItem struct {
	desc    overwatch.HistDesc
	kind    int
	group   int // index into plan.groups
	derived *overwatch.Derived
	stack   *overwatch.Stack
	funcs   []overwatch.Function
}

// plan is the classification of a snapshot's histograms for one subsystem:
// the result of the detector hooks for one set of histogram names. It is
// rebuilt whenever the set of names (or classes) changes.
type plan struct {
	fingerprint string
	view        *overwatch.View
	groups      []overwatch.Group
	items       []*planItem // alphabetical
}

// fingerprint identifies a set of histograms (names and classes) so that a
// plan is rebuilt exactly when histograms appear, disappear or change class.
func fingerprint(descs []overwatch.HistDesc) string {
	h := sha256.New()
	for _, d := range descs {
		h.Write([]byte(d.Name))
		h.Write([]byte{0})
		h.Write([]byte(d.Class))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// buildPlan runs the detector hooks Deriver, Stacker, Grouper and
// FunctionChooser over a view. Histograms matching no group belong to other
// subsystems and are left out.
func buildPlan(v *overwatch.View, fp string) *plan {
	det := overwatch.DetectorFor(v.Subsystem)
	p := &plan{fingerprint: fp, view: v}

	byName := make(map[string]*planItem, len(v.Hists))
	for _, d := range v.Hists {
		byName[d.Name] = &planItem{desc: d, kind: kindFile}
	}
	if dr, ok := det.(overwatch.Deriver); ok {
		for _, d := range dr.Derive(v) {
			d := d
			if d.Name == "" || d.Derive == nil {
				continue
			}
			byName[d.Name] = &planItem{desc: overwatch.HistDesc{Name: d.Name, Class: d.Class}, kind: kindDerived, derived: &d}
		}
	}
	if st, ok := det.(overwatch.Stacker); ok {
		for _, s := range st.Stacks(v) {
			s := s
			if s.Name == "" || len(s.Members) == 0 {
				continue
			}
			members := s.Members[:0:0]
			for _, m := range s.Members {
				if _, ok := v.Lookup(m); ok {
					members = append(members, m)
				}
			}
			if len(members) == 0 {
				continue
			}
			s.Members = members
			for _, m := range members {
				delete(byName, m)
			}
			byName[s.Name] = &planItem{desc: overwatch.HistDesc{Name: s.Name, Class: overwatch.StackClass}, kind: kindStack, stack: &s}
		}
	}
	if g, ok := det.(overwatch.Grouper); ok {
		p.groups = g.Groups(v)
	}
	if len(p.groups) == 0 {
		p.groups = overwatch.DefaultGroups(v)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	fc, hasFuncs := det.(overwatch.FunctionChooser)
	for _, n := range names {
		it := byName[n]
		it.group = -1
		for gi := range p.groups {
			if p.groups[gi].Matches(n) {
				it.group = gi
				break
			}
		}
		if it.group < 0 {
			continue
		}
		if hasFuncs {
			it.funcs = fc.Functions(v, it.desc)
		}
		p.items = append(p.items, it)
	}
	return p
}

// planCache keeps the current plan of every (run, subsystem, options)
// combination processed, so that hooks run only when the histogram set
// changes.
type planCache struct {
	mu    sync.Mutex
	plans map[string]*plan
}

func (c *planCache) get(key string, v *overwatch.View) *plan {
	fp := fingerprint(v.Hists)
	c.mu.Lock()
	p, ok := c.plans[key]
	c.mu.Unlock()
	if ok && p.fingerprint == fp {
		return p
	}
	p = buildPlan(v, fp)
	c.mu.Lock()
	if c.plans == nil {
		c.plans = map[string]*plan{}
	}
	c.plans[key] = p
	c.mu.Unlock()
	return p
}

// nEventsOf returns the number of events of a snapshot
// (timeslice.EventsOf); 1 when there is none or its count is not a positive
// finite number, so that it can always be divided by.
func nEventsOf(hists map[string]*overwatch.Hist, names []string) float64 {
	if n, ok := timeslice.EventsOf(hists, names); ok && n > 0 && n < 1e300 {
		return n
	}
	return 1
}
