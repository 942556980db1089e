// Package replay replays archived snapshot files into a store, in time
// order, on a virtual clock running N times faster than real time: the
// Overwatch counterpart of the original replay.py (overwatchReplay).
//
// The source is a directory tree holding either a data directory in the
// store layout (Run<N>/<SYS>/<SYS>hists.<time>[.<seq>].root, with the run's
// mode in Run<N>/runInfo.yaml, and ReplayData/Run<N>/<SYS>/… for mode E) or
// receiver-named files (<SYS>histos_<run>_<mode>_<time>[.<seq>].root, as the
// C++ receiver and the DQM receiver write them), or both. Names are parsed
// with the store package's grammar (store.ParseName): combined and
// time-slice files are derived data and are skipped, as are the store's
// output, quarantine, slice and hidden folders.
//
// Every snapshot is delivered through the target's PutSnapshot with its
// original snapshot time and its original HLT mode, so that a replay into an
// empty data directory rebuilds the original store file for file (same
// names, same bytes, same sequence numbers, same runInfo.yaml and
// subsystemInfo.yaml: the accumulation is carried over). Mode E
// (replay) snapshots are delivered as they were stored: the store keeps
// them apart under ReplayData/ and they are never processed, neither in the
// original nor in the replayed store. A snapshot already present in the
// target (same run, subsystem, time and sequence number, same bytes) is
// counted as a duplicate and not stored again, so an interrupted replay can
// be resumed.
//
// Invalid source files (unparseable names, empty files, files that are not
// ROOT files or whose decoding fails as corrupt) are reported through the
// logger and Stats and skipped; they never stop the replay.
package replay

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
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
)

// Source is the SnapshotMeta.Source of replayed snapshots.
const Source = "replay"

// Clock is the real clock as the replay sees it; tests inject a virtual one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d or until ctx is done (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Config configures a Replayer.
type Config struct {
	// From is the source directory (see the package documentation).
	From string
	// Store receives the snapshots.
	Store overwatch.SnapshotStore
	// Speed is the number of archived seconds replayed per real second;
	// 0 replays as fast as possible. Negative speeds are refused.
	Speed float64
	// MaxGap, when positive, shortens every pause between two consecutive
	// snapshots that is longer than MaxGap (archived time) to MaxGap, e.g.
	// the hours between two runs. 0 keeps the archived pauses.
	MaxGap time.Duration
	// Runs, when not empty, restricts the replay to these runs.
	Runs []int
	// Subsystems, when not empty, restricts the replay to the files of
	// these receiver subsystems.
	Subsystems []string
	// Processor, when set, processes every delivered snapshot (except mode
	// E ones) right after it is stored, before the next one is delivered,
	// so that outputs appear while the replay runs. Its errors are logged
	// and counted; they do not stop the replay.
	Processor overwatch.Processor
	// Progress, when set, is called after every source file (delivered or
	// skipped) from the goroutine running Run.
	Progress func(Progress)
	// Clock is the real clock (SystemClock when nil).
	Clock Clock
	// Accumulation is recorded with the delivered snapshots whose source
	// does not say whether they are cumulative or reset: receiver-named
	// files, and store folders without a subsystemInfo.yaml (whose
	// accumulation is carried over otherwise). Unset when empty: the
	// snapshots' readers apply their default.
	Accumulation overwatch.Accumulation
	// Logger receives the replay's log lines (slog.Default when nil).
	Logger *slog.Logger
}

// Item is one snapshot file found in the source.
type Item struct {
	// Path is the file's path in the source (OS separators).
	Path string
	// Run, Subsystem, Mode and Time are the snapshot's archived identity.
	Run       int
	Subsystem string
	Mode      overwatch.HLTMode
	Time      time.Time
	// Seq is the sequence number written in the file name (0 without).
	Seq int
	// Size is the file size in bytes.
	Size int64
	// Accumulation is the one recorded in the source's store folder
	// (unset when it has none).
	Accumulation overwatch.Accumulation
}

