package store

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rootFixture returns a ROOT file written by ROOT itself (shipped in the
// go-hep module), or skips the test when the module is not downloaded.
func rootFixture(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(rootfiles.GoHepFile(t, "hbook/rootcnv/testdata/gauss-h1.root"))
	require.NoError(t, err)
	return data
}

func writeOld(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	// Written under a hidden name and renamed, as a receiver does, so that
	// a concurrent Ingest never sees it half written.
	p := filepath.Join(dir, "."+name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(p, old, old))
	require.NoError(t, os.Rename(p, filepath.Join(dir, name)))
}

func TestCheckROOTHeader(t *testing.T) {
	good := rootFixture(t)
	require.NoError(t, CheckROOTHeader(good))
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("this is not a ROOT file at all"),
		"truncated": good[:len(good)/2],
		"magic":     append([]byte("ROOT"), good[4:]...),
	} {
		err := CheckROOTHeader(data)
		assert.ErrorIs(t, err, overwatch.ErrCorrupt, name)
	}
}

// Original bug §10.1-12: only exact grammar matches are taken, by prefix,
// each once; temp files and files still being written are left alone;
// invalid files are quarantined without stopping the others.
func TestIngest(t *testing.T) {
	root := rootFixture(t)
	dir, drop := t.TempDir(), t.TempDir()
	var logs bytes.Buffer
	s, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	w := s.Watch(ctx)

	writeOld(t, drop, "EMChistos_123_C_2015_11_24_18_5_9.root", root)
	writeOld(t, drop, "EMChistos_123_C_2015_11_24_18_5_10.root", otherSnapshot(t, 1)) // the same objects would be a duplicate
	writeOld(t, drop, "HLThistos_123_c_2015_11_24_18_05_10.root", root)
	writeOld(t, drop, "TPChistos_123_C_2015_11_24_18_5_11.root", []byte("garbage, not ROOT"))
	writeOld(t, drop, "EMChistos_123_C_2015_11_24_18_5_12.root.tmp", root)
	writeOld(t, drop, "xEMChistos_123_C_2015_11_24_18_5_12.root", root)
	writeOld(t, drop, "EMC_HLThistos_123_C_2015_11_24_18_5_12.root", root)
	writeOld(t, drop, ".EMChistos_123_C_2015_11_24_18_5_12.root", root)
	writeOld(t, drop, "EMChistos_777_E_2015_11_24_18_5_12.root", root)
	require.NoError(t, os.WriteFile(filepath.Join(drop, "EMChistos_123_C_2015_11_24_18_6_0.root"), root, 0o644)) // being written

	st, err := s.Ingest(ctx, drop)
	require.NoError(t, err)
	assert.Equal(t, IngestStats{Ingested: 4, Quarantined: 1, Waiting: 1, Ignored: 3}, st)

	snaps, err := s.Snapshots(ctx, 123, "EMC")
	require.NoError(t, err)
	require.Len(t, snaps, 2)
	// Chronological although "18_5_9" > "18_5_10" as text (bug §10.1-10).
	assert.Equal(t, "Run123/EMC/EMChists.2015_11_24_18_05_09.root", snaps[0].Path)
	assert.Equal(t, "Run123/EMC/EMChists.2015_11_24_18_05_10.root", snaps[1].Path)
	assert.Equal(t, "ingest", snaps[0].Origin)
	hlt, err := s.Snapshots(ctx, 123, "HLT")
	require.NoError(t, err)
	require.Len(t, hlt, 1)
	_, err = os.Stat(filepath.Join(dir, "ReplayData", "Run777", "EMC", "EMChists.2015_11_24_18_05_12.root"))
	require.NoError(t, err, "mode E stored apart")
	_, err = os.Stat(filepath.Join(dir, "quarantine", "TPChistos_123_C_2015_11_24_18_5_11.root"))
	require.NoError(t, err)
	reason, err := os.ReadFile(filepath.Join(dir, "quarantine", "TPChistos_123_C_2015_11_24_18_5_11.root.reason.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(reason), "root")
	assert.Contains(t, logs.String(), "invalid ROOT file quarantined")

	left, err := os.ReadDir(drop)
	require.NoError(t, err)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{
		"EMChistos_123_C_2015_11_24_18_5_12.root.tmp", "xEMChistos_123_C_2015_11_24_18_5_12.root",
		"EMC_HLThistos_123_C_2015_11_24_18_5_12.root", ".EMChistos_123_C_2015_11_24_18_5_12.root",
		"EMChistos_123_C_2015_11_24_18_6_0.root",
	}, names)
	announced := 0
	for len(w) > 0 {
		<-w
		announced++
	}
	assert.Equal(t, 3, announced, "replay and quarantined files are not announced")

	// Same bytes again (a crash after storing, before removing): no
	// second copy.
	writeOld(t, drop, "EMChistos_123_C_2015_11_24_18_5_10.root", otherSnapshot(t, 1))
	st, err = s.Ingest(ctx, drop)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Duplicates)
	snaps, err = s.Snapshots(ctx, 123, "EMC")
	require.NoError(t, err)
	assert.Len(t, snaps, 2)
}

