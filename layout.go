package overwatch

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// DocumentKindLayout is the Document.Kind of layouts: the body is a Layout
// as JSON, the document name its LayoutName.
const DocumentKindLayout = "layout"

// Layout is a page of plots composed by an expert from any subsystem: named
// tabs, each a grid of histograms and trends with their own draw options.
// Layouts are kept as versioned documents (kind "layout") or declared in
// the configuration (official, read-only in the browser). The run shown
// ("latest" or a number) and a time slice belong to the permalink, not to
// the layout.
type Layout struct {
	// Title is shown as the page title (1–MaxLayoutTitle bytes).
	Title string `json:"title" yaml:"title"`
	// Description optionally says what the layout is for.
	Description string `json:"description,omitempty" yaml:"description"`
	// Official layouts are listed first (the shift's reference pages).
	Official bool `json:"official,omitempty" yaml:"official"`
	// Tabs are the layout's pages, shown one at a time (1–MaxLayoutTabs).
	Tabs []LayoutTab `json:"tabs" yaml:"tabs"`
}

// LayoutTab is one tab of a layout: a grid of Columns columns filled with
// its plots in order, row by row (a plot's position is its index).
type LayoutTab struct {
	// Title names the tab (1–MaxLayoutTitle bytes).
	Title string `json:"title" yaml:"title"`
	// Columns is the width of the grid in cells, 1–MaxLayoutColumns
	// (0 means DefaultLayoutColumns).
	Columns int `json:"columns,omitempty" yaml:"columns"`
	// Plots fill the grid in order (0–MaxLayoutPlots per tab).
	Plots []LayoutPlot `json:"plots" yaml:"plots"`
}

// The kinds of LayoutPlot.
const (
	// PlotHist is a processed histogram of a run: the outputs of
	// (run, Subsystem, Name).
	PlotHist = "hist"
	// PlotTrend is a trend of a subsystem (Name is the trend name).
	PlotTrend = "trend"
)

// LayoutPlot is one cell of a layout's grid.
type LayoutPlot struct {
	// Kind is PlotHist or PlotTrend (empty means PlotHist).
	Kind string `json:"kind,omitempty" yaml:"kind"`
	// Subsystem is the subsystem the plot comes from (EMC, HLT, …).
	Subsystem string `json:"subsystem" yaml:"subsystem"`
	// Name is the histogram's name in the subsystem's outputs, or the
	// trend's name.
	Name string `json:"name" yaml:"name"`
	// Title optionally replaces the plot's caption.
	Title string `json:"title,omitempty" yaml:"title"`
	// Width and Height are the plot's size in grid cells (0 means 1):
	// Width at most the tab's columns, Height at most MaxLayoutRows.
	Width  int `json:"w,omitempty" yaml:"w"`
	Height int `json:"h,omitempty" yaml:"h"`
	// Options override the histogram's display hints.
	Options PlotOptions `json:"options,omitzero" yaml:"options"`
}

// PlotOptions are a layout plot's own draw options; set fields override the
// display hints processing wrote for the histogram.
type PlotOptions struct {
	LogX bool `json:"logx,omitempty" yaml:"logx"`
	LogY bool `json:"logy,omitempty" yaml:"logy"`
	LogZ bool `json:"logz,omitempty" yaml:"logz"`
	// XRange and YRange zoom the axes (user coordinates, Min < Max).
	XRange *Range `json:"xrange,omitempty" yaml:"xrange"`
	YRange *Range `json:"yrange,omitempty" yaml:"yrange"`
	// DrawOption is a JSROOT/ROOT draw option ("colz", "hist", "e1", …).
	DrawOption string `json:"drawOption,omitempty" yaml:"drawOption"`
}

// Bounds of a layout, checked by Layout.Check.
const (
	MaxLayoutName        = 64
	MaxLayoutTitle       = 200
	MaxLayoutDescription = 2000
	MaxLayoutTabs        = 20
	MaxLayoutPlots       = 64 // per tab
	MaxLayoutColumns     = 6
	MaxLayoutRows        = 4 // a plot's height in cells
	MaxPlotName          = 512
	MaxDrawOption        = 64
	DefaultLayoutColumns = 3
)

// ErrInvalidLayout is wrapped by the errors of Layout.Check and
// CheckLayoutName.
var ErrInvalidLayout = errors.New("invalid layout")

// ValidLayoutName reports whether name can name a layout: 1–64 bytes of
// letters, digits, '_', '-' and '.', starting with a letter or digit (it
// is one segment of the layout's URL, /layouts/<name>).
func ValidLayoutName(name string) bool {
	if len(name) == 0 || len(name) > MaxLayoutName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-' && c != '.') {
			return false
		}
	}
	return true
}

