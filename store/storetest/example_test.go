package storetest_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/storetest"
)

// Dump describes what a store answers, for comparing two engines or a
// store before and after a rebuild. (In a test, storetest.Run(t, open,
// opts) runs every check: see TestDirStore.)
func ExampleDump() {
	dir, err := os.MkdirTemp("", "storetest-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := store.Open(dir, store.Options{Logger: quiet()})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2015, 11, 24, 17, 5, 10, 0, time.UTC)
	meta := overwatch.SnapshotMeta{Run: 123, Subsystem: "HLT", Mode: overwatch.ModeCompress, Time: t0, Origin: "hlt"}
	if _, err := s.PutSnapshot(ctx, meta, strings.NewReader("ROOT file bytes")); err != nil {
		log.Fatal(err)
	}
	if err := s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "HLT", Trend: "clusters", Run: 123, Time: t0, Value: 42}}); err != nil {
		log.Fatal(err)
	}
	lines, err := storetest.Dump(ctx, s, storetest.DumpOptions{NoOrigin: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// runs 1
	// run 123 mode C from 2015-11-24T17:05:10Z to 2015-11-24T17:05:10Z
	//   subsystem EMC files from HLT: 1 snapshots from 2015-11-24T17:05:10Z to 2015-11-24T17:05:10Z, last Run123/HLT@2015-11-24T17:05:10Z.0
	//   subsystem HLT files from HLT: 1 snapshots from 2015-11-24T17:05:10Z to 2015-11-24T17:05:10Z, last Run123/HLT@2015-11-24T17:05:10Z.0
	//   subsystem TPC files from HLT: 1 snapshots from 2015-11-24T17:05:10Z to 2015-11-24T17:05:10Z, last Run123/HLT@2015-11-24T17:05:10Z.0
	//   snapshot Run123/HLT@2015-11-24T17:05:10Z.0 mode C origin "-" path "Run123/HLT/HLThists.2015_11_24_18_05_10.root" size 15: 15 bytes 9f955e942f80a6df
	// point HLT/clusters run 123 2015-11-24T17:05:10Z seq 0 = 42 ± 0
	// trends HLT ["clusters"]
}
