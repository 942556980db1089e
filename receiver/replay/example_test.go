package replay_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/receiver/replay"
	"github.com/overwatch-dqm/overwatch/store"
)

// Replay two receiver files of run 123 into a new data directory, as fast
// as possible: each snapshot keeps its original time and mode.
func Example() {
	src, _ := os.MkdirTemp("", "replay-src")
	dst, _ := os.MkdirTemp("", "replay-dst")
	defer os.RemoveAll(src)
	defer os.RemoveAll(dst)

	g := generator.New(generator.Config{Seed: 1, Subsystems: []string{"EMC"}})
	g.StartRun(123)
	for _, name := range []string{"EMChistos_123_C_2015_11_24_18_5_10.root", "EMChistos_123_C_2015_11_24_18_6_10.root"} {
		g.Advance(time.Minute)
		data, _ := overwatch.EncodeFile(g.Snapshot("EMC"))
		_ = os.WriteFile(filepath.Join(src, name), data, 0o644)
	}

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(dst, store.Options{Logger: quiet})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	r, err := replay.New(replay.Config{From: src, Store: st, Speed: 0, Logger: quiet})
	if err != nil {
		panic(err)
	}
	if err := r.Run(context.Background()); err != nil {
		panic(err)
	}
	snaps, _ := st.Snapshots(context.Background(), 123, "EMC")
	for _, s := range snaps {
		fmt.Println(s.Path, s.Mode)
	}
	fmt.Println("delivered:", r.Stats().Delivered)
	// Output:
	// Run123/EMC/EMChists.2015_11_24_18_05_10.root C
	// Run123/EMC/EMChists.2015_11_24_18_06_10.root C
	// delivered: 2
}
