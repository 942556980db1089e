package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
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
	yaml "go.yaml.in/yaml/v3"
)

// DefaultSubsystems are the configured subsystems when Options.Subsystems
// is empty.
var DefaultSubsystems = []string{"EMC", "TPC", "HLT"}

// Options configure a Store. The zero value is usable.
type Options struct {
	// Subsystems are the configured subsystems (default EMC, TPC, HLT).
	// A configured subsystem without files of its own in a run borrows
	// the HLT receiver's files when the run has some. Snapshots of other
	// valid subsystems are stored and listed too, but never borrow.
	Subsystems []string
	// Logger receives the store's log lines (default slog.Default()).
	Logger *slog.Logger
	// NoSyncOutputs skips the fsyncs of PutOutput. Outputs stay atomic
	// (a crash of the process never leaves a half file) but a power loss
	// may lose the newest ones; they can always be recomputed from the
	// snapshots. Snapshots, trends and alarms are always synced.
	NoSyncOutputs bool
	// WatchBuffer is the channel capacity of each Watch subscriber
	// (default 256); announcements to a full channel are dropped.
	WatchBuffer int
	// IngestSettle is how long a drop-folder file must be left unmodified
	// before Ingest takes it (default 1 s).
	IngestSettle time.Duration
	// LockTimeout bounds the wait for the index file lock held by another
	// process (default 5 s).
	LockTimeout time.Duration
	// MaxIngestSize is the largest drop-folder file Ingest reads (default
	// 1 GiB); larger files are quarantined.
	MaxIngestSize int64
}

func (o Options) withDefaults() Options {
	if len(o.Subsystems) == 0 {
		o.Subsystems = DefaultSubsystems
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.WatchBuffer <= 0 {
		o.WatchBuffer = 256
	}
	if o.IngestSettle <= 0 {
		o.IngestSettle = time.Second
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 5 * time.Second
	}
	if o.MaxIngestSize <= 0 {
		o.MaxIngestSize = 1 << 30
	}
	return o
}

// Store is the default overwatch.Store: a file tree plus an embedded
// bbolt index. It is safe for concurrent use. Only one process opens a
// data directory at a time (the index is locked).
type Store struct {
	dir        string
	opts       Options
	log        *slog.Logger
	db         *bolt.DB
	subsystems []string

	mu       sync.Mutex      // serialises snapshot writes (sequence numbers, run creation)
	dirty    map[string]bool // directories marked dirty in the index this session
	inflight map[string]int  // snapshot writes under way per directory

	trendMu sync.Mutex // serialises trend appends
	alarmMu sync.Mutex // serialises alarm writes

	watchMu  sync.Mutex
	watchers map[chan overwatch.SnapshotInfo]struct{}
	closed   bool
	done     chan struct{}
	dropped  atomic.Int64
}

var _ overwatch.Store = (*Store)(nil)

// Open opens (creating if needed) the store rooted at dir. A missing,
// unreadable or outdated index is rebuilt from the files; directories a
// crashed writer was working in are reconciled with the index, trend
// points and alarm documents written after the last index update are
// re-indexed, and temporary files are removed.
func Open(dir string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	for _, s := range opts.Subsystems {
		if !overwatch.ValidSubsystem(s) {
			return nil, fmt.Errorf("store: configured subsystem %q is not 2–8 upper-case letters or digits", s)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	s := &Store{
		dir: dir, opts: opts, log: opts.Logger,
		subsystems: append([]string(nil), opts.Subsystems...),
		dirty:      map[string]bool{},
		inflight:   map[string]int{},
		watchers:   map[chan overwatch.SnapshotInfo]struct{}{},
		done:       make(chan struct{}),
	}
	sort.Strings(s.subsystems)
	db, fresh, err := openIndex(dir, opts)
	if err != nil {
		return nil, err
	}
	s.db = db
	if fresh {
		_ = db.Close()
		if _, err := Rebuild(context.Background(), dir, opts); err != nil {
			return nil, err
		}
		if s.db, _, err = openIndex(dir, opts); err != nil {
			return nil, err
		}
	} else if err := s.reconcile(); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	return s, nil
}

// openIndex opens the index file. fresh reports that it has to be built
// from the files (absent, unreadable or of another schema).
func openIndex(dir string, opts Options) (*bolt.DB, bool, error) {
	p := filepath.Join(dir, indexFile)
	_, statErr := os.Stat(p)
	db, err := bolt.Open(p, 0o644, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, false, fmt.Errorf("store: index %s is locked by another process: %w", p, err)
		}
		opts.Logger.Warn("store: index unreadable, moving it aside and rebuilding", "path", p, "err", err)
		if rerr := os.Rename(p, p+".broken"); rerr != nil {
			return nil, false, fmt.Errorf("store: index %s unreadable (%v) and cannot be moved aside: %w", p, err, rerr)
		}
		if db, err = bolt.Open(p, 0o644, &bolt.Options{Timeout: opts.LockTimeout}); err != nil {
			return nil, false, fmt.Errorf("store: create index %s: %w", p, err)
		}
		statErr = fs.ErrNotExist
	}
	fresh := statErr != nil
	err = db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m == nil || string(m.Get(keySchema)) != schemaVersion {
			fresh = true
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, false, fmt.Errorf("store: read index %s: %w", p, err)
	}
	return db, fresh, nil
}

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.dir }

// Subsystems returns the configured subsystems, sorted.
func (s *Store) Subsystems() []string { return append([]string(nil), s.subsystems...) }

// Close clears the crash markers, ends every Watch channel and closes the
// index.
func (s *Store) Close() error {
	s.watchMu.Lock()
	if s.closed {
		s.watchMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for ch := range s.watchers {
		close(ch)
		delete(s.watchers, ch)
	}
	s.watchMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bDirty); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bDirty)
		return err
	})
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

