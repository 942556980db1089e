package xrdblob_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/blobtest"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
)

func TestMain(m *testing.M) { os.Exit(xrdtest.Main(m)) }

func newBucket(t *testing.T) (*xrdblob.Bucket, *xrdtest.Server, string) {
	srv := xrdtest.Shared(t)
	root := srv.NewDir(t)
	b, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: root + "/overwatch"})
	require.NoError(t, err)
	return b, srv, root + "/overwatch"
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Bucket { b, _, _ := newBucket(t); return b })
}
