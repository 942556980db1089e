package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
)

// IngestStats counts what one Ingest pass did.
type IngestStats struct {
	Ingested    int // files stored and removed from the drop folder
	Duplicates  int // files already stored, or with the objects of the run's newest snapshot (removed)
	Quarantined int // invalid ROOT files moved to quarantine/
	Waiting     int // grammar matches still being written (too recent)
	Ignored     int // files that do not follow the receiver grammar (left alone)
}

// CheckROOTHeader is overwatch.CheckROOTHeader: it checks that data
// starts like a ROOT file; the error wraps overwatch.ErrCorrupt.
func CheckROOTHeader(data []byte) error { return overwatch.CheckROOTHeader(data) }

// validateROOT checks a drop-folder file: the header, then the full
// decoder. A decoder that is not available (an error not wrapping
// ErrCorrupt) leaves the header check as the verdict.
func validateROOT(data []byte) (err error) {
	if err := CheckROOTHeader(data); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: decoder panicked: %v", overwatch.ErrCorrupt, r)
		}
	}()
	if _, derr := overwatch.DecodeFile(data); derr != nil && errors.Is(derr, overwatch.ErrCorrupt) {
		return derr
	}
	return nil
}

// Ingest moves the receiver files of a drop folder (as the original C++
// zmqReceive writes them) into the store through PutSnapshot with Source
// "ingest". Only names that follow the receiver grammar exactly are taken
// (never "x.root.tmp", never a name with the subsystem elsewhere than at
// its start), and only once they have not been modified for
// Options.IngestSettle (a file still being written is left for the next
// pass). A file that is not a valid ROOT file is moved to quarantine/ of
// the data directory with a log line saying why; the other files
// continue. The quarantine is bounded (the oldest entries beyond 1000
// files or 1 GiB are evicted). Files are stored through the bucket
// (Options.Bucket), so a drop folder feeds an S3 or XRootD store too. A file stored before a
// crash prevented its removal is recognised (same time, same bytes) and
// not stored twice. Files are taken oldest name-time first.
func (s *Store) Ingest(ctx context.Context, dropDir string) (IngestStats, error) {
	var st IngestStats
	ents, err := os.ReadDir(dropDir)
	if err != nil {
		return st, fmt.Errorf("store: ingest: list %s: %w", dropDir, err)
	}
	type cand struct {
		name string
		n    Name
	}
	var cands []cand
	now := time.Now()
	for _, e := range ents {
		if isHidden(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		n, err := ParseReceiverName(e.Name())
		if err != nil {
			st.Ignored++
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if now.Sub(fi.ModTime()) < s.opts.IngestSettle {
			st.Waiting++
			continue
		}
		cands = append(cands, cand{e.Name(), n})
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i].n, cands[j].n
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.Seq < b.Seq
	})
	var errs []error
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := s.ingestOne(ctx, dropDir, c.name, c.n, &st); err != nil {
			s.log.Error("store: ingest failed, file left in the drop folder", "file", c.name, "err", err)
			errs = append(errs, err)
		}
	}
	return st, errors.Join(errs...)
}

func (s *Store) ingestOne(ctx context.Context, dropDir, name string, n Name, st *IngestStats) error {
	src := filepath.Join(dropDir, name)
	var data []byte
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("store: ingest %s: %w", name, err)
	}
	verr := fmt.Errorf("%w: %d bytes, more than the %d bytes allowed (Options.MaxIngestSize)", overwatch.ErrCorrupt, fi.Size(), s.opts.MaxIngestSize)
	if fi.Size() <= s.opts.MaxIngestSize {
		if data, err = os.ReadFile(src); err != nil {
			return fmt.Errorf("store: ingest %s: %w", name, err)
		}
		verr = validateROOT(data)
	}
	if verr != nil {
		dst, err := s.quarantineFile(src, "", name, verr.Error())
		if err != nil {
			return err
		}
		st.Quarantined++
		s.log.Error("store: invalid ROOT file quarantined", "file", name, "to", dst, "reason", verr)
		if _, err := s.boundQuarantine(ctx, blob.Dir(s.dir)); err != nil {
			s.log.Warn("store: quarantine bounds not applied", "err", err)
		}
		return nil
	}
	if dup, err := s.alreadyStored(n, data); err != nil {
		return err
	} else if dup {
		st.Duplicates++
		s.log.Info("store: drop file already stored, removing it", "file", name)
		return removeSynced(src)
	}
	if dup, err := s.sameAsNewest(ctx, n, data); err != nil {
		return err
	} else if dup {
		st.Duplicates++
		s.log.Info("store: drop file identical to the newest snapshot of its run, removing it", "file", name)
		return removeSynced(src)
	}
	meta := overwatch.SnapshotMeta{Run: n.Run, Subsystem: n.Subsystem, Mode: n.Mode, Time: n.Time, Origin: "ingest", Accumulation: s.opts.IngestAccumulation}
	info, err := s.PutSnapshot(ctx, meta, bytes.NewReader(data))
	if err != nil {
		return err
	}
	st.Ingested++
	s.log.Debug("store: ingested", "file", name, "path", info.Path)
	return removeSynced(src)
}

func removeSynced(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: remove ingested file: %w", err)
	}
	return fsio.SyncDir(filepath.Dir(p))
}