func (s *Store) abs(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

// maxDirtyMarks bounds the crash markers of a session, and so the work
// of reconciling after a crash, however many runs a long-lived store
// writes to.
const maxDirtyMarks = 256

// markDirty records in the index, before the first write of this session
// into a run's subsystem folder, that the folder may hold files the index
// does not know yet. Open reconciles such folders after a crash. When the
// session has many marks, those of folders without a write under way are
// cleared first: such a folder agrees with the index (a snapshot is
// linked and indexed under s.mu). The caller holds s.mu.
func (s *Store) markDirty(rel string) error {
	if s.dirty[rel] {
		return nil
	}
	trim := len(s.dirty) >= maxDirtyMarks
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDirty)
		if trim {
			for d := range s.dirty {
				if s.inflight[d] == 0 {
					if err := b.Delete([]byte(d)); err != nil {
						return err
					}
				}
			}
		}
		return b.Put([]byte(rel), nil)
	})
	if err != nil {
		return fmt.Errorf("store: mark %s in the index: %w", rel, err)
	}
	if trim {
		for d := range s.dirty {
			if s.inflight[d] == 0 {
				delete(s.dirty, d)
			}
		}
	}
	s.dirty[rel] = true
	return nil
}

func (s *Store) endWrite(rel string) {
	if s.inflight[rel]--; s.inflight[rel] <= 0 {
		delete(s.inflight, rel)
	}
}

