// Package storetest checks implementations of overwatch.Store, like
// testing/fstest checks file systems: Run holds every engine (the
// directory store, SQLite, PostgreSQL, with any blob backend) to the same
// contract, written only against the root package's interfaces
// (overwatch.Store and, when implemented, overwatch.AlarmHistory).
//
// An engine's test runs the suite on fresh stores, with the optional
// capabilities it has:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) overwatch.Store {
//			s, err := store.Open(t.TempDir(), store.Options{})
//			require.NoError(t, err)
//			return s
//		}, storetest.Options{Reopen: reopen, Rebuild: rebuild, Files: files})
//	}
//
// and its benchmarks run Bench, so that engines compare side by side in
// one `go test -bench` run.
//
// # What Run checks
//
// Each check is a subtest on a fresh, empty store from the open function
// (names in parentheses; run one with go test -run 'TestX/Snapshots/SameSecond').
//
// Snapshots (overwatch.SnapshotStore):
//   - (Snapshots/RoundTrip) PutSnapshot returns the stored SnapshotInfo: the
//     meta's run, subsystem, mode and origin, the time truncated to whole
//     seconds, Seq 0, the byte count as Size and a non-empty Path;
//     OpenSnapshot gives back the bytes (also for a 3 MiB file) and
//     Snapshots lists exactly the returned info.
//   - (Snapshots/Invalid) a run ≤ 0, a subsystem that is not 2–8 upper-case
//     letters or digits (lower case, "../x") and an unknown HLT mode are
//     rejected, and nothing is stored.
//   - (Snapshots/FailingReader) PutSnapshot is atomic: a reader failing
//     half-way makes PutSnapshot return an error wrapping the reader's
//     error and leaves nothing — no run, no index entry, no file
//     (Options.Files), no announcement — in a new run and in an existing
//     one (whose RunInfo and Snapshots stay as they were).
//   - (Snapshots/SameSecond) no overwrite: snapshots of one run and
//     subsystem in the same second all succeed (never ErrExists) with the
//     distinct Seq numbers 0, 1, 2, distinct paths, and each keeps its own
//     bytes; the next second starts again at Seq 0.
//   - (Snapshots/Order) Snapshots lists one receiver subsystem's snapshots
//     oldest first, by time then Seq, whatever the order they were put in;
//     a known run without snapshots of a subsystem gives an empty list and
//     no error.
//   - (Snapshots/RunMode) the first snapshot of a run fixes its HLT mode:
//     later snapshots of any subsystem report the run's mode; an empty mode
//     is stored as "U" and a lower-case one upper-cased.
//   - (Snapshots/Replay) snapshots in replay mode (E) are stored apart: no
//     run appears (RunInfo wraps ErrNotFound, CountRuns stays 0), nothing
//     is announced, and OpenSnapshot still reads the file back.
//   - (Snapshots/Accumulation) a snapshot's accumulation (cumulative or
//     reset) round-trips: PutSnapshot returns it, Snapshots lists it and
//     Watch announces it; the first snapshot of a run's subsystem fixes it
//     (later ones of that subsystem take it, other subsystems have their
//     own); a subsystem whose first snapshot declared none stays unset;
//     an unknown accumulation is rejected and nothing is stored. Reopen,
//     Rebuild and Shared/Visible compare it too (Dump).
//
// Runs (overwatch.RunIndex):
//   - (Runs/Info) RunInfo reports the run's mode, Start and End over all
//     subsystems, and its subsystems sorted by name, each with its run,
//     name, FilesFrom, first and last snapshot times, count and the ref of
//     its newest snapshot (Seq included).
//   - (Runs/HLTBorrowing) the rule of the original processing (store
//     package documentation): a configured subsystem (Options.Subsystems)
//     without files of its own in a run borrows the HLT receiver's files as
//     soon as the run has HLT snapshots, whenever they arrive — FilesFrom
//     "HLT", HLT's times, count and newest ref; a run without HLT
//     snapshots has no borrowing subsystems; the subsystem's own files
//     convert it at once (FilesFrom becomes itself); subsystems that are
//     not configured are listed with their own files and never borrow.
//     Snapshots of a borrowing subsystem's own name stay empty.
//   - (Runs/NewestFirst) Runs lists runs by number, highest first,
//     whatever the order they were created in; Limit 0 lists all.
//   - (Runs/Keyset) keyset pages: walking Runs with Limit n and Before set
//     to the last number of the previous page visits every run exactly once
//     in order, over Options.Runs runs with irregular numbers; Before needs
//     not be a known run number; Before above every run lists from the
//     newest; CountRuns counts them all; each listed RunInfo equals
//     RunInfo of its number.
//
// Errors:
//   - (NotFound) RunInfo and Snapshots of an unknown run, OpenSnapshot of an
//     unknown run or time, Output and OutputTime of an absent output and
//     Alarm of an unknown ID return errors wrapping overwatch.ErrNotFound.
//
// Outputs (overwatch.OutputStore):
//   - (Outputs/RoundTrip) every kind (json, png, hints, view, slice), full
//     run and time-slice outputs, trending outputs (run 0), names with '/':
//     each reads back what was written, and names that a lossy encoding
//     would merge ("TPCQA/h", "TPCQA_h", "TPCQA%2Fh") stay distinct, as do
//     long names differing only at their end; binary and empty outputs
//     round-trip; a borrowing subsystem's outputs never overwrite HLT's of
//     the same name.
//   - (Outputs/Replace) PutOutput replaces, and OutputTime moves forward
//     (waiting up to 2 s for engines with a coarse clock) and is close to
//     the wall clock.
//   - (Outputs/AtomicReplace) a reader concurrent with replacements always
//     reads one complete version, never a mix, a truncation or an error.
//   - (Outputs/Invalid) refs that name no valid output (subsystem "..",
//     json without name, view with a name, slice kind without slice, a
//     slice key "../x", unknown kind, negative run) are rejected.
//   - (Outputs/Ranged; skipped when the store does not implement
//     overwatch.OutputRanger) a 300 KiB bundle: OpenOutput reads it whole,
//     any range, a range past the end cut at the end, nothing at or past
//     the end or for n = 0, and refuses a negative offset; OutputInfo
//     gives its size, OutputTime's time and, when not empty, its SHA-256;
//     a reader opened before a replacement reads the old version whole,
//     new readers the new one, whose time does not go back and whose
//     SHA-256 differs.
//   - (Outputs/Absent) Output, OutputTime, OpenOutput and OutputInfo of
//     outputs never written (next to written ones of another run or
//     subsystem) wrap overwatch.ErrNotFound.
//   - (Outputs/Concurrent) writers of one output on one store and, with
//     Options.Second, on two, end with one whole version of those written
//     (Output, ranged reads and OutputInfo agree); a later write replaces
//     it for every store.
//   - (Outputs/Prune; skipped without a DeleteRun(ctx, run) method, the
//     retention side of a store) deleting a run makes its outputs (replaced
//     ones, slices, bundles) absent, keeps those of other runs (Run80 next
//     to Run8) and trending, leaves no blob of the run (Options.Files),
//     and its outputs can be written again.
//   - (Outputs/Rebuild; with Options.Rebuild) outputs written and replaced
//     several times read back with the same content, OutputTime and
//     OutputInfo from the rebuilt index; the rebuild changes no blob, and
//     a replacement after it moves OutputTime forward.
//
// Trends (overwatch.TrendStore):
//   - (Trends/Query) TrendPoints by subsystem, trend, run and inclusive
//     time range, oldest first; Limit keeps the newest Limit points (still
//     returned oldest first), also within a time range and across series.
//   - (Trends/Idempotent) (Subsystem, Trend, Time, Seq) is a point's
//     identity: putting points again leaves one copy, the last put wins
//     (value, error and run), and another Seq at the same time is another
//     point.
//   - (Trends/Values) values and errors round-trip bit for bit, NaN, ±Inf,
//     ±MaxFloat64 and subnormals included, and so do times with a
//     millisecond part (an inclusive range on that exact time finds the
//     point).
//   - (Trends/List) Trends lists a subsystem's trend names, sorted, once
//     each; an unknown subsystem gives an empty list.
//   - (Trends/Invalid) an invalid subsystem, an empty trend name, a NUL in
//     the name or a zero time is rejected, and a batch holding such a point
//     stores none of its points.
//
// Alarms (overwatch.AlarmStore):
//   - (Alarms) PutAlarm stores and replaces a record (all fields
//     round-trip); an empty ID becomes Subsystem/Trend/Alarm; an empty
//     record is rejected; Alarms filters by subsystem, trend and state and
//     sorts by ID.
//
// Alarm history (overwatch.AlarmHistory; these subtests skip when the
// store does not implement it, and fail instead when
// Options.AlarmHistory is set):
//   - (AlarmHistory/Create) UpdateAlarm of an unknown ID calls fn with
//     exists false and a record holding only the ID, stores what fn made
//     and the events fn returned; the next call sees exists true and the
//     stored record.
//   - (AlarmHistory/Abort) an error from fn is returned (wrapped) and
//     nothing changes: no record, no event, the previous record intact.
//   - (AlarmHistory/Concurrent) UpdateAlarm is atomic: goroutines
//     incrementing a counter kept in Message never lose an update, and
//     the events record every counter value exactly once.
//   - (AlarmHistory/Events) AlarmEvents filters by alarm, subsystem, run
//     and inclusive time range, returns the oldest first, and Limit keeps
//     the newest Limit.
//
// Documents (overwatch.DocumentStore; these subtests skip when the store
// does not implement it, and fail instead when Options.Documents is set):
//   - (Documents/RoundTrip) a new document is version 1 with the store's
//     Time, later writes 2, 3, …; Document reads any version (0: the
//     newest), DocumentHistory every version oldest first, Documents the
//     newest of each live document of one kind by name; a tombstone hides
//     a document from Documents (Document returns it, Deleted) until a
//     later version revives it; a document that never existed has an
//     empty history.
//   - (Documents/Conflict) writing after a version that is not the newest
//     (older, newer, or 0 for an existing document) fails with
//     ErrVersionConflict and stores nothing.
//   - (Documents/Invalid) invalid kinds, names, bodies (not JSON, empty,
//     too large, a tombstone with a body) and a negative previous version
//     are rejected; absent documents and versions wrap ErrNotFound.
//   - (Documents/Concurrent) writers incrementing a counter by
//     read-modify-write with retries on conflicts never lose an increment,
//     and the history holds one version per increment.
//
// Leases (overwatch.Leaser; skipped when not implemented, failing
// instead when Options.Leases is set):
//   - (Leases/Exclusive) one holder at a time; its holder takes it again
//     with a greater token and the older grant cannot be renewed; a
//     released lease is free and tokens are never reused; invalid queues,
//     keys, holders and TTLs are rejected.
//   - (Leases/Expiry) an expired lease goes to the next holder, and the
//     dead holder cannot renew it.
//
// Announcements (overwatch.Watcher):
//   - (Watch/Announces) every subscriber receives each snapshot stored
//     after its Watch call, as PutSnapshot returned it, and nothing stored
//     before the call.
//   - (Watch/Cancel) cancelling the context closes the channel; a Watch
//     with a cancelled context gives a channel that is closed.
//
// Concurrency and contexts:
//   - (Concurrent/Snapshots) goroutines putting snapshots of different runs
//     and of one run, subsystem and second at once: every snapshot is
//     stored with its own bytes, the Seq numbers of the shared second are
//     distinct, the runs are counted right.
//   - (Concurrent/Trends) concurrent PutTrendPoints of different points
//     keep all of them.
//   - (Context/Cancelled) every method called with a cancelled context
//     returns an error wrapping context.Canceled and stores nothing.
//   - (Context/CancelDuringPut) a context cancelled while PutSnapshot
//     reads leaves either nothing (the error wraps context.Canceled) or the
//     complete snapshot — never a partial one.
//
// With the optional capabilities of Options:
//   - (Shared/Visible) what one store stores, a second store on the same
//     data (Options.Second: another process) reads at once — snapshots,
//     runs, Seq numbers, outputs and their replacements, trend points,
//     alarms: the two Dumps are equal.
//   - (Shared/SameSecond) writers on both stores putting snapshots of one
//     run, subsystem and second never get the same SnapshotRef, and each
//     snapshot keeps its bytes.
//   - (Shared/Watch) Watch on one store announces the snapshots the other
//     stores (replay snapshots excepted), within 5 s.
//   - (Shared/AlarmHistory) UpdateAlarm is atomic across the two stores:
//     no increment of the counter is lost.
//   - (Shared/Documents) a document written through one store is read
//     through the other at once, and concurrent writers on both never
//     lose an increment.
//   - (Shared/Leases) holders on both stores racing for the same keys:
//     a key is never granted to two holders at once.
//   - (Reopen) a store closed and opened again (Options.Reopen) answers
//     every query exactly as before (Dump, origins included).
//   - (Rebuild) an index rebuilt from the blobs alone (Options.Rebuild)
//     answers every query exactly as the index it replaces (Dump, snapshot
//     accumulations included; without snapshot origins when
//     Options.RebuildLosesOrigin is set).
//
// # Conventions
//
// The suite uses times of November 2015 (the original's test data), run
// numbers below 1,000,000, the subsystems EMC, HLT and TPC (which it
// expects configured, as store.DefaultSubsystems are) plus ZDC as a
// subsystem that is not configured, and snapshot contents of a few bytes
// to a few MiB. It closes every store it gets, also when a subtest
// fails.
package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/require"
)

