package store

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func assertIndexEqualsRebuild(t *testing.T, s *Store) {
	t.Helper()
	require.NoError(t, s.Verify(context.Background()))
}

func dump(t *testing.T, s *Store) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, s.DumpIndex(&b, DumpOptions{NoSources: true}))
	return b.String()
}

func fillStore(t *testing.T, s *Store) {
	ctx := context.Background()
	feed(t, s, runDict, "HLT", "EMC")
	put(t, s, 124, "EMC", "B", 1448384710, "x")
	put(t, s, 124, "EMC", "B", 1448384710, "y") // seq 1
	put(t, s, 125, "TPC", "E", 1448384710, "replay")
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{
		{Subsystem: "EMC", Trend: "mean/x", Run: 123, Time: time.Unix(1448384712, 0), Value: 1.5, Error: 0.1},
		{Subsystem: "EMC", Trend: "mean/x", Run: 123, Time: time.Unix(1448384954, 0), Value: math.NaN()},
		{Subsystem: "HLT", Trend: "clusters", Run: 123, Time: time.Unix(1448384710, 0), Value: math.Inf(1)},
	}))
	require.NoError(t, s.PutAlarm(ctx, overwatch.AlarmRecord{Subsystem: "EMC", Trend: "mean/x", Alarm: "between",
		State: overwatch.AlarmFiring, Message: "too high", Run: 123, FiredAt: time.Unix(1448384954, 0).UTC()}))
}

func TestRebuildEqualsIndex(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	fillStore(t, s)
	assertIndexEqualsRebuild(t, s)
	before := dump(t, s)
	require.NoError(t, s.Close())

	// Without the index at all: Open rebuilds it.
	require.NoError(t, os.Remove(filepath.Join(dir, sqliteFile)))
	s2 := openTest(t, dir)
	assert.Equal(t, before, dump(t, s2))
	ctx := context.Background()
	pts, err := s2.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean/x"})
	require.NoError(t, err)
	require.Len(t, pts, 2)
	assert.True(t, math.IsNaN(pts[1].Value))
	a, err := s2.Alarm(ctx, "EMC/mean/x/between")
	require.NoError(t, err)
	assert.Equal(t, "too high", a.Message)
	require.NoError(t, s2.Close())

	// Rebuild on a closed store gives the same index again.
	st, err := Rebuild(ctx, dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	assert.Equal(t, 2, st.Runs)
	assert.Equal(t, 6, st.Snapshots)
	assert.Equal(t, 3, st.TrendPoints)
	assert.Equal(t, 1, st.Alarms)
	s3 := openTest(t, dir)
	assert.Equal(t, before, dump(t, s3))
}

func TestRebuildRefusesOpenStore(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	put(t, s, 1, "EMC", "C", 1448384710, "a")
	_, err := Rebuild(context.Background(), dir, Options{Logger: quietLogger(), LockTimeout: 50 * time.Millisecond})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "locked")
}

