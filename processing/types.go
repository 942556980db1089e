package processing

import (
	"context"

	"github.com/overwatch-dqm/overwatch"
)

// Observer is told about every processed snapshot of full-run processing (not time slices).
type Observer interface {
	// Observe gets the processed histograms (after functions) by name and returns information-panel
	// lines per histogram name (alarm texts) to merge into their hints before they are written.
	Observe(ctx context.Context, sys string, snap overwatch.SnapshotInfo, run int, hists map[string]*overwatch.Hist) (map[string][]overwatch.InfoItem, error)
	// EndCycle is called when the processor has no more queued work (batch notifications).
	EndCycle(ctx context.Context)
}

// SliceChecker runs a subsystem's data-quality checks on a time slice's
// processed histograms, with check thresholds overridden (processing
// options named by quality.OptionName; nil: none), without recording
// anything of the run (flags, alarms, bad channels): it returns the
// information-panel lines per histogram name and the subsystem's quality
// over the slice. quality/observe's Observer implements it.
type SliceChecker interface {
	CheckSlice(ctx context.Context, sys string, run int, hists map[string]*overwatch.Hist, thresholds overwatch.Values) (info map[string][]overwatch.InfoItem, q overwatch.Quality, reason string, err error)
}
