package store

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openTest(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func put(t testing.TB, s *Store, run int, sys string, mode overwatch.HLTMode, unix int64, data string) overwatch.SnapshotInfo {
	t.Helper()
	info, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{
		Run: run, Subsystem: sys, Mode: mode, Time: time.Unix(unix, 0), Origin: "test",
	}, strings.NewReader(data))
	require.NoError(t, err)
	return info
}

func TestPutSnapshotLayoutAndRead(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	info := put(t, s, 300005, "EMC", "B", 1448384710, "root-bytes")
	assert.Equal(t, "Run300005/EMC/EMChists.2015_11_24_18_05_10.root", info.Path)
	assert.Equal(t, overwatch.HLTMode("B"), info.Mode)
	assert.Equal(t, int64(10), info.Size)
	assert.Equal(t, 0, info.Seq)
	b, err := os.ReadFile(filepath.Join(dir, "Run300005", "runInfo.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "hltMode: B\n", string(b))

	// Same second: a distinct name, never an overwrite.
	info2 := put(t, s, 300005, "EMC", "B", 1448384710, "second")
	assert.Equal(t, 1, info2.Seq)
	assert.Equal(t, "Run300005/EMC/EMChists.2015_11_24_18_05_10.1.root", info2.Path)

	rc, err := s.OpenSnapshot(ctx, info.SnapshotRef)
	require.NoError(t, err)
	got, _ := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	assert.Equal(t, "root-bytes", string(got))

	snaps, err := s.Snapshots(ctx, 300005, "EMC")
	require.NoError(t, err)
	require.Len(t, snaps, 2)
	assert.Equal(t, info, snaps[0])
	assert.Equal(t, info2, snaps[1])

	_, err = s.OpenSnapshot(ctx, overwatch.SnapshotRef{Run: 1, Subsystem: "EMC", Time: time.Unix(5, 0)})
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	_, err = s.Snapshots(ctx, 42, "EMC")
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	_, err = s.RunInfo(ctx, 42)
	assert.ErrorIs(t, err, overwatch.ErrNotFound)

	// No temporary files left.
	ents, err := os.ReadDir(filepath.Join(dir, "Run300005", "EMC"))
	require.NoError(t, err)
	for _, e := range ents {
		assert.False(t, strings.HasPrefix(e.Name(), "."), e.Name())
	}
}

func TestPutSnapshotValidation(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	for _, m := range []overwatch.SnapshotMeta{
		{Run: 0, Subsystem: "EMC", Mode: "C", Time: time.Unix(1, 0)},
		{Run: 1, Subsystem: "emc", Mode: "C", Time: time.Unix(1, 0)},
		{Run: 1, Subsystem: "../x", Mode: "C", Time: time.Unix(1, 0)},
		{Run: 1, Subsystem: "EMC", Mode: "Q", Time: time.Unix(1, 0)},
		{Run: 1, Subsystem: "EMC", Mode: "C", Time: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Run: 1, Subsystem: "EMC", Mode: "C", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		_, err := s.PutSnapshot(ctx, m, strings.NewReader("x"))
		assert.Error(t, err, "%+v", m)
	}
	n, err := s.CountRuns(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestRunModeFirstSnapshotWins(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	put(t, s, 7, "HLT", "C", 1448384710, "a")
	info := put(t, s, 7, "EMC", "B", 1448384712, "b")
	assert.Equal(t, overwatch.HLTMode("C"), info.Mode)
	r, err := s.RunInfo(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, overwatch.HLTMode("C"), r.Mode)
	b, err := os.ReadFile(filepath.Join(dir, "Run7", "runInfo.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "hltMode: C\n", string(b))
}

func TestReplayModeStoredApart(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	w := s.Watch(ctx)
	info := put(t, s, 300005, "EMC", "E", 1448384710, "replay")
	assert.Equal(t, "ReplayData/Run300005/EMC/EMChists.2015_11_24_18_05_10.root", info.Path)
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(info.Path)))
	require.NoError(t, err)
	_, err = s.RunInfo(ctx, 300005)
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	n, _ := s.CountRuns(ctx)
	assert.Zero(t, n)
	select {
	case got := <-w:
		t.Fatalf("replay snapshot announced: %+v", got)
	default:
	}
	rc, err := s.OpenSnapshot(ctx, info.SnapshotRef)
	require.NoError(t, err)
	_ = rc.Close()
}

func TestRunsNewestFirstAndPagination(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	for run := 1; run <= 30; run++ {
		put(t, s, run*10, "EMC", "C", 1448384710+int64(run), "x")
	}
	runs, err := s.Runs(ctx, overwatch.RunQuery{Limit: 5})
	require.NoError(t, err)
	require.Len(t, runs, 5)
	assert.Equal(t, []int{300, 290, 280, 270, 260}, numbers(runs))
	runs, err = s.Runs(ctx, overwatch.RunQuery{Limit: 3, Before: 260})
	require.NoError(t, err)
	assert.Equal(t, []int{250, 240, 230}, numbers(runs))
	runs, err = s.Runs(ctx, overwatch.RunQuery{Limit: 3, Before: 255})
	require.NoError(t, err)
	assert.Equal(t, []int{250, 240, 230}, numbers(runs))
	runs, err = s.Runs(ctx, overwatch.RunQuery{Before: 25})
	require.NoError(t, err)
	assert.Equal(t, []int{20, 10}, numbers(runs))
	runs, err = s.Runs(ctx, overwatch.RunQuery{Before: 100000})
	require.NoError(t, err)
	assert.Len(t, runs, 30)
	n, err := s.CountRuns(ctx)
	require.NoError(t, err)
	assert.Equal(t, 30, n)
}

func numbers(runs []overwatch.RunInfo) []int {
	var out []int
	for _, r := range runs {
		out = append(out, r.Number)
	}
	return out
}

func TestOutputs(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	cases := []struct {
		ref  overwatch.OutputRef
		path string
	}{
		{overwatch.OutputRef{Run: 1, Subsystem: "TPC", Name: "TPCQA/h_tpc", Kind: overwatch.OutputJSON}, "Run1/TPC/json/TPCQA%2Fh_tpc.json"},
		{overwatch.OutputRef{Run: 1, Subsystem: "TPC", Name: "TPCQA_h_tpc", Kind: overwatch.OutputJSON}, "Run1/TPC/json/TPCQA_h_tpc.json"},
		{overwatch.OutputRef{Run: 1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputPNG}, "Run1/EMC/img/h.png"},
		{overwatch.OutputRef{Run: 1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputHints}, "Run1/EMC/hints/h.json"},
		{overwatch.OutputRef{Run: 1, Subsystem: "EMC", Kind: overwatch.OutputView}, "Run1/EMC/view.json"},
		{overwatch.OutputRef{Run: 1, Subsystem: "EMC", Slice: "k1", Name: "h", Kind: overwatch.OutputJSON}, "Run1/EMC/slices/k1/json/h.json"},
		{overwatch.OutputRef{Run: 1, Subsystem: "EMC", Slice: "k1", Kind: overwatch.OutputSlice}, "Run1/EMC/slices/k1/slice.json"},
		{overwatch.OutputRef{Run: 0, Subsystem: "EMC", Name: "EMC/mean", Kind: overwatch.OutputPNG}, "trending/EMC/img/EMC%2Fmean.png"},
	}
	for i, c := range cases {
		data := []byte{byte(i), 'x'}
		require.NoError(t, s.PutOutput(ctx, c.ref, data))
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(c.path)))
		require.NoError(t, err, c.path)
		assert.Equal(t, data, b)
		got, err := s.Output(ctx, c.ref)
		require.NoError(t, err)
		assert.Equal(t, data, got)
		mt, err := s.OutputTime(ctx, c.ref)
		require.NoError(t, err)
		assert.WithinDuration(t, time.Now(), mt, time.Minute)
	}
	// Replace.
	require.NoError(t, s.PutOutput(ctx, cases[0].ref, []byte("new")))
	got, err := s.Output(ctx, cases[0].ref)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	// Absent and invalid.
	_, err = s.Output(ctx, overwatch.OutputRef{Run: 2, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON})
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	_, err = s.OutputTime(ctx, overwatch.OutputRef{Run: 2, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON})
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	for _, bad := range []overwatch.OutputRef{
		{Run: 1, Subsystem: "..", Name: "h", Kind: overwatch.OutputJSON},
		{Run: 1, Subsystem: "EMC", Name: "", Kind: overwatch.OutputJSON},
		{Run: 1, Subsystem: "EMC", Name: "v", Kind: overwatch.OutputView},
		{Run: 1, Subsystem: "EMC", Kind: overwatch.OutputSlice},
		{Run: 1, Subsystem: "EMC", Slice: "../x", Name: "h", Kind: overwatch.OutputJSON},
		{Run: 1, Subsystem: "EMC", Name: "h", Kind: "gif"},
		{Run: -1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON},
	} {
		assert.Error(t, s.PutOutput(ctx, bad, []byte("x")), "%+v", bad)
	}
}

// Original bug §10.1-6: a borrowing subsystem's outputs live in its own
// folder and never overwrite HLT's.
func TestBorrowingSubsystemOutputsOwnNamespace(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	put(t, s, 5, "HLT", "C", 1448384710, "hlt")
	r, err := s.RunInfo(ctx, 5)
	require.NoError(t, err)
	tpc, ok := r.Subsystem("TPC")
	require.True(t, ok)
	require.True(t, tpc.Borrows())
	hltRef := overwatch.OutputRef{Run: 5, Subsystem: "HLT", Name: "fHistClusters", Kind: overwatch.OutputJSON}
	tpcRef := overwatch.OutputRef{Run: 5, Subsystem: "TPC", Name: "fHistClusters", Kind: overwatch.OutputJSON}
	require.NoError(t, s.PutOutput(ctx, hltRef, []byte("hlt")))
	require.NoError(t, s.PutOutput(ctx, tpcRef, []byte("tpc")))
	b, err := s.Output(ctx, hltRef)
	require.NoError(t, err)
	assert.Equal(t, "hlt", string(b))
	b, err = s.Output(ctx, tpcRef)
	require.NoError(t, err)
	assert.Equal(t, "tpc", string(b))
}

func TestWatch(t *testing.T) {
	s, err := Open(t.TempDir(), Options{Logger: quietLogger(), WatchBuffer: 4})
	require.NoError(t, err)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	w1 := s.Watch(ctx)
	w2 := s.Watch(context.Background())
	info := put(t, s, 1, "EMC", "C", 1448384710, "a")
	assert.Equal(t, info, <-w1)
	assert.Equal(t, info, <-w2)
	cancel()
	_, open := <-w1
	assert.False(t, open, "channel closed when ctx is done")
	// A subscriber that never reads does not block writers.
	for i := 0; i < 8; i++ {
		put(t, s, 2, "EMC", "C", 1448384710+int64(i), "b")
	}
	assert.Positive(t, s.Dropped())
	require.NoError(t, s.Close())
	for range w2 {
	}
	_, open = <-s.Watch(context.Background())
	assert.False(t, open, "Watch after Close gives a closed channel")
}

func TestConcurrentPutsSameSecond(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	var wg sync.WaitGroup
	const n = 20
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := s.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 3, Subsystem: "HLT", Mode: "C", Time: time.Unix(1448384710, 0)},
				bytes.NewReader([]byte{byte(i)}))
			assert.NoError(t, err)
		}(i)
	}
	wg.Wait()
	snaps, err := s.Snapshots(ctx, 3, "HLT")
	require.NoError(t, err)
	require.Len(t, snaps, n)
	seen := map[byte]bool{}
	for i, sn := range snaps {
		assert.Equal(t, i, sn.Seq)
		rc, err := s.OpenSnapshot(ctx, sn.SnapshotRef)
		require.NoError(t, err)
		b, _ := io.ReadAll(rc)
		_ = rc.Close()
		require.Len(t, b, 1)
		seen[b[0]] = true
	}
	assert.Len(t, seen, n, "every snapshot kept its own content")
}

