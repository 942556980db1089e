package overwatch

// The documents processing publishes next to the JSROOT JSON of every
// histogram, and that the web app and other readers decode: the view of a
// subsystem (OutputView) and the display hints of a histogram
// (OutputHints). They are part of the vocabulary so that writer and
// readers share one definition.

// StackClass is the class reported for a stack of histograms in views and
// hints (the JSON output of a stack is a JSROOT THStack).
const StackClass = "THStack"

// ViewName is the OutputRef.Name of a subsystem's view document (Kind
// OutputView): empty, as the store keeps one view per run,
// subsystem and slice. Use ViewRef to address it.
const ViewName = ""

// ViewRef returns the reference of the view document of a subsystem in a
// run; slice is "" for the full run, the time-slice key otherwise.
func ViewRef(run int, sys, slice string) OutputRef {
	return OutputRef{Run: run, Subsystem: sys, Slice: slice, Name: ViewName, Kind: OutputView}
}

// ViewDoc is the subsystem view written as OutputView: the groups
// of the subsystem in display order with their histograms, the number of
// events and the snapshot the outputs were built from. The web app lays out
// a run page from it; the processor reads it back to know what it has
// already processed.
type ViewDoc struct {
	// Run and Subsystem identify the view.
	Run       int    `json:"run"`
	Subsystem string `json:"subsystem"`
	// Source is the subsystem whose receiver files fed this one (Subsystem
	// itself, or "HLT" when it borrows the HLT receiver's files).
	Source string `json:"source"`
	// Slice is the time-slice key, "" for the full run.
	Slice string `json:"slice,omitempty"`
	// Snapshot is the newest snapshot the outputs were built from (for a
	// time slice: the later end of the window).
	Snapshot SnapshotDoc `json:"snapshot"`
	// From is, for a time slice, the snapshot subtracted from Snapshot
	// (nil when nothing was subtracted or for the full run).
	From *SnapshotDoc `json:"from,omitempty"`
	// NEvents is the number of events of the processed snapshot (or slice),
	// read from its "events" histogram; 1 when it has none.
	NEvents float64 `json:"nEvents"`
	// Options are the effective processing options, in canonical form
	// (Values.Canonical).
	Options string `json:"options"`
	// Groups are the non-empty groups in display order.
	Groups []ViewGroup `json:"groups"`
	// Skipped lists corrupted snapshots newer than Snapshot that were
	// quarantined instead of processed (newest last, at most 20), so that
	// they are not retried.
	Skipped []SnapshotDoc `json:"skipped,omitempty"`
	// Complete is set once every output of Snapshot (JSON, hints and PNG of
	// every histogram) has been written. A view that is not complete is
	// processed again after a restart.
	Complete bool `json:"complete"`
}

// SnapshotDoc identifies a snapshot inside a ViewDoc.
type SnapshotDoc struct {
	// Time is the snapshot's Unix time in seconds.
	Time int64 `json:"time"`
	// Seq tells apart snapshots written in the same second.
	Seq int `json:"seq,omitempty"`
	// Path is the snapshot file's path relative to the store's root.
	Path string `json:"path,omitempty"`
}

// ViewGroup is one group of a ViewDoc.
type ViewGroup struct {
	// Title is the group's display title.
	Title string `json:"title"`
	// Grid asks for the group to be laid out as one grid of small plots.
	Grid bool `json:"grid,omitempty"`
	// Hists are the group's histograms in display (alphabetical) order.
	Hists []ViewHist `json:"hists"`
}

// ViewHist is one histogram entry of a ViewGroup.
type ViewHist struct {
	// Name is the histogram's name in the view: the OutputRef.Name of its
	// JSON, hints and PNG outputs. It may contain '/'.
	Name string `json:"name"`
	// PrettyName is the display name.
	PrettyName string `json:"prettyName"`
	// Class is the ROOT class of the histogram ("THStack" for a stack).
	Class string `json:"class"`
	// Quality is the worst quality flag set by the functions.
	Quality Quality `json:"quality"`
}

// Hints is the display document of one processed histogram, written as
// OutputHints next to its JSROOT JSON: how to draw it (draw
// option, log axes, ranges, grid, decorations), the information panel, the
// quality flag, the pretty name and the group it belongs to.
type Hints struct {
	// Name is the histogram's name in the view.
	Name string `json:"name"`
	// PrettyName is the display name (Display.PrettyName when a function
	// set one, else Name).
	PrettyName string `json:"prettyName"`
	// Class is the ROOT class of the JSON object ("THStack" for a stack).
	Class string `json:"class"`
	// Group is the title of the group the histogram belongs to.
	Group string `json:"group"`
	// Display holds the draw option, axes settings and decorations.
	Display Display `json:"display"`
	// Info is the information panel: lines set by the detector functions,
	// then alarm texts from the Observer.
	Info []InfoItem `json:"info,omitempty"`
	// Quality is the worst flag set by the functions, with their reasons.
	Quality        Quality  `json:"quality"`
	QualityReasons []string `json:"qualityReasons,omitempty"`
	// Stack lists the members of a stack (nil for a single histogram).
	Stack []string `json:"stack,omitempty"`
	// NEvents is the number of events the histogram was normalised with.
	NEvents float64 `json:"nEvents"`
	// Snapshot is the snapshot the histogram comes from.
	Snapshot SnapshotDoc `json:"snapshot"`
	// Errors lists functions that failed (the histogram is still shown,
	// as far as the functions got).
	Errors []string `json:"errors,omitempty"`
}

// Hist finds a histogram of the view and the group it belongs to.
func (v *ViewDoc) Hist(name string) (ViewHist, *ViewGroup, bool) {
	for gi := range v.Groups {
		for _, h := range v.Groups[gi].Hists {
			if h.Name == name {
				return h, &v.Groups[gi], true
			}
		}
	}
	return ViewHist{}, nil, false
}

// Group finds a group of the view by title.
func (v *ViewDoc) Group(title string) (*ViewGroup, bool) {
	for gi := range v.Groups {
		if v.Groups[gi].Title == title {
			return &v.Groups[gi], true
		}
	}
	return nil, false
}
