package processing_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBundleOnS3: processing a 500-histogram snapshot into a store whose
// bucket is S3 writes its bundle as an object of the bucket (nothing in
// the data directory), identical member by member to the bundle of the
// same snapshot processed into a data directory; reprocessing replaces
// it with a new version that readers see at once.
func TestBundleOnS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	bk := s3test.Start(t).NewBlobBucket(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	open := func(opts store.Options) (*store.Store, string) {
		dir := t.TempDir()
		opts.Logger = quiet
		st, err := store.Open(dir, opts)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st, dir
	}
	onDir, _ := open(store.Options{NoSyncOutputs: true})
	onS3, s3Dir := open(store.Options{Bucket: bk})
	process := func(st *store.Store, k int) {
		t.Helper()
		data, err := overwatch.EncodeFile(emcLike(500, k, 42))
		if err != nil {
			t.Skipf("ROOT encoder not available: %v", err)
		}
		snap, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 9000, Subsystem: "EMC", Mode: overwatch.ModeCompress,
			Time: time.Date(2026, 11, 23, 9, k, 0, 0, time.UTC), Origin: "test"}, bytes.NewReader(data))
		require.NoError(t, err)
		require.NoError(t, processing.New(st, processing.Options{Logger: quiet}).Process(ctx, snap))
	}
	process(onDir, 3)
	process(onS3, 3)

	want, err := bundle.NewOutputs(onDir).Open(ctx, 9000, "EMC", "")
	require.NoError(t, err)
	outs := bundle.NewOutputs(onS3)
	got, err := outs.Open(ctx, 9000, "EMC", "")
	require.NoError(t, err)
	require.Greater(t, len(want.Index.Entries()), 500, "a member per histogram and more")
	assert.Equal(t, want.ID(), got.ID(), "the same bundle on S3 as in a data directory")
	for _, e := range got.Index.Entries() {
		data, entry, err := got.Read(ctx, e.Name)
		require.NoError(t, err, e.Name)
		sum := sha256.Sum256(data)
		require.Equal(t, `"`+hex.EncodeToString(sum[:])+`"`, entry.ETag(), e.Name)
	}
	ref := bundle.Ref(9000, "EMC", "")
	info, err := onS3.OutputInfo(ctx, ref)
	require.NoError(t, err)
	whole, err := onS3.Output(ctx, ref)
	require.NoError(t, err)
	sum := sha256.Sum256(whole)
	assert.Equal(t, hex.EncodeToString(sum[:]), info.SHA256, "OutputInfo carries the bundle's SHA-256")
	assert.Equal(t, int64(len(whole)), info.Size)
	t.Logf("bundle of %d members, %d bytes", len(got.Index.Entries()), len(whole))

	// The outputs are objects of the bucket, not files of the data directory.
	versions := func() []string {
		var keys []string
		require.NoError(t, bk.List(ctx, "outputs/Run9000/EMC/bundle.owb/", func(i blob.Info) error {
			keys = append(keys, i.Key)
			return nil
		}))
		return keys
	}
	assert.Len(t, versions(), 1)
	_, err = os.Stat(filepath.Join(s3Dir, "Run9000", "EMC", "bundle.owb"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no bundle file in the data directory")

	// Reprocessing writes a new version, seen at once; the superseded one
	// stays for readers that resolved it, until the sweep's grace period
	// has passed.
	process(onS3, 4)
	next, err := outs.Open(ctx, 9000, "EMC", "")
	require.NoError(t, err)
	assert.NotEqual(t, got.ID(), next.ID(), "the new snapshot's bundle")
	keys := versions()
	require.Len(t, keys, 2)
	info2, err := onS3.OutputInfo(ctx, ref)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(keys[1], info2.SHA256), "the newest version is current")
	assert.False(t, info2.Time.Before(info.Time))
}
