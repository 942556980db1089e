package store

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func TestPutSnapshotRefusesRunsOutOfRange(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer s.Close()
	for _, run := range []int{0, -1, overwatch.MaxRun + 1, 1_000_000_000_000_000_000} {
		_, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: run, Subsystem: "EMC", Time: time.Now()}, bytes.NewReader([]byte("x")))
		require.Error(t, err, run)
		assert.ErrorIs(t, err, ErrRunRange, run)
	}
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		assert.NotRegexp(t, `^Run`, e.Name())
	}
}

// TestRebuildReportsRunFoldersOutOfRange: a rebuild used to drop such
// folders silently; it now names them in its statistics (and `store
// rebuild` prints them).
func TestRebuildReportsRunFoldersOutOfRange(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"Run1000000000000000000/EMC", "Run1000000000/EMC", "Run12/EMC"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	st, err := Rebuild(context.Background(), dir, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"Run1000000000000000000", "Run1000000000"}, st.OutOfRange)
	assert.Contains(t, st.String(), "Run1000000000000000000")

	_, err = ParseRunDir("Run1000000000")
	assert.ErrorIs(t, err, ErrRunRange)
	assert.ErrorIs(t, err, ErrBadName)
	n, err := ParseRunDir("Run999999999")
	require.NoError(t, err)
	assert.Equal(t, overwatch.MaxRun, n)
	_, err = ParseReceiverName("EMChistos_1000000000_A_2015_11_24_18_05_10.root")
	assert.ErrorIs(t, err, ErrRunRange)
}
