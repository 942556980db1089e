package store

import (
	"context"
	"database/sql"
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
	"syscall"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
)

// RebuildStats reports what Rebuild found.
type RebuildStats struct {
	Runs        int // runs with at least one snapshot
	Subsystems  int // (run, receiver subsystem) folders with snapshots
	Snapshots   int
	TrendPoints int // distinct trend points restored
	Alarms      int
	AlarmEvents int
	Documents   int // document versions (layouts, references, …)
	Skipped     int // entries that look like data but do not follow the grammar
	// OutOfRange lists the Run<N> folders skipped because N is above
	// overwatch.MaxRun (they are also counted in Skipped).
	OutOfRange []string
	Duration   time.Duration
}

// String returns a one-line summary.
func (r RebuildStats) String() string {
	s := fmt.Sprintf("%d runs, %d subsystem folders, %d snapshots, %d trend points, %d alarms, %d documents, %d skipped, in %v",
		r.Runs, r.Subsystems, r.Snapshots, r.TrendPoints, r.Alarms, r.Documents, r.Skipped, r.Duration.Round(time.Millisecond))
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

// snapshotStamp parses name as a snapshot file of subsystem sys (a name
// of its folder, neither hidden nor a sidecar). ok is false for names that
// are not snapshots; bad is true when the name looks like data but does
// not follow the moved-name grammar of this subsystem (a rebuild counts
// it as skipped). Combined and time-slice files are neither.
func snapshotStamp(name, sys string) (st stamp, ok, bad bool) {
	n, err := ParseName(name)
	if err != nil || n.Kind != KindMoved || n.Subsystem != sys {
		return stamp{}, false, !(err == nil && (n.Kind == KindCombined || n.Kind == KindTimeSlice))
	}
	return stamp{T: n.Time.Unix(), Seq: n.Seq}, true, false
}

// addSnapshotFile appends the snapshot file name of size bytes to out
// unless another name for the same instant (a padded and an unpadded
// spelling) came first (counted in skipped).
func addSnapshotFile(out []fileEntry, seen map[stamp]bool, st stamp, name string, size int64, skipped *int) []fileEntry {
	if seen[st] {
		*skipped++
		return out
	}
	seen[st] = true
	return append(out, fileEntry{st: st, name: name, size: size})
}

// sortFiles orders snapshot files by time then sequence.
func sortFiles(files []fileEntry) {
	sort.Slice(files, func(i, j int) bool { return files[i].st.before(files[j].st) })
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
			if clean && len(name) > len(fsio.TmpPrefix) && name[:len(fsio.TmpPrefix)] == fsio.TmpPrefix {
				_ = os.Remove(filepath.Join(dir, name))
			}
			continue
		}
		if e.IsDir() || name == subsystemInfoFile {
			continue
		}
		st, ok, bad := snapshotStamp(name, sys)
		if bad {
			*skipped++
		}
		if !ok {
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
		out = addSnapshotFile(out, seen, st, name, fi.Size(), skipped)
	}
	sortFiles(out)
	return out, nil
}

// runScan is what a run folder holds: its snapshot files per subsystem
// and its mode.
type runScan struct {
	run     int
	subs    []string
	files   [][]fileEntry
	accs    []overwatch.Accumulation // per subsystem, from subsystemInfo.yaml
	mode    overwatch.HLTMode
	modeErr error
	accErrs []error // unreadable subsystemInfo.yaml (accumulation left unset)
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
		fsio.RemoveTemps(dir) // runInfo.yaml
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
		acc, err := readSubsystemAccumulation(filepath.Join(dir, e.Name()))
		if err != nil {
			sc.accErrs = append(sc.accErrs, err)
		}
		sc.subs = append(sc.subs, e.Name())
		sc.files = append(sc.files, files)
		sc.accs = append(sc.accs, acc)
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
	inParallel(len(runs), func(i int) { out[i] = scanRun(root, runs[i], clean) })
	return out
}

