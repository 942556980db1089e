package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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
	"syscall"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
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
	// snapshots. Snapshots, trends and alarms are always synced. Outputs
	// on a bucket other than the data directory are as durable as the
	// bucket's puts, whatever this says.
	NoSyncOutputs bool
	// WatchBuffer is the channel capacity of each Watch subscriber
	// (default 256); announcements to a full channel are dropped.
	WatchBuffer int
	// IngestSettle is how long a drop-folder file must be left unmodified
	// before Ingest takes it (default 1 s).
	IngestSettle time.Duration
	// IngestAccumulation is recorded with the snapshots Ingest takes from
	// a drop folder, whose receiver names cannot say whether they are
	// cumulative or reset (unset when empty: readers apply their default).
	IngestAccumulation overwatch.Accumulation
	// LockTimeout bounds the waits for another process: for the lock of
	// the data directory while it is rebuilt (or, in Rebuild, while it is
	// open), and for the SQLite write lock (busy timeout) (default 5 s).
	LockTimeout time.Duration
	// Index selects the index engine: "" or "sqlite" for the SQLite file
	// overwatch.db in the data directory (several processes of one
	// machine share it), "postgres" for the PostgreSQL DSN in
	// $OVERWATCH_PG_DSN, or a PostgreSQL DSN itself (postgres://… or
	// "host=… dbname=…"; keep passwords out of command lines and
	// configuration files: use the environment).
	Index string
	// Bucket keeps the snapshot files, the documents and, when it is not
	// the data directory itself, the processing outputs (default blob.Dir
	// of the data directory: the original Run<N>/<SYS>/… layout, where
	// outputs are files replaced by atomic rename). On another bucket (S3,
	// XRootD/EOS) every output version is an immutable object
	// outputs/<OutputPath>/<version>-<sha256> that an index row points at;
	// superseded versions are deleted a grace period later, DeleteRun
	// deletes a run's outputs, and Rebuild indexes the newest version of
	// each output found on the bucket. The trend and alarm journals and
	// the alarm documents are immutable segments on such a bucket
	// (journal_bucket.go); Rebuild, reconciliation, QuarantineSnapshot
	// and prune list and write it, so an index on PostgreSQL with blobs on
	// S3 or XRootD is rebuilt from the bucket alone.
	Bucket blob.Bucket
	// PollInterval is how often a Store looks for snapshots indexed by
	// other processes, to announce them to its watchers (default 200 ms).
	PollInterval time.Duration
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
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	return o
}

// Store is the default overwatch.Store: a file tree plus an SQL index
// (SQLite in the data directory, or PostgreSQL). It is safe for
// concurrent use, and several processes may open the same data directory
// at once.
type Store struct {
	dir        string
	opts       Options
	log        *slog.Logger
	x          *db
	lock       *os.File // shared flock of the data directory (Rebuild takes it exclusively)
	writerLock *os.File // flock of locks/<writer> while open
	writer     string   // identity of this Store in crash markers and announcements
	subsystems []string

	bucket blob.Bucket // snapshot files, and outputs when outBucket

	outBucket bool          // outputs are objects of bucket (outputs_bucket.go), not files of dir
	outSweep  outputSweeper // background deletion of superseded output objects

	mu       sync.Mutex              // guards the maps below
	reserved map[string]map[int]bool // sequence numbers being written, per folder and second
	dirty    map[string]bool         // directories marked dirty in the index this session
	inflight map[string]int          // snapshot writes under way per directory

	trendMu sync.Mutex // serialises trend appends
	alarmMu sync.Mutex // serialises alarm writes

	watchMu  sync.Mutex
	watchers map[chan overwatch.SnapshotInfo]struct{}
	closed   bool
	done     chan struct{}
	polled   chan struct{} // closed when the announcement poller has stopped

	listening   chan struct{} // closed when the PostgreSQL LISTEN is in place
	listenOnce1 sync.Once
	dropped     atomic.Int64
}

var _ overwatch.Store = (*Store)(nil)

var _ overwatch.AlarmHistory = (*Store)(nil)

