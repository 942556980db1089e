package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overwatch-dqm/overwatch"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// RebuildStats reports what Rebuild found.
type RebuildStats struct {
	Runs        int // runs with at least one snapshot
	Subsystems  int // (run, receiver subsystem) folders with snapshots
	Snapshots   int
	TrendPoints int // distinct trend points restored
	Alarms      int
	Skipped     int // entries that look like data but do not follow the grammar
	// OutOfRange lists the Run<N> folders skipped because N is above
	// overwatch.MaxRun (they are also counted in Skipped).
	OutOfRange []string
	Duration   time.Duration
}

// String returns a one-line summary.
func (r RebuildStats) String() string {
	s := fmt.Sprintf("%d runs, %d subsystem folders, %d snapshots, %d trend points, %d alarms, %d skipped, in %v",
		r.Runs, r.Subsystems, r.Snapshots, r.TrendPoints, r.Alarms, r.Skipped, r.Duration.Round(time.Millisecond))
	if len(r.OutOfRange) > 0 {
		s += fmt.Sprintf("; %d run folders skipped with run numbers above %d: %s", len(r.OutOfRange), overwatch.MaxRun, strings.Join(r.OutOfRange, ", "))
	}
	return s
}

// fileEntry is one snapshot file found in a subsystem folder.
type fileEntry struct {
	st   stamp
	name string
	size int64
}

// scanSubsystem lists the snapshot files of one subsystem folder, by time
// then sequence. Names that do not follow the moved-name grammar of this
// subsystem are skipped (and counted); combined and time-slice files and
// output folders are not snapshots. Two names for the same instant (a
// padded and an unpadded spelling) keep the first in byte order.
func scanSubsystem(dir, sys string, clean bool, skipped *int) ([]fileEntry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("store: list %s: %w", dir, err)
	}
	var out []fileEntry
	seen := map[stamp]bool{}
	for _, e := range ents {
		name := e.Name()
		if isHidden(name) {
			if clean && len(name) > len(tmpPrefix) && name[:len(tmpPrefix)] == tmpPrefix {
				_ = os.Remove(filepath.Join(dir, name))
			}
			continue
		}
		if e.IsDir() {
			continue
		}
		n, err := ParseName(name)
		if err != nil || n.Kind != KindMoved || n.Subsystem != sys {
			if err == nil && (n.Kind == KindCombined || n.Kind == KindTimeSlice) {
				continue
			}
			*skipped++
			continue
		}
		if !e.Type().IsRegular() {
			*skipped++
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		st := stamp{T: n.Time.Unix(), Seq: n.Seq}
		if seen[st] {
			*skipped++
			continue
		}
		seen[st] = true
		out = append(out, fileEntry{st: st, name: name, size: fi.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].st.before(out[j].st) })
	return out, nil
}

// indexFiles puts the snapshot files of (run, sys) into the index with the
// given sources (by name) and returns their summary, nil when none.
func indexFiles(tx *bolt.Tx, run int, sys string, files []fileEntry, sources map[string]string) (*subRecord, error) {
	b := tx.Bucket(bSnaps)
	var sr *subRecord
	for _, f := range files {
		v := snapRecord{Name: f.name, Size: f.size, Source: sources[f.name]}.encode()
		if err := b.Put(snapKey(run, sys, f.st), v); err != nil {
			return nil, fmt.Errorf("store: index %s/%s: %w", snapshotDir(run, sys), f.name, err)
		}
		if sr == nil {
			sr = &subRecord{First: f.st}
		}
		sr.N++
		sr.Last, sr.LastName = f.st, f.name
	}
	return sr, nil
}

// runScan is what a run folder holds: its snapshot files per subsystem
// and its mode.
type runScan struct {
	run     int
	subs    []string
	files   [][]fileEntry
	mode    overwatch.HLTMode
	modeErr error
	skipped int
	err     error
}

// scanRun lists one run folder. It touches no index, so run folders are
// scanned in parallel.
func scanRun(root string, run int, clean bool) runScan {
	sc := runScan{run: run}
	dir := filepath.Join(root, RunDir(run))
	ents, err := os.ReadDir(dir)
	if err != nil {
		sc.err = fmt.Errorf("store: list %s: %w", dir, err)
		return sc
	}
	if clean {
		removeTemps(dir) // runInfo.yaml
	}
	for _, e := range ents {
		if !e.IsDir() || !overwatch.ValidSubsystem(e.Name()) {
			continue
		}
		files, err := scanSubsystem(filepath.Join(dir, e.Name()), e.Name(), clean, &sc.skipped)
		if err != nil {
			sc.err = err
			return sc
		}
		if clean {
			removeOutputTemps(filepath.Join(dir, e.Name()))
		}
		if len(files) == 0 {
			// A folder without receiver files (outputs only, or
			// emptied): not a subsystem of the run, and no crash
			// (original bug §10.1-25).
			continue
		}
		sc.subs = append(sc.subs, e.Name())
		sc.files = append(sc.files, files)
	}
	if len(sc.subs) > 0 {
		sc.mode, _, sc.modeErr = readRunMode(dir)
	}
	return sc
}

