// Package analysis is the library behind the examples/analysis program: it
// takes the window difference of two cumulative snapshot files (what was
// recorded between them) and computes per-histogram statistics, using only
// Overwatch's public packages.
package analysis

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// Stat holds the statistics of one histogram over the window.
type Stat struct {
	Path  string
	Class string
	// Entries is the number of entries recorded within the window.
	Entries float64
	// Mean and StdDev are along each binned axis (one value per dimension).
	Mean, StdDev []float64
	// Reset is true when the source was reset within the window: the
	// statistics are then those of the later snapshot alone.
	Reset bool
}

// Window reads two cumulative snapshot files and returns the statistics of
// every histogram present in both, over the window between them, in the
// later file's order, with the report of what happened to every object.
func Window(laterPath, earlierPath string) ([]Stat, []timeslice.ObjectReport, error) {
	later, err := overwatch.ReadFile(laterPath)
	if err != nil {
		return nil, nil, fmt.Errorf("analysis: later snapshot: %w", err)
	}
	earlier, err := overwatch.ReadFile(earlierPath)
	if err != nil {
		return nil, nil, fmt.Errorf("analysis: earlier snapshot: %w", err)
	}
	return WindowFiles(later, earlier)
}

// WindowFiles is Window for files already read.
func WindowFiles(later, earlier *overwatch.File) ([]Stat, []timeslice.ObjectReport, error) {
	diff, reports, err := timeslice.DiffFiles(later, earlier)
	if err != nil {
		return nil, nil, fmt.Errorf("analysis: %w", err)
	}
	action := make(map[string]timeslice.Action, len(reports))
	for _, r := range reports {
		action[r.Path] = r.Action
	}
	var stats []Stat
	for _, e := range diff.Entries {
		h, ok := e.Object.(*overwatch.Hist)
		a := action[e.Path()]
		if !ok || (a != timeslice.Subtracted && a != timeslice.ResetDetected) {
			continue
		}
		s := Stat{Path: e.Path(), Class: h.Class, Entries: h.Entries, Reset: a == timeslice.ResetDetected}
		for axis := 0; axis < h.Dim(); axis++ {
			s.Mean = append(s.Mean, h.Mean(axis))
			s.StdDev = append(s.StdDev, h.StdDev(axis))
		}
		stats = append(stats, s)
	}
	return stats, reports, nil
}

// Print writes one aligned line per histogram: path, class, entries and
// mean ± sigma per axis, marking reset histograms.
func Print(w io.Writer, stats []Stat) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "histogram\tclass\tentries\tmean ± sigma")
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%s\t%g\t", s.Path, s.Class, s.Entries)
		for i := range s.Mean {
			if i > 0 {
				fmt.Fprint(tw, ", ")
			}
			fmt.Fprintf(tw, "%s: %.4g ± %.4g", "xyz"[i:i+1], s.Mean[i], s.StdDev[i])
		}
		if s.Reset {
			fmt.Fprint(tw, "  (reset within the window: later snapshot only)")
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