// Meta returns the metadata the item is delivered with.
func (it Item) Meta() overwatch.SnapshotMeta {
	return overwatch.SnapshotMeta{Run: it.Run, Subsystem: it.Subsystem, Mode: it.Mode, Time: it.Time, Origin: Source, Accumulation: it.Accumulation}
}

// Skipped is a source file that is not replayed, and why.
type Skipped struct {
	Path string
	Err  error
	// Derived is true for combined and time-slice files: derived data,
	// not snapshots (skipped without a warning).
	Derived bool
}

// Stats counts what a replay did.
type Stats struct {
	Files         int   // snapshot files selected for the replay
	Delivered     int   // snapshots stored in the target
	Duplicates    int   // snapshots already in the target with the same bytes
	Invalid       int   // files skipped as invalid (bad name, empty, not ROOT, corrupt)
	Derived       int   // combined and time-slice files skipped
	Processed     int   // snapshots processed by Config.Processor
	ProcessErrors int   // snapshots whose processing failed
	Bytes         int64 // bytes delivered
}

// Progress is the state of a running replay, passed to Config.Progress.
type Progress struct {
	Done, Total int // source files handled so far and in all
	// Current is the file just handled (zero before the first one).
	Current Item
	// Virtual is the replay's virtual clock: the archived time being
	// replayed.
	Virtual time.Time
	Stats   Stats
}

// Replayer replays one source directory. It implements overwatch.Receiver.
type Replayer struct {
	cfg Config
	log *slog.Logger

	mu    sync.Mutex
	stats Stats
}

var _ overwatch.Receiver = (*Replayer)(nil)

// New checks cfg and returns a Replayer.
func New(cfg Config) (*Replayer, error) {
	if cfg.From == "" {
		return nil, errors.New("replay: no source directory (want Config.From)")
	}
	if cfg.Store == nil {
		return nil, errors.New("replay: no target store (want Config.Store)")
	}
	if cfg.Speed < 0 {
		return nil, fmt.Errorf("replay: speed %g is negative (want 0 for as fast as possible, or N > 0 for N× real time)", cfg.Speed)
	}
	if cfg.MaxGap < 0 {
		return nil, fmt.Errorf("replay: max gap %v is negative", cfg.MaxGap)
	}
	for _, s := range cfg.Subsystems {
		if !overwatch.ValidSubsystem(s) {
			return nil, fmt.Errorf("replay: subsystem %q is not 2–8 upper-case letters or digits", s)
		}
	}
	for _, r := range cfg.Runs {
		if r <= 0 {
			return nil, fmt.Errorf("replay: run %d is not a positive run number", r)
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Replayer{cfg: cfg, log: cfg.Logger.With("component", "replay")}, nil
}

// Stats returns the counts so far.
func (r *Replayer) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

func (r *Replayer) update(f func(*Stats)) Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.stats)
	return r.stats
}

