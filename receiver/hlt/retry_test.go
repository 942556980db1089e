package hlt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// flakySink fails its first n Puts as a process out of file descriptors
// does, then stores.
type flakySink struct {
	mu    sync.Mutex
	fail  int
	calls int
	metas []overwatch.SnapshotMeta
}

func (s *flakySink) Put(_ context.Context, meta overwatch.SnapshotMeta, _ []overwatch.Entry) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail > 0 {
		s.fail--
		return "", fmt.Errorf("hlt: store snapshot: open Run5/HLT/x.tmp: %w", syscall.EMFILE)
	}
	s.metas = append(s.metas, meta)
	return fmt.Sprintf("snap%d", len(s.metas)), nil
}

// TestSinkFailuresLoseNoSnapshot: the red team's connection flood made the
// store fail with EMFILE and the receiver logged "storing snapshot failed"
// and dropped the snapshot. Now it keeps it and retries with back-off
// until it is stored: every reply with new content becomes a snapshot.
func TestSinkFailuresLoseNoSnapshot(t *testing.T) {
	requireCodec(t)
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "", overwatch.NewAxis(4, 0, 4))
	sink := &flakySink{fail: 3}
	r := New(Config{Subsystem: "HLT", Logger: quietLogger(), StoreRetryMax: 200 * time.Millisecond}, sink)
	const replies = 4
	start := time.Now()
	for i := range replies {
		require.NoError(t, h.Fill(1, 0.5))
		where := r.HandleReply(context.Background(), encodeReply(t, fmt.Sprintf("run=%d;HLT_MODE=B", 5+i), []overwatch.Entry{{Key: "h", Object: h}}))
		assert.NotEmpty(t, where, "reply %d stored", i)
	}
	assert.Len(t, sink.metas, replies, "every snapshot stored")
	st := r.Stats()
	assert.Equal(t, int64(replies), st.Written)
	assert.Zero(t, st.SinkErrors, "nothing lost")
	assert.Equal(t, int64(3), st.StoreRetries)
	assert.Less(t, time.Since(start), 3*time.Second, "back-off starts at 100 ms")
}

// TestSinkRetriesStopWithTheContext: a receiver that is stopped while its
// sink fails gives the snapshot up (counted) instead of hanging.
func TestSinkRetriesStopWithTheContext(t *testing.T) {
	requireCodec(t)
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "", overwatch.NewAxis(4, 0, 4))
	sink := &flakySink{fail: 1 << 30}
	r := New(Config{Subsystem: "HLT", Logger: quietLogger()}, sink)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	assert.Empty(t, r.HandleReply(ctx, encodeReply(t, "run=5", []overwatch.Entry{{Key: "h", Object: h}})))
	assert.Equal(t, int64(1), r.Stats().SinkErrors)
	assert.True(t, errors.Is(ctx.Err(), context.DeadlineExceeded))
}

// TestRunOutOfRangeNotStored: a merger announcing a run number above
// overwatch.MaxRun gets nothing stored (the store could not read it back).
func TestRunOutOfRangeNotStored(t *testing.T) {
	requireCodec(t)
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "", overwatch.NewAxis(4, 0, 4))
	sink := &recordingSink{}
	r := New(Config{Subsystem: "HLT", Logger: quietLogger()}, sink)
	assert.Empty(t, r.HandleReply(context.Background(), encodeReply(t, "run=1000000000", []overwatch.Entry{{Key: "h", Object: h}})))
	assert.Equal(t, int64(1), r.Stats().NoRun)
	assert.Empty(t, sink.metas)
	assert.NotEmpty(t, r.HandleReply(context.Background(), encodeReply(t, "run=999999999", []overwatch.Entry{{Key: "h", Object: h}})))
}

// TestDataStatusFollowsTheRun: the data status tells the run the merger
// reports and when it last brought new content; identical replies (a stuck
// merger, or one serving a finished run) do not move it; run 0 clears it.
func TestDataStatusFollowsTheRun(t *testing.T) {
	requireCodec(t)
	now := time.Unix(1_700_000_000, 0)
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "", overwatch.NewAxis(4, 0, 4))
	r := New(Config{Subsystem: "HLT", Logger: quietLogger(), Now: func() time.Time { return now }}, &recordingSink{})
	assert.Zero(t, r.DataStatus().Run)
	reply := encodeReply(t, "run=42", []overwatch.Entry{{Key: "h", Object: h}})
	require.NotEmpty(t, r.HandleReply(context.Background(), reply))
	first := now
	assert.Equal(t, 42, r.DataStatus().Run)
	assert.True(t, r.DataStatus().LastData.Equal(first))
	now = now.Add(20 * time.Minute)
	require.Empty(t, r.HandleReply(context.Background(), reply), "duplicate")
	assert.True(t, r.DataStatus().LastData.Equal(first), "no new data")
	require.NoError(t, h.Fill(1, 0.5))
	require.NotEmpty(t, r.HandleReply(context.Background(), encodeReply(t, "run=42", []overwatch.Entry{{Key: "h", Object: h}})))
	assert.True(t, r.DataStatus().LastData.Equal(now))
	r.HandleReply(context.Background(), encodeReply(t, "run=0", nil))
	assert.Zero(t, r.DataStatus().Run)
}