// Original bug §10.1-25 (and -10): odd folders and unpadded legacy names
// do not crash a rebuild; names sort by time.
func TestRebuildLegacyTree(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string, data string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	mk("Run123/runInfo.yaml", "hltMode: C\n")
	mk("Run123/EMC/EMChists.2015_11_24_18_5_9.root", "a")
	mk("Run123/EMC/EMChists.2015_11_24_18_5_10.root", "bb")
	mk("Run123/EMC/hists.combined.1.1448384710.root", "c")
	mk("Run123/EMC/timeSlice.1.2.abc.root", "c")
	mk("Run123/EMC/img/EMChists.png", "c")
	mk("Run123/EMC/.tmp-EMChists-abc", "partial")
	mk("Run123/EMC/notes.txt", "c")
	mk("Run123/TPC/json/x.json", "{}") // outputs only: not a subsystem with files
	mk("Run123_old/EMC/EMChists.2015_11_24_18_5_9.root", "a")
	mk("Run124/HLT/HLThists.2015_11_24_18_5_9.root", "a") // no runInfo: mode U
	mk("Run125/runInfo.yaml", "hltMode: B\n")             // no snapshots
	mk("RunX/EMC/EMChists.2015_11_24_18_5_9.root", "a")
	mk("Run126/runInfo.yaml", "not: [valid")
	mk("Run126/HLT/HLThists.2015_11_24_18_5_9.root", "a")
	st, err := Rebuild(context.Background(), dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	assert.Equal(t, 3, st.Runs)
	assert.Equal(t, 4, st.Snapshots)
	assert.Equal(t, 3, st.Skipped) // Run123_old, RunX, notes.txt
	_, err = os.Stat(filepath.Join(dir, "Run123/EMC/.tmp-EMChists-abc"))
	assert.True(t, os.IsNotExist(err), "temporary file removed")

	s := openTest(t, dir)
	ctx := context.Background()
	snaps, err := s.Snapshots(ctx, 123, "EMC")
	require.NoError(t, err)
	require.Len(t, snaps, 2)
	assert.Equal(t, "Run123/EMC/EMChists.2015_11_24_18_5_9.root", snaps[0].Path)
	assert.Equal(t, int64(1), snaps[0].Size)
	assert.Equal(t, "Run123/EMC/EMChists.2015_11_24_18_5_10.root", snaps[1].Path)
	r, err := s.RunInfo(ctx, 123)
	require.NoError(t, err)
	assert.Equal(t, overwatch.ModeCompress, r.Mode)
	assert.Equal(t, []string{"EMC"}, namesOf(r))
	r, err = s.RunInfo(ctx, 124)
	require.NoError(t, err)
	assert.Equal(t, overwatch.ModeUnknown, r.Mode)
	assert.Equal(t, []string{"EMC", "HLT", "TPC"}, namesOf(r))
	r, err = s.RunInfo(ctx, 126)
	require.NoError(t, err)
	assert.Equal(t, overwatch.ModeUnknown, r.Mode)
	_, err = s.RunInfo(ctx, 125)
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	rc, err := s.OpenSnapshot(ctx, snaps[0].SnapshotRef)
	require.NoError(t, err)
	_ = rc.Close()
	// New snapshots in the legacy run keep the old run mode.
	info := put(t, s, 123, "EMC", "B", 1448384711, "new")
	assert.Equal(t, overwatch.ModeCompress, info.Mode)
	// A new snapshot in the second of an unpadded legacy name gets the
	// next sequence number instead of shadowing it in the index.
	info = put(t, s, 123, "EMC", "C", snaps[1].Time.Unix(), "same second")
	assert.Equal(t, 1, info.Seq)
	assert.Equal(t, "Run123/EMC/EMChists.2015_11_24_18_05_10.1.root", info.Path)
	snaps, err = s.Snapshots(ctx, 123, "EMC")
	require.NoError(t, err)
	assert.Len(t, snaps, 4)
	assertIndexEqualsRebuild(t, s)
}

func namesOf(r overwatch.RunInfo) []string {
	var out []string
	for _, s := range r.Subsystems {
		out = append(out, s.Name)
	}
	return out
}

// A crash leaves files the index does not know, entries whose file is
// gone (here: deleted by hand) and temporary files; Open reconciles the
// folders the crashed store was writing to.
func TestReconcileAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	put(t, s, 1, "EMC", "C", 1448384710, "a")
	gone := put(t, s, 1, "EMC", "C", 1448384711, "b")
	ctx := context.Background()
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "t", Time: time.Unix(1, 0), Value: 1}}))
	// Simulated crash: a stored file not yet indexed, a temporary file,
	// a vanished file, trend lines and an alarm written but not indexed,
	// a torn journal line; then the process dies (no Close).
	emc := filepath.Join(dir, "Run1", "EMC")
	require.NoError(t, os.WriteFile(filepath.Join(emc, FormatMovedName("EMC", time.Unix(1448384712, 0), 0)), []byte("c"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(emc, ".tmp-EMChists-zz"), []byte("half"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, filepath.FromSlash(gone.Path))))
	j, err := os.OpenFile(filepath.Join(dir, "trending", "EMC", "points.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = j.WriteString(`{"sys":"EMC","trend":"t","run":0,"t":2000000000,"seq":0,"v":2,"e":0}` + "\n" + `{"sys":"EMC","tre`)
	require.NoError(t, err)
	require.NoError(t, j.Close())
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "alarms"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alarms", alarmFile("EMC/t/a")+""), []byte(`{"ID":"EMC/t/a","Subsystem":"EMC","State":"firing"}`), 0o644))
	crash(t, s) // dies: the crash markers stay

	s2 := openTest(t, dir)
	snaps, err := s2.Snapshots(ctx, 1, "EMC")
	require.NoError(t, err)
	var got []int64
	for _, sn := range snaps {
		got = append(got, sn.Time.Unix())
	}
	assert.Equal(t, []int64{1448384710, 1448384712}, got)
	_, err = os.Stat(filepath.Join(emc, ".tmp-EMChists-zz"))
	assert.True(t, os.IsNotExist(err))
	pts, err := s2.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "t"})
	require.NoError(t, err)
	assert.Len(t, pts, 2)
	_, err = s2.Alarm(ctx, "EMC/t/a")
	require.NoError(t, err)
	assertIndexEqualsRebuild(t, s2)
	// The torn line is terminated before the next append.
	require.NoError(t, s2.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "t", Time: time.Unix(3, 0), Value: 3}}))
	pts, err = s2.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "t"})
	require.NoError(t, err)
	assert.Len(t, pts, 3)
	assertIndexEqualsRebuild(t, s2)
}

func TestOpenWithBrokenIndex(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	put(t, s, 1, "EMC", "C", 1448384710, "a")
	require.NoError(t, s.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, sqliteFile), []byte("garbage garbage garbage"), 0o644))
	s2 := openTest(t, dir)
	snaps, err := s2.Snapshots(context.Background(), 1, "EMC")
	require.NoError(t, err)
	assert.Len(t, snaps, 1)
}

// The crash markers of a long session stay bounded, and a crash after
// many runs still reconciles to an index equal to a rebuild.
func TestDirtyMarksBounded(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	for run := 1; run <= maxDirtyMarks+40; run++ {
		put(t, s, run, "EMC", "C", 1448384710, "a")
	}
	var marks int
	require.NoError(t, s.x.r.QueryRow("SELECT count(*) FROM dirty").Scan(&marks))
	assert.LessOrEqual(t, marks, maxDirtyMarks)
	assert.Positive(t, marks)
	// A file written by the crashed process into the newest run folder.
	require.NoError(t, os.WriteFile(filepath.Join(dir, RunDir(maxDirtyMarks+40), "EMC", FormatMovedName("EMC", time.Unix(1448384711, 0), 0)), []byte("b"), 0o644))
	crash(t, s)
	s2 := openTest(t, dir)
	snaps, err := s2.Snapshots(context.Background(), maxDirtyMarks+40, "EMC")
	require.NoError(t, err)
	assert.Len(t, snaps, 2)
	assertIndexEqualsRebuild(t, s2)
}

func TestOpenRebuildsOtherSchema(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	put(t, s, 1, "EMC", "C", 1448384710, "a")
	_, err = s.x.w.Exec("UPDATE meta SET v = 'overwatch-store-0' WHERE k = 'schema'")
	require.NoError(t, err)
	_, err = s.x.w.Exec("DELETE FROM runs WHERE run = 1") // an old index that lost the run
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s2 := openTest(t, dir)
	r, err := s2.RunInfo(context.Background(), 1)
	require.NoError(t, err, "index of another schema rebuilt from the files")
	assert.Equal(t, 1, r.Subsystems[0].Snapshots)
}

func TestOpenRejectsBadSubsystems(t *testing.T) {
	_, err := Open(t.TempDir(), Options{Subsystems: []string{"EMC", "bad"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"bad"`)
}
