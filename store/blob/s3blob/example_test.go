package s3blob_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"

	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
)

// The keys come from the environment, never from the configuration file.
func Example() {
	b, err := s3blob.New(s3blob.Config{
		Endpoint: "s3.example.org",
		Bucket:   "overwatch",
		Prefix:   "site-a/",
		Access:   os.Getenv("OVERWATCH_S3_ACCESS_KEY"),
		Secret:   os.Getenv("OVERWATCH_S3_SECRET_KEY"),
	})
	if err != nil {
		log.Fatal(err)
	}
	info, err := b.Put(context.Background(), "Run123/EMC/EMChists.2026_12_02_04_32_30.root", bytes.NewReader([]byte("…")))
	if err != nil {
		log.Fatal(err) // wraps blob.ErrExist when the key holds an object
	}
	fmt.Println(info.Size, info.SHA256)
}
