package storetest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitFor bounds every wait of the suite for an announcement or a closed
// channel.
const waitFor = 5 * time.Second

// closeWait bounds the wait for a Watch channel to close after its
// context is done.
const closeWait = 2 * time.Second

// recv receives one announcement.
func recv(t *testing.T, w <-chan overwatch.SnapshotInfo) overwatch.SnapshotInfo {
	t.Helper()
	select {
	case info, ok := <-w:
		require.True(t, ok, "watch channel closed early")
		return norm(info)
	case <-time.After(waitFor):
		t.Fatalf("no announcement within %v", waitFor)
	}
	return overwatch.SnapshotInfo{}
}

// closed waits until w is closed, draining it.
func closed(t *testing.T, w <-chan overwatch.SnapshotInfo, why string) {
	t.Helper()
	deadline := time.After(closeWait)
	for {
		select {
		case _, ok := <-w:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("%s: channel still open after %v", why, closeWait)
		}
	}
}

func testWatchAnnounces(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	before := put(t, s, 1, "EMC", overwatch.ModeCompress, t0, "before the watch")
	w1, w2 := s.Watch(ctx), s.Watch(ctx)
	want := []overwatch.SnapshotInfo{
		put(t, s, 1, "EMC", overwatch.ModeCompress, t0, "same second"),
		put(t, s, 1, "HLT", overwatch.ModeCompress, at(1), "hlt"),
		put(t, s, 2, unconfigured, overwatch.ModeDQM, at(2), "dqm"),
	}
	for _, w := range []<-chan overwatch.SnapshotInfo{w1, w2} {
		var got []overwatch.SnapshotInfo
		for range want {
			info := recv(t, w)
			assert.NotEqual(t, before.SnapshotRef, info.SnapshotRef, "a snapshot stored before Watch is not announced")
			got = append(got, info)
		}
		assert.ElementsMatch(t, want, got, "each snapshot announced as PutSnapshot returned it")
		noAnnouncement(t, w, "nothing more was stored")
	}
	w3 := s.Watch(ctx)
	noAnnouncement(t, w3, "nothing was stored after the call")
}

func testWatchCancel(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx, cancel := context.WithCancel(context.Background())
	w := s.Watch(ctx)
	other := s.Watch(context.Background())
	info := put(t, s, 1, "EMC", overwatch.ModeCompress, t0, "a")
	assert.Equal(t, info, recv(t, w))
	assert.Equal(t, info, recv(t, other))
	cancel()
	closed(t, w, "the context was cancelled")
	// Writers go on; the other subscriber still hears them.
	info = put(t, s, 1, "EMC", overwatch.ModeCompress, at(1), "b")
	assert.Equal(t, info, recv(t, other))
	closed(t, s.Watch(ctx), "Watch with a cancelled context")
}

func testConcurrentSnapshots(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	const writers, each, shared = 4, 8, 5
	type result struct {
		info overwatch.SnapshotInfo
		data string
	}
	var mu sync.Mutex
	var results []result
	var wg sync.WaitGroup
	putAsync := func(run int, sys string, when time.Time, data string) {
		info, err := s.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: overwatch.ModeCompress, Time: when, Origin: origin}, strings.NewReader(data))
		if err != nil {
			t.Errorf("put %d %s: %v", run, sys, err)
			return
		}
		mu.Lock()
		results = append(results, result{norm(info), data})
		mu.Unlock()
	}
	for w := 0; w < writers; w++ {
		wg.Add(2)
		go func() { // runs of their own
			defer wg.Done()
			for i := 0; i < each; i++ {
				run := 100 + w*each + i
				putAsync(run, "EMC", at(i), fmt.Sprintf("own run %d", run))
			}
		}()
		go func() { // one run, subsystem and second shared by all
			defer wg.Done()
			for i := 0; i < shared; i++ {
				putAsync(50, "HLT", t0, fmt.Sprintf("shared %d/%d", w, i))
			}
		}()
	}
	wg.Wait()
	require.Len(t, results, writers*(each+shared))
	assert.Equal(t, writers*each+1, countRuns(t, s))
	seqs := map[int]bool{}
	sharedSnaps := snapshots(t, s, 50, "HLT")
	assert.Len(t, sharedSnaps, writers*shared)
	for _, sn := range sharedSnaps {
		assert.False(t, seqs[sn.Seq], "Seq %d given twice", sn.Seq)
		seqs[sn.Seq] = true
	}
	for _, r := range results {
		assert.Equal(t, r.data, string(read(t, s, r.info.SnapshotRef)), "%s keeps its bytes", r.info.SnapshotRef)
		if r.info.Run == 50 {
			assert.Contains(t, sharedSnaps, r.info)
		} else {
			assert.Equal(t, []overwatch.SnapshotInfo{r.info}, snapshots(t, s, r.info.Run, "EMC"))
		}
	}
	hlt, ok := runInfo(t, s, 50).Subsystem("HLT")
	require.True(t, ok)
	assert.Equal(t, writers*shared, hlt.Snapshots)
}

