package timeslice

import (
	"errors"
	"fmt"

	ow "github.com/overwatch-dqm/overwatch"
)

// Action says what DiffFiles or SumFiles did with one object.
type Action string

// Actions reported per object.
const (
	// Subtracted: the object is in both snapshots and the result is their
	// difference (Diff).
	Subtracted Action = "subtracted"
	// Summed: the object is the sum of its occurrences (Sum).
	Summed Action = "summed"
	// ResetDetected: a count went down between the snapshots; the result
	// holds the later snapshot unchanged (see DiffInfo).
	ResetDetected Action = "reset"
	// KeptNew: the object is only in the later snapshot (it began within
	// the window) and is kept as it is.
	KeptNew Action = "new"
	// KeptLatest: the object is not a histogram (a graph or a text), which
	// is not cumulative; the latest version is kept.
	KeptLatest Action = "latest"
	// Dropped: the object is only in the earlier snapshot (it vanished
	// within the window) and is left out.
	Dropped Action = "dropped"
	// Failed: the object could not be subtracted or summed (different
	// binning, inconsistent arrays, different kinds) and is left out.
	Failed Action = "failed"
)

// ObjectReport describes what happened to one object of a snapshot file.
type ObjectReport struct {
	Path   string // Entry.Path of the object
	Class  string // ROOT class of the object (of the later one when both exist)
	Action Action
	// Info is the Diff outcome for Subtracted and ResetDetected objects.
	Info DiffInfo
	// Err explains a Failed object.
	Err error
}

// String describes the report in one line for logs, e.g.
// "EMC/hist (TH2F): reset (content of cell 12 went down from 5 to 0)".
func (r ObjectReport) String() string {
	s := fmt.Sprintf("%s (%s): %s", r.Path, r.Class, r.Action)
	switch {
	case r.Err != nil:
		s += " (" + r.Err.Error() + ")"
	case r.Info.Reason != "":
		s += " (" + r.Info.Reason + ")"
	case r.Info.Clamped > 0:
		s += fmt.Sprintf(" (%d rounding differences set to zero)", r.Info.Clamped)
	}
	return s
}

// ErrNoFile is wrapped by the errors of DiffFiles and SumFiles when a file
// argument is missing.
var ErrNoFile = errors.New("timeslice: no snapshot file")

// index maps each path of f to its first entry.
func index(f *ow.File) map[string]int {
	m := make(map[string]int, len(f.Entries))
	for i, e := range f.Entries {
		if _, dup := m[e.Path()]; !dup {
			m[e.Path()] = i
		}
	}
	return m
}

// DiffFiles subtracts two cumulative snapshot files object by object,
// matching objects by path (Entry.Path): histograms present in both become
// their Diff (or the later one, on a reset); objects only in the later file
// began within the window and are kept as they are; objects only in the
// earlier file are left out; graphs and texts keep their later version.
// Histograms that cannot be subtracted (different binning, a histogram
// against a graph) are left out and reported as Failed. The result keeps
// the later file's order and decoding problems; one report per object of
// either file says what happened, the dropped ones last. Neither file is
// modified (the result shares non-histogram objects with later).
func DiffFiles(later, earlier *ow.File) (*ow.File, []ObjectReport, error) {
	if later == nil || earlier == nil {
		return nil, nil, fmt.Errorf("%w: DiffFiles needs two files (later %v, earlier %v)", ErrNoFile, later != nil, earlier != nil)
	}
	prev := index(earlier)
	seen := make(map[string]bool, len(later.Entries))
	out := &ow.File{Problems: append([]ow.Problem(nil), later.Problems...)}
	var reports []ObjectReport
	for _, e := range later.Entries {
		path := e.Path()
		if seen[path] {
			continue // a duplicate path: only the first object counts
		}
		seen[path] = true
		rep := ObjectReport{Path: path, Class: className(e.Object)}
		j, inEarlier := prev[path]
		lh, isHist := e.Object.(*ow.Hist)
		switch {
		case !inEarlier:
			rep.Action = KeptNew
			out.Entries = append(out.Entries, cloneEntry(e))
		case !isHist:
			if _, wasHist := earlier.Entries[j].Object.(*ow.Hist); wasHist {
				rep.Action = Failed
				rep.Err = fmt.Errorf("%w: %q is a %s in the later snapshot and a histogram in the earlier one",
					ow.ErrIncompatible, path, rep.Class)
				break
			}
			rep.Action = KeptLatest
			out.Entries = append(out.Entries, e)
		default:
			eh, ok := earlier.Entries[j].Object.(*ow.Hist)
			if !ok {
				rep.Action = Failed
				rep.Err = fmt.Errorf("%w: %q is a histogram in the later snapshot and a %s in the earlier one",
					ow.ErrIncompatible, path, className(earlier.Entries[j].Object))
				break
			}
			d, info, err := Diff(lh, eh)
			if err != nil {
				rep.Action = Failed
				rep.Err = err
				break
			}
			rep.Info = info
			rep.Action = Subtracted
			if info.Reset {
				rep.Action = ResetDetected
			}
			out.Entries = append(out.Entries, ow.Entry{Dir: e.Dir, Key: e.Key, Object: d})
		}
		reports = append(reports, rep)
	}
	for _, e := range earlier.Entries {
		path := e.Path()
		if seen[path] {
			continue
		}
		seen[path] = true
		reports = append(reports, ObjectReport{Path: path, Class: className(e.Object), Action: Dropped})
	}
	return out, reports, nil
}

