package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
)

// PutSnapshot stores the ROOT file read from r. The file is written to a
// temporary file and fsynced, then given its final name without ever
// replacing a file (a snapshot of the same second gets the next sequence
// number, ".1", ".2", … before ".root"), the directory is fsynced, and
// only then is the snapshot indexed. The first snapshot of a run writes
// runInfo.yaml with its mode; later snapshots take the run's mode. The
// first snapshot of a run's subsystem that declares an accumulation
// writes subsystemInfo.yaml with it; later snapshots of the subsystem take
// that one (see accumulation.go). Replay
// (mode E) snapshots go to ReplayData/ and are neither indexed nor
// announced.
func (s *Store) PutSnapshot(ctx context.Context, meta overwatch.SnapshotMeta, r io.Reader) (overwatch.SnapshotInfo, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.SnapshotInfo{}, err
	}
	if !overwatch.ValidRun(meta.Run) {
		return overwatch.SnapshotInfo{}, fmt.Errorf("store: put snapshot: %w: run %d is outside 1..%d", ErrRunRange, meta.Run, overwatch.MaxRun)
	}
	if !overwatch.ValidSubsystem(meta.Subsystem) {
		return overwatch.SnapshotInfo{}, fmt.Errorf("store: put snapshot: subsystem %q is not 2–8 upper-case letters or digits", meta.Subsystem)
	}
	mode := meta.Mode
	if mode == "" {
		mode = overwatch.ModeUnknown
	}
	mode, err := overwatch.ParseHLTMode(string(mode))
	if err != nil {
		return overwatch.SnapshotInfo{}, fmt.Errorf("store: put snapshot: %w", err)
	}
	acc, err := overwatch.ParseAccumulation(string(meta.Accumulation))
	if err != nil {
		return overwatch.SnapshotInfo{}, fmt.Errorf("store: put snapshot: %w", err)
	}
	t := meta.Time
	if t.IsZero() {
		t = time.Now()
	}
	t = t.Truncate(time.Second).UTC()
	if y := t.In(Zurich).Year(); y < 1970 || y > 9999 {
		return overwatch.SnapshotInfo{}, fmt.Errorf("store: put snapshot: time %v outside the years 1970–9999 that file names can carry", t)
	}
	rel := snapshotDir(meta.Run, meta.Subsystem)
	replay := mode == overwatch.ModeReplay
	if replay {
		rel = replayDir + "/" + rel
	}
	if !replay {
		done, err := s.beginWrite(rel)
		if err != nil {
			return overwatch.SnapshotInfo{}, err
		}
		defer done()
	}
	// A put may have to be retried under the next sequence number (the
	// name taken by another process): the bytes must be readable again.
	src, cleanup, err := s.rereadable(r)
	if err != nil {
		return overwatch.SnapshotInfo{}, err
	}
	defer cleanup()
	if !replay {
		rec, err := s.x.getRun(ctx, s.x.r, meta.Run)
		if err != nil {
			return overwatch.SnapshotInfo{}, err
		}
		if rec != nil {
			if mode != rec.Mode {
				s.log.Debug("store: snapshot mode differs from run mode; the run's mode (first snapshot) wins",
					"run", meta.Run, "subsystem", meta.Subsystem, "mode", mode, "runMode", rec.Mode)
			}
			mode = rec.Mode
		} else if mode, err = s.runMode(ctx, meta.Run, mode); err != nil {
			return overwatch.SnapshotInfo{}, err
		}
		declared := acc
		known := rec != nil && rec.Subs[meta.Subsystem] != nil
		if acc, err = s.snapshotAccumulation(ctx, meta.Run, meta.Subsystem, declared, known); err != nil {
			return overwatch.SnapshotInfo{}, err
		}
		if declared != overwatch.AccumulationUnset && acc != declared {
			s.log.Warn("store: snapshot accumulation differs from the one recorded for its run and subsystem; the first wins",
				"run", meta.Run, "subsystem", meta.Subsystem, "accumulation", declared, "recorded", acc)
		}
	}
	info := overwatch.SnapshotInfo{
		SnapshotRef: overwatch.SnapshotRef{Run: meta.Run, Subsystem: meta.Subsystem, Time: t},
		Mode:        mode, Origin: meta.Origin, Accumulation: acc,
	}
	// Sequence numbers already indexed for this second (a legacy tree may
	// hold them under unpadded names the bucket would not refuse) or
	// being written by this process.
	used := map[int]bool{}
	if !replay {
		if used, err = s.x.usedSeqs(ctx, meta.Run, meta.Subsystem, t.Unix()); err != nil {
			return overwatch.SnapshotInfo{}, err
		}
	}
	sec := rel + "/" + strconv.FormatInt(t.Unix(), 10)
	var name string
	for seq := 0; ; seq++ {
		if seq > 100000 {
			return overwatch.SnapshotInfo{}, fmt.Errorf("store: put snapshot %s: no free sequence number", info.SnapshotRef)
		}
		s.mu.Lock()
		taken := used[seq] || s.reserved[sec][seq]
		if !taken {
			if s.reserved[sec] == nil {
				s.reserved[sec] = map[int]bool{}
			}
			s.reserved[sec][seq] = true
		}
		s.mu.Unlock()
		if taken {
			continue
		}
		name = FormatMovedName(meta.Subsystem, t, seq)
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			s.release(sec, seq)
			return overwatch.SnapshotInfo{}, fmt.Errorf("store: put snapshot %s: %w", info.SnapshotRef, err)
		}
		bi, err := s.bucket.Put(ctx, rel+"/"+name, src)
		s.release(sec, seq)
		if errors.Is(err, blob.ErrExist) {
			continue
		}
		if err != nil {
			return overwatch.SnapshotInfo{}, fmt.Errorf("store: put snapshot %s: %w", info.SnapshotRef, err)
		}
		info.Seq, info.Size = seq, bi.Size
		break
	}
	info.Path = rel + "/" + name
	if replay {
		s.log.Info("store: replay snapshot stored apart, not processed", "path", info.Path)
		return info, nil
	}
	// The file is in place: index it even if ctx ends now.
	ictx := context.WithoutCancel(ctx)
	err = s.x.tx(ictx, func(tx *sql.Tx) error {
		m, err := s.x.ensureRun(ictx, tx, info.Run, info.Mode)
		if err != nil {
			return err
		}
		info.Mode = m // another process may have created the run first
		inserted, err := s.x.insertSnapshot(ictx, tx, info.Run, info.Subsystem, stamp{T: info.Time.Unix(), Seq: info.Seq},
			snapRecord{Name: name, Size: info.Size, Source: info.Origin, Accumulation: info.Accumulation}, s.writer)
		if err != nil || !inserted {
			return err
		}
		return s.x.notifySnapshot(ictx, tx, s.writer, info)
	})
	if err != nil {
		return overwatch.SnapshotInfo{}, err
	}
	s.announce(info)
	return info, nil
}