// inParallel calls fn(0) … fn(n-1) on at most 8 goroutines and returns
// when all have returned.
func inParallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(8, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// rebuildStmts are the prepared inserts of a rebuild.
type rebuildStmts struct {
	run, snap, sub *sql.Stmt
}

func prepareRebuild(ctx context.Context, x *db, tx *sql.Tx) (*rebuildStmts, error) {
	var st rebuildStmts
	var err error
	if st.run, err = tx.PrepareContext(ctx, x.d.q("INSERT INTO runs (run, mode) VALUES (?, ?)")); err != nil {
		return nil, fmt.Errorf("store: rebuild: %w", err)
	}
	if st.snap, err = tx.PrepareContext(ctx, x.d.q(insertSnap)); err != nil {
		return nil, fmt.Errorf("store: rebuild: %w", err)
	}
	if st.sub, err = tx.PrepareContext(ctx, x.d.q("INSERT INTO subsystems ("+subColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")); err != nil {
		return nil, fmt.Errorf("store: rebuild: %w", err)
	}
	return &st, nil
}

func (r *rebuildStmts) close() {
	_ = r.run.Close()
	_ = r.snap.Close()
	_ = r.sub.Close()
}

// indexRun puts a scanned run into a fresh index.
func indexRun(ctx context.Context, ps *rebuildStmts, sc runScan, st *RebuildStats, log func(msg string, args ...any)) error {
	st.Skipped += sc.skipped
	if sc.err != nil {
		return sc.err
	}
	if len(sc.subs) == 0 {
		log("store: run folder without snapshots ignored", "run", sc.run)
		return nil
	}
	if sc.modeErr != nil {
		log("store: unreadable run info, using mode U", "run", sc.run, "err", sc.modeErr)
	}
	for _, err := range sc.accErrs {
		log("store: unreadable subsystem info, accumulation left unset", "run", sc.run, "err", err)
	}
	if _, err := ps.run.ExecContext(ctx, sc.run, string(sc.mode)); err != nil {
		return fmt.Errorf("store: rebuild: index run %d: %w", sc.run, err)
	}
	for i, sys := range sc.subs {
		files := sc.files[i]
		for _, f := range files {
			if _, err := ps.snap.ExecContext(ctx, sc.run, sys, f.st.T, f.st.Seq, f.name, f.size, "", "", string(sc.accs[i])); err != nil {
				return fmt.Errorf("store: rebuild: index %s/%s: %w", snapshotDir(sc.run, sys), f.name, err)
			}
		}
		first, last := files[0], files[len(files)-1]
		if _, err := ps.sub.ExecContext(ctx, sc.run, sys, len(files), first.st.T, first.st.Seq, last.st.T, last.st.Seq, last.name); err != nil {
			return fmt.Errorf("store: rebuild: index %s: %w", snapshotDir(sc.run, sys), err)
		}
		st.Subsystems++
		st.Snapshots += len(files)
	}
	st.Runs++
	return nil
}

// Rebuild recreates the index of the store rooted at dir from its files
// alone: run folders (Run<N>, anything else is skipped), runInfo.yaml,
// the subsystems' subsystemInfo.yaml (their snapshots' accumulation), the
// snapshot file names and sizes (the ROOT content is never read), the
// trend-point journals, the alarm documents and the alarm-event journal.
// It streams through the run folders 256 at a time, so memory stays
// bounded whatever the number of runs. On SQLite the new index is written
// beside the old one and renamed over it at the end (a crash during a
// rebuild leaves the old index); on PostgreSQL it replaces the content of
// the database in one transaction, during which Stores of other data
// directories on the same database (other machines) go on reading the old
// index and their writes wait for the commit; their leases and the
// receivers' status are kept (and not locked: lease renewals go on). No
// Store may have the
// directory open:
// Rebuild takes the data directory's lock exclusively and fails after
// Options.LockTimeout (error wrapping ErrLocked) while one has.
//
// What a rebuild cannot restore: the Origin of each snapshot (the path it
// took) is not part of the file tree and becomes "".
func Rebuild(ctx context.Context, dir string, opts Options) (RebuildStats, error) {
	return rebuild(ctx, dir, opts.withDefaults(), false)
}

// rebuild is Rebuild; onlyIfNeeded (from Open) skips the work when
// another process built a current index while this one waited for the
// lock.
func rebuild(ctx context.Context, dir string, opts Options, onlyIfNeeded bool) (RebuildStats, error) {
	start := time.Now()
	var st RebuildStats
	kind, dsn, err := engineFor(opts.Index)
	if err != nil {
		return st, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, fmt.Errorf("store: rebuild: %w", err)
	}
	wait := opts.LockTimeout
	if onlyIfNeeded && wait < time.Minute {
		wait = time.Minute // another process opening the directory may be rebuilding it
	}
	var lock *os.File
	if onlyIfNeeded {
		lock, err = lockWhenNeeded(ctx, dir, kind, dsn, opts, wait)
		if lock == nil || err != nil {
			return st, err // built meanwhile by another process (or the error)
		}
	} else if lock, err = lockDir(dir, true, wait); err != nil {
		return st, fmt.Errorf("store: rebuild: %w", err)
	}
	defer unlockDir(lock)
	if onlyIfNeeded {
		x, err := openEngine(dir, kind, dsn, opts)
		if err != nil {
			return st, err
		}
		v, err := x.meta(ctx, "schema")
		_ = x.close()
		if err != nil {
			return st, err
		}
		if v == schemaVersion {
			return st, nil
		}
		if _, err := os.Stat(filepath.Join(dir, legacyIndexFile)); err == nil {
			opts.Logger.Info("store: importing a data directory of the bbolt index: building the SQL index from the files", "dir", dir)
		}
	}
	if kind == "postgres" {
		x, err := openPostgres(dsn)
		if err != nil {
			return st, err
		}
		defer x.close()
		built := false
		err = x.tx(ctx, func(tx *sql.Tx) error {
			// Processes with data directories of their own do not
			// share the directory's locks: rebuilds of one database
			// take turns on an advisory lock, and an Open finding the
			// index built meanwhile by another has nothing to do.
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7710452)"); err != nil {
				return fmt.Errorf("store: rebuild: lock the index: %w", err)
			}
			// Writers of other machines wait until the rebuild commits
			// (readers go on reading the old index): a row they added
			// after the tables were emptied would collide with the
			// rebuild's own row of the same object.
			if _, err := tx.ExecContext(ctx, "LOCK TABLE "+strings.Join(rebuiltTables(), ", ")+" IN EXCLUSIVE MODE"); err != nil {
				return fmt.Errorf("store: rebuild: lock the index tables: %w", err)
			}
			if onlyIfNeeded {
				var v string
				err := tx.QueryRowContext(ctx, "SELECT v FROM meta WHERE k = 'schema'").Scan(&v)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("store: rebuild: %w", err)
				}
				if built = v == schemaVersion; built {
					return nil
				}
			}
			if err := x.truncate(ctx, tx); err != nil {
				return err
			}
			st, err = fillIndex(ctx, x, tx, dir, opts, true)
			return err
		})
		if err == nil && built {
			return st, nil
		}
		if err != nil {
			return st, err
		}
	} else {
		p := filepath.Join(dir, sqliteFile)
		tmp := p + ".rebuild"
		if st, err = rebuildSQLiteFile(ctx, dir, tmp, opts, true); err != nil {
			return st, err
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			if err := os.Remove(p + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				_ = os.Remove(tmp)
				return st, fmt.Errorf("store: rebuild: remove old index: %w", err)
			}
		}
		if err := os.Rename(tmp, p); err != nil {
			_ = os.Remove(tmp)
			return st, fmt.Errorf("store: rebuild: install index: %w", err)
		}
		if err := fsio.SyncDir(dir); err != nil {
			return st, err
		}
	}
	st.Duration = time.Since(start)
	opts.Logger.Info("store: index rebuilt from files", "dir", dir, "stats", st.String())
	return st, nil
}

