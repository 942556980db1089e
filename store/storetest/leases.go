package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (su *suite) leaser(t *testing.T, s overwatch.Store) overwatch.Leaser {
	t.Helper()
	l, ok := s.(overwatch.Leaser)
	if !ok {
		if su.o.Leases {
			t.Fatalf("%T does not implement overwatch.Leaser, and Options.Leases requires it", s)
		}
		t.Skipf("%T does not implement overwatch.Leaser", s)
	}
	return l
}

// testLeaseExclusive: a lease is granted to one holder at a time; its
// holder renews it (new token on a second TryLease), renews it with
// RenewLease, releases it; then another holder gets it with a greater
// token, and the first one's renewal is refused (ErrLeaseLost).
func testLeaseExclusive(t *testing.T, su *suite) {
	ls := su.leaser(t, su.store(t).S)
	ctx := context.Background()
	a, err := ls.TryLease(ctx, "storetest", "run/1", "holder-a", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, overwatch.Lease{Queue: "storetest", Key: "run/1", Holder: "holder-a", Token: a.Token, Expires: a.Expires}, a)
	assert.Positive(t, a.Token)
	assert.WithinDuration(t, time.Now().Add(time.Minute), a.Expires, 5*time.Second)
	_, err = ls.TryLease(ctx, "storetest", "run/1", "holder-b", time.Minute)
	assert.ErrorIs(t, err, overwatch.ErrLeaseBusy)
	other, err := ls.TryLease(ctx, "storetest", "run/2", "holder-b", time.Minute)
	require.NoError(t, err, "another key is independent")
	_, err = ls.TryLease(ctx, "storetest-other", "run/1", "holder-b", time.Minute)
	require.NoError(t, err, "another queue is independent")

	a2, err := ls.TryLease(ctx, "storetest", "run/1", "holder-a", time.Minute)
	require.NoError(t, err, "its holder takes it again")
	assert.Greater(t, a2.Token, a.Token)
	_, err = ls.RenewLease(ctx, a, time.Minute)
	assert.ErrorIs(t, err, overwatch.ErrLeaseLost, "the older grant is superseded")
	a3, err := ls.RenewLease(ctx, a2, 2*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, a2.Token, a3.Token)
	assert.True(t, a3.Expires.After(a2.Expires))

	require.NoError(t, ls.ReleaseLease(ctx, a3))
	_, err = ls.RenewLease(ctx, a3, time.Minute)
	assert.ErrorIs(t, err, overwatch.ErrLeaseLost, "a released lease is not renewed")
	b, err := ls.TryLease(ctx, "storetest", "run/1", "holder-b", time.Minute)
	require.NoError(t, err, "a released lease is free")
	assert.Greater(t, b.Token, a3.Token, "tokens are never reused")
	require.NoError(t, ls.ReleaseLease(ctx, a3), "releasing a lost lease changes nothing")
	_, err = ls.RenewLease(ctx, b, time.Minute)
	require.NoError(t, err, "the new holder keeps it")
	require.NoError(t, ls.ReleaseLease(ctx, other))

	for _, bad := range []struct{ q, k, h string }{{"", "k", "h"}, {"q", "", "h"}, {"q", "k", ""}} {
		_, err := ls.TryLease(ctx, bad.q, bad.k, bad.h, time.Minute)
		assert.Error(t, err, "%+v", bad)
	}
	_, err = ls.TryLease(ctx, "storetest", "run/9", "holder-a", 0)
	assert.Error(t, err, "a lease needs a positive ttl")
}

// testLeaseExpiry: an expired lease (its holder died) is granted to the
// next holder asking, and the dead holder can no longer renew it.
func testLeaseExpiry(t *testing.T, su *suite) {
	ls := su.leaser(t, su.store(t).S)
	ctx := context.Background()
	dead, err := ls.TryLease(ctx, "storetest", "run/3", "dead", time.Second)
	require.NoError(t, err)
	_, err = ls.TryLease(ctx, "storetest", "run/3", "alive", time.Minute)
	if time.Until(dead.Expires) > 100*time.Millisecond { // not when the machine stalled for a second
		require.ErrorIs(t, err, overwatch.ErrLeaseBusy)
	}
	time.Sleep(time.Until(dead.Expires) + 50*time.Millisecond)
	alive, err := ls.TryLease(ctx, "storetest", "run/3", "alive", time.Minute)
	require.NoError(t, err, "taken over after expiry")
	assert.Greater(t, alive.Token, dead.Token)
	_, err = ls.RenewLease(ctx, dead, time.Minute)
	assert.ErrorIs(t, err, overwatch.ErrLeaseLost)
}

// testSharedLeases: holders on two stores (two processes) race for the
// same keys; every key is granted to exactly one of them at a time.
func testSharedLeases(t *testing.T, su *suite) {
	a := su.store(t).S
	b := su.second(t, a)
	la, lb := su.leaser(t, a), su.leaser(t, b)
	ctx := context.Background()
	const keys, holders = 20, 6
	var granted [keys]atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, holders)
	for h := 0; h < holders; h++ {
		ls := []overwatch.Leaser{la, lb}[h%2]
		wg.Add(1)
		go func(h int) {
			defer wg.Done()
			for k := 0; k < keys; k++ {
				l, err := ls.TryLease(ctx, "storetest-shared", fmt.Sprint(k), fmt.Sprintf("holder-%d", h), time.Minute)
				if err != nil {
					if !isBusy(err) {
						errs <- err
						return
					}
					continue
				}
				if n := granted[k].Add(1); n != 1 {
					errs <- fmt.Errorf("key %d held by %d holders at once", k, n)
				}
				time.Sleep(time.Millisecond)
				granted[k].Add(-1)
				if err := ls.ReleaseLease(ctx, l); err != nil {
					errs <- err
					return
				}
			}
		}(h)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

func isBusy(err error) bool { return errors.Is(err, overwatch.ErrLeaseBusy) }