// Run scans the source, then delivers its snapshots in time order until all
// are delivered (it returns nil) or ctx is done (it returns ctx's error).
// Only an unreadable source directory or a failing target store stops it
// early with an error; invalid files are skipped.
func (r *Replayer) Run(ctx context.Context) error {
	items, skipped, err := Scan(r.cfg.From, r.cfg.Runs, r.cfg.Subsystems)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		if s.Derived {
			r.log.Debug("replay: skipping derived file", "path", s.Path, "reason", s.Err)
		} else {
			r.log.Warn("replay: skipping invalid file", "path", s.Path, "err", s.Err)
		}
	}
	st := r.update(func(st *Stats) {
		st.Files = len(items)
		for _, s := range skipped {
			if s.Derived {
				st.Derived++
			} else {
				st.Invalid++
			}
		}
	})
	r.log.Info("replay: starting", "from", r.cfg.From, "snapshots", len(items), "skipped", st.Invalid+st.Derived, "speed", r.cfg.Speed)
	if len(items) == 0 {
		return ctx.Err()
	}

	sched := schedule(items, r.cfg.MaxGap)
	dups := dupIndex{store: r.cfg.Store, lists: map[dupKey]map[stampKey]overwatch.SnapshotInfo{}}
	start := r.cfg.Clock.Now()
	for i, it := range items {
		if r.cfg.Speed > 0 {
			due := start.Add(time.Duration(float64(sched[i]) / r.cfg.Speed))
			if err := r.wait(ctx, due, items, i); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.deliver(ctx, it, &dups); err != nil {
			return err
		}
		if r.cfg.Progress != nil {
			r.cfg.Progress(Progress{Done: i + 1, Total: len(items), Current: it, Virtual: it.Time, Stats: r.Stats()})
		}
	}
	st = r.Stats()
	r.log.Info("replay: finished", "delivered", st.Delivered, "duplicates", st.Duplicates, "invalid", st.Invalid,
		"processed", st.Processed, "processErrors", st.ProcessErrors)
	return nil
}

// progressTick is how often Progress is told about the virtual clock
// while the replay waits for the next snapshot.
const progressTick = time.Second

// wait sleeps until due, the real time at which items[i] is delivered.
// With a Progress callback it wakes up every progressTick to report the
// virtual clock moving towards the item's time.
func (r *Replayer) wait(ctx context.Context, due time.Time, items []Item, i int) error {
	for {
		left := due.Sub(r.cfg.Clock.Now())
		if left <= 0 {
			return nil
		}
		if r.cfg.Progress == nil || i == 0 {
			return r.cfg.Clock.Sleep(ctx, left)
		}
		if err := r.cfg.Clock.Sleep(ctx, min(left, progressTick)); err != nil {
			return err
		}
		left = max(due.Sub(r.cfg.Clock.Now()), 0)
		virtual := items[i].Time.Add(-time.Duration(float64(left) * r.cfg.Speed))
		if prev := items[i-1].Time; virtual.Before(prev) {
			virtual = prev // a shortened gap (MaxGap)
		}
		r.cfg.Progress(Progress{Done: i, Total: len(items), Current: items[i-1], Virtual: virtual, Stats: r.Stats()})
	}
}

// schedule returns, for every item, its offset on the virtual clock from
// the first item: the archived time differences, with pauses longer than
// maxGap (when positive) shortened to maxGap.
func schedule(items []Item, maxGap time.Duration) []time.Duration {
	out := make([]time.Duration, len(items))
	for i := 1; i < len(items); i++ {
		gap := items[i].Time.Sub(items[i-1].Time)
		if gap < 0 {
			gap = 0
		}
		if maxGap > 0 && gap > maxGap {
			gap = maxGap
		}
		out[i] = out[i-1] + gap
	}
	return out
}

// deliver stores one item. Only errors of the target store are returned;
// problems of the file itself are counted and logged.
func (r *Replayer) deliver(ctx context.Context, it Item, dups *dupIndex) error {
	data, err := os.ReadFile(it.Path)
	if err != nil {
		r.log.Warn("replay: skipping unreadable file", "path", it.Path, "err", err)
		r.update(func(s *Stats) { s.Invalid++ })
		return nil
	}
	if err := Validate(data); err != nil {
		r.log.Warn("replay: skipping invalid file", "path", it.Path, "err", err)
		r.update(func(s *Stats) { s.Invalid++ })
		return nil
	}
	if it.Mode.Processed() {
		dup, err := dups.has(ctx, it, data)
		if err != nil {
			return err
		}
		if dup {
			r.log.Debug("replay: snapshot already in the target", "path", it.Path)
			r.update(func(s *Stats) { s.Duplicates++ })
			return nil
		}
	}
	meta := it.Meta()
	meta.Accumulation = meta.Accumulation.Or(r.cfg.Accumulation)
	info, err := r.cfg.Store.PutSnapshot(ctx, meta, bytes.NewReader(data))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("replay: store %s: %w", it.Path, err)
	}
	if info.Seq != it.Seq || info.Run != it.Run {
		r.log.Debug("replay: snapshot stored under another sequence number than in the source",
			"path", it.Path, "stored", info.Path)
	}
	r.update(func(s *Stats) { s.Delivered++; s.Bytes += int64(len(data)) })
	if r.cfg.Processor == nil || !info.Mode.Processed() {
		return nil
	}
	if err := r.cfg.Processor.Process(ctx, info); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.log.Warn("replay: processing failed", "snapshot", info.SnapshotRef.String(), "err", err)
		r.update(func(s *Stats) { s.ProcessErrors++ })
		return nil
	}
	r.update(func(s *Stats) { s.Processed++ })
	return nil
}

