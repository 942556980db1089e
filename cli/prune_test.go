package cli

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
	"github.com/overwatch-dqm/overwatch/store"
)

func TestStorePrune(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx := context.Background()
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	for r := 1; r <= 3; r++ {
		_, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: r, Subsystem: "EMC", Mode: overwatch.ModeCompress,
			Time: now.Add(time.Duration(r) * time.Minute), Origin: "test"}, bytes.NewReader([]byte("x")))
		require.NoError(t, err)
		require.NoError(t, st.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "mean", Run: r,
			Time: now.Add(-time.Duration(r) * 24 * time.Hour), Value: float64(r)}}))
	}
	require.NoError(t, st.Close())
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		code := runMain(ctx, e, append([]string{"store", "prune", "--data", dir}, args...))
		return code, stdout.String() + stderr.String()
	}
	code, out := run()
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "keeps everything")
	code, out = run("--runs", "1", "--dry-run")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "would delete run 1")
	assert.DirExists(t, filepath.Join(dir, "Run1"))
	code, out = run("--runs", "1")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "2 runs, 0 snapshots of finished runs deleted")
	_, err = os.Stat(filepath.Join(dir, "Run2"))
	assert.True(t, os.IsNotExist(err))
	assert.DirExists(t, filepath.Join(dir, "Run3"))
	code, out = run("--runs", "-3")
	assert.NotEqual(t, 0, code, out)

	code, out = run("--trend-max-age", "50h", "--dry-run")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "would forget the trend points before")
	code, out = run("--trend-max-age", "50h")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "forgot 1 trend points before", "the point of 3 days ago goes")
	st, err = store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	pts, err := st.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean"})
	require.NoError(t, err)
	assert.Len(t, pts, 2)
}