// alreadyStored reports whether a snapshot of the same run, subsystem and
// second with exactly these bytes is stored (replay folder included).
func (s *Store) alreadyStored(n Name, data []byte) (bool, error) {
	rel := snapshotDir(n.Run, n.Subsystem)
	if n.Mode == overwatch.ModeReplay {
		rel = replayDir + "/" + rel
	}
	ctx := context.Background()
	for seq := 0; seq < 1000; seq++ {
		key := rel + "/" + FormatMovedName(n.Subsystem, n.Time, seq)
		bi, err := s.bucket.Stat(ctx, key)
		if errors.Is(err, blob.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("store: ingest: %w", err)
		}
		if bi.Size != int64(len(data)) {
			continue
		}
		rc, err := s.bucket.Open(ctx, key, 0, -1)
		if err != nil {
			return false, fmt.Errorf("store: ingest: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, int64(len(data))+1))
		_ = rc.Close()
		if err != nil {
			return false, fmt.Errorf("store: ingest: %w", err)
		}
		if bytes.Equal(b, data) {
			return true, nil
		}
	}
	return false, nil
}

// quarantineFile moves src to quarantine/<sub>/<name> (a free variant of
// the name when taken) with a "<name>.reason.txt" beside it and returns
// the new path relative to the store.
func (s *Store) quarantineFile(src, sub, name, reason string) (string, error) {
	rel := quarantineDir
	if sub != "" {
		rel += "/" + sub
	}
	if err := fsio.Mkdirs(s.dir, rel); err != nil {
		return "", err
	}
	dir := s.abs(rel)
	final := name
	for i := 1; ; i++ {
		if _, err := os.Lstat(filepath.Join(dir, final)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		final = name + "." + strconv.Itoa(i)
	}
	if err := os.Rename(src, filepath.Join(dir, final)); err != nil {
		// Another file system: copy, then remove.
		in, oerr := os.Open(src)
		if oerr != nil {
			return "", fmt.Errorf("store: quarantine %s: %w", src, err)
		}
		tmp, _, werr := fsio.WriteTemp(dir, final, in, true)
		in.Close()
		if werr != nil {
			return "", werr
		}
		if err := os.Rename(tmp, filepath.Join(dir, final)); err != nil {
			_ = os.Remove(tmp)
			return "", fmt.Errorf("store: quarantine %s: %w", src, err)
		}
		if err := os.Remove(src); err != nil {
			return "", fmt.Errorf("store: quarantine %s: %w", src, err)
		}
	}
	note := fmt.Sprintf("%s\nquarantined %s\n", reason, time.Now().UTC().Format(time.RFC3339))
	if err := fsio.WriteAtomic(dir, final+".reason.txt", []byte(note), true); err != nil {
		return "", err
	}
	if err := fsio.SyncDir(filepath.Dir(src)); err != nil {
		return "", err
	}
	return rel + "/" + final, nil
}

// RunIngest calls Ingest on dropDir every interval until ctx is done.
// Errors of one pass are logged and the next pass retries.
func (s *Store) RunIngest(ctx context.Context, dropDir string, every time.Duration) error {
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := s.Ingest(ctx, dropDir)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("store: ingest pass had errors", "err", err)
		}
		if st.Ingested+st.Quarantined+st.Duplicates > 0 {
			s.log.Info("store: ingest pass", "ingested", st.Ingested, "quarantined", st.Quarantined, "duplicates", st.Duplicates)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// QuarantineSnapshot moves a stored snapshot that turned out to be
// corrupted to quarantine/Run<N>/<SYS>/ with a note of the reason (in the
// data directory; on another bucket, a copy under that key and the
// original deleted) and removes it from the index (the index first, so that an entry never
// points at nothing; a crash in between leaves an unindexed file that the
// next reconciliation or rebuild picks up again). The error wraps
// overwatch.ErrNotFound when the snapshot is not indexed.
func (s *Store) QuarantineSnapshot(ctx context.Context, ref overwatch.SnapshotRef, reason string) error {
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
		return err
	}
	var dst string
	quarantine := blob.Bucket(blob.Dir(s.dir))
	if s.bucketIsDataDir() {
		dst, err = s.quarantineFile(s.abs(rel+"/"+name), rel, name, reason)
	} else {
		dst, err = s.quarantineObject(ctx, rel, name, reason)
		quarantine = s.bucket
	}
	if err != nil {
		return err
	}
	s.log.Error("store: corrupted snapshot quarantined", "snapshot", ref.String(), "to", dst, "reason", reason)
	if _, err := s.boundQuarantine(ctx, quarantine); err != nil {
		s.log.Warn("store: quarantine bounds not applied", "err", err)
	}
	return nil
}

// unindexSnapshot removes one snapshot from the index (updating its run)
// and returns its file name; the error wraps overwatch.ErrNotFound when it
// is not indexed. The caller marks the folder dirty first and removes or
// moves the file afterwards, so that an entry never points at nothing.
func (s *Store) unindexSnapshot(ctx context.Context, ref overwatch.SnapshotRef) (string, error) {
	var name string
	err := s.x.tx(ctx, func(tx *sql.Tx) error {
		sr, ok, err := s.x.snapshot(ctx, tx, ref)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("store: snapshot %s: %w", ref, overwatch.ErrNotFound)
		}
		name = sr.Name
		return s.x.deleteSnapshot(ctx, tx, ref.Run, ref.Subsystem, stamp{T: ref.Time.Unix(), Seq: ref.Seq})
	})
	return name, err
}