func testConcurrentTrends(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	const writers, batches, size = 4, 10, 10
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				var pts []overwatch.TrendPoint
				for i := 0; i < size; i++ {
					pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: fmt.Sprintf("t%d", w), Run: 1, Time: at(b*size + i), Value: float64(b*size + i)})
				}
				if err := s.PutTrendPoints(ctx, pts); err != nil {
					t.Errorf("put trend points: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for w := 0; w < writers; w++ {
		got := trendPoints(t, s, overwatch.TrendQuery{Subsystem: "EMC", Trend: fmt.Sprintf("t%d", w)})
		require.Len(t, got, batches*size)
		for i, p := range got {
			assert.Equal(t, float64(i), p.Value)
		}
	}
	assert.Len(t, trendPoints(t, s, overwatch.TrendQuery{Subsystem: "EMC"}), writers*batches*size)
}

func testContextCancelled(t *testing.T, su *suite) {
	h := su.store(t)
	s := h.S
	fill(t, su, s)
	refs := dumpOptions()
	before := mustDump(t, s, refs)
	files := su.files(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	isCanceled := func(what string, err error) {
		t.Helper()
		assert.ErrorIs(t, err, context.Canceled, "%s with a cancelled context", what)
	}
	_, err := s.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 123, Subsystem: "EMC", Mode: overwatch.ModeCompress, Time: at(1000), Origin: origin}, strings.NewReader("x"))
	isCanceled("PutSnapshot", err)
	_, err = s.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 999, Subsystem: "EMC", Mode: overwatch.ModeCompress, Time: at(1000), Origin: origin}, strings.NewReader("x"))
	isCanceled("PutSnapshot of a new run", err)
	rc, err := s.OpenSnapshot(ctx, overwatch.SnapshotRef{Run: 123, Subsystem: "HLT", Time: at(0)})
	if rc != nil {
		_ = rc.Close()
	}
	isCanceled("OpenSnapshot", err)
	_, err = s.Snapshots(ctx, 123, "HLT")
	isCanceled("Snapshots", err)
	_, err = s.Runs(ctx, overwatch.RunQuery{})
	isCanceled("Runs", err)
	_, err = s.RunInfo(ctx, 123)
	isCanceled("RunInfo", err)
	_, err = s.CountRuns(ctx)
	isCanceled("CountRuns", err)
	isCanceled("PutOutput", s.PutOutput(ctx, fillOutputs[0], []byte("changed")))
	_, err = s.Output(ctx, fillOutputs[0])
	isCanceled("Output", err)
	_, err = s.OutputTime(ctx, fillOutputs[0])
	isCanceled("OutputTime", err)
	isCanceled("PutTrendPoints", s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "mean/x", Run: 123, Time: at(2), Value: 99}}))
	_, err = s.TrendPoints(ctx, overwatch.TrendQuery{})
	isCanceled("TrendPoints", err)
	_, err = s.Trends(ctx, "EMC")
	isCanceled("Trends", err)
	isCanceled("PutAlarm", s.PutAlarm(ctx, overwatch.AlarmRecord{ID: "EMC/mean/x/between", Message: "changed"}))
	_, err = s.Alarm(ctx, "EMC/mean/x/between")
	isCanceled("Alarm", err)
	_, err = s.Alarms(ctx, overwatch.AlarmQuery{})
	isCanceled("Alarms", err)
	if hist, ok := s.(overwatch.AlarmHistory); ok {
		_, err = hist.UpdateAlarm(ctx, "EMC/mean/x/between", func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
			a.Message = "changed"
			return nil, nil
		})
		isCanceled("UpdateAlarm", err)
		_, err = hist.AlarmEvents(ctx, overwatch.AlarmEventQuery{})
		isCanceled("AlarmEvents", err)
	}
	assert.Equal(t, before, mustDump(t, s, refs), "nothing changed")
	assert.Equal(t, files, su.files(t, s), "no file added")
}

// cancellingReader cancels its context after the first read and goes on
// giving data.
type cancellingReader struct {
	cancel func()
	left   int
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	r.cancel()
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left, 32<<10)
	for i := range p[:n] {
		p[i] = 'c'
	}
	r.left -= n
	return n, nil
}

func testCancelDuringPut(t *testing.T, su *suite) {
	s := su.store(t).S
	w := s.Watch(context.Background())
	put(t, s, 60, "EMC", overwatch.ModeCompress, t0, "existing")
	recv(t, w)
	for _, run := range []int{60, 61} {
		files := su.files(t, s)
		ctx, cancel := context.WithCancel(context.Background())
		const size = 1 << 20
		meta := overwatch.SnapshotMeta{Run: run, Subsystem: "EMC", Mode: overwatch.ModeCompress, Time: at(5), Origin: origin}
		info, err := s.PutSnapshot(ctx, meta, &cancellingReader{cancel: cancel, left: size})
		cancel()
		if err != nil {
			assert.ErrorIs(t, err, context.Canceled, "run %d: a put that fails on cancellation says so", run)
			l, lerr := s.Snapshots(context.Background(), run, "EMC")
			if run == 60 {
				require.NoError(t, lerr)
				assert.Len(t, l, 1, "run %d: nothing added", run)
			} else {
				assert.ErrorIs(t, lerr, overwatch.ErrNotFound, "run %d: no run made", run)
			}
			assert.Equal(t, files, su.files(t, s), "run %d: no file left behind", run)
			noAnnouncement(t, w, "the put was cancelled")
			continue
		}
		t.Logf("run %d: the store completed a put whose context was cancelled while it read", run)
		assert.Equal(t, int64(size), info.Size, "complete")
		assert.Len(t, read(t, s, info.SnapshotRef), size, "complete")
		assert.Contains(t, snapshots(t, s, run, "EMC"), norm(info))
		assert.Equal(t, norm(info), recv(t, w))
	}
}
