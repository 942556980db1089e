package webapp

import (
	"context"
	"io"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Store is everything the web app reads of a store: the run index,
// snapshots (time slices, downloads), outputs, trends, alarms and the
// announcements of new snapshots. It has no write method, so "the web app
// only reads" is checked by the compiler; the one write the web app makes,
// acting on alarms, goes through Config.Alarms. Any overwatch.Store is one.
type Store interface {
	overwatch.RunIndex
	OpenSnapshot(ctx context.Context, ref overwatch.SnapshotRef) (io.ReadCloser, error)
	Snapshots(ctx context.Context, run int, subsystem string) ([]overwatch.SnapshotInfo, error)
	Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error)
	OutputTime(ctx context.Context, ref overwatch.OutputRef) (time.Time, error)
	overwatch.OutputRanger // bundle members, read without reading the whole bundle
	TrendPoints(ctx context.Context, q overwatch.TrendQuery) ([]overwatch.TrendPoint, error)
	Trends(ctx context.Context, subsystem string) ([]string, error)
	Alarm(ctx context.Context, id string) (overwatch.AlarmRecord, error)
	Alarms(ctx context.Context, q overwatch.AlarmQuery) ([]overwatch.AlarmRecord, error)
	overwatch.Watcher
}

var _ Store = overwatch.Store(nil)

// outputReader is what the view cache reads.
type outputReader interface {
	Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error)
	OutputTime(ctx context.Context, ref overwatch.OutputRef) (time.Time, error)
}
