package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
)

// The snapshot files live in a blob.Bucket (Options.Bucket). A DirBucket
// is a local directory: a rebuild and a reconciliation scan its folders
// directly, which is faster than listing it. Any other bucket (S3,
// XRootD) is read through List: its keys are the same Run<N>/<SYS>/<name>
// as the directory's paths, parsed with the same grammar (names.go).

// dirRoot returns the directory of a DirBucket (ok false for other
// buckets).
func dirRoot(b blob.Bucket) (string, bool) {
	if d, ok := b.(*blob.DirBucket); ok {
		return d.Root(), true
	}
	return "", false
}

// bucketIsDataDir reports whether the snapshot bucket is the data
// directory itself (the default): then a run's folder holds its snapshots
// and its outputs together.
func (s *Store) bucketIsDataDir() bool {
	root, ok := dirRoot(s.bucket)
	if !ok {
		return false
	}
	a, err1 := filepath.Abs(root)
	b, err2 := filepath.Abs(s.dir)
	return err1 == nil && err2 == nil && a == b
}

// bucketRun is what a listing of one Run<N>/ prefix held: the snapshot
// files per subsystem and which sidecars exist.
type bucketRun struct {
	run     int
	files   map[string][]fileEntry
	seen    map[string]map[stamp]bool
	info    map[string]bool // subsystems with a subsystemInfo.yaml
	skipped int
}

func newBucketRun(run int) *bucketRun {
	return &bucketRun{run: run, files: map[string][]fileEntry{}, seen: map[string]map[stamp]bool{}, info: map[string]bool{}}
}

// add takes one listed object, rest being its key after "Run<N>/".
// Objects deeper than <SYS>/<name> (outputs) and at the run level
// (runInfo.yaml, read separately) are not snapshots.
func (r *bucketRun) add(rest string, size int64) {
	sys, name, ok := strings.Cut(rest, "/")
	if !ok || !overwatch.ValidSubsystem(sys) || strings.Contains(name, "/") || isHidden(name) {
		return
	}
	if name == subsystemInfoFile {
		r.info[sys] = true
		return
	}
	st, ok, bad := snapshotStamp(name, sys)
	if bad {
		r.skipped++
	}
	if !ok {
		return
	}
	if r.seen[sys] == nil {
		r.seen[sys] = map[stamp]bool{}
	}
	r.files[sys] = addSnapshotFile(r.files[sys], r.seen[sys], st, name, size, &r.skipped)
}

// scan reads the sidecars of the run's subsystems with snapshots and
// returns the run as a rebuild indexes it.
func (r *bucketRun) scan(ctx context.Context, b blob.Bucket) runScan {
	sc := runScan{run: r.run, skipped: r.skipped}
	subs := make([]string, 0, len(r.files))
	for sys := range r.files {
		subs = append(subs, sys)
	}
	sort.Strings(subs)
	for _, sys := range subs {
		files := r.files[sys]
		sortFiles(files)
		acc := overwatch.AccumulationUnset
		if r.info[sys] {
			var err error
			if acc, err = readAccumulationObject(ctx, b, r.run, sys); err != nil {
				sc.accErrs = append(sc.accErrs, err)
			}
		}
		sc.subs = append(sc.subs, sys)
		sc.files = append(sc.files, files)
		sc.accs = append(sc.accs, acc)
	}
	if len(sc.subs) > 0 {
		sc.mode, _, sc.modeErr = readRunModeObject(ctx, b, r.run)
	}
	return sc
}

// readAccumulationObject reads the accumulation of a subsystem's
// subsystemInfo.yaml in a bucket; unset when there is none.
func readAccumulationObject(ctx context.Context, b blob.Bucket, run int, sys string) (overwatch.Accumulation, error) {
	key := snapshotDir(run, sys) + "/" + subsystemInfoFile
	data, ok, err := readObject(ctx, b, key, subsystemInfoMax)
	if err != nil || !ok {
		return overwatch.AccumulationUnset, err
	}
	a, err := parseSubsystemInfo(data)
	if err != nil {
		return overwatch.AccumulationUnset, fmt.Errorf("store: %s: %w", key, err)
	}
	return a, nil
}

// rebuildBatch is how many runs a bucket rebuild holds before indexing
// them (their sidecars are read in parallel).
const rebuildBatch = 256

