package storetest_test

import (
	"testing"

	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
	"github.com/overwatch-dqm/overwatch/store/storetest"
	"github.com/stretchr/testify/require"
)

// The output checks of the conformance suite on the engines × blob
// backends where outputs are objects of a bucket (S3, XRootD) rather
// than files of the data directory: SQLite + S3, PostgreSQL + S3,
// SQLite + XRootD. (SQLite + directory and PostgreSQL + directory run
// the whole suite, output checks included, in engines_test.go.)

func s3Buckets(t *testing.T) func(t *testing.T) blob.Bucket {
	srv := s3test.Start(t)
	return func(t *testing.T) blob.Bucket { return srv.NewBlobBucket(t) }
}

func xrdBuckets(t *testing.T) func(t *testing.T) blob.Bucket {
	srv := xrdtest.Start(t)
	return func(t *testing.T) blob.Bucket {
		b, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: srv.NewDir(t) + "/overwatch"})
		require.NoError(t, err)
		return b
	}
}

func TestConformanceOutputsSQLiteS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	open, opts := conformanceOptions(func(*testing.T, string) string { return "" }, s3Buckets(t))
	storetest.RunOutputs(t, open, opts)
}

func TestConformanceOutputsPostgresS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and an S3 server")
	}
	open, opts := conformanceOptions(func(t *testing.T, _ string) string { return pgtest.Start(t) }, s3Buckets(t))
	storetest.RunOutputs(t, open, opts)
}

func TestConformanceOutputsSQLiteXRootD(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an XRootD server")
	}
	open, opts := conformanceOptions(func(*testing.T, string) string { return "" }, xrdBuckets(t))
	storetest.RunOutputs(t, open, opts)
}
