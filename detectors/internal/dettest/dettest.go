// Package dettest runs a detector's hooks over a snapshot the way the
// processing pipeline does (view, derived histograms, stacks, groups,
// display defaults, functions with the number of events of the snapshot),
// without a store, for the detectors' tests and examples.
package dettest

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// Result is one processed histogram (or stack) of a view.
type Result struct {
	Name      string
	Class     string
	Group     string
	GroupGrid bool
	Funcs     []string
	Display   overwatch.Display
	Info      []overwatch.InfoItem
	Quality   overwatch.Quality
	Reasons   []string
	Hist      *overwatch.Hist
	Stack     []*overwatch.Hist
	Errors    []string
}

// InfoValue returns the value of an information line ("" when absent).
func (r *Result) InfoValue(label string) string {
	for _, it := range r.Info {
		if it.Label == label {
			return it.Value
		}
	}
	return ""
}

// Output is the processed view of one subsystem.
type Output struct {
	View    *overwatch.View
	Groups  []overwatch.Group
	Results map[string]*Result
	// Order lists the processed names alphabetically.
	Order   []string
	NEvents float64
}

// NEvents returns bin 1 of the last (alphabetically) histogram whose
// lower-cased name contains "events", or 1.
func NEvents(hists map[string]*overwatch.Hist) float64 {
	names := make([]string, 0, len(hists))
	for n := range hists {
		names = append(names, n)
	}
	sort.Strings(names)
	for i := len(names) - 1; i >= 0; i-- {
		if strings.Contains(strings.ToLower(names[i]), "events") {
			if v := hists[names[i]].BinContent(1); v > 0 {
				return v
			}
			return 1
		}
	}
	return 1
}

// Process runs det over the histograms of entries for subsystem sys fed by
// the files of source, with options opts (nil: the detector's defaults).
func Process(det overwatch.Detector, run int, source string, entries []overwatch.Entry, opts overwatch.Values) (*Output, error) {
	sys := det.Subsystem()
	hists := map[string]*overwatch.Hist{}
	v := &overwatch.View{Run: run, Subsystem: sys, Source: source}
	for _, e := range entries {
		h, ok := e.Object.(*overwatch.Hist)
		if !ok {
			continue
		}
		hists[e.Path()] = h
		v.Hists = append(v.Hists, overwatch.HistDesc{Name: e.Path(), Class: h.Class})
	}
	sort.Slice(v.Hists, func(i, j int) bool { return v.Hists[i].Name < v.Hists[j].Name })
	if opts == nil {
		opts = overwatch.DefaultValues(overwatch.DetectorOptions(sys))
	}
	type item struct {
		desc    overwatch.HistDesc
		derived *overwatch.Derived
		stack   *overwatch.Stack
	}
	items := map[string]*item{}
	for _, d := range v.Hists {
		items[d.Name] = &item{desc: d}
	}
	if dr, ok := det.(overwatch.Deriver); ok {
		for _, d := range dr.Derive(v) {
			d := d
			items[d.Name] = &item{desc: overwatch.HistDesc{Name: d.Name, Class: d.Class}, derived: &d}
		}
	}
	if st, ok := det.(overwatch.Stacker); ok {
		for _, s := range st.Stacks(v) {
			s := s
			for _, m := range s.Members {
				delete(items, m)
			}
			items[s.Name] = &item{desc: overwatch.HistDesc{Name: s.Name, Class: "THStack"}, stack: &s}
		}
	}
	out := &Output{View: v, Results: map[string]*Result{}, NEvents: NEvents(hists)}
	if g, ok := det.(overwatch.Grouper); ok {
		out.Groups = g.Groups(v)
	}
	if len(out.Groups) == 0 {
		out.Groups = overwatch.DefaultGroups(v)
	}
	names := make([]string, 0, len(items))
	for n := range items {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		it := items[n]
		gi := -1
		for i := range out.Groups {
			if out.Groups[i].Matches(n) {
				gi = i
				break
			}
		}
		if gi < 0 {
			continue
		}
		r := &Result{Name: n, Class: it.desc.Class, Group: out.Groups[gi].Title, GroupGrid: out.Groups[gi].Grid}
		switch {
		case it.derived != nil:
			src := make([]*overwatch.Hist, len(it.derived.Sources))
			for i, s := range it.derived.Sources {
				h := hists[s]
				if h == nil {
					return nil, fmt.Errorf("dettest: derived %q: source %q missing", n, s)
				}
				src[i] = h.Clone()
			}
			h, err := it.derived.Derive(src, opts.Clone())
			if err != nil {
				return nil, fmt.Errorf("dettest: derive %q: %w", n, err)
			}
			h.Name = n
			r.Hist = h
		case it.stack != nil:
			for _, m := range it.stack.Members {
				r.Stack = append(r.Stack, hists[m].Clone())
			}
			r.Hist = r.Stack[0]
		default:
			r.Hist = hists[n].Clone()
		}
		disp := &overwatch.Display{}
		if ds, ok := det.(overwatch.DisplaySetter); ok {
			ds.SetDisplay(v, it.desc, disp)
		}
		var fs []overwatch.Function
		if fc, ok := det.(overwatch.FunctionChooser); ok {
			fs = fc.Functions(v, it.desc)
		}
		c := &overwatch.FuncContext{
			Run: run, Subsystem: sys, Source: source, Name: n, Hist: r.Hist, Stack: r.Stack,
			Display: disp, Options: opts.Clone(), NEvents: out.NEvents, Log: slog.New(slog.DiscardHandler),
		}
		for _, f := range fs {
			r.Funcs = append(r.Funcs, f.Name)
			if err := f.Apply(c); err != nil {
				r.Errors = append(r.Errors, f.Name+": "+err.Error())
			}
		}
		r.Hist = c.Hist
		r.Display = *disp
		r.Info = c.Info()
		r.Quality, r.Reasons = c.Quality()
		out.Results[n] = r
		out.Order = append(out.Order, n)
	}
	return out, nil
}