// SumFiles sums reset-mode snapshot files object by object, matching
// objects by path: histograms become the Sum of their occurrences (an
// object missing from some files is summed over the files that have it),
// graphs and texts keep their version from the last file holding them.
// Histograms that cannot be summed with their first occurrence are left out
// and reported as Failed. Objects appear in the order of their first
// occurrence; the problems of every file are kept. No file is modified.
func SumFiles(files ...*ow.File) (*ow.File, []ObjectReport, error) {
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%w: SumFiles needs at least one file", ErrNoFile)
	}
	for i, f := range files {
		if f == nil {
			return nil, nil, fmt.Errorf("%w: file %d of the sum is nil", ErrNoFile, i)
		}
	}
	type acc struct {
		entry  ow.Entry
		report ObjectReport
		n      int
	}
	var order []string
	accs := map[string]*acc{}
	out := &ow.File{}
	for _, f := range files {
		out.Problems = append(out.Problems, f.Problems...)
		seen := map[string]bool{}
		for _, e := range f.Entries {
			path := e.Path()
			if seen[path] {
				continue
			}
			seen[path] = true
			a, ok := accs[path]
			if !ok {
				a = &acc{entry: cloneEntry(e), report: ObjectReport{Path: path, Class: className(e.Object), Action: Summed}, n: 1}
				if _, isHist := e.Object.(*ow.Hist); !isHist {
					a.report.Action = KeptLatest
				}
				accs[path] = a
				order = append(order, path)
				continue
			}
			if a.report.Action == Failed {
				continue
			}
			sum, isHist := a.entry.Object.(*ow.Hist)
			h, thisHist := e.Object.(*ow.Hist)
			switch {
			case !isHist && !thisHist:
				a.entry = e // graphs and texts: the latest version
			case isHist != thisHist:
				a.report.Action = Failed
				a.report.Err = fmt.Errorf("%w: %q is a %s in one snapshot and a %s in another",
					ow.ErrIncompatible, path, a.report.Class, className(e.Object))
			default:
				s, err := Sum(sum, h)
				if err != nil {
					a.report.Action = Failed
					a.report.Err = err
					break
				}
				a.entry.Object = s
				a.n++
			}
		}
	}
	reports := make([]ObjectReport, 0, len(order))
	for _, path := range order {
		a := accs[path]
		if a.report.Action != Failed {
			out.Entries = append(out.Entries, a.entry)
		}
		reports = append(reports, a.report)
	}
	return out, reports, nil
}

// cloneEntry copies an entry, deep-copying a histogram so that results
// never alias their inputs' cell arrays.
func cloneEntry(e ow.Entry) ow.Entry {
	if h, ok := e.Object.(*ow.Hist); ok && h != nil {
		e.Object = h.Clone()
	}
	return e
}

func className(o ow.Object) string {
	if o == nil {
		return ""
	}
	if h, ok := o.(*ow.Hist); ok && h == nil {
		return ""
	}
	return o.ClassName()
}