// Open opens (creating if needed) the store rooted at dir. A missing or
// outdated index is built from the files (a data directory written by the
// bbolt index of earlier versions is imported so); directories a crashed
// writer was working in are reconciled with the index, trend points, alarm
// documents and alarm events written after the last index update are
// re-indexed, and temporary files are removed.
func Open(dir string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	for _, s := range opts.Subsystems {
		if !overwatch.ValidSubsystem(s) {
			return nil, fmt.Errorf("store: configured subsystem %q is not 2–8 upper-case letters or digits", s)
		}
	}
	kind, dsn, err := engineFor(opts.Index)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	s := &Store{
		dir: dir, opts: opts, log: opts.Logger,
		writer:     newWriterID(dir),
		subsystems: append([]string(nil), opts.Subsystems...),
		bucket:     opts.Bucket,
		dirty:      map[string]bool{},
		reserved:   map[string]map[int]bool{},
		inflight:   map[string]int{},
		watchers:   map[chan overwatch.SnapshotInfo]struct{}{},
		done:       make(chan struct{}),
		polled:     make(chan struct{}),
		listening:  make(chan struct{}),
	}
	if s.bucket == nil {
		s.bucket = blob.Dir(dir)
	}
	s.outBucket = outputsOnBucket(dir, s.bucket)
	sort.Strings(s.subsystems)
	for attempt := 0; ; attempt++ {
		if s.lock, err = lockDir(dir, false, opts.LockTimeout); err != nil {
			return nil, err
		}
		if s.x, err = openEngine(dir, kind, dsn, opts); err != nil {
			_ = unlockDir(s.lock)
			return nil, err
		}
		v, err := s.x.meta(context.Background(), "schema")
		if err != nil {
			_ = s.x.close()
			_ = unlockDir(s.lock)
			return nil, err
		}
		if v == schemaVersion {
			break
		}
		_ = s.x.close()
		_ = unlockDir(s.lock)
		if attempt > 0 {
			return nil, fmt.Errorf("store: index of %s still not built after a rebuild", dir)
		}
		// A new or outdated index: build it from the files (Rebuild
		// takes the directory exclusively, so it waits for other
		// processes opening it at the same time, and skips the work
		// when one of them built it meanwhile).
		if _, err := rebuild(context.Background(), dir, opts, true); err != nil {
			return nil, err
		}
	}
	if err := s.holdWriterLock(); err != nil {
		_ = s.x.close()
		_ = unlockDir(s.lock)
		return nil, err
	}
	if err := s.reconcile(context.Background()); err != nil {
		s.releaseWriterLock()
		_ = s.x.close()
		_ = unlockDir(s.lock)
		return nil, err
	}
	if s.outBucket {
		s.maybeSweepOutputs() // garbage left by earlier sessions
	}
	go s.poll()
	if s.x.d.dollar {
		// Announcements of other Stores start with the LISTEN: wait
		// for it, so that none indexed after Open returns is missed.
		select {
		case <-s.listening:
		case <-time.After(10 * time.Second):
			s.log.Warn("store: PostgreSQL LISTEN not ready after 10 s; announcements of other processes may be late")
		}
	}
	return s, nil
}

// openEngine opens the index of dir on its engine.
// A SQLite file that is not a database (its header is not SQLite's) is
// moved aside to overwatch.db.broken; the index is then built anew.
func openEngine(dir, kind, dsn string, opts Options) (*db, error) {
	if kind == "postgres" {
		return openPostgres(dsn)
	}
	p := filepath.Join(dir, sqliteFile)
	if f, err := os.Open(p); err == nil {
		head := make([]byte, 16)
		n, _ := io.ReadFull(f, head)
		_ = f.Close()
		if n > 0 && string(head[:n]) != "SQLite format 3\x00"[:n] || n > 0 && n < 16 {
			opts.Logger.Warn("store: index is not an SQLite database, moving it aside and rebuilding", "path", p)
			for _, suffix := range []string{"-wal", "-shm"} {
				_ = os.Remove(p + suffix)
			}
			if err := os.Rename(p, p+".broken"); err != nil {
				return nil, fmt.Errorf("store: index %s unreadable and cannot be moved aside: %w", p, err)
			}
		}
	}
	return openSQLite(p, opts.LockTimeout, false)
}

// newWriterID returns "host.dir~pid~random": the identity of one open
// Store of the data directory dir in crash markers and announcements.
func newWriterID(dir string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s~%d~%s", machineID(dir), os.Getpid(), hex.EncodeToString(b[:]))
}