// scanRuns scans run folders with a few goroutines (listing folders is
// dominated by file-system latency), results in the order of runs.
func scanRuns(root string, runs []int, clean bool) []runScan {
	out := make([]runScan, len(runs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(8, len(runs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(runs) {
					return
				}
				out[i] = scanRun(root, runs[i], clean)
			}
		}()
	}
	wg.Wait()
	return out
}

// indexRun puts a scanned run into the index.
func indexRun(tx *bolt.Tx, sc runScan, st *RebuildStats, log func(msg string, args ...any)) error {
	st.Skipped += sc.skipped
	if sc.err != nil {
		return sc.err
	}
	if len(sc.subs) == 0 {
		log("store: run folder without snapshots ignored", "run", sc.run)
		return nil
	}
	rec := &runRecord{Mode: sc.mode, Subs: map[string]*subRecord{}}
	for i, sys := range sc.subs {
		sr, err := indexFiles(tx, sc.run, sys, sc.files[i], nil)
		if err != nil {
			return err
		}
		rec.Subs[sys] = sr
		st.Subsystems++
		st.Snapshots += sr.N
	}
	if sc.modeErr != nil {
		log("store: unreadable run info, using mode U", "run", sc.run, "err", sc.modeErr)
	}
	st.Runs++
	return putRun(tx, sc.run, rec)
}

// Rebuild recreates the index of the store rooted at dir from its files
// alone: run folders (Run<N>, anything else is skipped), runInfo.yaml, the
// snapshot file names and sizes (the ROOT content is never read), the
// trend-point journals and the alarm documents. It streams through the
// run folders in batches of 256 runs per index transaction, so memory
// stays bounded whatever the number of runs. The new index is written
// beside the old one and renamed over it at the end, so a crash during a
// rebuild leaves the old index. The store must not be open: Rebuild holds
// the index lock while it works and fails after Options.LockTimeout if
// another Store has it.
//
// What a rebuild cannot restore: the Source of each snapshot (which
// receiver delivered it) is not part of the file tree and becomes "".
func Rebuild(ctx context.Context, dir string, opts Options) (RebuildStats, error) {
	opts = opts.withDefaults()
	start := time.Now()
	var st RebuildStats
	p := filepath.Join(dir, indexFile)
	// Hold the lock of the current index, if any, so that no Store opens
	// it meanwhile.
	if _, err := os.Stat(p); err == nil {
		old, err := bolt.Open(p, 0o644, &bolt.Options{Timeout: opts.LockTimeout, ReadOnly: true})
		if errors.Is(err, berrors.ErrTimeout) {
			return st, fmt.Errorf("store: rebuild: index %s is locked by an open store: %w", p, err)
		}
		if err == nil {
			defer old.Close()
		}
	}
	tmp := p + ".rebuild"
	st, err := rebuildIndex(ctx, dir, tmp, opts, true)
	if err != nil {
		return st, err
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return st, fmt.Errorf("store: rebuild: install index: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return st, err
	}
	st.Duration = time.Since(start)
	opts.Logger.Info("store: index rebuilt from files", "dir", dir, "stats", st.String())
	return st, nil
}

// reconcile repairs the index after a crash: every folder marked dirty is
// compared with the index (files the index lacks are added, entries
// without a file dropped, temporary files removed), trend journals are
// replayed past the indexed offset and alarm documents re-read.
func (s *Store) reconcile() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		var dirty []string
		if err := tx.Bucket(bDirty).ForEach(func(k, _ []byte) error {
			dirty = append(dirty, string(k))
			return nil
		}); err != nil {
			return err
		}
		for _, rel := range dirty {
			if err := s.reconcileDir(tx, rel); err != nil {
				return err
			}
			if err := tx.Bucket(bDirty).Delete([]byte(rel)); err != nil {
				return err
			}
		}
		if _, err := replayAllTrends(tx, s.dir, s.opts, false); err != nil {
			return err
		}
		_, err := syncAlarms(tx, s.dir, s.opts, true)
		return err
	})
}

