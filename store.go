package overwatch

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is wrapped by Store errors about a run, subsystem, snapshot or
// output that does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is wrapped by Store errors about a snapshot that already exists
// and must not be overwritten.
var ErrExists = errors.New("already exists")

// SnapshotStore keeps received snapshot files.
type SnapshotStore interface {
	// PutSnapshot stores the ROOT file read from r atomically (never a half
	// file, never an index entry without its file) and announces it to
	// watchers. Two snapshots of the same run and subsystem in the same
	// second get distinct Seq numbers. Snapshots in replay mode are stored
	// apart and not announced.
	PutSnapshot(ctx context.Context, meta SnapshotMeta, r io.Reader) (SnapshotInfo, error)
	// OpenSnapshot opens a stored snapshot file for reading.
	OpenSnapshot(ctx context.Context, ref SnapshotRef) (io.ReadCloser, error)
	// Snapshots lists the snapshots of one receiver subsystem in a run,
	// oldest first.
	Snapshots(ctx context.Context, run int, subsystem string) ([]SnapshotInfo, error)
}

// RunInfo describes a run and the subsystems seen in it.
type RunInfo struct {
	Number     int
	Mode       HLTMode
	Start, End time.Time // first and last snapshot over all subsystems
	Subsystems []SubsystemInfo
}

// Subsystem returns the named subsystem of the run.
func (r RunInfo) Subsystem(name string) (SubsystemInfo, bool) {
	for _, s := range r.Subsystems {
		if s.Name == name {
			return s, true
		}
	}
	return SubsystemInfo{}, false
}

// SubsystemInfo describes one subsystem within a run.
type SubsystemInfo struct {
	Run  int
	Name string
	// FilesFrom is the subsystem whose receiver files feed this one: Name
	// itself, or HLTSubsystem when it borrows the HLT receiver's files.
	FilesFrom  string
	Start, End time.Time // first and last snapshot of Source
	Snapshots  int
	Last       SnapshotRef // newest snapshot of Source
}

// Borrows reports whether the subsystem borrows another receiver's files.
func (s SubsystemInfo) Borrows() bool { return s.FilesFrom != s.Name }

// RunQuery selects runs, newest first. Before, when non-zero, keeps only
// runs with a number below it (keyset pagination without overlap).
type RunQuery struct {
	Limit  int
	Before int
}

// RunIndex answers questions about runs.
type RunIndex interface {
	// Runs lists runs, newest (highest number) first.
	Runs(ctx context.Context, q RunQuery) ([]RunInfo, error)
	// RunInfo returns one run; the error wraps ErrNotFound when it is unknown.
	RunInfo(ctx context.Context, number int) (RunInfo, error)
	// CountRuns returns the number of known runs.
	CountRuns(ctx context.Context) (int, error)
}

// OutputKind is the kind of a processing output.
type OutputKind string

// The output kinds.
const (
	OutputJSON  OutputKind = "json"  // JSROOT JSON of a histogram or trend
	OutputPNG   OutputKind = "png"   // server-rendered image
	OutputHints OutputKind = "hints" // display hints, decorations, information panel (JSON)
	OutputView  OutputKind = "view"  // the subsystem view: groups and histograms (JSON)
	OutputSlice OutputKind = "slice" // a time slice's request and result summary (JSON)
	// OutputBundle holds every JSON, hints (and eager PNG) output and the
	// view of one processed snapshot of a (run, subsystem[, slice]) as one
	// blob with an index of its members (package store/bundle); Name
	// is empty.
	OutputBundle OutputKind = "bundle"
)

// OutputRef names one processing output. Run 0 addresses the subsystem's
// trending outputs. Slice is empty for the full-run processing and holds the
// canonical time-slice key otherwise. Name is the histogram (or trend)
// name; it may contain '/'.
type OutputRef struct {
	Run       int
	Subsystem string
	Slice     string
	Name      string
	Kind      OutputKind
}

// OutputStore keeps processing outputs.
type OutputStore interface {
	// PutOutput writes an output atomically, replacing any previous one.
	PutOutput(ctx context.Context, ref OutputRef, data []byte) error
	// Output reads an output; the error wraps ErrNotFound when it is absent.
	Output(ctx context.Context, ref OutputRef) ([]byte, error)
	// OutputTime returns when an output was last written.
	OutputTime(ctx context.Context, ref OutputRef) (time.Time, error)
}

// OutputInfo describes a stored output without reading it.
type OutputInfo struct {
	// Size is the output's length in bytes.
	Size int64
	// Time is when it was last written.
	Time time.Time
	// SHA256 is the hex SHA-256 of its content when the backend knows it
	// without reading the output (an object store's checksum); "" otherwise.
	SHA256 string
}

// OutputRanger reads parts of outputs, so that a reader of a large output
// (a bundle) fetches only the bytes it needs.
type OutputRanger interface {
	// OpenOutput returns n bytes of an output from offset off (n < 0: to
	// the end); the error wraps ErrNotFound when the output is absent.
	OpenOutput(ctx context.Context, ref OutputRef, off, n int64) (io.ReadCloser, error)
	// OutputInfo returns an output's size and write time; the error wraps
	// ErrNotFound when it is absent.
	OutputInfo(ctx context.Context, ref OutputRef) (OutputInfo, error)
}

