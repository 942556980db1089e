package storetest_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
	"github.com/overwatch-dqm/overwatch/store/storetest"
	"github.com/stretchr/testify/require"
)

// The conformance suite on every engine of package store:
// SQLite + directory and PostgreSQL + directory, with a second Store on
// the same data standing for another process.

// conformanceOptions opens stores on the index engine of index, with a
// fresh bucket per store from newBucket (nil: the default, the data
// directory); Files lists the data directory's files and the bucket's
// objects (as "bucket:<key>").
func conformanceOptions(index func(t *testing.T, dir string) string, newBucket func(t *testing.T) blob.Bucket) (func(t *testing.T) overwatch.Store, storetest.Options) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	indexOf := map[string]string{}
	bucketOf := map[string]blob.Bucket{}
	optsAt := func(dir string) store.Options {
		return store.Options{Logger: quiet, Index: indexOf[dir], Bucket: bucketOf[dir]}
	}
	openAt := func(t *testing.T, dir string) *store.Store {
		s, err := store.Open(dir, optsAt(dir))
		require.NoError(t, err)
		return s
	}
	open := func(t *testing.T) overwatch.Store {
		dir := t.TempDir()
		indexOf[dir] = index(t, dir)
		if newBucket != nil {
			bucketOf[dir] = newBucket(t)
		}
		return openAt(t, dir)
	}
	dirOf := func(s overwatch.Store) string { return s.(*store.Store).Dir() }
	opts := storetest.Options{
		Files: func(t *testing.T, s overwatch.Store) []string {
			dir := dirOf(s)
			var out []string
			require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				rel = filepath.ToSlash(rel)
				if d.Type().IsRegular() && !store.IsBookkeeping(rel) {
					out = append(out, rel)
				}
				return nil
			}))
			if b := bucketOf[dir]; b != nil {
				require.NoError(t, b.List(context.Background(), "", func(info blob.Info) error {
					out = append(out, "bucket:"+info.Key)
					return nil
				}))
			}
			return out
		},
		Reopen: func(t *testing.T, s overwatch.Store) overwatch.Store {
			require.NoError(t, s.Close())
			return openAt(t, dirOf(s))
		},
		Rebuild: func(t *testing.T, s overwatch.Store) overwatch.Store {
			require.NoError(t, s.Close())
			dir := dirOf(s)
			_, err := store.Rebuild(context.Background(), dir, optsAt(dir))
			require.NoError(t, err)
			return openAt(t, dir)
		},
		// The second store shares the data directory too: outputs are
		// still files of the data directory, whatever the bucket (the
		// store package's TestBucketJournals* open stores on PostgreSQL
		// with a data directory each, sharing only the index and the
		// bucket).
		Second:             func(t *testing.T, s overwatch.Store) overwatch.Store { return openAt(t, dirOf(s)) },
		RebuildLosesOrigin: true,
		AlarmHistory:       true,
		Documents:          true,
		Leases:             true,
	}
	return open, opts
}

func TestConformanceSQLite(t *testing.T) {
	open, opts := conformanceOptions(func(*testing.T, string) string { return "" }, nil)
	storetest.Run(t, open, opts)
}

func TestConformancePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	open, opts := conformanceOptions(func(t *testing.T, _ string) string { return pgtest.Start(t) }, nil)
	storetest.Run(t, open, opts)
}

// s3Buckets starts an S3 server for the test and returns a maker of new
// empty buckets on it.
func s3Buckets(t *testing.T) func(t *testing.T) blob.Bucket {
	srv := s3test.Start(t)
	return func(t *testing.T) blob.Bucket {
		b, err := s3blob.New(s3blob.Config{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(t), Access: srv.Access, Secret: srv.Secret, Insecure: true})
		require.NoError(t, err)
		return b
	}
}

// xrdBuckets starts an XRootD server for the test and returns a maker of
// new empty buckets (directories) on it.
func xrdBuckets(t *testing.T) func(t *testing.T) blob.Bucket {
	srv := xrdtest.Start(t)
	return func(t *testing.T) blob.Bucket {
		b, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: srv.NewDir(t) + "/overwatch"})
		require.NoError(t, err)
		return b
	}
}

func TestConformanceSQLiteS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	open, opts := conformanceOptions(func(*testing.T, string) string { return "" }, s3Buckets(t))
	storetest.Run(t, open, opts)
}

func TestConformancePostgresS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and an S3 server")
	}
	open, opts := conformanceOptions(func(t *testing.T, _ string) string { return pgtest.Start(t) }, s3Buckets(t))
	storetest.Run(t, open, opts)
}

func TestConformanceSQLiteXRootD(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an XRootD server")
	}
	open, opts := conformanceOptions(func(*testing.T, string) string { return "" }, xrdBuckets(t))
	storetest.Run(t, open, opts)
}

func TestConformancePostgresXRootD(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and an XRootD server")
	}
	open, opts := conformanceOptions(func(t *testing.T, _ string) string { return pgtest.Start(t) }, xrdBuckets(t))
	storetest.Run(t, open, opts)
}
