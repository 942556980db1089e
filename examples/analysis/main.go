// Command analysis is an example of offline analysis with Overwatch's
// public packages: it opens two cumulative snapshot files of the same run,
// takes their window difference (what was recorded between the two
// snapshots, with reset detection) and prints per-histogram statistics:
// entries, mean and sigma along each axis.
//
// Usage:
//
//	go run ./examples/analysis LATER.root EARLIER.root
//
// Both files are snapshots as the receivers store them (e.g.
// data/Run123/EMC/EMChists.2015_11_24_18_10_10.root and an earlier one of
// the same subsystem). Objects in only one of the files, graphs and
// strings are listed on stderr and left out of the statistics.
package main

import (
	"fmt"
	"os"

	"github.com/overwatch-dqm/overwatch/examples/analysis/analysis"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: analysis LATER.root EARLIER.root")
		os.Exit(2)
	}
	stats, reports, err := analysis.Window(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, r := range reports {
		switch r.Action {
		case timeslice.Subtracted, timeslice.ResetDetected:
		case timeslice.Failed:
			fmt.Fprintf(os.Stderr, "skipped %s (%s): %v\n", r.Path, r.Class, r.Err)
		default:
			fmt.Fprintf(os.Stderr, "skipped %s (%s): %s\n", r.Path, r.Class, r.Action)
		}
	}
	if err := analysis.Print(os.Stdout, stats); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
