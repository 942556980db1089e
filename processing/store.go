package processing

import (
	"context"
	"io"

	"github.com/overwatch-dqm/overwatch"
)

// Store is what processing needs of a store: it reads snapshots, the run
// index and its previous views, is told about new snapshots, and writes
// outputs. Any overwatch.Store is one.
type Store interface {
	OpenSnapshot(ctx context.Context, ref overwatch.SnapshotRef) (io.ReadCloser, error)
	Snapshots(ctx context.Context, run int, subsystem string) ([]overwatch.SnapshotInfo, error)
	Runs(ctx context.Context, q overwatch.RunQuery) ([]overwatch.RunInfo, error)
	RunInfo(ctx context.Context, number int) (overwatch.RunInfo, error)
	overwatch.OutputStore  // the bundles (and per-file outputs of older stores)
	overwatch.OutputRanger // bundle members read without reading the whole bundle
	overwatch.Watcher
}

var _ Store = overwatch.Store(nil)