// legacyIndexFile is the bbolt index of earlier versions. A data
// directory that has one and no SQL index is imported by a rebuild from
// its files (the bbolt index itself was always rebuildable from them).
const legacyIndexFile = "overwatch.index"

// rebuildSQLiteFile writes a complete SQLite index of the files under dir
// to the new file tmp. clean removes temporary files left by a crash
// (only when no store has the directory open).
func rebuildSQLiteFile(ctx context.Context, dir, tmp string, opts Options, clean bool) (RebuildStats, error) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		_ = os.Remove(tmp + suffix)
	}
	x, err := openSQLite(tmp, opts.LockTimeout, true)
	if err != nil {
		return RebuildStats{}, fmt.Errorf("store: rebuild: %w", err)
	}
	var st RebuildStats
	err = x.tx(ctx, func(tx *sql.Tx) error {
		st, err = fillIndex(ctx, x, tx, dir, opts, clean)
		return err
	})
	if cerr := x.close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return st, err
	}
	// The bulk settings wrote without syncing: sync the file once.
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
		_ = f.Close()
	}
	if err != nil {
		_ = os.Remove(tmp)
		return st, fmt.Errorf("store: rebuild: sync index: %w", err)
	}
	return st, nil
}

// fillIndex puts everything the files under dir hold into the empty index
// tx: run folders 256 at a time (scanned in parallel), then the trend
// journals, the alarm documents and the alarm-event journal.
func fillIndex(ctx context.Context, x *db, tx *sql.Tx, dir string, opts Options, clean bool) (RebuildStats, error) {
	var st RebuildStats
	ps, err := prepareRebuild(ctx, x, tx)
	if err != nil {
		return st, err
	}
	defer ps.close()
	bucket := opts.Bucket
	if bucket == nil {
		bucket = blob.Dir(dir)
	}
	if root, ok := dirRoot(bucket); ok {
		err = fillRunsFromDir(ctx, ps, root, opts, clean, &st)
	} else {
		err = fillRunsFromBucket(ctx, ps, bucket, opts, &st)
	}
	if err != nil {
		return st, err
	}
	if err := fillJournals(ctx, x, tx, dir, opts, clean, &st); err != nil {
		return st, err
	}
	if st.Documents, err = syncDocuments(ctx, x, tx, bucket, opts); err != nil {
		return st, err
	}
	if _, err := syncOutputs(ctx, x, tx, dir, bucket, opts); err != nil {
		return st, err
	}
	if err := x.setMeta(ctx, tx, "schema", schemaVersion); err != nil {
		return st, err
	}
	return st, nil
}

