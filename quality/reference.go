package quality

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// ReferenceKind is the overwatch.Document kind of reference declarations.
const ReferenceKind = "reference"

// ErrReference is wrapped by every error about an invalid reference
// declaration.
var ErrReference = errors.New("quality: invalid reference")

// Reference declares that the processed outputs of run Run of a subsystem
// — or the histograms of an uploaded reference file (File, see
// ReferenceFile) — are the reference of the subsystem's runs First..Last
// (LHCb Monet's reference_<first>_<last>). Last 0 means open-ended: every
// run from First on. A declaration names a run or a file, not both. Each declaration is one versioned document of kind ReferenceKind
// named by ReferenceName, so its history records who set it, when and
// why; removing it writes a tombstone.
type Reference struct {
	Subsystem string `json:"subsystem"`
	First     int    `json:"first"`
	Last      int    `json:"last,omitempty"`
	Run       int    `json:"run,omitempty"`
	// File is the ID of an uploaded reference file (ReferenceFileID), and
	// FileName the name it was uploaded with.
	File     string `json:"file,omitempty"`
	FileName string `json:"fileName,omitempty"`

	// The document's metadata (not part of the body).
	Author  string    `json:"author,omitempty"`
	Time    time.Time `json:"time"`
	Comment string    `json:"comment,omitempty"`
	Version int64     `json:"version,omitempty"`
}

// referenceBody is what the document body holds.
type referenceBody struct {
	Subsystem string `json:"subsystem"`
	First     int    `json:"first"`
	Last      int    `json:"last,omitempty"`
	Run       int    `json:"run,omitempty"`
	File      string `json:"file,omitempty"`
	FileName  string `json:"fileName,omitempty"`
}

// Validate reports what makes r an invalid declaration (errors wrap
// ErrReference).
func (r Reference) Validate() error {
	switch {
	case !overwatch.ValidSubsystem(r.Subsystem):
		return fmt.Errorf("%w: subsystem %q: expected 2-8 upper-case letters or digits, such as EMC", ErrReference, r.Subsystem)
	case r.File != "" && r.Run != 0:
		return fmt.Errorf("%w: a reference is a run or a file, not both (run %d, file %s)", ErrReference, r.Run, r.File)
	case r.File != "" && !ValidReferenceFileID(r.File):
		return fmt.Errorf("%w: reference file %q: expected the 64 hex digits of its SHA-256", ErrReference, r.File)
	case len(r.FileName) > 200:
		return fmt.Errorf("%w: file name of %d bytes, at most 200", ErrReference, len(r.FileName))
	case r.File == "" && !overwatch.ValidRun(r.Run):
		return fmt.Errorf("%w: reference run %d: expected 1..%d", ErrReference, r.Run, overwatch.MaxRun)
	case !overwatch.ValidRun(r.First):
		return fmt.Errorf("%w: first run %d: expected 1..%d", ErrReference, r.First, overwatch.MaxRun)
	case r.Last != 0 && (r.Last < r.First || r.Last > overwatch.MaxRun):
		return fmt.Errorf("%w: last run %d: expected %d..%d, or 0 (open-ended)", ErrReference, r.Last, r.First, overwatch.MaxRun)
	case len(r.Comment) > 4096:
		return fmt.Errorf("%w: comment of %d bytes, at most 4096", ErrReference, len(r.Comment))
	}
	return nil
}

// Covers reports whether the declaration applies to run.
func (r Reference) Covers(run int) bool {
	return run >= r.First && (r.Last == 0 || run <= r.Last)
}

// width is the number of runs covered (open-ended ranges are the widest).
func (r Reference) width() int {
	if r.Last == 0 {
		return overwatch.MaxRun + 1 - r.First
	}
	return r.Last - r.First + 1
}

// Range returns "first-last" ("first-" when open-ended).
func (r Reference) Range() string {
	s := strconv.Itoa(r.First) + "-"
	if r.Last != 0 {
		s += strconv.Itoa(r.Last)
	}
	return s
}

// ReferenceName is the document name of the declaration of sys for the
// runs first..last (last 0: open-ended): "EMC/100-200", "EMC/500-".
func ReferenceName(sys string, first, last int) string {
	return Reference{Subsystem: sys, First: first, Last: last}.Name()
}

// Source says what the reference is: "run N" or "file NAME (ID prefix)".
func (r Reference) Source() string {
	if r.File != "" {
		id := r.File
		if len(id) > 12 {
			id = id[:12]
		}
		return fmt.Sprintf("file %s (%s)", r.FileName, id)
	}
	return fmt.Sprintf("run %d", r.Run)
}

// Name returns the declaration's document name (see ReferenceName).
func (r Reference) Name() string { return r.Subsystem + "/" + r.Range() }

