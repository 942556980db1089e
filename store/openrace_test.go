package store

import (
	"context"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/stretchr/testify/require"
)

// TestOpenWhileAnotherStoreHoldsTheDirectory: a process that found no index
// when it opened the directory, while another one built it and kept the
// directory open, must not wait for that one to end (it did: the rebuild
// waited a minute for the exclusive lock, then failed — seen as a `web`
// that never started next to `process` and `receive` on a new directory).
func TestOpenWhileAnotherStoreHoldsTheDirectory(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Logger: quietLogger()}
	a, err := Open(dir, opts)
	require.NoError(t, err)
	defer a.Close()

	start := time.Now()
	_, err = rebuild(context.Background(), dir, opts.withDefaults(), true) // what an opener that saw no index does
	require.NoError(t, err)
	require.Less(t, time.Since(start), 5*time.Second, "the rebuild an opener needs returns once the index is there")

	b, err := Open(dir, opts)
	require.NoError(t, err)
	require.NoError(t, b.Close())
}

// TestManyFirstOpensOnPostgres: eight processes opening a new data
// directory on a new PostgreSQL index at once all open it, in bounded
// time. (Each opener that found no index looked under a shared lock
// whether another had built it, which takes tens of milliseconds on
// PostgreSQL; their looks overlapped so that a shared lock was always
// held and none got the exclusive lock to build the index: all of them
// waited until their timeout — seen as a cluster of seven processes that
// never started.)
func TestManyFirstOpensOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	dsn := pgtest.Start(t)
	dir := t.TempDir()
	const n = 8
	errs := make(chan error, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			s, err := Open(dir, Options{Logger: quietLogger(), Index: dsn, LockTimeout: 60 * time.Second})
			if err == nil {
				time.Sleep(2 * time.Second) // stay open, as a process does
				err = s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		require.NoError(t, <-errs)
	}
	require.Less(t, time.Since(start), 30*time.Second)
	t.Logf("%d concurrent first opens on PostgreSQL in %v", n, time.Since(start).Round(time.Millisecond))
}
