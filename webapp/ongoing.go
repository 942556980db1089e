package webapp

import (
	"context"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// ongoingWindow: the newest run is shown as ongoing while its newest
// snapshot is younger than this.
const ongoingWindow = 5 * time.Minute

// isOngoing is the "ongoing" rule: a run is ongoing when it is the newest
// run the index knows (newest is its number) and its newest snapshot is
// younger than ongoingWindow at now. The store records no end of run, so
// recency is the only sign of data taking; only one run takes data at a
// time, so of several runs with recent snapshots (the demo's short runs,
// a receiver catching up on a backlog) only the newest is ongoing.
func isOngoing(ri overwatch.RunInfo, newest int, now time.Time) bool {
	return ri.Number > 0 && ri.Number == newest && !ri.End.IsZero() && now.Sub(ri.End) < ongoingWindow
}

// newestRun returns the number of the newest run (0 when none), from the
// cached first page of the run list.
func (a *App) newestRun(ctx context.Context) int {
	runs, _, err := a.cachedRuns(ctx, 0)
	if err != nil || len(runs) == 0 {
		return 0
	}
	return runs[0].Number
}

// ongoing applies isOngoing to a run with the app's clock.
func (a *App) ongoing(ctx context.Context, ri overwatch.RunInfo) bool {
	return isOngoing(ri, a.newestRun(ctx), a.cfg.Now())
}