// Options describe the optional capabilities of the store under test.
// The zero value runs every check that needs nothing but the interfaces.
type Options struct {
	// Subsystems are the configured subsystems of the stores open returns
	// (default EMC, HLT and TPC); they must include HLT and TPC and must
	// not include ZDC, the suite's unconfigured subsystem.
	Subsystems []string
	// Files lists the blobs (files, objects) the store holds outside its
	// index, by key, in any order; the atomicity checks assert that a
	// failed put adds none, and Rebuild that a rebuild changes none.
	// Nil skips those assertions.
	Files func(t *testing.T, s overwatch.Store) []string
	// Reopen closes s and opens the same store again. Nil skips Reopen.
	Reopen func(t *testing.T, s overwatch.Store) overwatch.Store
	// Rebuild closes s, rebuilds its index from the blobs alone and
	// returns the store opened on the rebuilt index. Nil skips Rebuild.
	Rebuild func(t *testing.T, s overwatch.Store) overwatch.Store
	// Second opens another store on the same data as s, as another
	// process would (its own connection pool, its own handle), for the
	// Shared checks; the suite closes it. Nil skips them (the directory
	// store locks its index to one process).
	Second func(t *testing.T, s overwatch.Store) overwatch.Store
	// RebuildLosesOrigin says that a rebuild cannot restore the Origin of
	// snapshots (the directory store keeps it only in its index).
	RebuildLosesOrigin bool
	// AlarmHistory requires the store to implement overwatch.AlarmHistory;
	// otherwise its checks skip when it does not.
	AlarmHistory bool
	// Documents requires the store to implement overwatch.DocumentStore;
	// otherwise its checks skip when it does not.
	Documents bool
	// Leases requires the store to implement overwatch.Leaser; otherwise
	// its checks skip when it does not.
	Leases bool
	// Runs is the number of runs the keyset-pagination check creates
	// (default 60).
	Runs int
}