// machineID names the host and the data directory whose locks/ folder
// holds the writer files of its Stores. Processes that share an index and
// a bucket but each have their own data directory (on one host or many)
// cannot see each other's writer files, so they take each other's
// writers as alive (writerAlive) and never reconcile for them.
func machineID(dir string) string {
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	sum := sha256.Sum256([]byte(dir))
	return OutName(host) + "." + hex.EncodeToString(sum[:4])
}

// locksDir holds one file per open Store, flocked while it is open: a
// crash marker whose writer's file is not locked belongs to a Store that
// is gone.
const locksDir = "locks"

// holdWriterLock creates and locks the writer file of this Store.
func (s *Store) holdWriterLock() error {
	if err := fsio.Mkdirs(s.dir, locksDir); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, locksDir, s.writer), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("store: create writer lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return fmt.Errorf("store: lock writer file: %w", err)
	}
	s.writerLock = f
	return nil
}

// releaseWriterLock removes and unlocks the writer file.
func (s *Store) releaseWriterLock() {
	if s.writerLock != nil {
		_ = os.Remove(s.writerLock.Name())
		_ = s.writerLock.Close()
		s.writerLock = nil
	}
}

// writerAlive reports whether the Store with this id is still open: its
// writer file is locked. A writer of another machine or of another data
// directory is taken as alive (its writer file cannot be seen from here,
// so this Store must not reconcile for it).
func writerAlive(dir, id string) bool {
	host, _ := os.Hostname()
	// "host~…" without the directory is the identity of earlier
	// versions, whose writer files were in this directory too.
	if h, _, ok := strings.Cut(id, "~"); !ok || h != machineID(dir) && h != OutName(host) {
		return ok
	}
	p := filepath.Join(dir, locksDir, id)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	_ = os.Remove(p)
	return false
}

// lockFile is the file every open Store holds a shared flock on, and a
// rebuild an exclusive one.
const lockFile = "overwatch.lock"

// lockDir takes the data directory's lock, shared or exclusive, waiting
// at most timeout for a holder of the other kind.
func lockDir(dir string, exclusive bool, timeout time.Duration) (*os.File, error) {
	p := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: open lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("store: lock %s: %w", p, err)
		}
		if time.Now().After(deadline) {
			_ = f.Close()
			if exclusive {
				return nil, fmt.Errorf("store: %s is open in a store (close it first): %w", dir, ErrLocked)
			}
			return nil, fmt.Errorf("store: %s is being rebuilt by another process: %w", dir, ErrLocked)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ErrLocked is wrapped by the errors of Open and Rebuild that waited
// Options.LockTimeout for a rebuild or an open store of another process.
var ErrLocked = errors.New("data directory locked")

func unlockDir(f *os.File) error {
	if f == nil {
		return nil
	}
	return f.Close() // releases the flock
}

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.dir }

// Subsystems returns the configured subsystems, sorted.
func (s *Store) Subsystems() []string { return append([]string(nil), s.subsystems...) }

// Engine returns the index engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.x.d.name }

