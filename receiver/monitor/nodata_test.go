package monitor

import (
	"context"
	"github.com/overwatch-dqm/overwatch/heartbeat"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/receiver"
)

// TestNoDataWhileRunOngoing: a receiver whose heartbeat is fresh but which
// has stored nothing new for NoDataAfter while its merger reports run 42
// raises "no data"; new data, or the end of the run, raises "data
// resumed"; a receiver without a data status is never flagged.
func TestNoDataWhileRunOngoing(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 2, 3, 10, 0, 0, time.UTC)
	var alerts []Alert
	m := &Monitor{DataDir: dir, Subsystems: []string{"EMC", "TPC"}, NoDataAfter: 10 * time.Minute,
		Alerter: AlerterFunc(func(_ context.Context, a Alert) { alerts = append(alerts, a) }),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	step := func(lastData time.Time, run int) []Alert {
		alerts = nil
		require.NoError(t, heartbeat.Write(dir, "EMC", now))
		require.NoError(t, heartbeat.Write(dir, "TPC", now))
		require.NoError(t, receiver.WriteDataStatus(dir, "EMC", receiver.DataStatus{Run: run, LastData: lastData}))
		m.Check(context.Background())
		return alerts
	}
	assert.Empty(t, step(now.Add(-9*time.Minute), 42), "within the window")
	got := step(now.Add(-11*time.Minute), 42)
	require.Len(t, got, 1)
	assert.Equal(t, StateNoData, got[0].State)
	assert.Equal(t, "EMC", got[0].Subsystem)
	assert.Equal(t, 42, got[0].Run)
	assert.Contains(t, got[0].Message, "no new data for 10 minutes while run 42 is ongoing")
	assert.Empty(t, step(now.Add(-12*time.Minute), 42), "raised once")
	got = step(now, 42)
	require.Len(t, got, 1)
	assert.Equal(t, StateDataResumed, got[0].State)
	step(now.Add(-20*time.Minute), 42)
	got = step(now.Add(-20*time.Minute), 0)
	require.Len(t, got, 1, "the run ended")
	assert.Equal(t, StateDataResumed, got[0].State)

	s, stale := NoData(dir, "TPC", now, 0)
	assert.False(t, stale, "no data status file")
	assert.Zero(t, s.Run)
}