func TestReopenKeepsIndex(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	put(t, s, 1, "EMC", "C", 1448384710, "a")
	put(t, s, 1, "HLT", "C", 1448384711, "b")
	require.NoError(t, s.Close())
	s2 := openTest(t, dir)
	r, err := s2.RunInfo(context.Background(), 1)
	require.NoError(t, err)
	assert.Len(t, r.Subsystems, 3) // EMC, HLT own; TPC borrows
	snaps, err := s2.Snapshots(context.Background(), 1, "EMC")
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	assert.Equal(t, "test", snaps[0].Origin, "clean reopen keeps the index, sources included")
}

// §9.1: reading and writing runInfo.yaml.
func TestRunInfoFile(t *testing.T) {
	t.Run("read present", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "runInfo.yaml"), []byte("hltMode: C\n"), 0o644))
		m, ok, err := readRunMode(dir)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, overwatch.ModeCompress, m)
	})
	t.Run("read absent", func(t *testing.T) {
		m, ok, err := readRunMode(t.TempDir())
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Equal(t, overwatch.ModeUnknown, m)
	})
	for _, tt := range []struct {
		desc   string
		mode   overwatch.HLTMode
		exists bool
		want   string
	}{
		{"no mode, new file", "", false, "hltMode: U\n"},
		{"mode C, new file", "C", false, "hltMode: C\n"},
		{"no mode, file exists", "", true, "hltMode: B\n"},
		{"mode C, file exists", "C", true, "hltMode: B\n"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir)
			if tt.exists {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, "Run123"), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "Run123", "runInfo.yaml"), []byte("hltMode: B\n"), 0o644))
			}
			info := put(t, s, 123, "EMC", tt.mode, 1448384710, "x")
			b, err := os.ReadFile(filepath.Join(dir, "Run123", "runInfo.yaml"))
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b), "written once, never overwritten")
			assert.Equal(t, overwatch.HLTMode(strings.TrimSpace(strings.TrimPrefix(tt.want, "hltMode:"))), info.Mode)
		})
	}
}