// fillRunsFromBucket indexes the runs a bucket lists under "Run": one
// listing in key order, so that each Run<N>/ prefix comes in one piece;
// runs are held rebuildBatch at a time (memory stays bounded whatever
// the number of runs) and their sidecars read in parallel.
func fillRunsFromBucket(ctx context.Context, ps *rebuildStmts, b blob.Bucket, opts Options, st *RebuildStats) error {
	logDebug := func(msg string, args ...any) { opts.Logger.Debug(msg, args...) }
	var batch []*bucketRun
	flush := func() error {
		scans := make([]runScan, len(batch))
		inParallel(len(batch), func(i int) { scans[i] = batch[i].scan(ctx, b) })
		batch = batch[:0]
		for _, sc := range scans {
			if err := indexRun(ctx, ps, sc, st, logDebug); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
	var folder string // the Run<N> prefix being listed
	var cur *bucketRun
	var ferr error
	err := b.List(ctx, "Run", func(bi blob.Info) error {
		f, rest, ok := strings.Cut(bi.Key, "/")
		if !ok {
			return nil // an object, not a folder
		}
		if f != folder {
			folder, cur = f, nil
			if n, ok := runFolder(f, opts, st); ok {
				if len(batch) == rebuildBatch {
					if ferr = flush(); ferr != nil {
						return ferr
					}
				}
				cur = newBucketRun(n)
				batch = append(batch, cur)
			}
		}
		if cur != nil {
			cur.add(rest, bi.Size)
		}
		return nil
	})
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("store: rebuild: list the bucket: %w", err)
	}
	return flush()
}

// scanBucketFolder reads one Run<N>/<SYS> folder of a bucket through its
// listing, for reconciliation.
func scanBucketFolder(ctx context.Context, b blob.Bucket, run int, sys string) (folderScan, error) {
	r := newBucketRun(run)
	prefix := RunDir(run) + "/"
	err := b.List(ctx, snapshotDir(run, sys)+"/", func(bi blob.Info) error {
		r.add(strings.TrimPrefix(bi.Key, prefix), bi.Size)
		return nil
	})
	if err != nil {
		return folderScan{}, fmt.Errorf("store: list %s: %w", snapshotDir(run, sys), err)
	}
	fsc := folderScan{files: r.files[sys]}
	sortFiles(fsc.files)
	fsc.mode, _, fsc.modeErr = readRunModeObject(ctx, b, run)
	if r.info[sys] {
		fsc.acc, fsc.accErr = readAccumulationObject(ctx, b, run, sys)
	}
	return fsc, nil
}

// deleteBatch bounds the keys a prefix deletion holds at once.
const deleteBatch = 1000

// errBatchFull stops a listing once a batch is full.
var errBatchFull = errors.New("batch full")

// deletePrefix deletes every object of b whose key starts with prefix, in
// batches of deleteBatch keys listed then deleted (memory stays bounded,
// and no listing runs while its objects are deleted). It returns the
// number of objects deleted.
func deletePrefix(ctx context.Context, b blob.Bucket, prefix string) (int, error) {
	n := 0
	for {
		var keys []string
		err := b.List(ctx, prefix, func(bi blob.Info) error {
			keys = append(keys, bi.Key)
			if len(keys) == deleteBatch {
				return errBatchFull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errBatchFull) {
			return n, fmt.Errorf("store: list %s: %w", prefix, err)
		}
		for _, k := range keys {
			if err := b.Delete(ctx, k); err != nil {
				return n, fmt.Errorf("store: delete %s: %w", k, err)
			}
			n++
		}
		if len(keys) < deleteBatch {
			return n, nil
		}
	}
}

// prefixBytes returns the total size of the objects of b under prefix.
func prefixBytes(ctx context.Context, b blob.Bucket, prefix string) (int64, error) {
	var n int64
	err := b.List(ctx, prefix, func(bi blob.Info) error {
		n += bi.Size
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: list %s: %w", prefix, err)
	}
	return n, nil
}

// The quarantine is bounded: after each quarantined file, the oldest
// entries (a file and its ".reason.txt" note) are evicted while there are
// more than quarantineMaxEntries or they hold more than
// quarantineMaxBytes. The DQM receiver's quarantine/dqm/ has bounds of
// its own and is left to it.
const (
	quarantineMaxEntries = 1000
	quarantineMaxBytes   = 1 << 30
)

// reasonSuffix names the note beside a quarantined file.
const reasonSuffix = ".reason.txt"

// quarantineObject copies the snapshot object rel/name of the bucket to
// quarantine/rel/name (a free variant name.1, name.2, … when taken) with a
// note of the reason beside it, then deletes the original; it returns the
// quarantined key. The caller has unindexed the snapshot: a crash before
// the delete leaves the original, which reconciliation indexes again.
func (s *Store) quarantineObject(ctx context.Context, rel, name, reason string) (string, error) {
	src := rel + "/" + name
	base := quarantineDir + "/" + src
	dst := ""
	for i := 0; dst == "" && i < quarantineMaxEntries; i++ {
		key := base
		if i > 0 {
			key += "." + strconv.Itoa(i)
		}
		if _, err := s.bucket.Stat(ctx, key+reasonSuffix); err == nil {
			continue // a note left without its file
		} else if !errors.Is(err, blob.ErrNotExist) {
			return "", fmt.Errorf("store: quarantine %s: %w", src, err)
		}
		rc, err := s.bucket.Open(ctx, src, 0, -1)
		if err != nil {
			return "", fmt.Errorf("store: quarantine %s: %w", src, err)
		}
		_, err = s.bucket.Put(ctx, key, rc)
		_ = rc.Close()
		if errors.Is(err, blob.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("store: quarantine %s: %w", src, err)
		}
		dst = key
	}
	if dst == "" {
		return "", fmt.Errorf("store: quarantine %s: no free name under %s", src, quarantineDir)
	}
	note := fmt.Sprintf("%s\nquarantined %s\n", reason, time.Now().UTC().Format(time.RFC3339))
	if _, err := s.bucket.Put(ctx, dst+reasonSuffix, strings.NewReader(note)); err != nil && !errors.Is(err, blob.ErrExist) {
		return "", fmt.Errorf("store: quarantine %s: note: %w", src, err)
	}
	if err := s.bucket.Delete(ctx, src); err != nil {
		return "", fmt.Errorf("store: quarantine %s: %w", src, err)
	}
	return dst, nil
}

// quarantined is one quarantine entry: a file and its note.
type quarantined struct {
	keys []string
	size int64
	time time.Time // the newest of its objects (the note: when quarantined)
}

// boundQuarantine evicts the oldest entries of the quarantine/ of b
// beyond quarantineMaxEntries and quarantineMaxBytes (see above); it
// returns how many it evicted.
func (s *Store) boundQuarantine(ctx context.Context, b blob.Bucket) (int, error) {
	groups := map[string]*quarantined{}
	err := b.List(ctx, quarantineDir+"/", func(bi blob.Info) error {
		if strings.HasPrefix(bi.Key, quarantineDir+"/dqm/") {
			return nil
		}
		k := strings.TrimSuffix(bi.Key, reasonSuffix)
		g := groups[k]
		if g == nil {
			g = &quarantined{}
			groups[k] = g
		}
		g.keys = append(g.keys, bi.Key)
		g.size += bi.Size
		if bi.ModTime.After(g.time) {
			g.time = bi.ModTime
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: list the quarantine: %w", err)
	}
	list := make([]*quarantined, 0, len(groups))
	var total int64
	for _, g := range groups {
		list = append(list, g)
		total += g.size
	}
	if len(list) <= quarantineMaxEntries && total <= quarantineMaxBytes {
		return 0, nil
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].time.Equal(list[j].time) {
			return list[i].time.Before(list[j].time)
		}
		return list[i].keys[0] < list[j].keys[0]
	})
	evicted := 0
	for _, g := range list {
		if len(list)-evicted <= quarantineMaxEntries && total <= quarantineMaxBytes {
			break
		}
		for _, k := range g.keys {
			if err := b.Delete(ctx, k); err != nil {
				return evicted, fmt.Errorf("store: evict %s from the quarantine: %w", k, err)
			}
		}
		total -= g.size
		evicted++
		s.log.Warn("store: quarantined file evicted (quarantine bounds)", "key", g.keys[0], "bytes", g.size,
			"maxEntries", quarantineMaxEntries, "maxBytes", quarantineMaxBytes)
	}
	return evicted, nil
}
