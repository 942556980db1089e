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

// TestMonitorRead: with Read set, the heartbeats and data status come from
// it (the store's index on a cluster), not from DataDir's files: dead,
// revived and "no data" alerts follow what it returns.
func TestMonitorRead(t *testing.T) {
	now := time.Date(2026, 12, 2, 3, 10, 0, 0, time.UTC)
	beat := int64(-1)
	var ds receiver.DataStatus
	var alerts []Alert
	m := &Monitor{DataDir: t.TempDir(), Subsystems: []string{"EMC"}, NoDataAfter: 10 * time.Minute,
		Alerter: AlerterFunc(func(_ context.Context, a Alert) { alerts = append(alerts, a) }),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now },
		Read: func(_ context.Context, sys string) (int64, receiver.DataStatus) {
			assert.Equal(t, "EMC", sys)
			return beat, ds
		}}
	check := func() []State {
		alerts = nil
		m.Check(context.Background())
		var states []State
		for _, a := range alerts {
			states = append(states, a.State)
		}
		return states
	}
	assert.Equal(t, []State{StateDead}, check(), "no heartbeat")
	beat = now.Unix()
	assert.Equal(t, []State{StateRevived}, check(), "the files of DataDir are not read")
	ds = receiver.DataStatus{Run: 42, LastData: now.Add(-11 * time.Minute)}
	assert.Equal(t, []State{StateNoData}, check())
	ds.LastData = now
	assert.Equal(t, []State{StateDataResumed}, check())
}