// reconcileDir makes the index entries of one Run<N>/<SYS> folder equal to
// its files.
func (s *Store) reconcileDir(tx *bolt.Tx, rel string) error {
	runPart, sys, ok := strings.Cut(rel, "/")
	run, err := ParseRunDir(runPart)
	if !ok || err != nil || !overwatch.ValidSubsystem(sys) {
		s.log.Warn("store: ignoring malformed crash marker", "dir", rel)
		return nil
	}
	var skipped int
	files, err := scanSubsystem(s.abs(rel), sys, true, &skipped)
	if err != nil {
		return err
	}
	removeOutputTemps(s.abs(rel))
	removeTemps(s.abs(RunDir(run))) // runInfo.yaml
	// Keep the sources of the entries that still have their file.
	sources := map[string]string{}
	b := tx.Bucket(bSnaps)
	p := snapPrefix(run, sys)
	var keys [][]byte
	c := b.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		var sr snapRecord
		if sr.decode(v) == nil {
			sources[sr.Name] = sr.Source
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	sr, err := indexFiles(tx, run, sys, files, sources)
	if err != nil {
		return err
	}
	rec, err := getRun(tx, run)
	if err != nil {
		return err
	}
	if rec == nil {
		mode, _, err := readRunMode(s.abs(RunDir(run)))
		if err != nil {
			s.log.Warn("store: unreadable run info, using mode U", "run", run, "err", err)
		}
		rec = &runRecord{Mode: mode, Subs: map[string]*subRecord{}}
	}
	if sr == nil {
		delete(rec.Subs, sys)
	} else {
		rec.Subs[sys] = sr
	}
	if len(rec.Subs) == 0 {
		return deleteRun(tx, run)
	}
	if n := len(keys); n != len(files) {
		s.log.Info("store: reconciled folder after an unclean shutdown", "dir", rel, "indexed", n, "files", len(files))
	}
	return putRun(tx, run, rec)
}

// rebuildIndex writes a complete index of the files under dir to the new
// file target. clean removes temporary files left by a crash (only
// when no store has the directory open).
func rebuildIndex(ctx context.Context, dir, tmp string, opts Options, clean bool) (RebuildStats, error) {
	var st RebuildStats
	_ = os.Remove(tmp)
	db, err := bolt.Open(tmp, 0o644, &bolt.Options{Timeout: opts.LockTimeout, NoFreelistSync: true})
	if err != nil {
		return st, fmt.Errorf("store: rebuild: create %s: %w", tmp, err)
	}
	db.NoSync = true
	fail := func(err error) (RebuildStats, error) {
		_ = db.Close()
		_ = os.Remove(tmp)
		return st, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(keySchema, []byte(schemaVersion))
	})
	if err != nil {
		return fail(fmt.Errorf("store: rebuild: init index: %w", err))
	}
	root, err := os.Open(dir)
	if err != nil {
		return fail(fmt.Errorf("store: rebuild: open %s: %w", dir, err))
	}
	defer root.Close()
	logDebug := func(msg string, args ...any) { opts.Logger.Debug(msg, args...) }
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		ents, rerr := root.ReadDir(256)
		var runs []int
		for _, e := range ents {
			if !e.IsDir() || len(e.Name()) < 4 || e.Name()[:3] != "Run" {
				continue
			}
			n, err := ParseRunDir(e.Name())
			if errors.Is(err, ErrRunRange) {
				opts.Logger.Error("store: rebuild: run folder outside the valid run range, skipped (move it aside or rename it)", "name", e.Name(), "max", overwatch.MaxRun)
				st.Skipped++
				st.OutOfRange = append(st.OutOfRange, e.Name())
				continue
			}
			if err != nil {
				opts.Logger.Warn("store: rebuild: folder is not Run<number>, skipped", "name", e.Name())
				st.Skipped++
				continue
			}
			runs = append(runs, n)
		}
		sort.Ints(runs)
		if len(runs) > 0 {
			scans := scanRuns(dir, runs, clean)
			err := db.Update(func(tx *bolt.Tx) error {
				tx.Bucket(bSnaps).FillPercent = 0.9
				for _, sc := range scans {
					if err := indexRun(tx, sc, &st, logDebug); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return fail(fmt.Errorf("store: rebuild: %w", err))
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fail(fmt.Errorf("store: rebuild: list %s: %w", dir, rerr))
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		n, err := replayAllTrends(tx, dir, opts, true)
		st.TrendPoints = n
		if err != nil {
			return err
		}
		st.Alarms, err = syncAlarms(tx, dir, opts, clean)
		return err
	})
	if err != nil {
		return fail(fmt.Errorf("store: rebuild: %w", err))
	}
	if err := db.Sync(); err != nil {
		return fail(fmt.Errorf("store: rebuild: sync index: %w", err))
	}
	if err := db.Close(); err != nil {
		_ = os.Remove(tmp)
		return st, fmt.Errorf("store: rebuild: close index: %w", err)
	}
	return st, nil
}