// Close clears the crash markers of this Store, ends every Watch channel
// and closes the index.
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
	<-s.polled
	s.outSweep.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.x.w.ExecContext(context.Background(), s.x.d.q("DELETE FROM dirty WHERE writer = ?"), s.writer)
	if cerr := s.x.close(); err == nil {
		err = cerr
	}
	s.releaseWriterLock()
	if uerr := unlockDir(s.lock); err == nil {
		err = uerr
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
// does not know yet. Open reconciles the folders marked by a Store whose
// process is gone. When the session has many marks, those of folders
// without a write under way are cleared first: such a folder agrees with
// the index (a snapshot is linked and indexed under s.mu). The caller
// holds s.mu.
func (s *Store) markDirty(rel string) error {
	if s.dirty[rel] {
		return nil
	}
	ctx := context.Background()
	trim := len(s.dirty) >= maxDirtyMarks
	err := s.x.tx(ctx, func(tx *sql.Tx) error {
		if trim {
			for d := range s.dirty {
				if s.inflight[d] == 0 {
					if _, err := tx.ExecContext(ctx, s.x.d.q("DELETE FROM dirty WHERE rel = ? AND writer = ?"), d, s.writer); err != nil {
						return err
					}
				}
			}
		}
		_, err := tx.ExecContext(ctx, s.x.d.q("INSERT INTO dirty (rel, writer) VALUES (?, ?) ON CONFLICT (rel, writer) DO NOTHING"), rel, s.writer)
		return err
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

// beginWrite marks the Run<N>/<SYS> folder rel dirty (markDirty) and
// counts a write under way in it until the returned function is called,
// so that a crash during the write — of a snapshot or of an output, whose
// temporary file it would leave — is repaired by the next Open.
func (s *Store) beginWrite(rel string) (done func(), err error) {
	s.mu.Lock()
	err = s.markDirty(rel)
	if err == nil {
		s.inflight[rel]++
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return func() {
		s.mu.Lock()
		s.endWrite(rel)
		s.mu.Unlock()
	}, nil
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
	m, err := parseRunInfo(b)
	if err != nil {
		return m, true, fmt.Errorf("store: %s in %s: %w", runInfoFile, runDir, err)
	}
	return m, true, nil
}

// parseRunInfo reads the mode of a runInfo.yaml document.
func parseRunInfo(b []byte) (overwatch.HLTMode, error) {
	var doc struct {
		HLTMode string `yaml:"hltMode"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return overwatch.ModeUnknown, err
	}
	m, err := overwatch.ParseHLTMode(doc.HLTMode)
	if err != nil {
		return overwatch.ModeUnknown, err
	}
	return m, nil
}

// runMode returns the mode of a run: runInfo.yaml when it exists, else it
// writes runInfo.yaml with mode. The first snapshot of the run wins, also
// against other processes: the document is never replaced.
func (s *Store) runMode(ctx context.Context, run int, mode overwatch.HLTMode) (overwatch.HLTMode, error) {
	b, _, err := s.firstWins(ctx, RunDir(run)+"/"+runInfoFile, 64<<10, func() (string, bool) {
		return fmt.Sprintf("hltMode: %s\n", mode), true
	})
	if err != nil {
		return "", err
	}
	m, perr := parseRunInfo(b)
	if perr != nil {
		s.log.Warn("store: unreadable run info, using mode U", "run", run, "err", perr)
	}
	return m, nil
}

// firstWins reads the small object key (at most max bytes), writing it
// first with the content create returns when it is absent (unless create
// says not to: ok false, nothing read). Objects are put-if-absent, so of
// several processes the first writer wins and the others read its
// content.
func (s *Store) firstWins(ctx context.Context, key string, max int64, create func() (string, bool)) (_ []byte, ok bool, _ error) {
	for attempt := 0; attempt < 3; attempt++ {
		b, ok, err := readObject(ctx, s.bucket, key, max)
		if err != nil || ok {
			return b, ok, err
		}
		content, ok := create()
		if !ok {
			return nil, false, nil
		}
		_, err = s.bucket.Put(ctx, key, strings.NewReader(content))
		if err == nil {
			return []byte(content), true, nil
		}
		if !errors.Is(err, blob.ErrExist) { // ErrExist: another process was first
			return nil, false, fmt.Errorf("store: write %s: %w", key, err)
		}
	}
	return nil, false, fmt.Errorf("store: %s: cannot read or write it", key)
}

// readObject reads the small object key of b (at most max bytes); ok is
// false when there is none.
func readObject(ctx context.Context, b blob.Bucket, key string, max int64) (_ []byte, ok bool, _ error) {
	rc, err := b.Open(ctx, key, 0, max)
	if errors.Is(err, blob.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: read %s: %w", key, err)
	}
	data, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil {
		return nil, false, fmt.Errorf("store: read %s: %w", key, err)
	}
	return data, true, nil
}

// readRunModeObject reads the HLT mode of a run's runInfo.yaml in a
// bucket, like readRunMode in a directory.
func readRunModeObject(ctx context.Context, b blob.Bucket, run int) (overwatch.HLTMode, bool, error) {
	data, ok, err := readObject(ctx, b, RunDir(run)+"/"+runInfoFile, 64<<10)
	if err != nil || !ok {
		return overwatch.ModeUnknown, ok, err
	}
	m, err := parseRunInfo(data)
	if err != nil {
		return m, true, fmt.Errorf("store: %s of %s: %w", runInfoFile, RunDir(run), err)
	}
	return m, true, nil
}

// isHidden reports whether a directory entry is hidden (a name starting
// with a dot), which includes the store's temporary files.
func isHidden(name string) bool { return strings.HasPrefix(name, ".") }
