package store

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// forEngines runs fn on a fresh data directory with each index engine:
// SQLite in the directory, and a fresh database of the test binary's
// private PostgreSQL cluster (skipped when PostgreSQL is not installed).
func forEngines(t *testing.T, fn func(t *testing.T, dir string, opts Options)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, t.TempDir(), Options{Logger: quietLogger()})
	})
	t.Run("postgres", func(t *testing.T) {
		if testing.Short() {
			t.Skip("starts PostgreSQL")
		}
		dsn := pgtest.Start(t)
		fn(t, t.TempDir(), Options{Logger: quietLogger(), Index: dsn})
	})
}

func openOpts(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestEngineRunsSnapshots(t *testing.T) {
	forEngines(t, func(t *testing.T, dir string, opts Options) {
		s := openOpts(t, dir, opts)
		ctx := context.Background()
		for run := 1; run <= 30; run++ {
			put(t, s, run, "HLT", "C", 1448384710+int64(run), "h")
			if run%2 == 0 {
				put(t, s, run, "EMC", "B", 1448384720+int64(run), "e")
			}
		}
		// Same second twice: sequence numbers.
		a := put(t, s, 30, "EMC", "C", 1448384800, "1")
		b := put(t, s, 30, "EMC", "C", 1448384800, "2")
		assert.Equal(t, 0, a.Seq)
		assert.Equal(t, 1, b.Seq)
		n, err := s.CountRuns(ctx)
		require.NoError(t, err)
		assert.Equal(t, 30, n)
		page, err := s.Runs(ctx, overwatch.RunQuery{Limit: 10})
		require.NoError(t, err)
		assert.Equal(t, []int{30, 29, 28, 27, 26, 25, 24, 23, 22, 21}, numbers(page))
		page2, err := s.Runs(ctx, overwatch.RunQuery{Limit: 10, Before: 21})
		require.NoError(t, err)
		assert.Equal(t, 20, page2[0].Number)
		r, err := s.RunInfo(ctx, 30)
		require.NoError(t, err)
		assert.Equal(t, overwatch.ModeCompress, r.Mode, "the first snapshot's mode")
		emc, ok := r.Subsystem("EMC")
		require.True(t, ok)
		assert.Equal(t, 3, emc.Snapshots)
		assert.Equal(t, 1, emc.Last.Seq)
		tpc, ok := r.Subsystem("TPC")
		require.True(t, ok)
		assert.True(t, tpc.Borrows())
		r1, err := s.RunInfo(ctx, 1)
		require.NoError(t, err)
		_, ok = r1.Subsystem("EMC")
		assert.True(t, ok, "EMC borrows HLT in a run without its own files")
		snaps, err := s.Snapshots(ctx, 30, "EMC")
		require.NoError(t, err)
		require.Len(t, snaps, 3)
		rc, err := s.OpenSnapshot(ctx, snaps[2].SnapshotRef)
		require.NoError(t, err)
		data, _ := io.ReadAll(rc)
		rc.Close()
		assert.Equal(t, "2", string(data))
		_, err = s.RunInfo(ctx, 999)
		assert.ErrorIs(t, err, overwatch.ErrNotFound)
		require.NoError(t, s.QuarantineSnapshot(ctx, snaps[0].SnapshotRef, "test"))
		r, err = s.RunInfo(ctx, 30)
		require.NoError(t, err)
		emc, _ = r.Subsystem("EMC")
		assert.Equal(t, 2, emc.Snapshots)
		require.NoError(t, s.Verify(ctx))
	})
}

func TestEngineTrends(t *testing.T) {
	forEngines(t, func(t *testing.T, dir string, opts Options) {
		s := openOpts(t, dir, opts)
		ctx := context.Background()
		t0 := time.Unix(1448384710, 0).UTC()
		var pts []overwatch.TrendPoint
		for i := 0; i < 100; i++ {
			pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean/x", Run: 1 + i/50, Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i), Error: 0.5})
		}
		pts[3].Value, pts[4].Value, pts[5].Error = math.NaN(), math.Inf(1), math.Inf(-1)
		require.NoError(t, s.PutTrendPoints(ctx, pts))
		require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "mean/x", Run: 1, Time: t0, Value: 42}}))
		require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "a", Time: t0, Value: 1}, {Subsystem: "TPC", Trend: "b", Time: t0, Value: 1}}))
		got, err := s.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean/x"})
		require.NoError(t, err)
		require.Len(t, got, 100, "idempotent on (subsystem, trend, time, seq)")
		assert.Equal(t, 42.0, got[0].Value)
		assert.True(t, math.IsNaN(got[3].Value))
		assert.True(t, math.IsInf(got[4].Value, 1))
		assert.True(t, math.IsInf(got[5].Error, -1))
		last, err := s.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean/x", Limit: 5})
		require.NoError(t, err)
		require.Len(t, last, 5)
		assert.Equal(t, 95.0, last[0].Value)
		assert.Equal(t, 99.0, last[4].Value)
		win, err := s.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean/x", From: t0.Add(10 * time.Second), To: t0.Add(19 * time.Second)})
		require.NoError(t, err)
		assert.Len(t, win, 10)
		run2, err := s.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean/x", Run: 2})
		require.NoError(t, err)
		assert.Len(t, run2, 50)
		all, err := s.TrendPoints(ctx, overwatch.TrendQuery{From: t0, To: t0})
		require.NoError(t, err)
		require.Len(t, all, 3, "every subsystem, ordered by time, subsystem, trend")
		assert.Equal(t, []string{"EMC/a", "EMC/mean/x", "TPC/b"}, []string{all[0].Subsystem + "/" + all[0].Trend, all[1].Subsystem + "/" + all[1].Trend, all[2].Subsystem + "/" + all[2].Trend})
		names, err := s.Trends(ctx, "EMC")
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "mean/x"}, names)
		require.NoError(t, s.Verify(ctx))
		require.NoError(t, s.CompactTrends(ctx))
		require.NoError(t, s.Verify(ctx))
	})
}