func (o Options) withDefaults() Options {
	if len(o.Subsystems) == 0 {
		o.Subsystems = []string{"EMC", "HLT", "TPC"}
	}
	if o.Runs <= 0 {
		o.Runs = 60
	}
	return o
}

// Run runs the conformance checks (see the package documentation) as
// subtests of t. open returns a new, empty store each time it is called;
// the suite closes it (Reopen and Rebuild take over closing the store they
// are given). At most one Options may be given.
func Run(t *testing.T, open func(t *testing.T) overwatch.Store, opts ...Options) {
	t.Helper()
	runChecks(t, "Run", "", open, opts)
}

// RunOutputs runs only the output checks of Run (the subtests named
// Outputs/…), for a store whose outputs live on a blob backend that the
// rest of its implementation does not use yet, or to check outputs alone.
func RunOutputs(t *testing.T, open func(t *testing.T) overwatch.Store, opts ...Options) {
	t.Helper()
	runChecks(t, "RunOutputs", "Outputs/", open, opts)
}

// runChecks runs the checks whose names start with prefix.
func runChecks(t *testing.T, fn, prefix string, open func(t *testing.T) overwatch.Store, opts []Options) {
	t.Helper()
	if len(opts) > 1 {
		t.Fatalf("storetest.%s: at most one Options", fn)
	}
	var o Options
	if len(opts) == 1 {
		o = opts[0]
	}
	su := &suite{open: open, o: o.withDefaults()}
	if !slices.Contains(su.o.Subsystems, overwatch.HLTSubsystem) || !slices.Contains(su.o.Subsystems, "TPC") || slices.Contains(su.o.Subsystems, unconfigured) {
		t.Fatalf("storetest.%s: Options.Subsystems %v must contain HLT and TPC and not %s", fn, su.o.Subsystems, unconfigured)
	}
	for _, c := range checks {
		if strings.HasPrefix(c.name, prefix) {
			t.Run(c.name, func(t *testing.T) { c.fn(t, su) })
		}
	}
}

