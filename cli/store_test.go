package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreCommands(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	for i, sys := range []string{"HLT", "EMC"} {
		_, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 42, Subsystem: sys, Mode: "C", Time: time.Unix(1448384710+int64(i), 0)}, strings.NewReader("x"))
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	require.NoError(t, os.Remove(dir+"/overwatch.db"))

	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := runMain(context.Background(), &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
		return code, out.String(), errb.String()
	}
	code, out, _ := run("store", "rebuild", "--data", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "1 runs, 2 subsystem folders, 2 snapshots")
	assert.Contains(t, out, "took ")
	code, out, _ = run("store", "verify", "--data", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "matches its files (1 runs)")
	code, out, _ = run("store", "ls", "--data", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "Run42\tmode C")
	assert.Contains(t, out, "TPC (from HLT)\t1 snapshots")
	code, out, _ = run("store", "ingest", "--data", dir, "--drop", t.TempDir())
	require.Equal(t, 0, code)
	assert.Contains(t, out, "ingested 0")
	code, out, _ = run("store", "compact", "--data", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "compacted")
	code, _, errs := run("store", "rebuild")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--data is required")
	code, _, _ = run("store", "ingest", "--data", dir)
	assert.Equal(t, 2, code)
}
