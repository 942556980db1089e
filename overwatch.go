// Package overwatch is the vocabulary of Overwatch, a toolkit for real-time
// data-quality monitoring of detector histograms.
//
// It defines the histogram model (Hist, Axis, Graph) with ROOT's semantics,
// reading and writing ROOT files and TBufferJSON (JSROOT) JSON without a ROOT
// installation, the identifiers of runs, subsystems and snapshots, and the
// small interfaces the rest of the SDK is built from: Store (snapshots,
// outputs, trends, alarms), Receiver, Processor and Detector with its
// optional hook interfaces and its registry.
//
// Data flows one way: receivers put snapshots into a Store; processing
// reads them, runs the registered detectors' hooks and functions and writes
// outputs; the web app only reads. Built-in detectors live in
// detectors/emc, detectors/tpc and detectors/hlt and register themselves
// when imported, like database/sql drivers:
//
//	import _ "github.com/overwatch-dqm/overwatch/detectors/all"
package overwatch

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Object is anything Overwatch reads from or writes to ROOT: *Hist, *Graph
// or *Text.
type Object interface {
	// ObjectName returns the object's name (ROOT's GetName).
	ObjectName() string
	// ClassName returns the object's ROOT class, e.g. "TH1F".
	ClassName() string
}

// Text is a ROOT TObjString.
type Text struct {
	Value string
}

// ObjectName returns the string itself, as ROOT's TObjString::GetName does.
func (t *Text) ObjectName() string { return t.Value }

// ClassName returns "TObjString".
func (t *Text) ClassName() string { return "TObjString" }

// HLTMode is the one-letter HLT running mode recorded with every run
// (original-processing.md §1.9), or "DQM" for DQM uploads.
type HLTMode string

// The HLT modes.
const (
	ModeNotTaking  HLTMode = "A"   // HLT not in data taking
	ModeNoCompress HLTMode = "B"   // HLT without compression
	ModeCompress   HLTMode = "C"   // HLT with compression
	ModeReplay     HLTMode = "E"   // replay of old data: stored apart, never processed
	ModeUnknown    HLTMode = "U"   // unknown
	ModeDQM        HLTMode = "DQM" // uploaded by the DQM system
)

// ParseHLTMode validates and upper-cases a mode string.
func ParseHLTMode(s string) (HLTMode, error) {
	m := HLTMode(strings.ToUpper(s))
	switch m {
	case ModeNotTaking, ModeNoCompress, ModeCompress, ModeReplay, ModeUnknown, ModeDQM:
		return m, nil
	}
	return "", fmt.Errorf("overwatch: unknown HLT mode %q (want A, B, C, E, U or DQM)", s)
}

// Processed reports whether snapshots taken in this mode are processed
// (everything but replay mode E).
func (m HLTMode) Processed() bool { return m != ModeReplay }

// Accumulation says how a snapshot's histograms relate to the earlier
// snapshots of its run and subsystem. It is recorded with each snapshot
// (set by the receiver from its configuration), so that processing and
// the time-slice service know whether to difference or to sum without a
// setting of their own. The zero value, AccumulationUnset, is what
// snapshots of stores written before the field existed carry: their
// readers apply the deployment's default (Accumulation.Or).
type Accumulation string

// The accumulations.
const (
	AccumulationUnset Accumulation = ""           // not recorded (older stores): the reader's default applies
	Cumulative        Accumulation = "cumulative" // the run so far: a window is the difference of two snapshots
	Reset             Accumulation = "reset"      // what arrived since the previous snapshot: a window is a sum
)

// ParseAccumulation validates an accumulation: "cumulative", "reset" or
// "" (unset); case is ignored.
func ParseAccumulation(s string) (Accumulation, error) {
	a := Accumulation(strings.ToLower(strings.TrimSpace(s)))
	switch a {
	case AccumulationUnset, Cumulative, Reset:
		return a, nil
	}
	return "", fmt.Errorf("overwatch: unknown accumulation %q (want cumulative or reset)", s)
}

// Or returns a, or def when a is unset (a snapshot of an older store).
func (a Accumulation) Or(def Accumulation) Accumulation {
	if a == AccumulationUnset {
		return def
	}
	return a
}

// IsReset reports whether a is Reset.
func (a Accumulation) IsReset() bool { return a == Reset }

