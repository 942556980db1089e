package overwatch

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

// Detector is a detector plug-in: the knowledge of one subsystem's experts,
// plugged into every processing step. A Detector implements only
// Subsystem; every other step is an optional hook interface checked by type
// assertion (like http.Flusher): Deriver, Stacker, OptionDeclarer,
// DisplaySetter, Grouper, FunctionChooser, TrendDeclarer and Checker. A missing hook
// means the default behaviour of that step.
//
// Register a detector from an init function of its package with
// RegisterDetector, so that importing the package enables it.
type Detector interface {
	// Subsystem returns the subsystem this detector handles, e.g. "EMC".
	Subsystem() string
}

// HistDesc describes a histogram present in a snapshot without loading it.
type HistDesc struct {
	Name  string
	Class string
}

// Dim returns the histogram's dimension (0 for non-histogram classes).
func (d HistDesc) Dim() int { return ClassDim(d.Class) }

// View is what a hook sees of a subsystem in a run: which subsystem's
// receiver files feed it and which histograms those files hold.
type View struct {
	Run       int
	Subsystem string
	// Source is the subsystem whose files feed this one: Subsystem itself,
	// or HLTSubsystem when it borrows the HLT receiver's files.
	Source string
	// Hists lists the histograms of the snapshot, sorted by name.
	Hists []HistDesc
}

// Own reports whether the subsystem has files of its own.
func (v *View) Own() bool { return v.Source == v.Subsystem }

// Lookup returns the named histogram of the snapshot.
func (v *View) Lookup(name string) (HistDesc, bool) {
	i := sort.Search(len(v.Hists), func(i int) bool { return v.Hists[i].Name >= name })
	if i < len(v.Hists) && v.Hists[i].Name == name {
		return v.Hists[i], true
	}
	return HistDesc{}, false
}

// Derived declares a histogram computed from others of the same snapshot,
// such as a projection of a TH3. Derive receives clones of the sources in
// the order of Sources and the effective options.
type Derived struct {
	Name    string
	Class   string // class of the result, for the view (e.g. "TH2D")
	Sources []string
	Derive  func(src []*Hist, opts Values) (*Hist, error)
}

// Stack declares an overlay of several histograms drawn together under Name
// (e.g. the EMCal and DCal patch spectra). Its members are no longer shown
// on their own.
type Stack struct {
	Name    string
	Title   string
	Members []string
}

// Group is a titled set of histograms shown together. A histogram belongs
// to the first group (in declaration order) whose Pattern is a substring of
// its name, or whose Match function accepts it when Match is set. Grid
// groups are laid out as one grid of small plots.
type Group struct {
	Title   string
	Pattern string
	Match   func(name string) bool `json:"-"`
	Grid    bool
}

// Matches reports whether a histogram name belongs to the group.
func (g *Group) Matches(name string) bool {
	if g.Match != nil {
		return g.Match(name)
	}
	return strings.Contains(name, g.Pattern)
}

// Function is a named processing step applied to one histogram (or stack)
// after it has been read or derived: it may rescale or restyle the
// histogram, set display hints and decorations, fill the information panel
// and flag the quality. Name identifies it in views, logs and tests
// (e.g. "emc.fastOROptions").
type Function struct {
	Name  string
	Apply func(c *FuncContext) error
}

// FuncContext is what a Function works with.
type FuncContext struct {
	Run       int
	Subsystem string
	Source    string
	// Name is the histogram's name in the view.
	Name string
	// Hist is the histogram being processed (a private copy: change it
	// freely). For a stack it is the first member.
	Hist *Hist
	// Stack holds the members of a stack, nil otherwise.
	Stack []*Hist
	// Display holds the display hints and decorations; functions add to it.
	Display *Display
	// Options are the effective processing options.
	Options Values
	// NEvents is the number of events of the processed snapshot (or time
	// slice); never zero (1 when unknown).
	NEvents float64
	// Log is the logger of the processing step.
	Log *slog.Logger

	info    []InfoItem
	quality Quality
	reasons []string
}

// SetInfo sets a line of the information panel, replacing one with the
// same label.
func (c *FuncContext) SetInfo(label, value string) {
	for i := range c.info {
		if c.info[i].Label == label {
			c.info[i].Value = value
			return
		}
	}
	c.info = append(c.info, InfoItem{Label: label, Value: value})
}

// Info returns the information panel, in the order lines were first set.
func (c *FuncContext) Info() []InfoItem { return c.info }

// Flag records a quality assessment; the histogram's quality is the worst
// flag set.
func (c *FuncContext) Flag(q Quality, reason string) {
	if q > c.quality {
		c.quality = q
	}
	if reason != "" {
		c.reasons = append(c.reasons, reason)
	}
}

