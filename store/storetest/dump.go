package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// DumpOptions select what Dump reads besides what the interfaces list.
type DumpOptions struct {
	// Outputs are read back and dumped (the interfaces cannot list
	// outputs); absent ones are dumped as absent.
	Outputs []overwatch.OutputRef
	// Snapshots are read back besides those the run index lists (replay
	// snapshots, which it does not list); absent ones are dumped as absent.
	Snapshots []overwatch.SnapshotRef
	// NoOrigin leaves out the Origin of snapshots, which the directory
	// store cannot restore in a rebuild.
	NoOrigin bool
	// DocumentKinds are the document kinds whose documents (every version)
	// are dumped when s implements overwatch.DocumentStore (the interface
	// cannot list kinds).
	DocumentKinds []string
}

// Dump returns, one line per item in a canonical order, everything s
// answers through the overwatch interfaces: the run count, every run with
// its subsystems, every snapshot of every subsystem with files of its own
// (with a hash of its bytes), every trend point and trend name, every
// alarm, every alarm event (when s implements overwatch.AlarmHistory),
// and the outputs and extra snapshots o names (with hashes). Two stores
// with equal dumps answer those queries equally; it compares an engine
// with another (a data directory opened by the directory store and by an
// SQL engine), a store with itself after a reopen or a rebuild. Times are
// UTC; NaN values compare equal.
func Dump(ctx context.Context, s overwatch.Store, o DumpOptions) ([]string, error) {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	n, err := s.CountRuns(ctx)
	if err != nil {
		return nil, fmt.Errorf("storetest: dump: count runs: %w", err)
	}
	add("runs %d", n)
	runs, err := s.Runs(ctx, overwatch.RunQuery{})
	if err != nil {
		return nil, fmt.Errorf("storetest: dump: runs: %w", err)
	}
	for _, r := range runs {
		r = normRun(r)
		add("run %d mode %s from %s to %s", r.Number, r.Mode, ts(r.Start), ts(r.End))
		for _, sub := range r.Subsystems {
			add("  subsystem %s files from %s: %d snapshots from %s to %s, last %s", sub.Name, sub.FilesFrom, sub.Snapshots, ts(sub.Start), ts(sub.End), refString(sub.Last))
		}
		for _, sub := range r.Subsystems {
			if sub.Borrows() {
				continue
			}
			snaps, err := s.Snapshots(ctx, r.Number, sub.Name)
			if err != nil {
				return nil, fmt.Errorf("storetest: dump: snapshots of run %d %s: %w", r.Number, sub.Name, err)
			}
			for _, sn := range snaps {
				line, err := snapshotLine(ctx, s, sn.SnapshotRef)
				if err != nil {
					return nil, err
				}
				orig := sn.Origin
				if o.NoOrigin {
					orig = "-"
				}
				acc := ""
				if sn.Accumulation != overwatch.AccumulationUnset {
					acc = " accumulation " + string(sn.Accumulation)
				}
				add("  snapshot %s mode %s origin %q path %q size %d%s: %s", refString(sn.SnapshotRef), sn.Mode, orig, sn.Path, sn.Size, acc, line)
			}
		}
	}
	for _, ref := range o.Snapshots {
		line, err := snapshotLine(ctx, s, ref)
		if err != nil {
			return nil, err
		}
		add("extra snapshot %s: %s", refString(ref), line)
	}
	pts, err := s.TrendPoints(ctx, overwatch.TrendQuery{})
	if err != nil {
		return nil, fmt.Errorf("storetest: dump: trend points: %w", err)
	}
	// A canonical order, whatever order an engine gives equal times in.
	sort.SliceStable(pts, func(i, j int) bool {
		a, b := pts[i], pts[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.Subsystem != b.Subsystem {
			return a.Subsystem < b.Subsystem
		}
		if a.Trend != b.Trend {
			return a.Trend < b.Trend
		}
		return a.Seq < b.Seq
	})
	systems := map[string]bool{}
	for _, p := range pts {
		add("point %s", pointString(p))
		systems[p.Subsystem] = true
	}
	var names []string
	for sys := range systems {
		names = append(names, sys)
	}
	sort.Strings(names)
	for _, sys := range names {
		trends, err := s.Trends(ctx, sys)
		if err != nil {
			return nil, fmt.Errorf("storetest: dump: trends of %s: %w", sys, err)
		}
		add("trends %s %q", sys, trends)
	}
	alarms, err := s.Alarms(ctx, overwatch.AlarmQuery{})
	if err != nil {
		return nil, fmt.Errorf("storetest: dump: alarms: %w", err)
	}
	for _, a := range alarms {
		add("alarm %+v", normAlarm(a))
	}
	if h, ok := s.(overwatch.AlarmHistory); ok {
		evs, err := h.AlarmEvents(ctx, overwatch.AlarmEventQuery{})
		if err != nil {
			return nil, fmt.Errorf("storetest: dump: alarm events: %w", err)
		}
		for _, e := range evs {
			add("event %+v", normEvent(e))
		}
	}
	if ds, ok := s.(overwatch.DocumentStore); ok {
		for _, kind := range o.DocumentKinds {
			docs, err := ds.Documents(ctx, kind)
			if err != nil {
				return nil, fmt.Errorf("storetest: dump: documents of kind %s: %w", kind, err)
			}
			names := make([]string, 0, len(docs))
			for _, d := range docs {
				names = append(names, d.Name)
			}
			add("documents %s %q", kind, names)
			for _, name := range names {
				hist, err := ds.DocumentHistory(ctx, kind, name)
				if err != nil {
					return nil, fmt.Errorf("storetest: dump: history of document %s/%s: %w", kind, name, err)
				}
				for _, d := range hist {
					add("document %s", documentString(d))
				}
			}
		}
	}
	for _, ref := range o.Outputs {
		b, err := s.Output(ctx, ref)
		switch {
		case errors.Is(err, overwatch.ErrNotFound):
			add("output %+v absent", ref)
		case err != nil:
			return nil, fmt.Errorf("storetest: dump: output %+v: %w", ref, err)
		default:
			add("output %+v %d bytes %s", ref, len(b), sum(b))
		}
	}
	return out, nil
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func refString(r overwatch.SnapshotRef) string {
	return fmt.Sprintf("Run%d/%s@%s.%d", r.Run, r.Subsystem, ts(r.Time), r.Seq)
}

// snapshotLine reads a snapshot and describes its bytes.
func snapshotLine(ctx context.Context, s overwatch.Store, ref overwatch.SnapshotRef) (string, error) {
	rc, err := s.OpenSnapshot(ctx, ref)
	if errors.Is(err, overwatch.ErrNotFound) {
		return "absent", nil
	}
	if err != nil {
		return "", fmt.Errorf("storetest: dump: open snapshot %s: %w", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return "", fmt.Errorf("storetest: dump: read snapshot %s: %w", ref, err)
	}
	return fmt.Sprintf("%d bytes %s", len(b), sum(b)), nil
}

func mustDump(t *testing.T, s overwatch.Store, o DumpOptions) []string {
	t.Helper()
	d, err := Dump(context.Background(), s, o)
	require.NoError(t, err)
	return d
}

// fillOutputs are the outputs fill writes (and one it does not).
var fillOutputs = []overwatch.OutputRef{
	{Run: 123, Subsystem: "EMC", Name: "EMC/h", Kind: overwatch.OutputJSON},
	{Run: 123, Subsystem: "TPC", Name: "h", Kind: overwatch.OutputPNG},
	{Run: 123, Subsystem: "EMC", Kind: overwatch.OutputView},
	{Run: 123, Subsystem: "EMC", Slice: "s1", Kind: overwatch.OutputSlice},
	{Run: 0, Subsystem: "EMC", Name: "mean/x", Kind: overwatch.OutputJSON},
	{Run: 124, Subsystem: "EMC", Name: "never written", Kind: overwatch.OutputJSON},
}

// fillReplay is the replay snapshot fill stores.
var fillReplay = overwatch.SnapshotRef{Run: 125, Subsystem: "TPC", Time: at(0)}

func dumpOptions() DumpOptions {
	return DumpOptions{Outputs: fillOutputs, Snapshots: []overwatch.SnapshotRef{fillReplay, {Run: 126, Subsystem: "EMC", Time: at(0)}},
		DocumentKinds: []string{docKind, docKind2}}
}

// fill stores a bit of everything: runs with own and borrowing
// subsystems, same-second snapshots, a replay snapshot, an unconfigured
// subsystem, trend points with non-finite values, alarms, alarm events
// and outputs.
func fill(t *testing.T, su *suite, s overwatch.Store) {
	t.Helper()
	ctx := context.Background()
	for i, sec := range []int{0, 242, 3600, 3842} {
		put(t, s, 123, "HLT", overwatch.ModeCompress, at(sec), content(123, "HLT", sec, i))
		put(t, s, 123, "EMC", overwatch.ModeCompress, at(sec+2), content(123, "EMC", sec+2, i))
	}
	put(t, s, 123, unconfigured, overwatch.ModeCompress, at(7), "zdc")
	put(t, s, 124, "EMC", overwatch.ModeNoCompress, at(0), "x")
	put(t, s, 124, "EMC", overwatch.ModeNoCompress, at(0), "y") // Seq 1
	put(t, s, fillReplay.Run, fillReplay.Subsystem, overwatch.ModeReplay, fillReplay.Time, "replay")
	// Accumulations: a reset subsystem and a cumulative one in one run.
	putAcc(t, s, 125, "EMC", at(10), overwatch.Reset, "r1")
	putAcc(t, s, 125, "EMC", at(70), overwatch.Reset, "r2")
	putAcc(t, s, 125, "HLT", at(10), overwatch.Cumulative, "c1")
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{
		{Subsystem: "EMC", Trend: "mean/x", Run: 123, Time: at(2), Value: 1.5, Error: 0.1},
		{Subsystem: "EMC", Trend: "mean/x", Run: 123, Time: at(244), Value: math.NaN()},
		{Subsystem: "EMC", Trend: "mean/x", Run: 123, Time: at(244), Seq: 1, Value: 2},
		{Subsystem: "HLT", Trend: "clusters", Run: 123, Time: at(0), Value: math.Inf(1)},
	}))
	require.NoError(t, s.PutAlarm(ctx, overwatch.AlarmRecord{Subsystem: "EMC", Trend: "mean/x", Alarm: "between",
		State: overwatch.AlarmFiring, Message: "too high", Run: 123, FiredAt: at(244), LastSeen: at(244)}))
	if h, ok := s.(overwatch.AlarmHistory); ok {
		_, err := h.UpdateAlarm(ctx, "HLT/clusters/max", func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
			a.Subsystem, a.Trend, a.Alarm, a.State, a.Run, a.FiredAt = "HLT", "clusters", "max", overwatch.AlarmFiring, 123, at(0)
			return []overwatch.AlarmEvent{event(a.ID, 123, overwatch.AlarmEventFired, at(0), "infinite")}, nil
		})
		require.NoError(t, err)
	}
	for i, ref := range fillOutputs[:len(fillOutputs)-1] {
		require.NoError(t, s.PutOutput(ctx, ref, outputData(i, ref)))
	}
	if ds, ok := s.(overwatch.DocumentStore); ok {
		fillDocuments(t, ds)
	}
}

