package blob_test

import (
	"testing"

	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/blobtest"
)

// TestDirConformance holds the local directory backend to the same
// contract as the S3 and XRootD backends.
func TestDirConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Bucket { return blob.Dir(t.TempDir()) })
}
