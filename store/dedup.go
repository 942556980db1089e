package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/overwatch-dqm/overwatch"
)

// sameAsNewest reports whether a snapshot file about to be stored for
// (run, sys) holds the same objects (overwatch.ContentHash) as the newest
// snapshot stored for them: the mergers repeat their last state after the
// end of a run, and the copies are not stored again. Files that do not
// decode are never duplicates (processing quarantines them). Replay-mode
// files are left to alreadyStored.
func (s *Store) sameAsNewest(ctx context.Context, n Name, data []byte) (bool, error) {
	if n.Mode == overwatch.ModeReplay {
		return false, nil
	}
	snaps, err := s.Snapshots(ctx, n.Run, n.Subsystem)
	if errors.Is(err, overwatch.ErrNotFound) || err == nil && len(snaps) == 0 {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	last := snaps[len(snaps)-1]
	rc, err := s.OpenSnapshot(ctx, last.SnapshotRef)
	if err != nil {
		return false, err
	}
	old, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return false, fmt.Errorf("store: reading %s: %w", last.Path, err)
	}
	nf, err := overwatch.DecodeFile(data)
	if err != nil || len(nf.Entries) == 0 {
		return false, nil
	}
	of, err := overwatch.DecodeFile(old)
	if err != nil {
		return false, nil
	}
	return overwatch.ContentHash(nf.Entries) == overwatch.ContentHash(of.Entries), nil
}