// ValidSubsystem reports whether s is a valid subsystem name: 2 to 8
// upper-case letters or digits, starting with a letter (EMC, TPC, HLT, V0,
// ZDC, ...).
func ValidSubsystem(s string) bool {
	if len(s) < 2 || len(s) > 8 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// MaxRun is the largest run number Overwatch accepts: nine decimal digits,
// so that every run number fits the store's Run<N> folders, the index and
// the web app's URLs on every platform. Run numbers start at 1.
const MaxRun = 999_999_999

// ValidRun reports whether n is a run number Overwatch accepts: 1 to
// MaxRun. Receivers refuse snapshots of other runs, the store refuses to
// store them, a rebuild reports folders named after them and the web app
// answers 400 for them.
func ValidRun(n int) bool { return n >= 1 && n <= MaxRun }

// ParseRun parses a run number written in canonical decimal (no sign, no
// leading zero, no spaces) and checks it with ValidRun.
func ParseRun(s string) (int, error) {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return 0, fmt.Errorf("invalid run number %q: expected an integer from 1 to %d", s, MaxRun)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("invalid run number %q: expected an integer from 1 to %d", s, MaxRun)
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, nil
}

// HLTSubsystem is the subsystem of the general HLT receiver, whose files
// feed every subsystem that has no receiver of its own.
const HLTSubsystem = "HLT"

// SnapshotRef identifies one received snapshot: the receiver's subsystem
// (the file location), the run and the moment it was written. Seq tells
// apart snapshots written in the same second (0 for the first).
type SnapshotRef struct {
	Run       int
	Subsystem string
	Time      time.Time // whole seconds
	Seq       int
}

// String returns a compact human form such as "Run123/EMC@1448384710".
func (r SnapshotRef) String() string {
	s := fmt.Sprintf("Run%d/%s@%d", r.Run, r.Subsystem, r.Time.Unix())
	if r.Seq > 0 {
		s += fmt.Sprintf(".%d", r.Seq)
	}
	return s
}

// Before orders snapshots by time, then sequence number.
func (r SnapshotRef) Before(o SnapshotRef) bool {
	if !r.Time.Equal(o.Time) {
		return r.Time.Before(o.Time)
	}
	return r.Seq < o.Seq
}

// SnapshotMeta is what a receiver knows about a snapshot it delivers.
type SnapshotMeta struct {
	Run       int
	Subsystem string
	Mode      HLTMode
	Time      time.Time
	// Origin names the path the snapshot took: "hlt", "dqm", "ingest",
	// "replay" or a custom receiver's name.
	Origin string
	// Accumulation says whether the snapshot is cumulative or reset
	// (unset: the reader's default). A store keeps the first value
	// declared for a run and subsystem: later snapshots of it take that
	// one.
	Accumulation Accumulation
}

// SnapshotInfo describes a stored snapshot.
type SnapshotInfo struct {
	SnapshotRef
	Mode   HLTMode
	Origin string
	// Path is the snapshot file's path relative to the store's root,
	// slash-separated (e.g. "Run123/EMC/EMChists.2015_11_24_18_05_10.root").
	Path string
	Size int64
	// Accumulation is the snapshot's recorded accumulation
	// (AccumulationUnset for snapshots stored without one).
	Accumulation Accumulation `json:",omitempty"`
}

// Quality is a data-quality flag set by detector functions, ordered from
// best to worst so that combining flags is taking the maximum.
type Quality int

// The quality flags.
const (
	QualityNull   Quality = iota // not assessed
	QualityGood                  // nothing wrong found
	QualityMedium                // something to look at
	QualityBad                   // data not usable
)

// String returns "null", "good", "medium" or "bad".
func (q Quality) String() string {
	switch q {
	case QualityGood:
		return "good"
	case QualityMedium:
		return "medium"
	case QualityBad:
		return "bad"
	}
	return "null"
}

// MarshalText implements encoding.TextMarshaler.
func (q Quality) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (q *Quality) UnmarshalText(b []byte) error {
	switch string(b) {
	case "null", "":
		*q = QualityNull
	case "good":
		*q = QualityGood
	case "medium":
		*q = QualityMedium
	case "bad":
		*q = QualityBad
	default:
		return fmt.Errorf("overwatch: unknown quality %q", b)
	}
	return nil
}

// Receiver delivers snapshots from somewhere (the HLT over ZeroMQ, DQM
// uploads, a replay) into a Store until ctx is cancelled.
type Receiver interface {
	Run(ctx context.Context) error
}

// Processor turns a stored snapshot into outputs.
type Processor interface {
	Process(ctx context.Context, s SnapshotInfo) error
}
