package s3test

import (
	"testing"

	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
)

// NewBlobBucket creates a new empty bucket (NewBucket) and returns it as
// a blob.Bucket of package s3blob.
func (s *Server) NewBlobBucket(t testing.TB) *s3blob.Bucket {
	t.Helper()
	b, err := s3blob.New(s3blob.Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(t), Access: s.Access, Secret: s.Secret, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
