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
