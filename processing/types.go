package processing

import (
	"context"

	"github.com/overwatch-dqm/overwatch"
)

// The view and hints documents are defined in the root package, shared
// with their readers; these names keep processing's API.
type (
	// ViewDoc is the subsystem view processing writes (overwatch.ViewDoc).
	ViewDoc = overwatch.ViewDoc
	// SnapshotDoc identifies a snapshot inside a ViewDoc.
	SnapshotDoc = overwatch.SnapshotDoc
	// ViewGroup is one group of a ViewDoc.
	ViewGroup = overwatch.ViewGroup
	// ViewHist is one histogram entry of a ViewGroup.
	ViewHist = overwatch.ViewHist
	// Hints is the display document of one processed histogram.
	Hints = overwatch.Hints
)

// ViewName is the OutputRef.Name of a subsystem's view document
// (overwatch.ViewName).
const ViewName = overwatch.ViewName

// ViewRef returns the reference of the view document of a subsystem in a
// run (overwatch.ViewRef).
func ViewRef(run int, sys, slice string) overwatch.OutputRef {
	return overwatch.ViewRef(run, sys, slice)
}

// Observer is told about every processed snapshot of full-run processing (not time slices).
type Observer interface {
	// Observe gets the processed histograms (after functions) by name and returns information-panel
	// lines per histogram name (alarm texts) to merge into their hints before they are written.
	Observe(ctx context.Context, sys string, snap overwatch.SnapshotInfo, run int, hists map[string]*overwatch.Hist) (map[string][]overwatch.InfoItem, error)
	// EndCycle is called when the processor has no more queued work (batch notifications).
	EndCycle(ctx context.Context)
}
