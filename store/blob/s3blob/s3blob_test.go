package s3blob_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/blobtest"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
)

func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }

func newBucket(t *testing.T, mod func(*s3blob.Config)) *s3blob.Bucket {
	srv := s3test.Shared(t)
	cfg := s3blob.Config{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(t), Access: srv.Access, Secret: srv.Secret, Insecure: true}
	if mod != nil {
		mod(&cfg)
	}
	b, err := s3blob.New(cfg)
	require.NoError(t, err)
	return b
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Bucket { return newBucket(t, nil) })
}

// TestConformancePrefixSmallPages runs the suite on a prefix of a bucket
// with listing pages of two keys, so that pagination is exercised.
func TestConformancePrefixSmallPages(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Bucket {
		return newBucket(t, func(c *s3blob.Config) { c.Prefix = "site/overwatch/"; c.ListPage = 2 })
	})
}

// TestConformanceStatBeforePut runs the suite in the mode for servers
// without conditional writes (the condition is still sent, so the race
// stays closed on this server).
func TestConformanceStatBeforePut(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Bucket {
		return newBucket(t, func(c *s3blob.Config) { c.StatBeforePut = true })
	})
}