// unconfigured is the suite's subsystem that is not configured.
const unconfigured = "ZDC"

// check is one subtest.
type check struct {
	name string
	fn   func(t *testing.T, su *suite)
}

// checks lists every subtest, in the order of the package documentation.
var checks = []check{
	{"Snapshots/RoundTrip", testSnapshotRoundTrip},
	{"Snapshots/Invalid", testSnapshotInvalid},
	{"Snapshots/FailingReader", testFailingReader},
	{"Snapshots/SameSecond", testSameSecond},
	{"Snapshots/Order", testSnapshotOrder},
	{"Snapshots/RunMode", testRunMode},
	{"Snapshots/Replay", testReplay},
	{"Snapshots/Accumulation", testAccumulation},
	{"Runs/Info", testRunInfo},
	{"Runs/HLTBorrowing", testHLTBorrowing},
	{"Runs/NewestFirst", testRunsNewestFirst},
	{"Runs/Keyset", testKeyset},
	{"NotFound", testNotFound},
	{"Outputs/RoundTrip", testOutputRoundTrip},
	{"Outputs/Replace", testOutputReplace},
	{"Outputs/AtomicReplace", testOutputAtomicReplace},
	{"Outputs/Invalid", testOutputInvalid},
	{"Outputs/Ranged", testOutputRanged},
	{"Outputs/Absent", testOutputAbsent},
	{"Outputs/Concurrent", testOutputConcurrent},
	{"Outputs/Prune", testOutputPrune},
	{"Outputs/Rebuild", testOutputRebuild},
	{"Trends/Query", testTrendQuery},
	{"Trends/Idempotent", testTrendIdempotent},
	{"Trends/Values", testTrendValues},
	{"Trends/List", testTrendList},
	{"Trends/Invalid", testTrendInvalid},
	{"Alarms", testAlarms},
	{"AlarmHistory/Create", testHistoryCreate},
	{"AlarmHistory/Abort", testHistoryAbort},
	{"AlarmHistory/Concurrent", testHistoryConcurrent},
	{"AlarmHistory/Events", testHistoryEvents},
	{"Documents/RoundTrip", testDocumentRoundTrip},
	{"Documents/Conflict", testDocumentConflict},
	{"Documents/Invalid", testDocumentInvalid},
	{"Documents/Concurrent", testDocumentConcurrent},
	{"Leases/Exclusive", testLeaseExclusive},
	{"Leases/Expiry", testLeaseExpiry},
	{"Watch/Announces", testWatchAnnounces},
	{"Watch/Cancel", testWatchCancel},
	{"Concurrent/Snapshots", testConcurrentSnapshots},
	{"Concurrent/Trends", testConcurrentTrends},
	{"Context/Cancelled", testContextCancelled},
	{"Context/CancelDuringPut", testCancelDuringPut},
	{"Shared/Visible", testSharedVisible},
	{"Shared/SameSecond", testSharedSameSecond},
	{"Shared/Watch", testSharedWatch},
	{"Shared/AlarmHistory", testSharedAlarmHistory},
	{"Shared/Documents", testSharedDocuments},
	{"Shared/Leases", testSharedLeases},
	{"Reopen", testReopen},
	{"Rebuild", testRebuild},
}