func testReopen(t *testing.T, su *suite) {
	if su.o.Reopen == nil {
		t.Skip("no Options.Reopen")
	}
	h := su.store(t)
	fill(t, su, h.S)
	do := dumpOptions()
	before := mustDump(t, h.S, do)
	s := su.o.Reopen(t, h.S)
	h.S = s
	require.NotNil(t, s)
	after := mustDump(t, s, do)
	assert.Equal(t, strings.Join(before, "\n"), strings.Join(after, "\n"), "a reopened store answers as before")
	// Writing goes on where it stopped.
	next := put(t, s, 124, "EMC", overwatch.ModeNoCompress, at(0), "z")
	assert.Equal(t, 2, next.Seq, "Seq numbers continue after a reopen")
}

func testRebuild(t *testing.T, su *suite) {
	if su.o.Rebuild == nil {
		t.Skip("no Options.Rebuild")
	}
	h := su.store(t)
	fill(t, su, h.S)
	do := dumpOptions()
	do.NoOrigin = su.o.RebuildLosesOrigin
	before := mustDump(t, h.S, do)
	files := su.files(t, h.S)
	s := su.o.Rebuild(t, h.S)
	h.S = s
	require.NotNil(t, s)
	after := mustDump(t, s, do)
	assert.Equal(t, strings.Join(before, "\n"), strings.Join(after, "\n"), "the rebuilt index answers as the one it replaces")
	if files != nil {
		assert.Equal(t, files, su.files(t, s), "a rebuild changes no blob")
	}
	next := put(t, s, 124, "EMC", overwatch.ModeNoCompress, at(0), "z")
	assert.Equal(t, 2, next.Seq, "Seq numbers continue after a rebuild")
	info := put(t, s, 200, "HLT", overwatch.ModeCompress, at(0), "new run")
	assert.Equal(t, []overwatch.SnapshotInfo{info}, snapshots(t, s, 200, "HLT"))
}