// CheckLayoutName returns an error wrapping ErrInvalidLayout unless name is
// a valid layout name.
func CheckLayoutName(name string) error {
	if !ValidLayoutName(name) {
		return fmt.Errorf("%w: name %q: want 1–%d letters, digits, '_', '-' or '.', starting with a letter or digit", ErrInvalidLayout, name, MaxLayoutName)
	}
	return nil
}

// Normalize fills the defaults in place: columns, plot kinds and sizes.
// Check calls it.
func (l *Layout) Normalize() {
	for i := range l.Tabs {
		t := &l.Tabs[i]
		if t.Columns == 0 {
			t.Columns = DefaultLayoutColumns
		}
		for j := range t.Plots {
			p := &t.Plots[j]
			if p.Kind == "" {
				p.Kind = PlotHist
			}
			if p.Width == 0 {
				p.Width = 1
			}
			if p.Height == 0 {
				p.Height = 1
			}
		}
	}
}

// Check normalizes the layout and reports every problem that makes it unfit
// to be stored, each naming where it is (tabs[1].plots[3].name: …), in one
// error wrapping ErrInvalidLayout; nil when it is fine.
func (l *Layout) Check() error {
	l.Normalize()
	var errs []string
	bad := func(format string, a ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Sprintf(format, a...))
		}
	}
	text := func(where, s string, minLen, maxLen int) {
		switch {
		case len(s) < minLen:
			bad("%s: must not be empty", where)
		case len(s) > maxLen:
			bad("%s: %d bytes, at most %d", where, len(s), maxLen)
		case !utf8.ValidString(s):
			bad("%s: not valid UTF-8", where)
		case hasControl(s):
			bad("%s: control characters are not allowed", where)
		}
	}
	text("title", strings.TrimSpace(l.Title), 1, MaxLayoutTitle)
	text("description", l.Description, 0, MaxLayoutDescription)
	if len(l.Tabs) == 0 || len(l.Tabs) > MaxLayoutTabs {
		bad("tabs: %d tabs, want 1–%d", len(l.Tabs), MaxLayoutTabs)
	}
	for i, t := range l.Tabs {
		if i >= MaxLayoutTabs {
			break
		}
		w := fmt.Sprintf("tabs[%d]", i)
		text(w+".title", strings.TrimSpace(t.Title), 1, MaxLayoutTitle)
		if t.Columns < 1 || t.Columns > MaxLayoutColumns {
			bad("%s.columns: %d, want 1–%d", w, t.Columns, MaxLayoutColumns)
		}
		if len(t.Plots) > MaxLayoutPlots {
			bad("%s.plots: %d plots, at most %d", w, len(t.Plots), MaxLayoutPlots)
			continue
		}
		for j, p := range t.Plots {
			pw := fmt.Sprintf("%s.plots[%d]", w, j)
			if p.Kind != PlotHist && p.Kind != PlotTrend {
				bad("%s.kind: %q, want %q or %q", pw, p.Kind, PlotHist, PlotTrend)
			}
			if !ValidSubsystem(p.Subsystem) {
				bad("%s.subsystem: %q is not a subsystem name (2-8 upper-case letters or digits, e.g. EMC)", pw, p.Subsystem)
			}
			text(pw+".name", p.Name, 1, MaxPlotName)
			text(pw+".title", p.Title, 0, MaxLayoutTitle)
			if p.Width < 1 || p.Width > max(t.Columns, 1) || p.Width > MaxLayoutColumns {
				bad("%s.w: %d cells, want 1–%d (the tab's columns)", pw, p.Width, t.Columns)
			}
			if p.Height < 1 || p.Height > MaxLayoutRows {
				bad("%s.h: %d cells, want 1–%d", pw, p.Height, MaxLayoutRows)
			}
			o := p.Options
			text(pw+".options.drawOption", o.DrawOption, 0, MaxDrawOption)
			for _, c := range o.DrawOption {
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ',' || c == ';' || c == '_' || c == ' ') {
					bad("%s.options.drawOption: %q: only letters, digits, ',', ';', '_' and spaces", pw, o.DrawOption)
					break
				}
			}
			for k, r := range []*Range{o.XRange, o.YRange} {
				name := [2]string{"xrange", "yrange"}[k]
				if r != nil && (math.IsNaN(r.Min) || math.IsInf(r.Min, 0) || math.IsNaN(r.Max) || math.IsInf(r.Max, 0) || r.Min >= r.Max) {
					bad("%s.options.%s: [%g, %g], want finite Min < Max", pw, name, r.Min, r.Max)
				}
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidLayout, strings.Join(errs, "; "))
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}
