package blobtest_test

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/blobtest"
)

// A backend's test runs the suite on fresh buckets:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Bucket { return s3blob.New(…, t.Name()) })
//	}
//
// Among what it checks: every backend refuses the keys of InvalidKeys.
func Example() {
	refused := 0
	for _, k := range blobtest.InvalidKeys {
		if !blob.ValidKey(k) {
			refused++
		}
	}
	fmt.Println(refused == len(blobtest.InvalidKeys))
	// Output: true
}