// readRunMode reads the HLT mode of runInfo.yaml in a run folder. ok is
// false when the file does not exist.
func readRunMode(runDir string) (overwatch.HLTMode, bool, error) {
	b, err := os.ReadFile(filepath.Join(runDir, runInfoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return overwatch.ModeUnknown, false, nil
	}
	if err != nil {
		return overwatch.ModeUnknown, false, fmt.Errorf("store: read %s: %w", runInfoFile, err)
	}
	var doc struct {
		HLTMode string `yaml:"hltMode"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return overwatch.ModeUnknown, true, fmt.Errorf("store: %s in %s: %w", runInfoFile, runDir, err)
	}
	m, err := overwatch.ParseHLTMode(doc.HLTMode)
	if err != nil {
		return overwatch.ModeUnknown, true, fmt.Errorf("store: %s in %s: %w", runInfoFile, runDir, err)
	}
	return m, true, nil
}

// runMode returns the mode of a run: runInfo.yaml when it exists, else it
// writes runInfo.yaml with mode (the first snapshot of the run wins; the
// file is never rewritten).
func (s *Store) runMode(run int, mode overwatch.HLTMode) (overwatch.HLTMode, error) {
	dir := s.abs(RunDir(run))
	m, ok, err := readRunMode(dir)
	if ok {
		if err != nil {
			s.log.Warn("store: unreadable run info, using mode U", "run", run, "err", err)
		}
		return m, nil
	}
	if err != nil {
		return "", err
	}
	doc := fmt.Sprintf("hltMode: %s\n", mode)
	if err := writeAtomic(dir, runInfoFile, []byte(doc), true); err != nil {
		return "", err
	}
	return mode, nil
}

// PutSnapshot stores the ROOT file read from r. The file is written to a
// temporary file and fsynced, then given its final name without ever
// replacing a file (a snapshot of the same second gets the next sequence
// number, ".1", ".2", … before ".root"), the directory is fsynced, and
// only then is the snapshot indexed. The first snapshot of a run writes
// runInfo.yaml with its mode; later snapshots take the run's mode. Replay
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
	dir := s.abs(rel)
	if err := mkdirs(s.dir, rel); err != nil {
		return overwatch.SnapshotInfo{}, err
	}
	if !replay {
		s.mu.Lock()
		err := s.markDirty(rel)
		if err == nil {
			s.inflight[rel]++
		}
		s.mu.Unlock()
		if err != nil {
			return overwatch.SnapshotInfo{}, err
		}
	}
	tmp, size, err := writeTemp(dir, meta.Subsystem+"hists", r, true)
	if err != nil {
		if !replay {
			s.mu.Lock()
			s.endWrite(rel)
			s.mu.Unlock()
		}
		return overwatch.SnapshotInfo{}, err
	}
	defer os.Remove(tmp)

	s.mu.Lock()
	defer s.mu.Unlock()
	if !replay {
		defer s.endWrite(rel) // runs before the unlock
	}
	if !replay {
		var rec *runRecord
		if err := s.db.View(func(tx *bolt.Tx) (err error) { rec, err = getRun(tx, meta.Run); return }); err != nil {
			return overwatch.SnapshotInfo{}, err
		}
		if rec != nil {
			if mode != rec.Mode {
				s.log.Debug("store: snapshot mode differs from run mode; the run's mode (first snapshot) wins",
					"run", meta.Run, "subsystem", meta.Subsystem, "mode", mode, "runMode", rec.Mode)
			}
			mode = rec.Mode
		} else if mode, err = s.runMode(meta.Run, mode); err != nil {
			return overwatch.SnapshotInfo{}, err
		}
	}
	info := overwatch.SnapshotInfo{
		SnapshotRef: overwatch.SnapshotRef{Run: meta.Run, Subsystem: meta.Subsystem, Time: t},
		Mode:        mode, Origin: meta.Origin, Size: size,
	}
	// Sequence numbers already indexed for this second (a legacy tree may
	// hold them under unpadded names the link below would not see).
	used := map[int]bool{}
	if !replay {
		p := append(snapPrefix(meta.Run, meta.Subsystem), orderedInt64(t.Unix())...)
		_ = s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bSnaps).Cursor()
			for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
				if _, _, st, err := parseSnapKey(k); err == nil {
					used[st.Seq] = true
				}
			}
			return nil
		})
	}
	var name string
	for seq := 0; ; seq++ {
		if seq > 100000 {
			return overwatch.SnapshotInfo{}, fmt.Errorf("store: put snapshot %s: no free sequence number", info.SnapshotRef)
		}
		if used[seq] {
			continue
		}
		name = FormatMovedName(meta.Subsystem, t, seq)
		ok, err := linkNew(tmp, dir, name)
		if err != nil {
			return overwatch.SnapshotInfo{}, err
		}
		if ok {
			info.Seq = seq
			break
		}
	}
	_ = os.Remove(tmp)
	if err := syncDir(dir); err != nil {
		return overwatch.SnapshotInfo{}, err
	}
	info.Path = rel + "/" + name
	if replay {
		s.log.Info("store: replay snapshot stored apart, not processed", "path", info.Path)
		return info, nil
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return indexSnapshot(tx, info, name)
	})
	if err != nil {
		return overwatch.SnapshotInfo{}, err
	}
	s.announce(info)
	return info, nil
}

// indexSnapshot adds a snapshot to the index and updates its run.
func indexSnapshot(tx *bolt.Tx, info overwatch.SnapshotInfo, name string) error {
	st := stamp{T: info.Time.Unix(), Seq: info.Seq}
	v := snapRecord{Name: name, Size: info.Size, Source: info.Origin}.encode()
	if err := tx.Bucket(bSnaps).Put(snapKey(info.Run, info.Subsystem, st), v); err != nil {
		return fmt.Errorf("store: index snapshot %s: %w", info.SnapshotRef, err)
	}
	rec, err := getRun(tx, info.Run)
	if err != nil {
		return err
	}
	if rec == nil {
		rec = &runRecord{Mode: info.Mode, Subs: map[string]*subRecord{}}
	}
	sr := rec.Subs[info.Subsystem]
	switch {
	case sr == nil:
		rec.Subs[info.Subsystem] = &subRecord{N: 1, First: st, Last: st, LastName: name}
	default:
		sr.N++
		if st.before(sr.First) {
			sr.First = st
		}
		if sr.Last.before(st) {
			sr.Last, sr.LastName = st, name
		}
	}
	return putRun(tx, info.Run, rec)
}

// snapInfo builds a SnapshotInfo from an index entry.
func snapInfo(run int, sys string, st stamp, mode overwatch.HLTMode, rec snapRecord) overwatch.SnapshotInfo {
	return overwatch.SnapshotInfo{
		SnapshotRef: overwatch.SnapshotRef{Run: run, Subsystem: sys, Time: st.time(), Seq: st.Seq},
		Mode:        mode, Origin: rec.Source, Size: rec.Size,
		Path: snapshotDir(run, sys) + "/" + rec.Name,
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
	var out []overwatch.SnapshotInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := getRun(tx, run)
		if err != nil {
			return err
		}
		if rec == nil {
			return fmt.Errorf("store: run %d: %w", run, overwatch.ErrNotFound)
		}
		c := tx.Bucket(bSnaps).Cursor()
		p := snapPrefix(run, sys)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			_, _, st, err := parseSnapKey(k)
			if err != nil {
				return err
			}
			var sr snapRecord
			if err := sr.decode(v); err != nil {
				return fmt.Errorf("store: index entry of %s snapshot of run %d: %w", sys, run, err)
			}
			out = append(out, snapInfo(run, sys, st, rec.Mode, sr))
		}
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
	_ = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bSnaps).Get(snapKey(ref.Run, ref.Subsystem, stamp{T: ref.Time.Unix(), Seq: ref.Seq}))
		var sr snapRecord
		if v != nil && sr.decode(v) == nil {
			rel = snapshotDir(ref.Run, ref.Subsystem) + "/" + sr.Name
		}
		return nil
	})
	f, err := os.Open(s.abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.Open(s.abs(SnapshotPath(ref, overwatch.ModeReplay)))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: snapshot %s: %w", ref, overwatch.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open snapshot %s: %w", ref, err)
	}
	return f, nil
}

// Runs lists runs, newest (highest number) first, at most q.Limit (all
// when 0), below q.Before when it is non-zero.
func (s *Store) Runs(ctx context.Context, q overwatch.RunQuery) ([]overwatch.RunInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []overwatch.RunInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bRuns).Cursor()
		var k, v []byte
		if q.Before > 0 {
			if sk, _ := c.Seek(runKey(q.Before)); sk == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		} else {
			k, v = c.Last()
		}
		for ; k != nil; k, v = c.Prev() {
			if q.Limit > 0 && len(out) >= q.Limit {
				break
			}
			run := int(bytesToUint(k))
			r, err := decodeRun(v)
			if err != nil {
				return fmt.Errorf("store: index entry of run %d: %w", run, err)
			}
			out = append(out, s.runInfo(run, r))
		}
		return nil
	})
	return out, err
}

func bytesToUint(k []byte) uint64 {
	var n uint64
	for _, b := range k {
		n = n<<8 | uint64(b)
	}
	return n
}

// RunInfo returns one run; the error wraps ErrNotFound when it is unknown.
func (s *Store) RunInfo(ctx context.Context, number int) (overwatch.RunInfo, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.RunInfo{}, err
	}
	var info overwatch.RunInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := getRun(tx, number)
		if err != nil {
			return err
		}
		if r == nil {
			return fmt.Errorf("store: run %d: %w", number, overwatch.ErrNotFound)
		}
		info = s.runInfo(number, r)
		return nil
	})
	return info, err
}

// CountRuns returns the number of runs in the index.
func (s *Store) CountRuns(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	err := s.db.View(func(tx *bolt.Tx) error { n = runCount(tx); return nil })
	return n, err
}

// PutOutput writes an output atomically (see OutputPath for the layout),
// replacing any previous one.
func (s *Store) PutOutput(ctx context.Context, ref overwatch.OutputRef, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rel, err := OutputPath(ref)
	if err != nil {
		return err
	}
	dir, name := filepath.Split(s.abs(rel))
	if err := mkdirs(s.dir, filepath.Dir(filepath.FromSlash(rel))); err != nil {
		return err
	}
	return writeAtomic(dir, name, data, !s.opts.NoSyncOutputs)
}

// Output reads an output; the error wraps ErrNotFound when it is absent.
func (s *Store) Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rel, err := OutputPath(ref)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: output %s: %w", rel, overwatch.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read output %s: %w", rel, err)
	}
	return b, nil
}

// OutputTime returns when an output was last written (its file's
// modification time); the error wraps ErrNotFound when it is absent.
func (s *Store) OutputTime(ctx context.Context, ref overwatch.OutputRef) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	rel, err := OutputPath(ref)
	if err != nil {
		return time.Time{}, err
	}
	fi, err := os.Stat(s.abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, fmt.Errorf("store: output %s: %w", rel, overwatch.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: stat output %s: %w", rel, err)
	}
	return fi.ModTime(), nil
}

// Watch returns a channel receiving every snapshot indexed after the
// call, until ctx is done or the store is closed (then the channel is
// closed). Sending never blocks the writer: a subscriber whose buffer is
// full misses the announcement (counted by Dropped).
func (s *Store) Watch(ctx context.Context) <-chan overwatch.SnapshotInfo {
	ch := make(chan overwatch.SnapshotInfo, s.opts.WatchBuffer)
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.closed {
		close(ch)
		return ch
	}
	s.watchers[ch] = struct{}{}
	go func() {
		select {
		case <-ctx.Done():
		case <-s.done:
		}
		s.watchMu.Lock()
		defer s.watchMu.Unlock()
		if _, ok := s.watchers[ch]; ok {
			delete(s.watchers, ch)
			close(ch)
		}
	}()
	return ch
}

// Dropped returns how many announcements were dropped because a Watch
// subscriber was not reading fast enough.
func (s *Store) Dropped() int64 { return s.dropped.Load() }

func (s *Store) announce(info overwatch.SnapshotInfo) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for ch := range s.watchers {
		select {
		case ch <- info:
		default:
			s.dropped.Add(1)
		}
	}
}

// isHidden reports whether a directory entry is hidden (a name starting
// with a dot), which includes the store's temporary files.
func isHidden(name string) bool { return strings.HasPrefix(name, ".") }
