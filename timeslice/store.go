package timeslice

import (
	"context"
	"io"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
)

// Store is what the time-slice service needs of a store: the run index
// and snapshots it selects from, and the outputs in which it records
// finished slices. Any overwatch.Store is one.
type Store interface {
	RunInfo(ctx context.Context, number int) (ow.RunInfo, error)
	Snapshots(ctx context.Context, run int, subsystem string) ([]ow.SnapshotInfo, error)
	OpenSnapshot(ctx context.Context, ref ow.SnapshotRef) (io.ReadCloser, error)
	Output(ctx context.Context, ref ow.OutputRef) ([]byte, error)
	OutputTime(ctx context.Context, ref ow.OutputRef) (time.Time, error)
	PutOutput(ctx context.Context, ref ow.OutputRef, data []byte) error
}

var _ Store = ow.Store(nil)