// runFolder parses the name of a folder at the top of the snapshot tree:
// ok for Run<N>; other names starting with "Run" are counted as skipped
// (and listed in OutOfRange when N is too large), the rest ignored.
func runFolder(name string, opts Options, st *RebuildStats) (int, bool) {
	if len(name) < 4 || name[:3] != "Run" {
		return 0, false
	}
	n, err := ParseRunDir(name)
	if errors.Is(err, ErrRunRange) {
		opts.Logger.Error("store: rebuild: run folder outside the valid run range, skipped (move it aside or rename it)", "name", name, "max", overwatch.MaxRun)
		st.Skipped++
		st.OutOfRange = append(st.OutOfRange, name)
		return 0, false
	}
	if err != nil {
		opts.Logger.Warn("store: rebuild: folder is not Run<number>, skipped", "name", name)
		st.Skipped++
		return 0, false
	}
	return n, true
}

// fillRunsFromDir indexes the run folders of a local snapshot directory
// (the data directory, or another DirBucket's root) 256 at a time, each
// batch scanned in parallel: faster than listing the bucket.
func fillRunsFromDir(ctx context.Context, ps *rebuildStmts, dir string, opts Options, clean bool, st *RebuildStats) error {
	root, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: rebuild: open %s: %w", dir, err)
	}
	defer root.Close()
	logDebug := func(msg string, args ...any) { opts.Logger.Debug(msg, args...) }
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, rerr := root.ReadDir(256)
		var runs []int
		for _, e := range ents {
			if e.IsDir() {
				if n, ok := runFolder(e.Name(), opts, st); ok {
					runs = append(runs, n)
				}
			}
		}
		sort.Ints(runs)
		for _, sc := range scanRuns(dir, runs, clean) {
			if err := indexRun(ctx, ps, sc, st, logDebug); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("store: rebuild: list %s: %w", dir, rerr)
		}
	}
	return nil
}