type suite struct {
	open func(t *testing.T) overwatch.Store
	o    Options
}

// handle holds the store of one subtest; S changes on reopen and rebuild.
type handle struct {
	S overwatch.Store
}

// store opens a fresh store, closed when the subtest ends.
func (su *suite) store(t *testing.T) *handle {
	t.Helper()
	s := su.open(t)
	require.NotNil(t, s, "open returned a nil store")
	h := &handle{S: s}
	t.Cleanup(func() {
		if h.S != nil {
			if err := h.S.Close(); err != nil {
				t.Errorf("close store: %v", err)
			}
		}
	})
	return h
}

// files returns the store's blobs, or nil without Options.Files.
func (su *suite) files(t *testing.T, s overwatch.Store) []string {
	t.Helper()
	if su.o.Files == nil {
		return nil
	}
	f := slices.Clone(su.o.Files(t, s))
	slices.Sort(f)
	return f
}

// t0 is the time of the suite's first snapshot: 2015-11-24 18:05:10
// Europe/Zurich, as in the original's tests.
var t0 = time.Date(2015, 11, 24, 17, 5, 10, 0, time.UTC)

// at returns t0 plus sec seconds.
func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// origin is the Origin of the suite's snapshots.
const origin = "storetest"

// content is the distinct content of a snapshot.
func content(run int, sys string, sec, n int) string {
	return fmt.Sprintf("snapshot run %d %s +%ds #%d", run, sys, sec, n)
}

