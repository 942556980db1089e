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

func TestPruneTrends(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	at := func(sec int64) time.Time { return time.Unix(1448384700+sec, 0) }
	var pts []overwatch.TrendPoint
	for i := int64(0); i < 10; i++ {
		pts = append(pts,
			overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 1, Time: at(i * 60), Value: float64(i)},
			overwatch.TrendPoint{Subsystem: "HLT", Trend: "clusters", Run: 1, Time: at(i * 60), Value: float64(i)})
	}
	pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: "old only", Run: 1, Time: at(0), Value: 1})
	require.NoError(t, s.PutTrendPoints(ctx, pts))
	journal := filepath.Join(dir, "trending", "EMC", "points.jsonl")
	before, err := os.Stat(journal)
	require.NoError(t, err)

	n, err := s.PruneTrends(ctx, at(300)) // points at 0, 60, …, 240 go
	require.NoError(t, err)
	assert.Equal(t, 11, n, "5 of each series and the old-only trend's one")
	for _, q := range []overwatch.TrendQuery{{Subsystem: "EMC", Trend: "mean"}, {Subsystem: "HLT", Trend: "clusters"}} {
		got, err := s.TrendPoints(ctx, q)
		require.NoError(t, err)
		require.Len(t, got, 5, q)
		assert.True(t, got[0].Time.Equal(at(300)), q)
		assert.Equal(t, 5.0, got[0].Value, q)
	}
	names, err := s.Trends(ctx, "EMC")
	require.NoError(t, err)
	assert.Equal(t, []string{"mean"}, names, "a trend without points is no longer listed")
	after, err := os.Stat(journal)
	require.NoError(t, err)
	assert.Less(t, after.Size(), before.Size()*6/10, "the journal shrinks with the index")
	assertIndexEqualsRebuild(t, s)

	again, err := s.PruneTrends(ctx, at(300))
	require.NoError(t, err)
	assert.Zero(t, again, "pruning is idempotent")
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "mean", Run: 2, Time: at(900), Value: 9}}))
	assertIndexEqualsRebuild(t, s)
}

// TestPruneTrendsWhileOthersAppend: two stores on one directory (two
// processes) append trend points while one of them prunes and compacts
// the journals over and over; afterwards the index holds every point
// appended and a rebuild from the journals finds exactly the same — no
// line was lost to a rename under a writer, or dropped before it was
// indexed.
func TestPruneTrendsWhileOthersAppend(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir)
	b := openTest(t, dir)
	pruner := openTest(t, dir) // a third process, so that it races both writers
	ctx := context.Background()
	old := time.Unix(1000, 0)
	require.NoError(t, a.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "v", Time: old, Value: -1}}))
	const writers, each = 4, 60
	errs := make(chan error, writers+1)
	done := make(chan struct{})
	for w := 0; w < writers; w++ {
		s := []*Store{a, b}[w%2]
		go func(w int) {
			var err error
			for i := 0; i < each && err == nil; i++ {
				tm := time.Unix(int64(100000+w*each+i), 0)
				err = s.PutTrendPoints(ctx, []overwatch.TrendPoint{
					{Subsystem: "EMC", Trend: "v", Run: w, Time: tm, Value: float64(i)},
					{Subsystem: "HLT", Trend: "v", Run: w, Time: tm, Value: float64(i)},
				})
			}
			errs <- err
		}(w)
	}
	prunes := 0
	go func() {
		var err error
		for err == nil {
			select {
			case <-done:
				errs <- nil
				return
			default:
			}
			_, err = pruner.PruneTrends(ctx, time.Unix(50000, 0))
			prunes++
		}
		errs <- err
	}()
	for w := 0; w < writers; w++ {
		require.NoError(t, <-errs)
	}
	close(done)
	require.NoError(t, <-errs)
	t.Logf("%d prunes during %d appends", prunes, writers*each)
	require.NoError(t, pruner.Close())
	for _, sys := range []string{"EMC", "HLT"} {
		got, err := b.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: sys, Trend: "v"})
		require.NoError(t, err)
		assert.Len(t, got, writers*each, sys)
	}
	require.NoError(t, b.Close())
	// Before any further prune, which rewrites the journals from the
	// index and would mend a loss.
	assertIndexEqualsRebuild(t, a)
	_, err := a.PruneTrends(ctx, time.Unix(50000, 0))
	require.NoError(t, err)
	got, err := a.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "v", To: time.Unix(50000, 0)})
	require.NoError(t, err)
	assert.Empty(t, got, "the point before the cut is gone")
}

// TestDeadWritersTrendLinesIndexedByNextAppend: a writer that died after
// appending its trend lines to the journal but before indexing them (its
// lock released by its death) left lines the index lacks; the next append,
// by any process, indexes them before it records the journal's new offset.
func TestDeadWritersTrendLinesIndexedByNextAppend(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "mean", Time: time.Unix(1000, 0), Value: 1}}))
	// What the dead writer appended.
	f, err := os.OpenFile(filepath.Join(dir, "trending", "EMC", "points.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"sys":"EMC","trend":"mean","run":3,"t":2000000000000,"seq":0,"v":2,"e":0}` + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "mean", Time: time.Unix(3000, 0), Value: 3}}))
	pts, err := s.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean"})
	require.NoError(t, err)
	var vals []float64
	for _, p := range pts {
		vals = append(vals, p.Value)
	}
	assert.Equal(t, []float64{1, 2, 3}, vals)
	assertIndexEqualsRebuild(t, s)
}
