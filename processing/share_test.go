package processing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// sharedStores opens n stores on one data directory: n processes.
func sharedStores(tb testing.TB, n int) []*store.Store {
	tb.Helper()
	dir := tb.TempDir()
	var out []*store.Store
	for i := 0; i < n; i++ {
		st, err := store.Open(dir, store.Options{Logger: quietLog, NoSyncOutputs: true, Subsystems: []string{"EMC"}})
		require.NoError(tb, err)
		tb.Cleanup(func() { st.Close() })
		out = append(out, st)
	}
	return out
}

func putEMC(tb testing.TB, st *store.Store, run int, at time.Time, nHists int) overwatch.SnapshotInfo {
	tb.Helper()
	b, err := overwatch.EncodeFile(emcLike(nHists, 2, int64(run)))
	if err != nil {
		tb.Skipf("ROOT encoder not available: %v", err)
	}
	info, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: run, Subsystem: "EMC", Mode: overwatch.ModeCompress, Time: at, Origin: "test"}, bytes.NewReader(b))
	require.NoError(tb, err)
	return info
}

// viewOf returns the EMC view of run through st (nil when absent).
func viewOf(st *store.Store, run int) *overwatch.ViewDoc {
	b, err := bundle.NewOutputs(st).Output(context.Background(), overwatch.ViewRef(run, "EMC", ""))
	if err != nil {
		return nil
	}
	var v overwatch.ViewDoc
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return &v
}

// seenObserver records the snapshots a processor processed.
type seenObserver struct {
	mu   *sync.Mutex // shared by the observers of all processors
	name string
	all  *[]overwatch.SnapshotInfo
}

func (o *seenObserver) Observe(_ context.Context, sys string, snap overwatch.SnapshotInfo, _ int, _ map[string]*overwatch.Hist) (map[string][]overwatch.InfoItem, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	*o.all = append(*o.all, snap)
	return nil, nil
}

func (o *seenObserver) EndCycle(context.Context) {}

