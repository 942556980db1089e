package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/overwatch-dqm/overwatch"
)

// DeleteSnapshot deletes a stored snapshot: its index entry first, then
// its file (a crash in between leaves an unindexed file that the next
// reconciliation or rebuild indexes again, never an entry without a
// file). The error wraps overwatch.ErrNotFound when it is not indexed.
// Retention (package retention) deletes through it.
func (s *Store) DeleteSnapshot(ctx context.Context, ref overwatch.SnapshotRef) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rel := snapshotDir(ref.Run, ref.Subsystem)
	if err := s.markDirty(rel); err != nil {
		return err
	}
	name, err := s.unindexSnapshot(ctx, ref)
	if err != nil {
		return fmt.Errorf("store: delete snapshot: %w", err)
	}
	if err := s.bucket.Delete(ctx, rel+"/"+name); err != nil {
		return fmt.Errorf("store: delete snapshot file %s/%s: %w", rel, name, err)
	}
	return nil
}

// DeleteRun deletes a run: its index entries, then its objects in the
// bucket (when the bucket is not the data directory) and its folder
// (snapshots, outputs, bundles, time slices). The folder's subsystems are marked
// first, so that a crash before the folder is gone re-indexes what is left
// (and the next prune deletes it again). Outputs on a bucket other than
// the data directory go first: their index rows, then every object of
// the run under outputs/ (see outputs_bucket.go).
func (s *Store) DeleteRun(ctx context.Context, run int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if run <= 0 {
		return fmt.Errorf("store: delete run %d: not a run number", run)
	}
	if s.outBucket {
		if err := s.deleteRunOutputs(ctx, run); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := s.abs(RunDir(run))
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: delete run %d: %w", run, err)
	}
	for _, e := range ents {
		if e.IsDir() && overwatch.ValidSubsystem(e.Name()) {
			if err := s.markDirty(snapshotDir(run, e.Name())); err != nil {
				return err
			}
		}
	}
	onBucket := !s.bucketIsDataDir()
	if onBucket {
		// The snapshot folders on the bucket: those of the index.
		rec, err := s.x.getRun(ctx, s.x.r, run)
		if err != nil {
			return err
		}
		if rec != nil {
			for sys := range rec.Subs {
				if err := s.markDirty(snapshotDir(run, sys)); err != nil {
					return err
				}
			}
		}
	}
	if err := s.x.deleteRun(ctx, run); err != nil {
		return err
	}
	if onBucket {
		if _, err := deletePrefix(ctx, s.bucket, RunDir(run)+"/"); err != nil {
			return fmt.Errorf("store: delete run %d: %w", run, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("store: delete run %d: %w", run, err)
	}
	return nil
}

// RunBytes returns the size of a run: its folder in the data directory
// (snapshots and outputs) and, when the bucket is another one, its
// objects there.
func (s *Store) RunBytes(ctx context.Context, run int) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	if s.outBucket {
		var err error
		if n, err = s.x.outputBytes(ctx, RunDir(run)+"/"); err != nil {
			return 0, err
		}
	}
	err := filepath.WalkDir(s.abs(RunDir(run)), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: size of run %d: %w", run, err)
	}
	if !s.bucketIsDataDir() {
		b, err := prefixBytes(ctx, s.bucket, RunDir(run)+"/")
		if err != nil {
			return 0, fmt.Errorf("store: size of run %d: %w", run, err)
		}
		n += b
	}
	return n, nil
}