// snapInfo builds a SnapshotInfo from an index entry.
func snapInfo(run int, sys string, st stamp, mode overwatch.HLTMode, rec snapRecord) overwatch.SnapshotInfo {
	return overwatch.SnapshotInfo{
		SnapshotRef: overwatch.SnapshotRef{Run: run, Subsystem: sys, Time: st.time(), Seq: st.Seq},
		Mode:        mode, Origin: rec.Source, Size: rec.Size,
		Path: snapshotDir(run, sys) + "/" + rec.Name, Accumulation: rec.Accumulation,
	}
}

// Snapshots lists the snapshots of one receiver subsystem in a run, oldest
// first (by time, then sequence — never by the text of the names, which
// is not chronological for unpadded names). The error wraps ErrNotFound
// when the run is unknown; a run without snapshots of sys gives an empty
// list.
func (s *Store) Snapshots(ctx context.Context, run int, sys string) ([]overwatch.SnapshotInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec, err := s.x.getRun(ctx, s.x.r, run)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("store: run %d: %w", run, overwatch.ErrNotFound)
	}
	var out []overwatch.SnapshotInfo
	err = s.x.snapshotRows(ctx, s.x.r, run, sys, func(st stamp, sr snapRecord) error {
		out = append(out, snapInfo(run, sys, st, rec.Mode, sr))
		return nil
	})
	return out, err
}

// OpenSnapshot opens a stored snapshot (replay snapshots included).
func (s *Store) OpenSnapshot(ctx context.Context, ref overwatch.SnapshotRef) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rel := SnapshotPath(ref, overwatch.ModeUnknown)
	if sr, ok, err := s.x.snapshot(ctx, s.x.r, ref); err != nil {
		return nil, err
	} else if ok {
		rel = snapshotDir(ref.Run, ref.Subsystem) + "/" + sr.Name
	}
	rc, err := s.bucket.Open(ctx, rel, 0, -1)
	if errors.Is(err, blob.ErrNotExist) {
		rc, err = s.bucket.Open(ctx, SnapshotPath(ref, overwatch.ModeReplay), 0, -1)
	}
	if errors.Is(err, blob.ErrNotExist) {
		return nil, fmt.Errorf("store: snapshot %s: %w", ref, overwatch.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open snapshot %s: %w", ref, err)
	}
	return rc, nil
}

// release ends the reservation of a sequence number of one second.
func (s *Store) release(sec string, seq int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.reserved[sec], seq)
	if len(s.reserved[sec]) == 0 {
		delete(s.reserved, sec)
	}
}

// rereadable returns r as a ReadSeeker: itself when it is one, else a
// temporary copy in the data directory, removed by cleanup.
func (s *Store) rereadable(r io.Reader) (io.ReadSeeker, func(), error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		return rs, func() {}, nil
	}
	tmp, _, err := fsio.WriteTemp(s.dir, "spool", r, false)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(tmp)
	if err != nil {
		_ = os.Remove(tmp)
		return nil, nil, fmt.Errorf("store: put snapshot: %w", err)
	}
	return f, func() { _ = f.Close(); _ = os.Remove(tmp) }, nil
}

// Runs lists runs, newest (highest number) first, at most q.Limit (all
// when 0), below q.Before when it is non-zero.
func (s *Store) Runs(ctx context.Context, q overwatch.RunQuery) ([]overwatch.RunInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	page, err := s.x.runsPage(ctx, q.Before, q.Limit)
	if err != nil {
		return nil, err
	}
	out := make([]overwatch.RunInfo, 0, len(page))
	for _, r := range page {
		out = append(out, s.runInfo(r.run, r.rec))
	}
	return out, nil
}

// RunInfo returns one run; the error wraps ErrNotFound when it is unknown.
func (s *Store) RunInfo(ctx context.Context, number int) (overwatch.RunInfo, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.RunInfo{}, err
	}
	r, err := s.x.getRun(ctx, s.x.r, number)
	if err != nil {
		return overwatch.RunInfo{}, err
	}
	if r == nil {
		return overwatch.RunInfo{}, fmt.Errorf("store: run %d: %w", number, overwatch.ErrNotFound)
	}
	return s.runInfo(number, r), nil
}

// CountRuns returns the number of runs in the index.
func (s *Store) CountRuns(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.x.countRuns(ctx)
}
