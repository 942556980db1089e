package quality

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// FlagsKind is the overwatch.Document kind of the stored quality flags of
// a run's subsystem, one document per run and subsystem named by
// FlagsName, written by the quality observer after every snapshot. A
// document (not an SQL table) because it is small JSON read and written
// whole per run and subsystem, must be seen by every process and replica,
// and its history (one version per snapshot) comes for free.
const FlagsKind = "flags"

// FlagsName is the document name of the flags of run's subsystem sys:
// "<run>/<sys>".
func FlagsName(run int, sys string) string { return strconv.Itoa(run) + "/" + sys }

// MaxRunSnapshots bounds the snapshot verdicts a RunFlags keeps (the
// oldest are dropped), which bounds its document to about 300 KB.
const MaxRunSnapshots = 2000

// maxReason bounds a stored snapshot reason.
const maxReason = 200

// SnapshotQuality is a subsystem's aggregated quality for one snapshot.
type SnapshotQuality struct {
	Time    time.Time         `json:"time"`
	Quality overwatch.Quality `json:"quality"`
	Reason  string            `json:"reason,omitempty"`
}

// RunFlags is the stored quality of a run's subsystem: the aggregated
// quality of every snapshot (in time order, one per snapshot time) and the
// time-based flags derived from them (each snapshot's verdict covers the
// time since the previous snapshot, see TimeFlags).
type RunFlags struct {
	Run       int               `json:"run"`
	Subsystem string            `json:"subsystem"`
	Snapshots []SnapshotQuality `json:"snapshots"`
	// Flags are TimeFlags over [first snapshot, last snapshot).
	Flags []Flag `json:"flags"`
	// Quality is the worst judged quality of any snapshot (Bad wins), or
	// Null when no snapshot was judged: the run's badge.
	Quality overwatch.Quality `json:"quality"`
	// Last is the newest snapshot's quality.
	Last SnapshotQuality `json:"last"`
}

// Add records the quality of the snapshot at time at (replacing an earlier
// verdict for the same time) and recomputes the flags.
func (f *RunFlags) Add(at time.Time, q overwatch.Quality, reason string) {
	if len(reason) > maxReason {
		reason = strings.ToValidUTF8(reason[:maxReason], "")
	}
	at = at.UTC().Truncate(time.Second) // the snapshot times' resolution
	s := SnapshotQuality{Time: at, Quality: q, Reason: reason}
	i := sort.Search(len(f.Snapshots), func(i int) bool { return !f.Snapshots[i].Time.Before(at) })
	if i < len(f.Snapshots) && f.Snapshots[i].Time.Equal(at) {
		f.Snapshots[i] = s
	} else {
		f.Snapshots = append(f.Snapshots, SnapshotQuality{})
		copy(f.Snapshots[i+1:], f.Snapshots[i:])
		f.Snapshots[i] = s
	}
	if n := len(f.Snapshots); n > MaxRunSnapshots {
		f.Snapshots = f.Snapshots[n-MaxRunSnapshots:]
	}
	f.update()
}

// update derives Flags, Quality and Last from Snapshots.
func (f *RunFlags) update() {
	f.Flags, f.Quality, f.Last = nil, overwatch.QualityNull, SnapshotQuality{}
	n := len(f.Snapshots)
	if n == 0 {
		return
	}
	vs := make([]Verdict, 0, n)
	for i, s := range f.Snapshots {
		if s.Quality > overwatch.QualityNull && s.Quality <= overwatch.QualityBad {
			f.Quality = max(f.Quality, s.Quality)
		}
		if i > 0 {
			vs = append(vs, Verdict{Start: f.Snapshots[i-1].Time, End: s.Time, Quality: s.Quality, Reason: s.Reason})
		}
	}
	f.Flags = TimeFlags(f.Snapshots[0].Time, f.Snapshots[n-1].Time, vs)
	for i := range f.Flags { // bound the reasons merged into one stretch
		if len(f.Flags[i].Reasons) > 5 {
			f.Flags[i].Reasons = f.Flags[i].Reasons[:5]
		}
	}
	f.Last = f.Snapshots[n-1]
}

// Document returns the flags as a document to store. A body that would
// exceed overwatch.MaxDocumentBody drops the older snapshots.
func (f *RunFlags) Document() (overwatch.Document, error) {
	if !overwatch.ValidRun(f.Run) || !overwatch.ValidSubsystem(f.Subsystem) {
		return overwatch.Document{}, fmt.Errorf("quality: flags of run %d subsystem %q: invalid run or subsystem", f.Run, f.Subsystem)
	}
	body, err := json.Marshal(f)
	for err == nil && len(body) > overwatch.MaxDocumentBody && len(f.Snapshots) > 1 {
		// Reasons full of escaped characters: keep the newer half.
		f.Snapshots = f.Snapshots[len(f.Snapshots)/2:]
		f.update()
		body, err = json.Marshal(f)
	}
	if err != nil {
		return overwatch.Document{}, err
	}
	return overwatch.Document{Kind: FlagsKind, Name: FlagsName(f.Run, f.Subsystem), Author: "quality", Body: body}, nil
}

// RunFlagsFromDocument decodes a stored flags document.
func RunFlagsFromDocument(d overwatch.Document) (*RunFlags, error) {
	if d.Kind != FlagsKind || d.Deleted {
		return nil, fmt.Errorf("quality: document %s/%s is not a flags document: %w", d.Kind, d.Name, overwatch.ErrNotFound)
	}
	var f RunFlags
	if err := json.Unmarshal(d.Body, &f); err != nil {
		return nil, fmt.Errorf("quality: flags document %s: %w", d.Name, err)
	}
	if FlagsName(f.Run, f.Subsystem) != d.Name {
		return nil, fmt.Errorf("quality: flags document %s holds run %d subsystem %s", d.Name, f.Run, f.Subsystem)
	}
	sort.SliceStable(f.Snapshots, func(i, j int) bool { return f.Snapshots[i].Time.Before(f.Snapshots[j].Time) })
	f.update()
	return &f, nil
}

// CSVHeader is the header line of RunFlags.CSV.
const CSVHeader = "run,subsystem,start,end,quality,reasons"

// CSV writes the flags as CSV for a run registry: CSVHeader, then one line
// per stretch in time order with RFC 3339 UTC times, the quality (unknown
// for uncovered stretches) and the reasons joined by " | ".
func (f *RunFlags) CSV() []byte {
	var b strings.Builder
	b.WriteString(CSVHeader + "\n")
	for _, fl := range f.Flags {
		q := fl.Quality.String()
		if fl.Unknown {
			q = "unknown"
		}
		fmt.Fprintf(&b, "%d,%s,%s,%s,%s,%s\n", f.Run, f.Subsystem,
			fl.Start.UTC().Format(time.RFC3339), fl.End.UTC().Format(time.RFC3339), q, csvField(strings.Join(fl.Reasons, " | ")))
	}
	return []byte(b.String())
}

// csvField quotes a field as RFC 4180 requires.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
