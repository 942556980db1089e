package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

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
	var name string
	err := s.db.Update(func(tx *bolt.Tx) error {
		k := snapKey(ref.Run, ref.Subsystem, stamp{T: ref.Time.Unix(), Seq: ref.Seq})
		v := tx.Bucket(bSnaps).Get(k)
		if v == nil {
			return fmt.Errorf("store: delete snapshot %s: %w", ref, overwatch.ErrNotFound)
		}
		var sr snapRecord
		if err := sr.decode(v); err != nil {
			return fmt.Errorf("store: index entry of %s: %w", ref, err)
		}
		name = sr.Name
		if err := tx.Bucket(bSnaps).Delete(k); err != nil {
			return err
		}
		rec, err := getRun(tx, ref.Run)
		if err != nil || rec == nil {
			return err
		}
		sub, err := recomputeSub(tx, ref.Run, ref.Subsystem)
		if err != nil {
			return err
		}
		if sub == nil {
			delete(rec.Subs, ref.Subsystem)
		} else {
			rec.Subs[ref.Subsystem] = sub
		}
		if len(rec.Subs) == 0 {
			return deleteRun(tx, ref.Run)
		}
		return putRun(tx, ref.Run, rec)
	})
	if err != nil {
		return err
	}
	if err := os.Remove(s.abs(rel + "/" + name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: delete snapshot file %s/%s: %w", rel, name, err)
	}
	return nil
}

// DeleteRun deletes a run: its index entries, then its folder (snapshots,
// outputs, bundles, time slices). The folder's subsystems are marked
// first, so that a crash before the folder is gone re-indexes what is left
// (and the next prune deletes it again).
func (s *Store) DeleteRun(ctx context.Context, run int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if run <= 0 {
		return fmt.Errorf("store: delete run %d: not a run number", run)
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
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSnaps)
		p := runKey(run)
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return deleteRun(tx, run)
	})
	if err != nil {
		return fmt.Errorf("store: delete run %d from the index: %w", run, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("store: delete run %d: %w", run, err)
	}
	return nil
}

// RunBytes returns the size on disk of a run's folder (snapshots and
// outputs).
func (s *Store) RunBytes(ctx context.Context, run int) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
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
	return n, nil
}
