package store

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/stretchr/testify/require"
)

// bundleSize is the size of the bundle of a 500-histogram EMC-like
// snapshot (processing's TestBundleOnS3 logs it: 4.3 MB).
const bundleSize = 4_300_000

// openBench opens a store closed when b ends.
func openBench(b *testing.B, opts Options) *Store {
	s, err := Open(b.TempDir(), opts)
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// benchOutputBackends runs fn on a SQLite store keeping outputs in its
// data directory (without fsync, as processing opens it) and on one
// keeping them on S3, side by side in one run.
func benchOutputBackends(b *testing.B, fn func(b *testing.B, s *Store)) {
	b.Run("dir", func(b *testing.B) {
		s := openBench(b, Options{Logger: quietLogger(), NoSyncOutputs: true})
		fn(b, s)
	})
	b.Run("s3", func(b *testing.B) {
		srv := s3test.Start(b)
		s := openBench(b, Options{Logger: quietLogger(), Bucket: srv.NewBlobBucket(b)})
		fn(b, s)
	})
}

// BenchmarkOutputBundle replaces a bundle-sized output and reads it back
// whole: PutOutput + Output.
func BenchmarkOutputBundle(b *testing.B) {
	benchOutputBackends(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		ref := overwatch.OutputRef{Run: 1, Subsystem: "EMC", Kind: overwatch.OutputBundle}
		data := [2][]byte{bytes.Repeat([]byte("a"), bundleSize), bytes.Repeat([]byte("b"), bundleSize)}
		b.SetBytes(2 * bundleSize)
		i := 0
		for b.Loop() {
			require.NoError(b, s.PutOutput(ctx, ref, data[i%2]))
			got, err := s.Output(ctx, ref)
			require.NoError(b, err)
			if len(got) != bundleSize || got[0] != data[i%2][0] {
				b.Fatal("read back another version")
			}
			i++
		}
	})
}

// BenchmarkOutputMember reads a 4 KiB member of a bundle-sized output
// the way the web app does: OutputInfo, then a ranged read.
func BenchmarkOutputMember(b *testing.B) {
	benchOutputBackends(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		ref := overwatch.OutputRef{Run: 1, Subsystem: "EMC", Kind: overwatch.OutputBundle}
		require.NoError(b, s.PutOutput(ctx, ref, bytes.Repeat([]byte("m"), bundleSize)))
		buf := make([]byte, 4<<10)
		i := int64(0)
		for b.Loop() {
			info, err := s.OutputInfo(ctx, ref)
			require.NoError(b, err)
			rc, err := s.OpenOutput(ctx, ref, (i*7919*4096)%(info.Size-4096), 4096)
			require.NoError(b, err)
			_, err = io.ReadFull(rc, buf)
			rc.Close()
			require.NoError(b, err)
			i++
		}
	})
}
