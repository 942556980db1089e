package retention_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/retention"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ retention.Store = (*store.Store)(nil)

// TestApplyOnStore applies a policy to a real store: old runs go with
// their folders, a finished run is thinned, the index equals a rebuild
// from the files afterwards.
func TestApplyOnStore(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Subsystems: []string{"EMC"}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	put := func(run int, at time.Time) {
		_, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: run, Subsystem: "EMC", Mode: overwatch.ModeCompress, Time: at, Origin: "test"},
			bytes.NewReader([]byte("snapshot bytes")))
		require.NoError(t, err)
	}
	for r := 1; r <= 4; r++ {
		start := now.Add(-time.Duration(5-r) * 24 * time.Hour)
		for m := 0; m < 10; m++ {
			put(r, start.Add(time.Duration(m)*time.Minute))
		}
		require.NoError(t, st.PutOutput(ctx, overwatch.OutputRef{Run: r, Subsystem: "EMC", Kind: overwatch.OutputBundle}, []byte("bundle")))
	}
	p := retention.Policy{Runs: 3, Thin: 5 * time.Minute}
	dry, err := retention.Apply(ctx, st, p, now, retention.Options{DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, []int{1}, dry.Runs)
	n, err := st.CountRuns(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "dry run deletes nothing")

	d, err := retention.Apply(ctx, st, p, now, retention.Options{})
	require.NoError(t, err)
	assert.Equal(t, dry, d)
	_, err = os.Stat(filepath.Join(dir, "Run1"))
	assert.True(t, os.IsNotExist(err), "run folder deleted")
	_, err = st.RunInfo(ctx, 1)
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	for r := 2; r <= 4; r++ {
		snaps, err := st.Snapshots(ctx, r, "EMC")
		require.NoError(t, err)
		// Minutes 0, 5 and 9 (the last) are kept.
		require.Len(t, snaps, 3, "run %d", r)
		assert.Equal(t, 5*time.Minute, snaps[1].Time.Sub(snaps[0].Time))
	}
	require.NoError(t, st.Verify(ctx))

	// Applying again changes nothing.
	d, err = retention.Apply(ctx, st, p, now, retention.Options{})
	require.NoError(t, err)
	assert.True(t, d.Empty())

	// Reset mode: never thinned.
	d, err = retention.Apply(ctx, st, retention.Policy{Thin: time.Hour}, now, retention.Options{Increments: true, DryRun: true})
	require.NoError(t, err)
	assert.True(t, d.Empty())

	// A disk budget: the newest runs that fit.
	size, err := st.RunBytes(ctx, 4)
	require.NoError(t, err)
	assert.Positive(t, size)
	d, err = retention.Apply(ctx, st, retention.Policy{MaxBytes: size + 1}, now, retention.Options{})
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3}, d.Runs)
	require.NoError(t, st.Verify(ctx))
}

// TestApplyTrendMaxAge: trend points older than the policy's age go,
// through the store's PruneTrends, whatever the runs.
func TestApplyTrendMaxAge(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Subsystems: []string{"EMC"}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	var pts []overwatch.TrendPoint
	for h := 0; h < 10; h++ {
		pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 1, Time: now.Add(-time.Duration(h) * time.Hour), Value: float64(h)})
	}
	require.NoError(t, st.PutTrendPoints(ctx, pts))
	p := retention.Policy{TrendMaxAge: 150 * time.Minute}
	assert.False(t, p.KeepsEverything())
	assert.Contains(t, p.String(), "trend points younger than 2h30m0s")
	dry, err := retention.Apply(ctx, st, p, now, retention.Options{DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, now.Add(-150*time.Minute), dry.TrendsBefore)
	assert.Zero(t, dry.TrendPoints)
	d, err := retention.Apply(ctx, st, p, now, retention.Options{})
	require.NoError(t, err)
	assert.Equal(t, 7, d.TrendPoints, "hours 3 to 9 go, 0 to 2 stay")
	assert.False(t, d.Empty())
	left, err := st.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean"})
	require.NoError(t, err)
	assert.Len(t, left, 3)
	require.NoError(t, st.Verify(ctx))
	assert.Error(t, retention.Policy{TrendMaxAge: -time.Second}.Validate())

	// A store that cannot prune trends is told so, not silently kept.
	_, err = retention.Apply(ctx, noTrends{st}, p, now, retention.Options{})
	assert.ErrorContains(t, err, "cannot prune trend points")
}

// noTrends hides the store's PruneTrends.
type noTrends struct{ retention.Store }
