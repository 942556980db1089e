package blob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/overwatch-dqm/overwatch/store/blob"
)

// A directory bucket keeps keys as paths; an object is never replaced.
func Example() {
	root, _ := os.MkdirTemp("", "blob-example-")
	defer os.RemoveAll(root)
	b := blob.Dir(root)
	ctx := context.Background()
	info, _ := b.Put(ctx, "Run1/EMC/EMChists.2015_11_24_18_05_10.root", strings.NewReader("root…"))
	fmt.Println(info.Key, info.Size)
	_, err := b.Put(ctx, info.Key, strings.NewReader("again"))
	fmt.Println(errors.Is(err, blob.ErrExist))
	rc, _ := b.Open(ctx, info.Key, 0, 4)
	head, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println(string(head))
	// Output:
	// Run1/EMC/EMChists.2015_11_24_18_05_10.root 7
	// true
	// root
}
