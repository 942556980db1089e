package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Store is what Apply needs of a store: listing runs and snapshots, their
// size on disk, and deletion (store.Store implements it).
type Store interface {
	Runs(ctx context.Context, q overwatch.RunQuery) ([]overwatch.RunInfo, error)
	Snapshots(ctx context.Context, run int, sys string) ([]overwatch.SnapshotInfo, error)
	RunBytes(ctx context.Context, run int) (int64, error)
	DeleteRun(ctx context.Context, run int) error
	DeleteSnapshot(ctx context.Context, ref overwatch.SnapshotRef) error
}

// TrendPruner forgets trend points older than a time and returns how
// many (store.Store implements it). Apply needs it for a policy with
// TrendMaxAge.
type TrendPruner interface {
	PruneTrends(ctx context.Context, before time.Time) (int, error)
}

// Options tune Apply.
type Options struct {
	// Increments declares that snapshots are increments (reset mode): no
	// run is thinned.
	Increments bool
	// DryRun plans without deleting.
	DryRun bool
}

// Apply plans with p over every run of st at now and deletes what the plan
// says (nothing with DryRun). It returns the decision; on error, what was
// deleted before it.
func Apply(ctx context.Context, st Store, p Policy, now time.Time, o Options) (Decision, error) {
	if p.KeepsEverything() {
		return Decision{}, nil
	}
	tp, canTrends := st.(TrendPruner)
	if p.TrendMaxAge > 0 && !canTrends {
		return Decision{}, fmt.Errorf("retention: trendMaxAge is set but %T cannot prune trend points", st)
	}
	var runs []Run
	before := 0
	for {
		page, err := st.Runs(ctx, overwatch.RunQuery{Limit: 500, Before: before})
		if err != nil {
			return Decision{}, fmt.Errorf("retention: listing runs: %w", err)
		}
		for _, ri := range page {
			r := Run{Number: ri.Number, Last: ri.End, Increments: o.Increments}
			if p.MaxBytes > 0 {
				if r.Bytes, err = st.RunBytes(ctx, ri.Number); err != nil {
					return Decision{}, err
				}
			}
			if p.Thin > 0 {
				r.Snapshots = map[string][]overwatch.SnapshotInfo{}
				for _, sub := range ri.Subsystems {
					if sub.Borrows() {
						continue
					}
					snaps, err := st.Snapshots(ctx, ri.Number, sub.Name)
					if err != nil {
						return Decision{}, fmt.Errorf("retention: snapshots of run %d %s: %w", ri.Number, sub.Name, err)
					}
					r.Snapshots[sub.Name] = snaps
				}
			}
			runs = append(runs, r)
		}
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].Number
	}
	d := Plan(p, runs, now)
	if o.DryRun {
		return d, nil
	}
	done := Decision{TrendsBefore: d.TrendsBefore}
	for _, n := range d.Runs {
		if err := st.DeleteRun(ctx, n); err != nil {
			return done, err
		}
		done.Runs = append(done.Runs, n)
	}
	for _, ref := range d.Snapshots {
		if err := st.DeleteSnapshot(ctx, ref); err != nil && !errors.Is(err, overwatch.ErrNotFound) {
			return done, err
		}
		done.Snapshots = append(done.Snapshots, ref)
	}
	if !d.TrendsBefore.IsZero() {
		n, err := tp.PruneTrends(ctx, d.TrendsBefore)
		done.TrendPoints = n
		if err != nil {
			return done, fmt.Errorf("retention: trend points: %w", err)
		}
	}
	return done, nil
}
