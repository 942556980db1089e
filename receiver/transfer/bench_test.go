package transfer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/transfer"
	"github.com/overwatch-dqm/overwatch/store"
)

// BenchmarkTransfer measures one 256 KiB snapshot through the transfer to
// a real XRootD server — read from the store, put, read back and hashed,
// progress fsynced — against the floor in the same run: the same bytes put
// and read back directly on the bucket.
func BenchmarkTransfer(b *testing.B) {
	body := bytes.Repeat([]byte("overwatch snapshot bytes!"), 256<<10/25)
	b.Run("floor-put-readback", func(b *testing.B) {
		bk := xrdBucket(b)
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			key := fmt.Sprintf("Run%d/EMC/EMChists.%d.root", i/50, i)
			_, err := bk.Put(context.Background(), key, bytes.NewReader(body))
			require.NoError(b, err)
			rc, err := bk.Open(context.Background(), key, 0, -1)
			require.NoError(b, err)
			h := sha256.New()
			_, err = io.Copy(h, rc)
			require.NoError(b, err)
			rc.Close()
		}
	})
	b.Run("transfer", func(b *testing.B) {
		st, err := store.Open(b.TempDir(), store.Options{Logger: quiet()})
		require.NoError(b, err)
		defer st.Close()
		t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
		for i := 0; i < b.N; i++ {
			_, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 1 + i/50, Subsystem: "EMC", Mode: overwatch.ModeDQM,
				Time: t0.Add(time.Duration(i) * time.Second), Origin: "dqm"}, bytes.NewReader(body))
			require.NoError(b, err)
		}
		tr, err := transfer.New(transfer.Config{Source: st, Destinations: []transfer.Destination{&transfer.Bucket{ID: "eos", Bucket: xrdBucket(b)}},
			StateDir: b.TempDir(), RetryDelay: -1, Logger: quiet()})
		require.NoError(b, err)
		defer tr.Close()
		b.SetBytes(int64(len(body)))
		b.ResetTimer()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- tr.Run(ctx) }()
		for tr.Stats()[0].Done < b.N {
			time.Sleep(200 * time.Microsecond)
		}
		b.StopTimer()
		cancel()
		<-done
		require.Equal(b, int64(b.N), tr.Stats()[0].Sent)
	})
}
