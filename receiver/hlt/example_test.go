package hlt_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch/receiver/hlt"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim"
)

// A receiver asks a (simulated) HLT merger for its histograms and writes
// one receiver-named ROOT file per useful reply into a drop folder.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	sim, err := hltsim.New(hltsim.Config{Subsystems: []string{"HLT"}, Listen: []string{"tcp://127.0.0.1:0"},
		FirstRun: 290222, Mode: "C", Logger: quiet})
	if err != nil {
		panic(err)
	}
	if err := sim.Listen(ctx); err != nil {
		panic(err)
	}
	go sim.Serve(ctx)
	sim.Advance(time.Minute) // let the run take some events

	dir, err := os.MkdirTemp("", "drop")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	r := hlt.New(hlt.Config{
		Endpoint:  "REQ>" + sim.Endpoints()["HLT"],
		Subsystem: "HLT",
		DataDir:   dir,
		Select:    "TPCdEdx",
		Sleep:     time.Hour,
		Logger:    quiet,
	}, hlt.DropSink{Dir: dir})
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	for r.Stats().Written == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	st := r.Stats()
	fmt.Println("snapshots written:", st.Written)
	fmt.Println("streamer infos applied:", st.Streamers > 0)
	fmt.Println(strings.HasPrefix(st.LastWritten, "HLThistos_290222_C_"))
	// Output:
	// snapshots written: 1
	// streamer infos applied: true
	// true
}
