package xrdblob_test

import (
	"bytes"
	"context"
	"fmt"
	"log"

	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
)

// An EOS directory, reached with a kerberos ticket.
func Example() {
	b, err := xrdblob.New(xrdblob.Config{Addr: "eosexperiment.cern.ch", Root: "/eos/experiment/alice/overwatch"})
	if err != nil {
		log.Fatal(err)
	}
	info, err := b.Put(context.Background(), "Run123/EMC/EMChists.2026_12_02_04_32_30.root", bytes.NewReader([]byte("…")))
	if err != nil {
		log.Fatal(err) // wraps blob.ErrExist when the key holds an object
	}
	fmt.Println(b, info.Size, info.SHA256)
}
