package timeslice_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowRenderer counts slices rendered and takes its time, so that two
// services asked for the same slice overlap.
type slowRenderer struct {
	timeslice.Renderer
	calls atomic.Int32
}

func (r *slowRenderer) RenderSlice(ctx context.Context, f *ow.File, req timeslice.RenderRequest) (timeslice.Rendered, error) {
	r.calls.Add(1)
	time.Sleep(300 * time.Millisecond)
	return r.Renderer.RenderSlice(ctx, f, req)
}

// TestSliceLeases: two web replicas (two services on two stores of one
// data directory) asked for the same slice at once compute it once; the
// other replica serves the first one's result; a slice whose lease a dead
// process holds is taken over when the lease expires.
func TestSliceLeases(t *testing.T) {
	f := newFixture(t, "SLC", false)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st2, err := store.Open(f.st.Dir(), store.Options{Subsystems: []string{"SLC", "HLT"}, Logger: log, NoSyncOutputs: true})
	require.NoError(t, err)
	defer st2.Close()
	newSvc := func(st *store.Store, r timeslice.Renderer) *timeslice.Service {
		svc := timeslice.NewService(st, r, timeslice.ServiceOptions{Logger: log, Decode: histtest.GobDecode, Leases: st, LeaseTTL: time.Second})
		t.Cleanup(func() { svc.Close() })
		return svc
	}
	ra := &slowRenderer{Renderer: processing.New(f.st, processing.Options{Logger: log, NoPNG: true, Decode: histtest.GobDecode})}
	rb := &slowRenderer{Renderer: processing.New(st2, processing.Options{Logger: log, NoPNG: true, Decode: histtest.GobDecode})}
	a, b := newSvc(f.st, ra), newSvc(st2, rb)
	ctx := context.Background()
	req := timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3}
	ka, err := a.Submit(ctx, req)
	require.NoError(t, err)
	kb, err := b.Submit(ctx, req)
	require.NoError(t, err)
	require.Equal(t, ka, kb, "the same request has one key everywhere")
	for _, svc := range []*timeslice.Service{a, b} {
		st, err := svc.Wait(ctx, 300, "SLC", ka)
		require.NoError(t, err)
		require.Equal(t, timeslice.StateDone, st.State, st.Error)
		assert.Equal(t, 2, st.Record.Hists)
	}
	assert.Equal(t, int32(1), ra.calls.Load()+rb.calls.Load(), "computed once for both replicas")

	// A process took the lease of another slice and died.
	req2 := timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 0, ToMinute: 2}
	c := newSvc(f.st, ra)
	// The key of req2 is what any service computes for it (learnt from a
	// service that never computes); its lease is taken first.
	keyOf := func(r timeslice.Request) string {
		svc := timeslice.NewService(f.st, nopRenderer{}, timeslice.ServiceOptions{Logger: log, Decode: histtest.GobDecode, Leases: deadLeases{}})
		defer svc.Close()
		k, err := svc.Submit(ctx, r)
		require.NoError(t, err)
		return k
	}
	k2 := keyOf(req2)
	dead, err := f.st.TryLease(ctx, timeslice.LeaseQueue, k2, "dead-replica", 1500*time.Millisecond)
	require.NoError(t, err)
	before := ra.calls.Load()
	got, err := c.Submit(ctx, req2)
	require.NoError(t, err)
	require.Equal(t, k2, got)
	st, err := c.Wait(ctx, 300, "SLC", k2)
	require.NoError(t, err)
	require.Equal(t, timeslice.StateDone, st.State, st.Error)
	assert.False(t, time.Now().Before(dead.Expires), "computed only after the dead holder's lease expired")
	assert.Equal(t, before+1, ra.calls.Load())
}

// nopRenderer renders nothing (used only to learn a request's key).
type nopRenderer struct{}

func (nopRenderer) RenderSlice(context.Context, *ow.File, timeslice.RenderRequest) (timeslice.Rendered, error) {
	return timeslice.Rendered{}, nil
}

// deadLeases refuses every lease: a service using it never computes.
type deadLeases struct{}

func (deadLeases) TryLease(context.Context, string, string, string, time.Duration) (ow.Lease, error) {
	return ow.Lease{}, ow.ErrLeaseBusy
}
func (deadLeases) RenewLease(context.Context, ow.Lease, time.Duration) (ow.Lease, error) {
	return ow.Lease{}, ow.ErrLeaseLost
}
func (deadLeases) ReleaseLease(context.Context, ow.Lease) error { return nil }