// Two Stores on one data directory stand for two processes: concurrent
// read-modify-writes of one alarm never lose an update, and every update
// leaves its event.
func TestEngineUpdateAlarmConcurrent(t *testing.T) {
	forEngines(t, func(t *testing.T, dir string, opts Options) {
		a := openOpts(t, dir, opts)
		b := openOpts(t, dir, opts)
		ctx := context.Background()
		const per = 25
		var wg sync.WaitGroup
		for _, s := range []*Store{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < per; i++ {
					_, err := s.UpdateAlarm(ctx, "EMC/mean/hi", func(r *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
						n := 0
						if exists {
							fmt.Sscan(r.Message, &n)
						}
						r.Subsystem, r.Trend, r.Alarm, r.State = "EMC", "mean", "hi", overwatch.AlarmFiring
						r.Message = fmt.Sprint(n + 1)
						return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventFired, Run: 7, Time: time.Now(), Message: r.Message}}, nil
					})
					assert.NoError(t, err)
				}
			}()
		}
		wg.Wait()
		got, err := b.Alarm(ctx, "EMC/mean/hi")
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(4*per), got.Message, "no update lost")
		evs, err := a.AlarmEvents(ctx, overwatch.AlarmEventQuery{AlarmID: "EMC/mean/hi"})
		require.NoError(t, err)
		assert.Len(t, evs, 4*per)
		assert.Equal(t, "EMC", evs[0].Subsystem)
		lastEvs, err := a.AlarmEvents(ctx, overwatch.AlarmEventQuery{Subsystem: "EMC", Run: 7, Limit: 3})
		require.NoError(t, err)
		require.Len(t, lastEvs, 3)
		assert.False(t, lastEvs[2].Time.Before(lastEvs[0].Time), "oldest first")
		_, err = a.UpdateAlarm(ctx, "EMC/mean/hi", func(r *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
			r.Message = "lost"
			return nil, io.ErrUnexpectedEOF
		})
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		got, err = a.Alarm(ctx, "EMC/mean/hi")
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(4*per), got.Message, "an error from fn aborts")
		firing, err := a.Alarms(ctx, overwatch.AlarmQuery{State: overwatch.AlarmFiring})
		require.NoError(t, err)
		assert.Len(t, firing, 1)
		require.NoError(t, a.Verify(ctx), "alarm documents and events rebuild to the same index")
	})
}

