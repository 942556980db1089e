package store

import (
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

func TestTrendPoints(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	at := func(sec int64) time.Time { return time.Unix(1448384700+sec, 0) }
	var pts []overwatch.TrendPoint
	for i := int64(0); i < 10; i++ {
		pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 1 + int(i/5), Time: at(i * 10), Value: float64(i)})
	}
	pts = append(pts,
		overwatch.TrendPoint{Subsystem: "EMC", Trend: "max", Run: 1, Time: at(5), Value: 100},
		overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 2, Time: at(90), Seq: 1, Value: 9.5},
		overwatch.TrendPoint{Subsystem: "HLT", Trend: "mean", Run: 1, Time: at(7), Value: -1, Error: math.Inf(-1)},
	)
	require.NoError(t, s.PutTrendPoints(ctx, pts))
	// Idempotent: the same identity replaces.
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "mean", Run: 1, Time: at(0), Value: 42}}))

	values := func(ps []overwatch.TrendPoint) []float64 {
		var v []float64
		for _, p := range ps {
			v = append(v, p.Value)
		}
		return v
	}
	tests := []struct {
		name string
		q    overwatch.TrendQuery
		want []float64
	}{
		{"series", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean"}, []float64{42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9.5}},
		{"series limit", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", Limit: 3}, []float64{8, 9, 9.5}},
		{"series window", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", From: at(20), To: at(40)}, []float64{2, 3, 4}},
		{"series window limit", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", From: at(20), To: at(40), Limit: 2}, []float64{3, 4}},
		{"series run", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", Run: 2}, []float64{5, 6, 7, 8, 9, 9.5}},
		{"subsystem", overwatch.TrendQuery{Subsystem: "EMC", To: at(10)}, []float64{42, 100, 1}},
		{"all by time", overwatch.TrendQuery{To: at(10)}, []float64{42, 100, -1, 1}},
		{"trend across subsystems", overwatch.TrendQuery{Trend: "mean", To: at(10), Limit: 2}, []float64{-1, 1}},
		{"unknown", overwatch.TrendQuery{Subsystem: "TPC", Trend: "mean"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.TrendPoints(ctx, tt.q)
			require.NoError(t, err)
			assert.Equal(t, tt.want, values(got))
		})
	}
	got, err := s.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "HLT", Trend: "mean"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, overwatch.TrendPoint{Subsystem: "HLT", Trend: "mean", Run: 1, Time: at(7).UTC(), Value: -1, Error: math.Inf(-1)}, got[0])

	names, err := s.Trends(ctx, "EMC")
	require.NoError(t, err)
	assert.Equal(t, []string{"max", "mean"}, names)
	names, err = s.Trends(ctx, "TPC")
	require.NoError(t, err)
	assert.Empty(t, names)

	for _, bad := range []overwatch.TrendPoint{
		{Subsystem: "emc", Trend: "x", Time: at(0)},
		{Subsystem: "EMC", Trend: "", Time: at(0)},
		{Subsystem: "EMC", Trend: "a\x00b", Time: at(0)},
		{Subsystem: "EMC", Trend: "x"},
	} {
		assert.Error(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{bad}), "%+v", bad)
	}
	assertIndexEqualsRebuild(t, s)
}

func TestAlarms(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	fired := time.Unix(1448384710, 0).UTC()
	a := overwatch.AlarmRecord{ID: "EMC/mean/high", Subsystem: "EMC", Trend: "mean", Alarm: "high", State: overwatch.AlarmFiring, FiredAt: fired}
	b := overwatch.AlarmRecord{Subsystem: "TPC", Trend: "tracks", Alarm: "low", State: overwatch.AlarmResolved}
	require.NoError(t, s.PutAlarm(ctx, a))
	require.NoError(t, s.PutAlarm(ctx, b))
	got, err := s.Alarm(ctx, "EMC/mean/high")
	require.NoError(t, err)
	assert.Equal(t, a, got)
	got, err = s.Alarm(ctx, "TPC/tracks/low")
	require.NoError(t, err, "ID derived from subsystem/trend/alarm")
	assert.Equal(t, overwatch.AlarmResolved, got.State)
	_, err = s.Alarm(ctx, "nope")
	assert.ErrorIs(t, err, overwatch.ErrNotFound)

	a.AckedBy, a.AckedAt = "shifter", fired.Add(time.Minute)
	require.NoError(t, s.PutAlarm(ctx, a))
	list, err := s.Alarms(ctx, overwatch.AlarmQuery{State: overwatch.AlarmFiring})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "shifter", list[0].AckedBy)
	list, err = s.Alarms(ctx, overwatch.AlarmQuery{})
	require.NoError(t, err)
	assert.Len(t, list, 2)
	list, err = s.Alarms(ctx, overwatch.AlarmQuery{Subsystem: "TPC", Trend: "tracks"})
	require.NoError(t, err)
	assert.Len(t, list, 1)
	assert.Error(t, s.PutAlarm(ctx, overwatch.AlarmRecord{}))
	assertIndexEqualsRebuild(t, s)
}

func TestCompactTrends(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	for round := 0; round < 5; round++ { // reprocessing stores the same points again
		var pts []overwatch.TrendPoint
		for i := 0; i < 20; i++ {
			pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 1, Time: time.Unix(int64(1000+i), 0), Value: float64(round)})
		}
		require.NoError(t, s.PutTrendPoints(ctx, pts))
	}
	journal := filepath.Join(dir, "trending", "EMC", "points.jsonl")
	before, err := os.Stat(journal)
	require.NoError(t, err)
	require.NoError(t, s.CompactTrends(ctx))
	after, err := os.Stat(journal)
	require.NoError(t, err)
	assert.InDelta(t, float64(before.Size())/5, float64(after.Size()), 1)
	pts, err := s.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean"})
	require.NoError(t, err)
	require.Len(t, pts, 20)
	assert.Equal(t, 4.0, pts[0].Value, "the last put wins")
	assertIndexEqualsRebuild(t, s)
	// Appends continue after the compacted journal.
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "mean", Time: time.Unix(5000, 0), Value: 7}}))
	assertIndexEqualsRebuild(t, s)
}