// reconcile repairs the index after a crash: every folder marked by a
// Store that is gone is compared with the index (files the index lacks
// are added, entries without a file dropped, temporary files removed), the journals are replayed past their indexed offsets and the
// alarm documents re-read.
func (s *Store) reconcile(ctx context.Context) error {
	return s.x.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT rel, writer FROM dirty")
		if err != nil {
			return fmt.Errorf("store: read crash markers: %w", err)
		}
		type mark struct{ rel, writer string }
		var dead []mark
		alive := map[string]bool{}
		for rows.Next() {
			var m mark
			if err := rows.Scan(&m.rel, &m.writer); err != nil {
				rows.Close()
				return fmt.Errorf("store: read crash markers: %w", err)
			}
			live, ok := alive[m.writer]
			if !ok {
				live = m.writer == s.writer || writerAlive(s.dir, m.writer)
				alive[m.writer] = live
			}
			if !live {
				dead = append(dead, m)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: read crash markers: %w", err)
		}
		done := map[string]bool{}
		for _, m := range dead {
			if !done[m.rel] {
				if err := s.reconcileDir(ctx, tx, m.rel); err != nil {
					return err
				}
				done[m.rel] = true
			}
			if _, err := tx.ExecContext(ctx, s.x.d.q("DELETE FROM dirty WHERE rel = ? AND writer = ?"), m.rel, m.writer); err != nil {
				return fmt.Errorf("store: clear crash marker: %w", err)
			}
		}
		return s.reconcileJournals(ctx, tx)
	})
}