// Document returns the declaration as a document to store (Author and
// Comment from r; Version and Time are set by the store).
func (r Reference) Document() (overwatch.Document, error) {
	if err := r.Validate(); err != nil {
		return overwatch.Document{}, err
	}
	body, err := json.Marshal(referenceBody{Subsystem: r.Subsystem, First: r.First, Last: r.Last, Run: r.Run, File: r.File, FileName: r.FileName})
	if err != nil {
		return overwatch.Document{}, err
	}
	return overwatch.Document{Kind: ReferenceKind, Name: r.Name(), Author: r.Author, Comment: r.Comment, Body: body}, nil
}

// ReferenceFromDocument decodes a stored declaration: the body must be
// valid and agree with the document's name. A tombstone is an error
// wrapping overwatch.ErrNotFound.
func ReferenceFromDocument(d overwatch.Document) (Reference, error) {
	if d.Kind != ReferenceKind {
		return Reference{}, fmt.Errorf("%w: document of kind %q", ErrReference, d.Kind)
	}
	if d.Deleted {
		return Reference{}, fmt.Errorf("reference %s removed in version %d: %w", d.Name, d.Version, overwatch.ErrNotFound)
	}
	var b referenceBody
	dec := json.NewDecoder(bytes.NewReader(d.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Reference{}, fmt.Errorf("%w: document %s: %v", ErrReference, d.Name, err)
	}
	r := Reference{Subsystem: b.Subsystem, First: b.First, Last: b.Last, Run: b.Run, File: b.File, FileName: b.FileName,
		Author: d.Author, Time: d.Time, Comment: d.Comment, Version: d.Version}
	if err := r.Validate(); err != nil {
		return Reference{}, fmt.Errorf("document %s: %w", d.Name, err)
	}
	if r.Name() != d.Name {
		return Reference{}, fmt.Errorf("%w: document %s declares %s", ErrReference, d.Name, r.Name())
	}
	return r, nil
}

// ReferencesFromDocuments decodes the declarations among docs (as
// DocumentStore.Documents lists them), skipping tombstones and returning
// the first undecodable document's error with the others.
func ReferencesFromDocuments(docs []overwatch.Document) ([]Reference, error) {
	out := make([]Reference, 0, len(docs))
	var firstErr error
	for _, d := range docs {
		if d.Deleted {
			continue
		}
		r, err := ReferenceFromDocument(d)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = append(out, r)
	}
	return out, firstErr
}

// ResolveReference returns the declaration that applies to run of sys
// among refs, and false when none does. The rule, when several ranges
// cover the run: the narrowest range wins (a declaration for runs 120-130
// overrides one for 100-200, which overrides the open-ended 100-); among
// ranges of the same width the most recently written wins (Time), then the
// highest version, then the later first run. The result does not depend on
// the order of refs.
func ResolveReference(refs []Reference, sys string, run int) (Reference, bool) {
	var best Reference
	found := false
	for _, r := range refs {
		if r.Subsystem != sys || !r.Covers(run) {
			continue
		}
		if !found || better(r, best) {
			best, found = r, true
		}
	}
	return best, found
}

// better reports whether a wins over b by ResolveReference's rule.
func better(a, b Reference) bool {
	if wa, wb := a.width(), b.width(); wa != wb {
		return wa < wb
	}
	if !a.Time.Equal(b.Time) {
		return a.Time.After(b.Time)
	}
	if a.Version != b.Version {
		return a.Version > b.Version
	}
	if a.First != b.First {
		return a.First > b.First
	}
	if a.Run != b.Run {
		return a.Run > b.Run
	}
	return a.File > b.File
}

// SortReferences orders declarations by subsystem, then first run, then
// last run (open-ended last).
func SortReferences(refs []Reference) {
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.Subsystem != b.Subsystem {
			return a.Subsystem < b.Subsystem
		}
		if a.First != b.First {
			return a.First < b.First
		}
		return a.width() < b.width()
	})
}

// ParseRunRange parses "first-last", "first-" (open-ended) or "run" (a
// single run) as ReferenceName writes ranges.
func ParseRunRange(s string) (first, last int, err error) {
	lo, hi, dash := strings.Cut(strings.TrimSpace(s), "-")
	if first, err = overwatch.ParseRun(lo); err != nil {
		return 0, 0, fmt.Errorf("%w: range %q: %v", ErrReference, s, err)
	}
	switch {
	case !dash:
		return first, first, nil
	case hi == "":
		return first, 0, nil
	}
	if last, err = overwatch.ParseRun(hi); err != nil {
		return 0, 0, fmt.Errorf("%w: range %q: %v", ErrReference, s, err)
	}
	if last < first {
		return 0, 0, fmt.Errorf("%w: range %q ends before it starts", ErrReference, s)
	}
	return first, last, nil
}
