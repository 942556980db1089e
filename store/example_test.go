package store_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
)

// A receiver puts snapshots; processing watches and lists them; the run
// shows which subsystems borrow the HLT receiver's files.
func Example() {
	dir, err := os.MkdirTemp("", "overwatch-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := store.Open(dir, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	news := s.Watch(ctx)

	t0 := time.Date(2015, 11, 24, 17, 5, 10, 0, time.UTC)
	for i, sys := range []string{"HLT", "EMC", "HLT"} {
		meta := overwatch.SnapshotMeta{Run: 123, Subsystem: sys, Mode: overwatch.ModeCompress, Time: t0.Add(time.Duration(i) * time.Minute), Origin: "example"}
		if _, err := s.PutSnapshot(ctx, meta, strings.NewReader("ROOT file bytes")); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("announced:", (<-news).Path)

	run, err := s.RunInfo(ctx, 123)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("run", run.Number, "mode", run.Mode)
	for _, sub := range run.Subsystems {
		fmt.Printf("  %s from %s: %d snapshots\n", sub.Name, sub.FilesFrom, sub.Snapshots)
	}

	ref := overwatch.OutputRef{Run: 123, Subsystem: "TPC", Name: "TPCQA/h_tpc_event_recvertex_0", Kind: overwatch.OutputJSON}
	if err := s.PutOutput(ctx, ref, []byte(`{"_typename":"TH1F"}`)); err != nil {
		log.Fatal(err)
	}
	p, _ := store.OutputPath(ref)
	fmt.Println("output:", p)
	// Output:
	// announced: Run123/HLT/HLThists.2015_11_24_18_05_10.root
	// run 123 mode C
	//   EMC from EMC: 1 snapshots
	//   HLT from HLT: 2 snapshots
	//   TPC from HLT: 2 snapshots
	// output: Run123/TPC/json/TPCQA%2Fh_tpc_event_recvertex_0.json
}

// Parsing the names the receivers write into the drop folder.
func ExampleParseReceiverName() {
	n, err := store.ParseReceiverName("EMChistos_300005_B_2015_3_14_2_3_5.root")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n.Subsystem, n.Run, n.Mode, n.Time.UTC().Format(time.RFC3339))
	fmt.Println(store.FormatMovedName(n.Subsystem, n.Time, n.Seq))
	// Output:
	// EMC 300005 B 2015-03-14T01:03:05Z
	// EMChists.2015_03_14_02_03_05.root
}