// A Store announces the snapshots another Store (another process) indexes
// on the same data directory, each once.
func TestEngineWatchAcrossStores(t *testing.T) {
	forEngines(t, func(t *testing.T, dir string, opts Options) {
		opts.PollInterval = 20 * time.Millisecond
		a := openOpts(t, dir, opts)
		b := openOpts(t, dir, opts)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch := a.Watch(ctx)
		time.Sleep(50 * time.Millisecond)
		own := put(t, a, 5, "EMC", "C", 1448384710, "a")
		other := put(t, b, 5, "HLT", "C", 1448384711, "b")
		got := map[string]int{}
		deadline := time.After(5 * time.Second)
		for len(got) < 2 {
			select {
			case info := <-ch:
				got[info.Path]++
			case <-deadline:
				t.Fatalf("announcements: %v", got)
			}
		}
		select {
		case info := <-ch:
			got[info.Path]++
		case <-time.After(200 * time.Millisecond):
		}
		assert.Equal(t, map[string]int{own.Path: 1, other.Path: 1}, got)
	})
}

func TestEngineRebuildImport(t *testing.T) {
	forEngines(t, func(t *testing.T, dir string, opts Options) {
		s, err := Open(dir, opts)
		require.NoError(t, err)
		fillStore(t, s)
		before := dump(t, s)
		require.NoError(t, s.Close())
		st, err := Rebuild(context.Background(), dir, opts)
		require.NoError(t, err)
		assert.Equal(t, 2, st.Runs)
		s2 := openOpts(t, dir, opts)
		assert.Equal(t, before, dump(t, s2))
		assert.True(t, strings.HasPrefix(before, "runs 2\n"))
	})
}

func TestEngineFor(t *testing.T) {
	t.Setenv(EnvPostgresDSN, "")
	for _, tc := range []struct {
		in, kind string
		bad      bool
	}{
		{"", "sqlite", false},
		{"sqlite", "sqlite", false},
		{"postgres://u@h/db", "postgres", false},
		{"host=/tmp dbname=x", "postgres", false},
		{"postgres", "", true},
		{"mysql://x", "", true},
	} {
		kind, _, err := engineFor(tc.in)
		if tc.bad {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.kind, kind)
	}
	assert.Equal(t, "host=/tmp dbname=x", redactDSN("host=/tmp password=secret dbname=x"))
	assert.NotContains(t, redactDSN("postgres://u:secret@h/db"), "secret")
}

// The index side of retention: a run's rows go at once, the other runs
// stay.
func TestEngineDeleteRunIndex(t *testing.T) {
	forEngines(t, func(t *testing.T, dir string, opts Options) {
		s := openOpts(t, dir, opts)
		ctx := context.Background()
		put(t, s, 1, "EMC", "C", 1448384710, "a")
		put(t, s, 1, "HLT", "C", 1448384711, "b")
		put(t, s, 2, "EMC", "C", 1448384712, "c")
		require.NoError(t, s.x.deleteRun(ctx, 1))
		_, err := s.RunInfo(ctx, 1)
		assert.ErrorIs(t, err, overwatch.ErrNotFound)
		n, err := s.CountRuns(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		snaps, err := s.Snapshots(ctx, 2, "EMC")
		require.NoError(t, err)
		assert.Len(t, snaps, 1)
	})
}