func TestIngestTooLarge(t *testing.T) {
	root := rootFixture(t)
	dir, drop := t.TempDir(), t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger(), MaxIngestSize: int64(len(root)) - 1})
	require.NoError(t, err)
	defer s.Close()
	writeOld(t, drop, "EMChistos_5_B_2020_1_1_0_0_0.root", root)
	st, err := s.Ingest(context.Background(), drop)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Quarantined)
	reason, err := os.ReadFile(filepath.Join(dir, "quarantine", "EMChistos_5_B_2020_1_1_0_0_0.root.reason.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(reason), "MaxIngestSize")
}

func TestRunIngestStopsWithContext(t *testing.T) {
	root := rootFixture(t)
	dir, drop := t.TempDir(), t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger(), IngestSettle: time.Millisecond})
	require.NoError(t, err)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.RunIngest(ctx, drop, 10*time.Millisecond) }()
	w := s.Watch(context.Background())
	writeOld(t, drop, "EMChistos_5_B_2020_1_1_0_0_0.root", root)
	select {
	case info := <-w:
		assert.Equal(t, 5, info.Run)
	case <-time.After(5 * time.Second):
		t.Fatal("file not ingested")
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

func TestQuarantineSnapshot(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	a := put(t, s, 9, "EMC", "C", 1448384710, "bad")
	b := put(t, s, 9, "EMC", "C", 1448384711, "good")
	require.NoError(t, s.QuarantineSnapshot(ctx, a.SnapshotRef, "decode: corrupt"))
	snaps, err := s.Snapshots(ctx, 9, "EMC")
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	assert.Equal(t, b.SnapshotRef, snaps[0].SnapshotRef)
	r, err := s.RunInfo(ctx, 9)
	require.NoError(t, err)
	sub, _ := r.Subsystem("EMC")
	assert.Equal(t, 1, sub.Snapshots)
	assert.Equal(t, int64(1448384711), sub.Start.Unix())
	got, err := os.ReadFile(filepath.Join(dir, "quarantine", "Run9", "EMC", "EMChists.2015_11_24_18_05_10.root"))
	require.NoError(t, err)
	assert.Equal(t, "bad", string(got))
	_, err = s.OpenSnapshot(ctx, a.SnapshotRef)
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	assert.ErrorIs(t, s.QuarantineSnapshot(ctx, a.SnapshotRef, "again"), overwatch.ErrNotFound)
	// The last one empties the run.
	require.NoError(t, s.QuarantineSnapshot(ctx, b.SnapshotRef, "x"))
	_, err = s.RunInfo(ctx, 9)
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	n, _ := s.CountRuns(ctx)
	assert.Zero(t, n)
	// A rebuild agrees (quarantined files are not snapshots).
	assertIndexEqualsRebuild(t, s)
	_ = io.Discard
}

// FuzzCheckROOTHeader: drop-folder bytes never panic the header check or
// the validation, and an accepted header fits the data.
func FuzzCheckROOTHeader(f *testing.F) {
	f.Add([]byte("root\x00\x00\xf4\x2a\x00\x00\x00\x64\x00\x00\x01\x00\x00\x00\x00\x00"))
	f.Add([]byte("not root"))
	f.Add(bytes.Repeat([]byte("root"), 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := CheckROOTHeader(b); err == nil {
			require.GreaterOrEqual(t, len(b), 20)
			require.Equal(t, "root", string(b[:4]))
		}
		_ = validateROOT(b)
	})
}