// reconcileDir makes the index entries of one Run<N>/<SYS> folder equal to
// its files: those of the snapshot directory (a DirBucket), or the objects
// the bucket lists under the folder's prefix (a crashed writer left either
// an object it did not index or nothing: objects are atomic).
func (s *Store) reconcileDir(ctx context.Context, tx *sql.Tx, rel string) error {
	runPart, sys, ok := strings.Cut(rel, "/")
	if ok && runPart == trendingDir && overwatch.ValidSubsystem(sys) {
		// Trending outputs: only temporary files to remove (the trend
		// journal is replayed below, for every journal).
		removeOutputTemps(s.abs(rel))
		return nil
	}
	run, err := ParseRunDir(runPart)
	if !ok || err != nil || !overwatch.ValidSubsystem(sys) {
		s.log.Warn("store: ignoring malformed crash marker", "dir", rel)
		return nil
	}
	removeOutputTemps(s.abs(rel))
	fsio.RemoveTemps(s.abs(RunDir(run))) // runInfo.yaml
	scan := scanDirFolder
	if _, ok := dirRoot(s.bucket); !ok {
		scan = scanBucketFolder
	}
	fsc, err := scan(ctx, s.bucket, run, sys)
	if err != nil {
		return err
	}
	if fsc.modeErr != nil {
		s.log.Warn("store: unreadable run info, using mode U", "run", run, "err", fsc.modeErr)
	}
	if fsc.accErr != nil {
		s.log.Warn("store: unreadable subsystem info, accumulation left unset", "dir", rel, "err", fsc.accErr)
	}
	files, mode, acc := fsc.files, fsc.mode, fsc.acc
	have := map[stamp]string{}
	err = s.x.snapshotRows(ctx, tx, run, sys, func(st stamp, rec snapRecord) error {
		have[st] = rec.Name
		return nil
	})
	if err != nil {
		return err
	}
	if len(files) > 0 {
		if _, err := s.x.ensureRun(ctx, tx, run, mode); err != nil {
			return err
		}
	}
	added, removed := 0, 0
	onDisk := map[stamp]bool{}
	for _, f := range files {
		onDisk[f.st] = true
		if name, ok := have[f.st]; ok && name == f.name {
			continue
		}
		if _, ok := have[f.st]; ok { // another name for the same instant
			if _, err := tx.ExecContext(ctx, s.x.d.q("DELETE FROM snapshots WHERE run = ? AND sys = ? AND t = ? AND seq = ?"), run, sys, f.st.T, f.st.Seq); err != nil {
				return fmt.Errorf("store: reconcile %s: %w", rel, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.x.d.q(insertSnap), run, sys, f.st.T, f.st.Seq, f.name, f.size, "", "", string(acc)); err != nil {
			return fmt.Errorf("store: reconcile %s: %w", rel, err)
		}
		added++
	}
	for st := range have {
		if !onDisk[st] {
			if _, err := tx.ExecContext(ctx, s.x.d.q("DELETE FROM snapshots WHERE run = ? AND sys = ? AND t = ? AND seq = ?"), run, sys, st.T, st.Seq); err != nil {
				return fmt.Errorf("store: reconcile %s: %w", rel, err)
			}
			removed++
		}
	}
	if err := s.x.recomputeSub(ctx, tx, run, sys); err != nil {
		return err
	}
	if added+removed > 0 {
		s.log.Info("store: reconciled folder after an unclean shutdown", "dir", rel, "added", added, "removed", removed)
	}
	return nil
}

// folderScan is what one Run<N>/<SYS> folder holds for reconciliation.
type folderScan struct {
	files           []fileEntry // snapshot files, by time then sequence
	mode            overwatch.HLTMode
	acc             overwatch.Accumulation
	modeErr, accErr error // unreadable runInfo.yaml, subsystemInfo.yaml
}

// scanDirFolder reads one Run<N>/<SYS> folder of a DirBucket's directory:
// its snapshot files (temporary files removed), the run's mode and the
// subsystem's accumulation.
func scanDirFolder(_ context.Context, b blob.Bucket, run int, sys string) (folderScan, error) {
	root, _ := dirRoot(b)
	var fsc folderScan
	sub := filepath.Join(root, RunDir(run), sys)
	var skipped int
	var err error
	if fsc.files, err = scanSubsystem(sub, sys, true, &skipped); err != nil {
		return fsc, err
	}
	fsio.RemoveTemps(filepath.Join(root, RunDir(run))) // runInfo.yaml
	fsc.mode, _, fsc.modeErr = readRunMode(filepath.Join(root, RunDir(run)))
	fsc.acc, fsc.accErr = readSubsystemAccumulation(sub)
	return fsc, nil
}

// removeOutputTemps deletes temporary files left by a crash in the output
// folders of one Run<N>/<SYS> folder (json, img, hints and every slice).
func removeOutputTemps(subDir string) {
	for _, d := range []string{"json", "img", "hints", ""} {
		fsio.RemoveTemps(filepath.Join(subDir, d))
	}
	slices, err := os.ReadDir(filepath.Join(subDir, "slices"))
	if err != nil {
		return
	}
	for _, sl := range slices {
		if sl.IsDir() {
			removeOutputTemps(filepath.Join(subDir, "slices", sl.Name()))
		}
	}
}

// lockBuild takes the build lock of dir exclusively, waiting until
// deadline.
func lockBuild(ctx context.Context, dir string, deadline time.Time) (*os.File, error) {
	if err := fsio.Mkdirs(dir, locksDir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, locksDir, ".build"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: rebuild: build lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("store: rebuild: build lock: %w", err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("store: rebuild: %s: another process is building the index: %w", dir, ErrLocked)
		}
		if err := ctx.Err(); err != nil {
			f.Close()
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockWhenNeeded takes the directory exclusively for the rebuild an
// opening Store needs, unless another process builds the index meanwhile:
// a Store that opened the directory first holds its shared lock for as long
// as it runs, so waiting for the exclusive lock alone would wait for that
// process to end. Between tries it looks, under a shared lock, whether the
// index is there now; then it returns a nil lock and nothing to do.
//
// The openers that need a rebuild look one at a time (the build lock,
// locks/.build): each look holds a shared lock while it opens the engine
// (tens of milliseconds on PostgreSQL), and several openers looking in
// turn kept a shared lock held at every instant, so that none ever got the
// exclusive lock (seven processes started at once on a new PostgreSQL
// index all waited until their timeout).
func lockWhenNeeded(ctx context.Context, dir, kind, dsn string, opts Options, wait time.Duration) (*os.File, error) {
	deadline := time.Now().Add(wait)
	build, err := lockBuild(ctx, dir, deadline)
	if err != nil {
		return nil, err
	}
	defer build.Close()
	for {
		lock, err := lockDir(dir, true, 0)
		if err == nil {
			return lock, nil
		}
		if !errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("store: rebuild: %w", err)
		}
		if shared, err := lockDir(dir, false, 0); err == nil {
			built := false
			if x, err := openEngine(dir, kind, dsn, opts); err == nil {
				v, err := x.meta(ctx, "schema")
				built = err == nil && v == schemaVersion
				_ = x.close()
			}
			_ = unlockDir(shared)
			if built {
				return nil, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("store: rebuild: %s is open in another store and has no index yet: %w", dir, ErrLocked)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