// put stores a snapshot and checks the returned info against the meta.
func put(t *testing.T, s overwatch.Store, run int, sys string, mode overwatch.HLTMode, when time.Time, data string) overwatch.SnapshotInfo {
	t.Helper()
	info, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{
		Run: run, Subsystem: sys, Mode: mode, Time: when, Origin: origin,
	}, strings.NewReader(data))
	require.NoError(t, err, "put snapshot run %d %s %v", run, sys, when)
	require.Equal(t, run, info.Run)
	require.Equal(t, sys, info.Subsystem)
	require.True(t, info.Time.Equal(when.Truncate(time.Second)), "time %v, want %v", info.Time, when.Truncate(time.Second))
	require.Equal(t, int64(len(data)), info.Size)
	require.NotEmpty(t, info.Path)
	return norm(info)
}

// read reads a stored snapshot.
func read(t *testing.T, s overwatch.Store, ref overwatch.SnapshotRef) []byte {
	t.Helper()
	rc, err := s.OpenSnapshot(context.Background(), ref)
	require.NoError(t, err, "open snapshot %s", ref)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err, "read snapshot %s", ref)
	return b
}

// norm makes the times of a SnapshotInfo UTC, so that infos compare
// equal whatever location an engine returns them in.
func norm(i overwatch.SnapshotInfo) overwatch.SnapshotInfo {
	i.Time = i.Time.UTC()
	return i
}

func normAll(in []overwatch.SnapshotInfo) []overwatch.SnapshotInfo {
	out := make([]overwatch.SnapshotInfo, len(in))
	for i, s := range in {
		out[i] = norm(s)
	}
	return out
}

func normRun(r overwatch.RunInfo) overwatch.RunInfo {
	r.Start, r.End = r.Start.UTC(), r.End.UTC()
	subs := make([]overwatch.SubsystemInfo, len(r.Subsystems))
	for i, s := range r.Subsystems {
		s.Start, s.End, s.Last.Time = s.Start.UTC(), s.End.UTC(), s.Last.Time.UTC()
		subs[i] = s
	}
	r.Subsystems = subs
	return r
}

func runInfo(t *testing.T, s overwatch.Store, run int) overwatch.RunInfo {
	t.Helper()
	r, err := s.RunInfo(context.Background(), run)
	require.NoError(t, err, "run %d", run)
	return normRun(r)
}

func snapshots(t *testing.T, s overwatch.Store, run int, sys string) []overwatch.SnapshotInfo {
	t.Helper()
	l, err := s.Snapshots(context.Background(), run, sys)
	require.NoError(t, err, "snapshots of run %d %s", run, sys)
	return normAll(l)
}

func countRuns(t *testing.T, s overwatch.Store) int {
	t.Helper()
	n, err := s.CountRuns(context.Background())
	require.NoError(t, err)
	return n
}

// noAnnouncement fails when w holds an announcement (after a short wait
// for engines that announce asynchronously).
func noAnnouncement(t *testing.T, w <-chan overwatch.SnapshotInfo, why string) {
	t.Helper()
	select {
	case got, ok := <-w:
		if ok {
			t.Fatalf("%s, but %s was announced", why, got.SnapshotRef)
		}
	case <-time.After(100 * time.Millisecond):
	}
}

// errReader returns n bytes, then err.
type errReader struct {
	n   int
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

// sum is a short content hash for dumps.
func sum(b []byte) string {
	h := sha256.Sum256(b)
	return fmt.Sprintf("%x", h[:8])
}