// Quality returns the worst flag set and the reasons given.
func (c *FuncContext) Quality() (Quality, []string) { return c.quality, c.reasons }

// TrendDecl declares a trend: one value extracted from a histogram of every
// processed snapshot, with alarms evaluated on the series.
type TrendDecl struct {
	Name      string // unique within the subsystem, e.g. "maxFastORL0"
	Desc      string
	Hist      string // source histogram name
	Extractor string // "mean", "stdDev", "max", "entries", "integral" or a registered extractor
	Alarms    []AlarmSpec
}

// AlarmSpec declares an alarm on a trend. Kind is one of BetweenValues,
// CheckLastN, MeanInRange, AbsolutePreviousValue, RelativePreviousValue,
// And, Or (the latter two combine Children). Params holds the kind's
// parameters by their original names (minVal, maxVal, centerValue,
// maxDistance, ratio, N, maxDelta).
type AlarmSpec struct {
	Name     string
	Kind     string
	Text     string // label such as "WARNING" or "ERROR"
	Params   map[string]float64
	Children []AlarmSpec
}

// Deriver adds histograms derived from those of the snapshot.
type Deriver interface {
	Derive(v *View) []Derived
}

// Stacker builds overlays of several histograms.
type Stacker interface {
	Stacks(v *View) []Stack
}

// OptionDeclarer declares the detector's processing options with their
// defaults; time-slice requests are validated against them.
type OptionDeclarer interface {
	Options() []OptionSpec
}

// DisplaySetter sets the default display (pretty name, draw option) of a
// histogram before functions run.
type DisplaySetter interface {
	SetDisplay(v *View, h HistDesc, d *Display)
}

// Grouper defines the groups of the subsystem, in priority and display
// order.
type Grouper interface {
	Groups(v *View) []Group
}

// FunctionChooser chooses the functions applied to a histogram, in order.
type FunctionChooser interface {
	Functions(v *View, h HistDesc) []Function
}

// TrendDeclarer declares the subsystem's trends.
type TrendDeclarer interface {
	Trends() []TrendDecl
}

var (
	detectorsMu sync.RWMutex
	detectors   = map[string]Detector{}
)

// RegisterDetector makes a detector available for its subsystem. It panics
// if the subsystem name is invalid or already has a detector, like
// sql.Register: registration happens in init functions and a duplicate is a
// programming error.
func RegisterDetector(d Detector) {
	if d == nil {
		panic("overwatch: RegisterDetector with nil detector")
	}
	sys := d.Subsystem()
	if !ValidSubsystem(sys) {
		panic(fmt.Sprintf("overwatch: RegisterDetector: invalid subsystem name %q", sys))
	}
	detectorsMu.Lock()
	defer detectorsMu.Unlock()
	if _, dup := detectors[sys]; dup {
		panic("overwatch: RegisterDetector called twice for subsystem " + sys)
	}
	detectors[sys] = d
}

// LookupDetector returns the detector registered for a subsystem.
func LookupDetector(subsystem string) (Detector, bool) {
	detectorsMu.RLock()
	defer detectorsMu.RUnlock()
	d, ok := detectors[subsystem]
	return d, ok
}

// DetectorFor returns the registered detector of a subsystem, or the
// default detector (no hooks: one group, no functions, no options) when none
// is registered.
func DetectorFor(subsystem string) Detector {
	if d, ok := LookupDetector(subsystem); ok {
		return d
	}
	return defaultDetector(subsystem)
}

// Detectors returns the subsystems that have a registered detector, sorted.
func Detectors() []string {
	detectorsMu.RLock()
	defer detectorsMu.RUnlock()
	out := make([]string, 0, len(detectors))
	for k := range detectors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type defaultDetector string

func (d defaultDetector) Subsystem() string { return string(d) }

// DefaultGroups returns the groups used when a detector defines none: one
// group "<SYS> Histograms" matching everything when the subsystem has its
// own files, or only names containing the subsystem's name when it borrows
// the HLT files.
func DefaultGroups(v *View) []Group {
	g := Group{Title: v.Subsystem + " Histograms"}
	if !v.Own() {
		g.Pattern = v.Subsystem
	}
	return []Group{g}
}

// DetectorOptions returns the options declared by the subsystem's detector
// (none for a detector without OptionDeclarer).
func DetectorOptions(subsystem string) []OptionSpec {
	if od, ok := DetectorFor(subsystem).(OptionDeclarer); ok {
		return od.Options()
	}
	return nil
}
