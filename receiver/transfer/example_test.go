package transfer_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/overwatch-dqm/overwatch/receiver/transfer"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
)

// Copy every received snapshot of a data directory to an EOS directory.
func Example() {
	data, _ := os.MkdirTemp("", "overwatch-example-")
	defer os.RemoveAll(data)
	st, err := store.Open(data, store.Options{Logger: quiet()})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	eos, err := xrdblob.New(xrdblob.Config{Addr: "eosexperiment.cern.ch", Root: "/eos/experiment/alice/overwatch"})
	if err != nil {
		log.Fatal(err)
	}
	tr, err := transfer.New(transfer.Config{
		Source:       st,
		Destinations: []transfer.Destination{&transfer.Bucket{ID: "EOS", Bucket: eos}},
		StateDir:     data + "/transfer",
		Logger:       quiet(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = tr.Run(ctx) // an empty store: nothing to send
	for _, s := range tr.Stats() {
		fmt.Println(s.Destination, s.Pending, s.Sent)
	}
	// Output: EOS 0 0
}