// EachSnapshot reads every snapshot of s whole — of every run, every
// subsystem with snapshots of its own (not borrowing the HLT's) — and
// calls fn with its record and content. It stops at the first failed read
// or error of fn. It checks after a crash that what the index lists is
// there and whole (fn judges the content).
func EachSnapshot(ctx context.Context, s overwatch.Store, fn func(overwatch.SnapshotInfo, []byte) error) error {
	runs, err := s.Runs(ctx, overwatch.RunQuery{})
	if err != nil {
		return fmt.Errorf("storetest: runs: %w", err)
	}
	for _, r := range runs {
		for _, sub := range r.Subsystems {
			if sub.Borrows() {
				continue
			}
			snaps, err := s.Snapshots(ctx, r.Number, sub.Name)
			if err != nil {
				return fmt.Errorf("storetest: snapshots of run %d %s: %w", r.Number, sub.Name, err)
			}
			for _, sn := range snaps {
				rc, err := s.OpenSnapshot(ctx, sn.SnapshotRef)
				if err != nil {
					return fmt.Errorf("storetest: open %s: %w", sn.SnapshotRef, err)
				}
				b, err := io.ReadAll(rc)
				_ = rc.Close()
				if err != nil {
					return fmt.Errorf("storetest: read %s: %w", sn.SnapshotRef, err)
				}
				if err := fn(sn, b); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
