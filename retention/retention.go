// Package retention decides what a store may forget: whole runs beyond
// the newest N, older than N days or beyond a disk budget, and, in finished
// runs, snapshots thinned to one per K minutes (the first and the last are
// always kept). Plan is a pure function of a Policy, the runs and the time;
// the store deletes what it returns (store.Store.Prune).
//
// The zero Policy keeps everything: the production default.
package retention

import (
	"fmt"
	"sort"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// DefaultFinished is how long after its newest snapshot a run counts as
// finished (and may be thinned) when Policy.Finished is zero.
const DefaultFinished = 30 * time.Minute

// Policy is a retention policy. Zero fields do not restrict.
type Policy struct {
	// Runs keeps the newest Runs runs.
	Runs int `yaml:"runs"`
	// MaxAge keeps the runs whose newest snapshot is younger.
	MaxAge time.Duration `yaml:"maxAge"`
	// MaxBytes keeps the newest runs whose sizes add up to at most
	// MaxBytes (the newest run always).
	MaxBytes int64 `yaml:"maxBytes"`
	// Thin keeps, in finished runs, one snapshot per Thin of each receiver
	// subsystem, the first and the last always. Runs whose snapshots are
	// increments (reset mode) are never thinned: every snapshot is data.
	Thin time.Duration `yaml:"thin"`
	// Finished is how long after its newest snapshot a run is finished
	// (DefaultFinished when zero).
	Finished time.Duration `yaml:"finished"`
	// TrendMaxAge forgets trend points older than this (of any run, kept
	// or not): trends are written with every processed snapshot and would
	// otherwise grow without bound.
	TrendMaxAge time.Duration `yaml:"trendMaxAge"`
}

// KeepsEverything reports whether the policy never deletes anything.
func (p Policy) KeepsEverything() bool {
	return p.Runs <= 0 && p.MaxAge <= 0 && p.MaxBytes <= 0 && p.Thin <= 0 && p.TrendMaxAge <= 0
}

// Validate checks the policy's fields.
func (p Policy) Validate() error {
	switch {
	case p.Runs < 0:
		return fmt.Errorf("retention: runs %d is negative", p.Runs)
	case p.MaxAge < 0:
		return fmt.Errorf("retention: maxAge %v is negative", p.MaxAge)
	case p.MaxBytes < 0:
		return fmt.Errorf("retention: maxBytes %d is negative", p.MaxBytes)
	case p.Thin < 0:
		return fmt.Errorf("retention: thin %v is negative", p.Thin)
	case p.Finished < 0:
		return fmt.Errorf("retention: finished %v is negative", p.Finished)
	case p.TrendMaxAge < 0:
		return fmt.Errorf("retention: trendMaxAge %v is negative", p.TrendMaxAge)
	}
	return nil
}

// String describes the policy for logs.
func (p Policy) String() string {
	if p.KeepsEverything() {
		return "keep everything"
	}
	s := "keep"
	if p.Runs > 0 {
		s += fmt.Sprintf(" the newest %d runs", p.Runs)
	}
	if p.MaxAge > 0 {
		s += fmt.Sprintf(" runs younger than %v", p.MaxAge)
	}
	if p.MaxBytes > 0 {
		s += fmt.Sprintf(" at most %d MB of runs", p.MaxBytes>>20)
	}
	if p.Thin > 0 {
		s += fmt.Sprintf(", finished runs thinned to one snapshot per %v", p.Thin)
	}
	if p.TrendMaxAge > 0 {
		s += fmt.Sprintf(", trend points younger than %v", p.TrendMaxAge)
	}
	return s
}

// Run is what Plan knows about one stored run.
type Run struct {
	Number int
	// Last is the time of its newest snapshot.
	Last time.Time
	// Bytes is its size on disk (snapshots and outputs).
	Bytes int64
	// Snapshots are its snapshots per receiver subsystem, in any order.
	Snapshots map[string][]overwatch.SnapshotInfo
	// Increments is set when its snapshots hold only the data since the
	// previous one (reset mode): they are never thinned.
	Increments bool
}

// Decision is what Plan returns: runs to delete whole and snapshots of
// kept runs to delete.
type Decision struct {
	Runs      []int
	Snapshots []overwatch.SnapshotRef
	// TrendsBefore is the cut of Policy.TrendMaxAge: trend points older
	// are forgotten (zero: none).
	TrendsBefore time.Time
	// TrendPoints is how many trend points Apply deleted.
	TrendPoints int
}

// Empty reports whether nothing is to be deleted.
func (d Decision) Empty() bool {
	return len(d.Runs) == 0 && len(d.Snapshots) == 0 && d.TrendPoints == 0
}

// Plan returns what the policy deletes from runs at time now. The newest
// run (highest number) is always kept whole, however old or large.
func Plan(p Policy, runs []Run, now time.Time) Decision {
	var d Decision
	if p.TrendMaxAge > 0 {
		d.TrendsBefore = now.Add(-p.TrendMaxAge)
	}
	if p.KeepsEverything() || len(runs) == 0 {
		return d
	}
	rs := append([]Run(nil), runs...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Number > rs[j].Number })
	finished := p.Finished
	if finished <= 0 {
		finished = DefaultFinished
	}
	var total int64
	for i, r := range rs {
		total += r.Bytes
		drop := i > 0 && (p.Runs > 0 && i >= p.Runs ||
			p.MaxAge > 0 && now.Sub(r.Last) > p.MaxAge ||
			p.MaxBytes > 0 && total > p.MaxBytes)
		if drop {
			d.Runs = append(d.Runs, r.Number)
			continue
		}
		if p.Thin > 0 && !r.Increments && now.Sub(r.Last) > finished {
			d.Snapshots = append(d.Snapshots, thin(r, p.Thin)...)
		}
	}
	sort.Ints(d.Runs)
	return d
}

// thin returns the snapshots of r beyond one per every (per receiver
// subsystem; first and last kept).
func thin(r Run, every time.Duration) []overwatch.SnapshotRef {
	var out []overwatch.SnapshotRef
	subs := make([]string, 0, len(r.Snapshots))
	for s := range r.Snapshots {
		subs = append(subs, s)
	}
	sort.Strings(subs)
	for _, s := range subs {
		snaps := append([]overwatch.SnapshotInfo(nil), r.Snapshots[s]...)
		sort.Slice(snaps, func(i, j int) bool { return snaps[i].SnapshotRef.Before(snaps[j].SnapshotRef) })
		if len(snaps) <= 2 {
			continue
		}
		kept := snaps[0].Time
		for _, sn := range snaps[1 : len(snaps)-1] {
			if sn.Time.Sub(kept) >= every {
				kept = sn.Time
				continue
			}
			out = append(out, sn.SnapshotRef)
		}
	}
	return out
}
