package store

import (
	"context"
	"testing"
	"time"

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