// Validate checks that data is a ROOT file that decodes: the header (see
// store.CheckROOTHeader), then the full decoder. Undecodable single
// objects are not an error (processing reports them); a corrupt file is.
func Validate(data []byte) (err error) {
	if err := store.CheckROOTHeader(data); err != nil {
		return fmt.Errorf("not a ROOT file: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: decoder panicked: %v", overwatch.ErrCorrupt, p)
		}
	}()
	if _, derr := overwatch.DecodeFile(data); derr != nil && errors.Is(derr, overwatch.ErrCorrupt) {
		return derr
	}
	return nil
}

type dupKey struct {
	run int
	sys string
}

type stampKey struct {
	unix int64
	seq  int
}

// dupIndex finds snapshots already present in the target, listing each
// (run, subsystem) of the target once.
type dupIndex struct {
	store overwatch.SnapshotStore
	lists map[dupKey]map[stampKey]overwatch.SnapshotInfo
}

func (d *dupIndex) has(ctx context.Context, it Item, data []byte) (bool, error) {
	k := dupKey{it.Run, it.Subsystem}
	m, ok := d.lists[k]
	if !ok {
		snaps, err := d.store.Snapshots(ctx, it.Run, it.Subsystem)
		if err != nil && !errors.Is(err, overwatch.ErrNotFound) {
			return false, fmt.Errorf("replay: list target snapshots of run %d %s: %w", it.Run, it.Subsystem, err)
		}
		m = make(map[stampKey]overwatch.SnapshotInfo, len(snaps))
		for _, s := range snaps {
			m[stampKey{s.Time.Unix(), s.Seq}] = s
		}
		d.lists[k] = m
	}
	old, ok := m[stampKey{it.Time.Unix(), it.Seq}]
	if !ok {
		return false, nil
	}
	rc, err := d.store.OpenSnapshot(ctx, old.SnapshotRef)
	if err != nil {
		return false, nil // listed but unreadable: deliver again
	}
	defer rc.Close()
	have, err := io.ReadAll(io.LimitReader(rc, int64(len(data))+1))
	if err != nil {
		return false, nil
	}
	return bytes.Equal(have, data), nil
}

// skipDirs are folders of a data directory that hold no snapshots to
// replay (outputs, rejected files, time slices).
var skipDirs = map[string]bool{
	"json": true, "img": true, "hints": true, "slices": true, "quarantine": true,
	"trending": true, "alarms": true,
}

// replayDir is the store's folder of mode E snapshots.
const replayDir = "ReplayData"