// TestSharedWorkers: two processors on two stores of one directory (two
// "process --watch" workers) share the work by leases: both take part,
// every run ends up processed from its newest snapshot, and the index
// equals a rebuild.
func TestSharedWorkers(t *testing.T) {
	sts := sharedStores(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ps []*processing.Processor
	var wg sync.WaitGroup
	var seen []overwatch.SnapshotInfo
	var seenMu sync.Mutex
	for i, st := range sts {
		obs := &seenObserver{mu: &seenMu, name: string(rune('A' + i)), all: &seen}
		p := processing.New(st, processing.Options{Logger: quietLog, Workers: 1, Leases: st, LeaseTTL: 2 * time.Second, ScanInterval: -1, Observer: obs})
		ps = append(ps, p)
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	last := map[int]time.Time{}
	for i := 0; i < 24; i++ {
		run := 7001 + i%6
		at := t0.Add(time.Duration(i) * time.Minute)
		putEMC(t, sts[i%2], run, at, 40)
		last[run] = at
		time.Sleep(20 * time.Millisecond)
	}
	require.Eventually(t, func() bool {
		for run, at := range last {
			v := viewOf(sts[0], run)
			if v == nil || !v.Complete || v.Snapshot.Time != at.Unix() {
				return false
			}
		}
		return true
	}, 60*time.Second, 50*time.Millisecond, "every run processed from its newest snapshot")
	cancel()
	wg.Wait()
	a, b := ps[0].LeaseStats(), ps[1].LeaseStats()
	t.Logf("worker A %+v, worker B %+v", a, b)
	assert.Positive(t, a.Taken, "worker A took part")
	assert.Positive(t, b.Taken, "worker B took part")
	assert.Zero(t, a.Lost+b.Lost)
	assert.LessOrEqual(t, a.Processed+b.Processed, int64(24), "no snapshot processed twice: %v", seen)
	newest := map[int]overwatch.SnapshotRef{}
	for _, s := range seen {
		if prev, ok := newest[s.Run]; ok {
			assert.True(t, prev.Before(s.SnapshotRef), "run %d processed %s after %s: views went back in time", s.Run, s.SnapshotRef, prev)
		}
		newest[s.Run] = s.SnapshotRef
	}
	require.NoError(t, sts[1].Close())
	require.NoError(t, sts[0].Verify(context.Background()))
}

// TestLeaseTakeover: the lease of a worker that died (never renewed) is
// taken over once it expired — not before — and the work is done.
func TestLeaseTakeover(t *testing.T) {
	st := sharedStores(t, 1)[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	// A worker took run 7100's lease, and was killed.
	dead, err := st.TryLease(ctx, processing.LeaseQueue, "7100/EMC", "killed-worker", 2*time.Second)
	require.NoError(t, err)
	p := processing.New(st, processing.Options{Logger: quietLog, Workers: 1, Leases: st, LeaseTTL: time.Second, ScanInterval: -1})
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	time.Sleep(100 * time.Millisecond) // Run is watching
	putEMC(t, st, 7100, t0, 20)
	putEMC(t, st, 7101, t0, 20) // not leased: processed at once
	require.Eventually(t, func() bool { return viewOf(st, 7101) != nil }, 20*time.Second, 20*time.Millisecond)
	if time.Until(dead.Expires) > 200*time.Millisecond {
		assert.Nil(t, viewOf(st, 7100), "a run whose lease another worker holds is left to it")
	}
	require.Eventually(t, func() bool { v := viewOf(st, 7100); return v != nil && v.Complete }, 20*time.Second, 20*time.Millisecond,
		"taken over after the dead worker's lease expired")
	assert.False(t, time.Now().Before(dead.Expires), "not before the lease expired")
	_, err = st.RenewLease(ctx, dead, time.Minute)
	assert.ErrorIs(t, err, overwatch.ErrLeaseLost, "the dead worker cannot come back to it")
	assert.Positive(t, p.LeaseStats().Busy)
	cancel()
	<-done
}

// losingLeaser grants leases and loses each one at its first renewal
// (another worker took it while this one was paused).
type losingLeaser struct{ overwatch.Leaser }

func (losingLeaser) RenewLease(context.Context, overwatch.Lease, time.Duration) (overwatch.Lease, error) {
	return overwatch.Lease{}, overwatch.ErrLeaseLost
}

// TestLostLeaseWritesNothing: a worker whose lease was lost writes no
// bundle (the fence renews the lease before each write).
func TestLostLeaseWritesNothing(t *testing.T) {
	st := sharedStores(t, 1)[0]
	putEMC(t, st, 7200, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), 20)
	p := processing.New(st, processing.Options{Logger: quietLog, Workers: 1, Leases: losingLeaser{st}, LeaseTTL: time.Minute})
	err := p.Scan(context.Background())
	require.Error(t, err)
	assert.True(t, errors.Is(err, overwatch.ErrLeaseLost), "%v", err)
	assert.Nil(t, viewOf(st, 7200), "no bundle written without the lease")
	assert.Equal(t, int64(1), p.LeaseStats().Lost)

	// With the lease kept, the same work writes its bundle (the same
	// holder: the lease it lost stays granted to it in the store).
	p = processing.New(st, processing.Options{Logger: quietLog, Workers: 1, Leases: st, LeaseTTL: time.Minute, Holder: p.Holder()})
	require.NoError(t, p.Scan(context.Background()))
	assert.NotNil(t, viewOf(st, 7200))
}

// TestLeaseLostInWatchIsAWarning: in watch mode, work whose lease was lost
// is left to the worker that took it — a warning, not an error — and a
// worker that finds its lease ran out while it worked (renewals late: it
// was paused or starved) says so.
func TestLeaseLostInWatchIsAWarning(t *testing.T) {
	for _, tc := range []struct {
		name   string
		leaser func(overwatch.Leaser) overwatch.Leaser
		want   string
	}{
		{"lost", func(l overwatch.Leaser) overwatch.Leaser { return losingLeaser{l} }, `level=WARN msg="processing left to another worker: lease lost"`},
		{"ran out", func(l overwatch.Leaser) overwatch.Leaser { return lateLeaser{l} }, `level=WARN msg="processing: lease expired while working"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := sharedStores(t, 1)[0]
			var log syncbuf.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := processing.New(st, processing.Options{Logger: slog.New(slog.NewTextHandler(&log, nil)), Workers: 1, Leases: tc.leaser(st), LeaseTTL: time.Minute, ScanInterval: -1})
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx) }()
			time.Sleep(100 * time.Millisecond) // Run is watching
			putEMC(t, st, 7300, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), 20)
			require.Eventually(t, func() bool { return strings.Contains(log.String(), tc.want) }, 20*time.Second, 20*time.Millisecond, "%s", log.String())
			cancel()
			<-done
			assert.NotContains(t, log.String(), "level=ERROR")
		})
	}
}

// lateLeaser renews leases as if the renewal came after the TTL (the
// lease it returns expired already): nobody took it meanwhile.
type lateLeaser struct{ overwatch.Leaser }

func (l lateLeaser) RenewLease(ctx context.Context, le overwatch.Lease, ttl time.Duration) (overwatch.Lease, error) {
	nl, err := l.Leaser.RenewLease(ctx, le, ttl)
	nl.Expires = time.Now().Add(-time.Millisecond)
	return nl, err
}

// BenchmarkWorkers compares one processing worker with two sharing the
// store by leases (each with one histogram goroutine, on stores of one
// directory: two processes) on 8 runs of a 200-histogram snapshot each.
// Run both in one -bench run: the ratio of their ns/op is the speed-up.
func BenchmarkWorkers(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(map[int]string{1: "one", 2: "two"}[n], func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				sts := sharedStores(b, n)
				t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
				for r := 0; r < 8; r++ {
					putEMC(b, sts[0], 7300+r, t0, 200)
				}
				var ps []*processing.Processor
				for _, st := range sts {
					ps = append(ps, processing.New(st, processing.Options{Logger: quietLog, Workers: 1, Leases: st, LeaseTTL: 10 * time.Second}))
				}
				b.StartTimer()
				var wg sync.WaitGroup
				for _, p := range ps {
					wg.Add(1)
					go func() { defer wg.Done(); require.NoError(b, p.Scan(context.Background())) }()
				}
				wg.Wait()
				b.StopTimer()
				for r := 0; r < 8; r++ {
					require.NotNil(b, viewOf(sts[0], 7300+r))
				}
				for _, st := range sts {
					st.Close()
				}
				b.StartTimer()
			}
		})
	}
}
