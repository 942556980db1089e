package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func putAccumulation(t *testing.T, s *Store, run int, sys string, unix int64, acc overwatch.Accumulation) overwatch.SnapshotInfo {
	t.Helper()
	info, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: overwatch.ModeCompress,
		Time: time.Unix(unix, 0), Origin: "test", Accumulation: acc}, strings.NewReader("data"))
	require.NoError(t, err)
	return info
}

func accumulations(t *testing.T, s *Store, run int, sys string) []overwatch.Accumulation {
	t.Helper()
	snaps, err := s.Snapshots(context.Background(), run, sys)
	require.NoError(t, err)
	var out []overwatch.Accumulation
	for _, sn := range snaps {
		out = append(out, sn.Accumulation)
	}
	return out
}

// The accumulation survives `store rebuild`: it is in the subsystem's
// sidecar, not only in the index.
func TestAccumulationSurvivesRebuild(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	putAccumulation(t, s, 5, "EMC", 1448384710, overwatch.Reset)
	putAccumulation(t, s, 5, "EMC", 1448384770, overwatch.AccumulationUnset)
	putAccumulation(t, s, 5, "HLT", 1448384710, overwatch.Cumulative)
	putAccumulation(t, s, 6, "EMC", 1448384710, overwatch.AccumulationUnset)
	require.NoError(t, s.Close())
	b, err := os.ReadFile(filepath.Join(dir, "Run5", "EMC", subsystemInfoFile))
	require.NoError(t, err)
	assert.Equal(t, "accumulation: reset\n", string(b))
	_, err = os.Stat(filepath.Join(dir, "Run6", "EMC", subsystemInfoFile))
	assert.True(t, os.IsNotExist(err), "a subsystem that declared nothing has no sidecar")

	st, err := Rebuild(context.Background(), dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	assert.Zero(t, st.Skipped, "the sidecar is not a stray file")
	s2 := openTest(t, dir)
	assert.Equal(t, []overwatch.Accumulation{overwatch.Reset, overwatch.Reset}, accumulations(t, s2, 5, "EMC"))
	assert.Equal(t, []overwatch.Accumulation{overwatch.Cumulative}, accumulations(t, s2, 5, "HLT"))
	assert.Equal(t, []overwatch.Accumulation{overwatch.AccumulationUnset}, accumulations(t, s2, 6, "EMC"))
	assertIndexEqualsRebuild(t, s2)
}

// An index written before the column existed gains it on open, its
// snapshots read as unset, and a rebuild restores their accumulation
// from the sidecars.
func TestAccumulationColumnMigration(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	putAccumulation(t, s, 7, "EMC", 1448384710, overwatch.Reset)
	require.NoError(t, s.Close())

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqliteFile))
	require.NoError(t, err)
	_, err = db.Exec("ALTER TABLE snapshots DROP COLUMN accumulation")
	require.NoError(t, err, "make the index one of the previous version")
	require.NoError(t, db.Close())

	s2, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	assert.Equal(t, []overwatch.Accumulation{overwatch.AccumulationUnset}, accumulations(t, s2, 7, "EMC"), "rows of the old index read unset")
	next := putAccumulation(t, s2, 7, "EMC", 1448384770, overwatch.AccumulationUnset)
	assert.Equal(t, overwatch.Reset, next.Accumulation, "new snapshots follow the sidecar")
	require.NoError(t, s2.Close())

	_, err = Rebuild(context.Background(), dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	s3 := openTest(t, dir)
	assert.Equal(t, []overwatch.Accumulation{overwatch.Reset, overwatch.Reset}, accumulations(t, s3, 7, "EMC"))
}

// After a crash the folder is reconciled from its files with the
// sidecar's accumulation.
func TestAccumulationReconciledAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	putAccumulation(t, s, 8, "EMC", 1448384710, overwatch.Reset)
	// A file the index does not know yet (the crash came before it was
	// indexed), inside a folder marked dirty.
	done, err := s.beginWrite(snapshotDir(8, "EMC"))
	require.NoError(t, err)
	emc := filepath.Join(dir, "Run8", "EMC")
	require.NoError(t, os.WriteFile(filepath.Join(emc, FormatMovedName("EMC", time.Unix(1448384770, 0), 0)), []byte("b"), 0o644))
	_ = done
	crash(t, s)

	s2 := openTest(t, dir)
	assert.Equal(t, []overwatch.Accumulation{overwatch.Reset, overwatch.Reset}, accumulations(t, s2, 8, "EMC"))
	assertIndexEqualsRebuild(t, s2)
}

// Ingest records Options.IngestAccumulation: the receiver names of a drop
// folder cannot say it.
func TestIngestRecordsAccumulation(t *testing.T) {
	root := rootFixture(t)
	dir, drop := t.TempDir(), t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger(), IngestSettle: time.Millisecond, IngestAccumulation: overwatch.Reset})
	require.NoError(t, err)
	defer s.Close()
	writeOld(t, drop, "EMChistos_5_B_2020_1_1_0_0_0.root", root)
	st, err := s.Ingest(context.Background(), drop)
	require.NoError(t, err)
	require.Equal(t, 1, st.Ingested)
	assert.Equal(t, []overwatch.Accumulation{overwatch.Reset}, accumulations(t, s, 5, "EMC"))
}