// Scan lists the snapshot files below dir in replay order (archived time,
// then sequence number, run, subsystem and path), restricted to runs and
// subsystems when those are not empty, and the files it skips. The error
// is about dir itself (missing, unreadable); problems of single files are
// in the skipped list.
func Scan(dir string, runs []int, subsystems []string) ([]Item, []Skipped, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("replay: source: %w", err)
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("replay: source %s is not a directory", dir)
	}
	var (
		items   []Item
		skipped []Skipped
		modes   = map[string]overwatch.HLTMode{}
		accs    = map[string]overwatch.Accumulation{}
	)
	keep := func(run int, sys string) bool {
		return (len(runs) == 0 || slices.Contains(runs, run)) && (len(subsystems) == 0 || slices.Contains(subsystems, sys))
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			skipped = append(skipped, Skipped{Path: p, Err: err})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(name, ".") || skipDirs[name]) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".root") || !d.Type().IsRegular() {
			return nil
		}
		it, sk := classify(p, modes, accs)
		if sk != nil {
			skipped = append(skipped, *sk)
			return nil
		}
		if !keep(it.Run, it.Subsystem) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			skipped = append(skipped, Skipped{Path: p, Err: err})
			return nil
		}
		if info.Size() == 0 {
			skipped = append(skipped, Skipped{Path: p, Err: errors.New("empty file")})
			return nil
		}
		it.Size = info.Size()
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("replay: walk %s: %w", dir, err)
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		switch {
		case !a.Time.Equal(b.Time):
			return a.Time.Before(b.Time)
		case a.Seq != b.Seq:
			return a.Seq < b.Seq
		case a.Run != b.Run:
			return a.Run < b.Run
		case a.Subsystem != b.Subsystem:
			return a.Subsystem < b.Subsystem
		}
		return a.Path < b.Path
	})
	return items, skipped, nil
}

// classify parses one .root file of the source.
func classify(p string, modes map[string]overwatch.HLTMode, accs map[string]overwatch.Accumulation) (Item, *Skipped) {
	n, err := store.ParseName(p)
	if err != nil {
		return Item{}, &Skipped{Path: p, Err: err}
	}
	switch n.Kind {
	case store.KindReceiver:
		return Item{Path: p, Run: n.Run, Subsystem: n.Subsystem, Mode: n.Mode, Time: n.Time, Seq: n.Seq}, nil
	case store.KindMoved:
		sysDir := filepath.Dir(p)
		runDir := filepath.Dir(sysDir)
		if filepath.Base(sysDir) != n.Subsystem {
			return Item{}, &Skipped{Path: p, Err: fmt.Errorf("%w: a stored snapshot must be in a folder named %s (want Run<N>/%s/%s)",
				store.ErrBadName, n.Subsystem, n.Subsystem, filepath.Base(p))}
		}
		run, err := store.ParseRunDir(filepath.Base(runDir))
		if err != nil {
			return Item{}, &Skipped{Path: p, Err: fmt.Errorf("%w: a stored snapshot must be in Run<N>/%s/", store.ErrBadName, n.Subsystem)}
		}
		mode := overwatch.ModeReplay
		if filepath.Base(filepath.Dir(runDir)) != replayDir {
			mode = runMode(runDir, modes)
		}
		acc, ok := accs[sysDir]
		if !ok {
			acc, _ = store.ReadAccumulation(sysDir) // unreadable: unset, like an unreadable runInfo.yaml
			accs[sysDir] = acc
		}
		return Item{Path: p, Run: run, Subsystem: n.Subsystem, Mode: mode, Time: n.Time, Seq: n.Seq, Accumulation: acc}, nil
	}
	return Item{}, &Skipped{Path: p, Err: fmt.Errorf("%s file: derived data, not a snapshot", n.Kind), Derived: true}
}

// runMode reads the HLT mode of a run folder from its runInfo.yaml (U when
// absent or unreadable, as the original did).
func runMode(runDir string, cache map[string]overwatch.HLTMode) overwatch.HLTMode {
	if m, ok := cache[runDir]; ok {
		return m
	}
	m := overwatch.ModeUnknown
	if b, err := os.ReadFile(filepath.Join(runDir, "runInfo.yaml")); err == nil {
		var doc struct {
			HLTMode string `yaml:"hltMode"`
		}
		if yaml.Unmarshal(b, &doc) == nil {
			if pm, err := overwatch.ParseHLTMode(doc.HLTMode); err == nil {
				m = pm
			}
		}
	}
	cache[runDir] = m
	return m
}