// TrendPoint is one value of a trend: the value extracted from a
// histogram of one snapshot. (Subsystem, Trend, Time, Seq) is its identity:
// storing the same point again replaces it.
type TrendPoint struct {
	Subsystem string
	Trend     string
	Run       int
	Time      time.Time
	Seq       int
	Value     float64
	Error     float64
}

// TrendQuery selects trend points. Zero fields do not restrict.
type TrendQuery struct {
	Subsystem string
	Trend     string
	Run       int
	// RunFrom and RunTo are inclusive bounds on Run (0: unbounded).
	RunFrom, RunTo int
	From, To       time.Time // inclusive bounds on Time
	Limit          int       // newest Limit points when > 0
}

// TrendStore keeps trend series.
type TrendStore interface {
	// PutTrendPoints stores points idempotently.
	PutTrendPoints(ctx context.Context, pts []TrendPoint) error
	// TrendPoints returns matching points, oldest first.
	TrendPoints(ctx context.Context, q TrendQuery) ([]TrendPoint, error)
	// Trends lists the trend names that have points for a subsystem.
	Trends(ctx context.Context, subsystem string) ([]string, error)
}

// AlarmState is the lifecycle state of an alarm.
type AlarmState string

// The alarm states.
const (
	AlarmFiring   AlarmState = "firing"
	AlarmResolved AlarmState = "resolved"
)

// AlarmRecord is the stored state of one alarm of one trend.
type AlarmRecord struct {
	ID            string // stable: subsystem/trend/alarm
	Subsystem     string
	Trend         string
	Alarm         string // the alarm's name within its trend
	Hist          string // source histogram, for the information panel
	State         AlarmState
	Message       string
	Run           int
	FiredAt       time.Time
	LastSeen      time.Time
	ResolvedAt    time.Time
	AckedBy       string
	AckedAt       time.Time
	SilencedUntil time.Time
}

// AlarmQuery selects alarms. Zero fields do not restrict.
type AlarmQuery struct {
	Subsystem string
	Trend     string
	State     AlarmState
}

// AlarmStore keeps alarm states.
type AlarmStore interface {
	PutAlarm(ctx context.Context, a AlarmRecord) error
	Alarm(ctx context.Context, id string) (AlarmRecord, error)
	Alarms(ctx context.Context, q AlarmQuery) ([]AlarmRecord, error)
}

// AlarmEventKind is what happened to an alarm.
type AlarmEventKind string

// The alarm events.
const (
	AlarmEventFired        AlarmEventKind = "fired"
	AlarmEventResolved     AlarmEventKind = "resolved"
	AlarmEventAcknowledged AlarmEventKind = "acknowledged"
	AlarmEventSilenced     AlarmEventKind = "silenced"
)

// AlarmEvent is one entry of an alarm's history: it fired, resolved, was
// acknowledged or silenced, in a run, at a time, by a user (for
// acknowledgements and silences).
type AlarmEvent struct {
	AlarmID   string
	Subsystem string
	Trend     string
	Alarm     string
	Run       int
	Kind      AlarmEventKind
	Time      time.Time
	User      string
	Message   string
	// Until is the end of a silence.
	Until time.Time
}

// AlarmEventQuery selects alarm events, oldest first. Zero fields do not
// restrict; Limit > 0 keeps the newest Limit events.
type AlarmEventQuery struct {
	AlarmID   string
	Subsystem string
	Run       int
	From, To  time.Time // inclusive bounds on Time
	Limit     int
}

// AlarmHistory is the atomic read-modify-write of alarms with their event
// history. UpdateAlarm reads alarm id (exists is false and *a holds only
// the ID when it is unknown), calls fn to change it, and stores the changed
// record together with the events fn returns, atomically with respect to
// every other UpdateAlarm and PutAlarm of the same store, in this process
// or another: two concurrent updates (processing refreshing an alarm, a
// shifter acknowledging it) never lose one another. An error from fn
// aborts the update and is returned.
type AlarmHistory interface {
	UpdateAlarm(ctx context.Context, id string, fn func(a *AlarmRecord, exists bool) ([]AlarmEvent, error)) (AlarmRecord, error)
	AlarmEvents(ctx context.Context, q AlarmEventQuery) ([]AlarmEvent, error)
}

// Watcher announces newly stored snapshots.
type Watcher interface {
	// Watch returns a channel receiving every snapshot stored after the
	// call, until ctx is done. A slow reader may miss announcements; the
	// periodic scan of processing catches up with those.
	Watch(ctx context.Context) <-chan SnapshotInfo
}

// Store is the complete store used by the reference deployment: snapshot
// files, the run index, outputs, trends and alarms, and announcements.
type Store interface {
	SnapshotStore
	RunIndex
	OutputStore
	OutputRanger
	TrendStore
	AlarmStore
	Watcher
	io.Closer
}
