package store

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReceiverStatus: a receiver's status is replaced by the next, seen
// by another store on the same index, absent before the first, refused
// for names that are no subsystem, and not kept by a rebuild (the
// receiver writes it again).
func TestReceiverStatus(t *testing.T) {
	forEngines(t, func(t *testing.T, dir string, opts Options) {
		ctx := context.Background()
		a := openOpts(t, dir, opts)
		_, err := a.ReceiverStatus(ctx, "EMC")
		require.ErrorIs(t, err, fs.ErrNotExist)
		first := ReceiverStatus{Subsystem: "EMC", Beat: time.Unix(1448384710, 0), Run: 0, LastData: time.Unix(0, 0)}
		require.NoError(t, a.PutReceiverStatus(ctx, first))
		second := ReceiverStatus{Subsystem: "EMC", Beat: time.Unix(1448384720, 0), Run: 246980, LastData: time.Unix(1448384715, 0)}
		require.NoError(t, a.PutReceiverStatus(ctx, second))
		require.NoError(t, a.PutReceiverStatus(ctx, ReceiverStatus{Subsystem: "TPC", Beat: time.Unix(1448384700, 0)}))

		b := openOpts(t, dir, opts) // another process
		got, err := b.ReceiverStatus(ctx, "EMC")
		require.NoError(t, err)
		assert.Equal(t, second, got)
		got, err = b.ReceiverStatus(ctx, "TPC")
		require.NoError(t, err)
		assert.Equal(t, time.Unix(1448384700, 0), got.Beat)
		assert.Zero(t, got.Run)

		for _, bad := range []string{"", "../EMC", `a\b`, string(make([]byte, 65))} {
			assert.Error(t, a.PutReceiverStatus(ctx, ReceiverStatus{Subsystem: bad, Beat: time.Now()}), "%q", bad)
			_, err := a.ReceiverStatus(ctx, bad)
			assert.Error(t, err, "%q", bad)
		}

		require.NoError(t, a.Close())
		require.NoError(t, b.Close())
		_, err = Rebuild(ctx, dir, opts)
		require.NoError(t, err)
		c := openOpts(t, dir, opts)
		got, err = c.ReceiverStatus(ctx, "EMC")
		if opts.Index != "" {
			// PostgreSQL: receivers of other machines go on; the
			// rebuild keeps what they said.
			require.NoError(t, err)
			assert.Equal(t, second, got)
		} else {
			require.ErrorIs(t, err, fs.ErrNotExist)
		}
	})
}
