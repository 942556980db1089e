package processing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/render"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// Options configure a Processor. The zero value is usable: cumulative mode,
// GOMAXPROCS workers, PNGs rendered, a scan every 30 s.
type Options struct {
	// Logger receives the processor's logs (slog.Default when nil).
	Logger *slog.Logger
	// Observer, when set, is told about every processed full-run snapshot
	// (trending and alarms).
	Observer Observer
	// SliceChecks, when set, runs the checks on every time slice (with the
	// slice's check thresholds); their verdicts go into the slice's
	// information panels.
	SliceChecks SliceChecker
	// Workers bounds the histograms processed at once (GOMAXPROCS when 0).
	Workers int
	// DefaultAccumulation applies to snapshots stored without an
	// accumulation (older stores; Cumulative when unset). Every other
	// snapshot says itself (overwatch.SnapshotInfo.Accumulation): a
	// cumulative snapshot is the whole run so far; a reset snapshot holds
	// only the data received since the previous one (the source resets
	// its histograms after each send), and the run's view is then the sum
	// of its snapshots up to it.
	DefaultAccumulation overwatch.Accumulation
	// ScanInterval is the period of the scan that catches snapshots whose
	// announcement was missed (30 s when 0; negative disables it).
	ScanInterval time.Duration
	// ScanRuns bounds the periodic scan to the newest runs (10 when 0). The
	// scan at start-up always covers every run.
	ScanRuns int
	// PNG says when histogram images are rendered: PNGOnDemand (the
	// default, "") leaves them to their readers (the web app renders one
	// from the bundle's JSON when first asked); PNGEager renders every
	// image during processing into the bundle (the behaviour before
	// bundles).
	PNG string
	// NoPNG disables eager PNG rendering whatever PNG says.
	NoPNG bool
	// PNGWidth and PNGHeight are the size of the rendered images in pixels
	// (400 x 300 when 0: thumbnails; the web app draws with JSROOT).
	PNGWidth, PNGHeight int
	// Force reprocesses runs or subsystems even when their outputs are up to
	// date, once, at the first scan (see Force).
	Force Force
	// Decode decodes a snapshot file (overwatch.DecodeFile when nil).
	Decode func(data []byte) (*overwatch.File, error)
	// Handoff, when set, holds snapshots a receiver of the same process
	// decoded: they are processed from it instead of being read and
	// decoded again (the stored file when absent).
	Handoff *Handoff
	// Leases, when set, shares the work with every other processor on the
	// same store (other "overwatch process" workers, on any machine): each
	// run's receiver subsystem is processed by the worker holding its
	// lease (see LeaseQueue). Nil: this processor does all the work.
	Leases overwatch.Leaser
	// LeaseTTL is how long a lease lasts unless renewed — how soon the
	// work of a worker that died is taken over (DefaultLeaseTTL when 0).
	LeaseTTL time.Duration
	// Holder identifies this processor in leases (NewHolderID when "").
	Holder string
}

// The PNG modes of Options.PNG.
const (
	PNGOnDemand = "demand"
	PNGEager    = "eager"
)

// ParsePNGMode checks a PNG mode ("" is PNGOnDemand).
func ParsePNGMode(s string) (string, error) {
	switch s {
	case "", PNGOnDemand:
		return PNGOnDemand, nil
	case PNGEager:
		return PNGEager, nil
	}
	return "", fmt.Errorf("processing: PNG mode %q: want %q or %q", s, PNGOnDemand, PNGEager)
}

// Force selects what is reprocessed although already up to date. Empty
// fields do not restrict: Force{Runs: []int{5}} reprocesses every subsystem
// of run 5, Force{Subsystems: []string{"EMC"}} EMC in every run, All every
// subsystem of every run.
type Force struct {
	All        bool
	Runs       []int
	Subsystems []string
}

// selects reports whether the force selection covers (run, sys).
func (f Force) selects(run int, sys string) bool {
	if f.All {
		return true
	}
	if len(f.Runs) == 0 && len(f.Subsystems) == 0 {
		return false
	}
	return (len(f.Runs) == 0 || slices.Contains(f.Runs, run)) &&
		(len(f.Subsystems) == 0 || slices.Contains(f.Subsystems, sys))
}

// Quarantiner is implemented by stores that can move a corrupted snapshot
// file aside (out of the run's snapshot list).
type Quarantiner interface {
	QuarantineSnapshot(ctx context.Context, ref overwatch.SnapshotRef, reason string) error
}

// Processor is the processing pipeline over a store. It implements
// overwatch.Processor. Its methods are safe for concurrent use.
type Processor struct {
	store Store
	outs  *bundle.Outputs
	opts  Options
	log   *slog.Logger
	plans planCache

	// locks serialise the processing of one (run, subsystem).
	locksMu sync.Mutex
	locks   map[string]*sync.Mutex

	// queued is the number of (run, receiver) snapshots waiting in Run.
	queued atomic.Int64

	// Work sharing (Options.Leases).
	holder                                                         string
	leaseTaken, leaseBusy, leaseLost, leaseProcessed, leaseSkipped atomic.Int64
}

// QueueLength returns how many snapshots (one per run and receiver, after
// coalescing) wait to be processed by Run.
func (p *Processor) QueueLength() int { return int(p.queued.Load()) }

var _ overwatch.Processor = (*Processor)(nil)

// New returns a processor reading snapshots from store and writing outputs
// to it.
func New(store Store, opts Options) *Processor {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Workers <= 0 {
		opts.Workers = defaultWorkers()
	}
	if opts.ScanInterval == 0 {
		opts.ScanInterval = 30 * time.Second
	}
	if opts.ScanRuns <= 0 {
		opts.ScanRuns = 10
	}
	if opts.PNGWidth <= 0 || opts.PNGHeight <= 0 {
		opts.PNGWidth, opts.PNGHeight = render.Thumbnail.Width, render.Thumbnail.Height
	}
	if opts.Decode == nil {
		opts.Decode = overwatch.DecodeFile
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.Holder == "" {
		opts.Holder = NewHolderID()
	}
	if mode, err := ParsePNGMode(opts.PNG); err == nil {
		opts.PNG = mode
	} else {
		opts.Logger.Warn("unknown PNG mode; images are rendered on demand", "png", opts.PNG)
		opts.PNG = PNGOnDemand
	}
	return &Processor{store: store, outs: bundle.NewOutputs(store), opts: opts, log: opts.Logger.With("component", "processing"), locks: map[string]*sync.Mutex{}, holder: opts.Holder}
}

func (p *Processor) lock(run int, sys string) func() {
	k := fmt.Sprintf("%d/%s", run, sys)
	p.locksMu.Lock()
	m, ok := p.locks[k]
	if !ok {
		m = &sync.Mutex{}
		p.locks[k] = m
	}
	p.locksMu.Unlock()
	m.Lock()
	return m.Unlock
}

// Process processes a stored snapshot for every subsystem of its run that
// it feeds: its own subsystem and every subsystem borrowing its files.
// Snapshots in replay mode are ignored. A corrupted snapshot is quarantined
// and recorded in the views (an error wrapping overwatch.ErrCorrupt is
// returned).
func (p *Processor) Process(ctx context.Context, s overwatch.SnapshotInfo) error {
	return p.process(ctx, s, nil)
}

// process processes s for the subsystems it feeds, restricted to only when
// only is not nil.
func (p *Processor) process(ctx context.Context, s overwatch.SnapshotInfo, only map[string]bool) error {
	if !s.Mode.Processed() {
		return nil
	}
	run, err := p.store.RunInfo(ctx, s.Run)
	if err != nil {
		return fmt.Errorf("processing: run %d of snapshot %s: %w", s.Run, s.SnapshotRef, err)
	}
	var subs []overwatch.SubsystemInfo
	for _, sub := range run.Subsystems {
		if sub.FilesFrom == s.Subsystem && (only == nil || only[sub.Name]) {
			subs = append(subs, sub)
		}
	}
	if len(subs) == 0 {
		p.log.Debug("snapshot feeds no subsystem", "snapshot", s.SnapshotRef.String())
		return nil
	}
	start := time.Now()
	f, err := p.load(ctx, s)
	if err != nil {
		if errors.Is(err, overwatch.ErrCorrupt) {
			p.quarantine(ctx, s, subs, err)
		}
		return err
	}
	var errs []error
	for _, sub := range subs {
		if err := p.processSub(ctx, f, s, sub); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		// The caller reports the failure; "processed" means every view
		// of the snapshot was written.
		return errors.Join(errs...)
	}
	p.log.Info("snapshot processed", "snapshot", s.SnapshotRef.String(), "subsystems", len(subs), "took", time.Since(start))
	return nil
}

func (p *Processor) processSub(ctx context.Context, f *overwatch.File, s overwatch.SnapshotInfo, sub overwatch.SubsystemInfo) error {
	unlock := p.lock(s.Run, sub.Name)
	defer unlock()
	t := Target{Run: s.Run, Subsystem: sub.Name, Source: sub.FilesFrom, Snapshot: s}
	// Keep the record of quarantined snapshots that are newer than s.
	if old, err := p.readView(ctx, s.Run, sub.Name, ""); err == nil {
		for _, sk := range old.Skipped {
			if sk.Time > s.Time.Unix() || sk.Time == s.Time.Unix() && sk.Seq > s.Seq {
				t.Skipped = append(t.Skipped, sk)
			}
		}
	}
	_, err := p.ProcessFile(ctx, f, t)
	if err != nil {
		return fmt.Errorf("processing: run %d %s from %s: %w", s.Run, sub.Name, s.SnapshotRef, err)
	}
	return nil
}

// load returns the combined view of the run up to s: the snapshot itself
// when it is cumulative, the sum of the run's snapshots up to s when it is
// reset (its recorded accumulation, else Options.DefaultAccumulation).
func (p *Processor) load(ctx context.Context, s overwatch.SnapshotInfo) (*overwatch.File, error) {
	if !s.Accumulation.Or(p.opts.DefaultAccumulation).IsReset() {
		return p.decodeSnapshot(ctx, s.SnapshotRef)
	}
	all, err := p.store.Snapshots(ctx, s.Run, s.Subsystem)
	if err != nil {
		return nil, fmt.Errorf("processing: listing snapshots of run %d %s: %w", s.Run, s.Subsystem, err)
	}
	upTo := all
	for i, o := range all {
		if s.SnapshotRef.Before(o.SnapshotRef) {
			upTo = all[:i]
			break
		}
	}
	sum, reports, err := timeslice.SumSnapshots(ctx, p.store, upTo, p.opts.Decode, func(o overwatch.SnapshotInfo, err error) bool {
		if errors.Is(err, overwatch.ErrCorrupt) && o.SnapshotRef != s.SnapshotRef {
			p.log.Warn("reset mode: corrupted snapshot left out of the sum", "snapshot", o.SnapshotRef.String(), "err", err)
			return true
		}
		return false
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("processing: summing reset-mode snapshots of run %d %s: %w", s.Run, s.Subsystem, err)
	}
	for _, r := range reports {
		if r.Action == timeslice.Failed {
			p.log.Warn("reset mode: object left out of the sum", "hist", r.Path, "err", r.Err)
		}
	}
	return sum, nil
}

func (p *Processor) decodeSnapshot(ctx context.Context, ref overwatch.SnapshotRef) (*overwatch.File, error) {
	if f, ok := p.opts.Handoff.take(ref); ok {
		return f, nil
	}
	f, err := timeslice.DecodeSnapshot(ctx, p.store, ref, p.opts.Decode)
	if err != nil {
		return nil, fmt.Errorf("processing: %w", err)
	}
	for _, pr := range f.Problems {
		p.log.Info("object of snapshot skipped", "snapshot", ref.String(), "path", pr.Path, "class", pr.Class, "err", pr.Err)
	}
	return f, nil
}

// quarantine moves a corrupted snapshot aside when the store can, and
// records it in the views of the subsystems it feeds so that scans do not
// retry it.
func (p *Processor) quarantine(ctx context.Context, s overwatch.SnapshotInfo, subs []overwatch.SubsystemInfo, cause error) {
	moved := false
	if q, ok := p.store.(Quarantiner); ok {
		if err := q.QuarantineSnapshot(ctx, s.SnapshotRef, cause.Error()); err != nil {
			p.log.Error("corrupted snapshot could not be quarantined", "snapshot", s.SnapshotRef.String(), "err", err)
		} else {
			moved = true
		}
	}
	p.log.Error("corrupted snapshot quarantined; later snapshots continue", "snapshot", s.SnapshotRef.String(), "path", s.Path, "moved", moved, "err", cause)
	for _, sub := range subs {
		func() {
			unlock := p.lock(s.Run, sub.Name)
			defer unlock()
			v, err := p.readView(ctx, s.Run, sub.Name, "")
			if err != nil {
				v = &overwatch.ViewDoc{Run: s.Run, Subsystem: sub.Name, Source: sub.FilesFrom, Groups: []overwatch.ViewGroup{}, NEvents: 1, Complete: true}
			}
			d := snapDoc(s)
			if !slices.Contains(v.Skipped, d) {
				v.Skipped = append(v.Skipped, d)
			}
			if len(v.Skipped) > 20 {
				v.Skipped = v.Skipped[len(v.Skipped)-20:]
			}
			if err := p.putView(ctx, Target{Run: s.Run, Subsystem: sub.Name}, v); err != nil {
				p.log.Error("recording quarantined snapshot", "snapshot", s.SnapshotRef.String(), "subsystem", sub.Name, "err", err)
			}
		}()
	}
}

// readView reads a stored view document.
func (p *Processor) readView(ctx context.Context, run int, sys, slice string) (*overwatch.ViewDoc, error) {
	b, err := p.outs.Output(ctx, overwatch.ViewRef(run, sys, slice))
	if err != nil {
		return nil, err
	}
	var v overwatch.ViewDoc
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("processing: view of run %d %s is not a view document: %w", run, sys, err)
	}
	return &v, nil
}

// upToDate reports whether the stored view of a subsystem covers the
// snapshot last: built from it and complete, or last was quarantined.
func (p *Processor) upToDate(ctx context.Context, run int, sys string, last overwatch.SnapshotInfo) bool {
	v, err := p.readView(ctx, run, sys, "")
	if err != nil {
		return false
	}
	d := snapDoc(last)
	if slices.ContainsFunc(v.Skipped, func(s overwatch.SnapshotDoc) bool { return s.Time == d.Time && s.Seq == d.Seq }) {
		return true
	}
	return v.Complete && v.Snapshot.Time == d.Time && v.Snapshot.Seq == d.Seq
}

// work is a pending processing request: the newest snapshot of one
// receiver subsystem in a run, for all the subsystems it feeds (subs nil) or
// some of them.
type work struct {
	snap overwatch.SnapshotInfo
	subs map[string]bool
	// force: processed even when up to date (Options.Force); otherwise
	// shared work another worker already did is skipped.
	force bool
}

// subList returns w.subs as the list queue.add takes (nil: all).
func (w *work) subList() []string {
	if w.subs == nil {
		return nil
	}
	out := make([]string, 0, len(w.subs))
	for s := range w.subs {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

type workKey struct {
	run int
	src string
}

// queue coalesces pending work: only the newest snapshot of each
// (run, source) is kept.
type queue map[workKey]*work

func (q queue) add(s overwatch.SnapshotInfo, subs []string) {
	k := workKey{s.Run, s.Subsystem}
	w, ok := q[k]
	switch {
	case !ok || w.snap.SnapshotRef.Before(s.SnapshotRef):
		nw := &work{snap: s}
		if subs != nil {
			nw.subs = map[string]bool{}
			for _, x := range subs {
				nw.subs[x] = true
			}
			// Anything already queued for an older snapshot is covered by
			// the newer one only for the same subsystems: keep them.
			if ok && w.subs != nil {
				for x := range w.subs {
					nw.subs[x] = true
				}
			} else if ok {
				nw.subs = nil
			}
		}
		q[k] = nw
	case s.SnapshotRef == w.snap.SnapshotRef:
		if subs == nil {
			w.subs = nil
		} else if w.subs != nil {
			for _, x := range subs {
				w.subs[x] = true
			}
		}
	}
}

// pop removes and returns the pending work of the lowest (run, source).
func (q queue) pop() (*work, bool) {
	if len(q) == 0 {
		return nil, false
	}
	keys := make([]workKey, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].run != keys[j].run {
			return keys[i].run < keys[j].run
		}
		return keys[i].src < keys[j].src
	})
	w := q[keys[0]]
	delete(q, keys[0])
	return w, true
}

// Scan processes every subsystem of every run whose outputs are not up to
// date with its newest snapshot (and those selected by Options.Force), then
// tells the Observer the cycle ended. It is what "overwatch process --once"
// runs.
func (p *Processor) Scan(ctx context.Context) error {
	q := queue{}
	if err := p.scan(ctx, 0, p.opts.Force, q); err != nil {
		return err
	}
	var errs []error
	for {
		w, ok := q.pop()
		if !ok {
			break
		}
		// Work whose lease another worker holds is that worker's.
		if _, err := p.shared(ctx, w); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	p.endCycle(ctx)
	return errors.Join(errs...)
}

// scan queues the out-of-date subsystems of the newest maxRuns runs (all
// runs when maxRuns is 0).
func (p *Processor) scan(ctx context.Context, maxRuns int, force Force, q queue) error {
	before, seen := 0, 0
	for {
		limit := 100
		if maxRuns > 0 && maxRuns-seen < limit {
			limit = maxRuns - seen
		}
		runs, err := p.store.Runs(ctx, overwatch.RunQuery{Limit: limit, Before: before})
		if err != nil {
			return fmt.Errorf("processing: scan: listing runs: %w", err)
		}
		for _, r := range runs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !r.Mode.Processed() {
				continue
			}
			lastOf := map[string]overwatch.SnapshotInfo{}
			for _, sub := range r.Subsystems {
				if sub.Snapshots == 0 || sub.Last.Time.IsZero() {
					continue
				}
				last, ok := lastOf[sub.FilesFrom]
				if !ok {
					snaps, err := p.store.Snapshots(ctx, r.Number, sub.FilesFrom)
					if err != nil || len(snaps) == 0 {
						p.log.Warn("scan: no snapshots listed", "run", r.Number, "subsystem", sub.FilesFrom, "err", err)
						continue
					}
					last = snaps[len(snaps)-1]
					lastOf[sub.FilesFrom] = last
				}
				if forced := force.selects(r.Number, sub.Name); forced || !p.upToDate(ctx, r.Number, sub.Name, last) {
					q.add(last, []string{sub.Name})
					if forced {
						q[workKey{last.Run, last.Subsystem}].force = true
					}
				}
			}
		}
		seen += len(runs)
		if len(runs) < limit || len(runs) == 0 || (maxRuns > 0 && seen >= maxRuns) {
			return nil
		}
		before = runs[len(runs)-1].Number
	}
}

func (p *Processor) endCycle(ctx context.Context) {
	if p.opts.Observer == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("trending observer EndCycle panicked", "panic", r)
		}
	}()
	p.opts.Observer.EndCycle(ctx)
}

// Run processes snapshots as they are stored until ctx is done: it first
// scans every run (resuming after a restart, applying Options.Force), then
// consumes the store's announcements, coalescing snapshots of the same run
// and receiver that queue up (only the newest is processed), and rescans the
// newest runs every ScanInterval for announcements it missed. Errors of
// single snapshots are logged; Run returns ctx's error.
func (p *Processor) Run(ctx context.Context) error {
	ch := p.store.Watch(ctx)
	q := queue{}
	if err := p.scan(ctx, 0, p.opts.Force, q); err != nil && ctx.Err() == nil {
		p.log.Error("start-up scan failed", "err", err)
	}
	var tick <-chan time.Time
	if p.opts.ScanInterval > 0 {
		t := time.NewTicker(p.opts.ScanInterval)
		defer t.Stop()
		tick = t.C
	}
	// Work another worker held the lease of, looked at again every
	// deferEvery (with Options.Leases).
	deferred := queue{}
	var retry <-chan time.Time
	if p.opts.Leases != nil {
		t := time.NewTicker(deferEvery)
		defer t.Stop()
		retry = t.C
	}
	retryDeferred := func() {
		again := deferred
		deferred = queue{}
		for {
			w, ok := again.pop()
			if !ok {
				return
			}
			busy, err := p.shared(ctx, w)
			switch {
			case busy:
				deferred.add(w.snap, w.subList())
			case err != nil && ctx.Err() == nil:
				p.failed(w, err)
			}
		}
	}
	drain := func() {
		for {
			select {
			case s, ok := <-ch:
				if !ok {
					ch = nil
					return
				}
				q.add(s, nil)
			default:
				return
			}
		}
	}
	for {
		if len(q) == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case s, ok := <-ch:
				if !ok {
					ch = nil
					if ctx.Err() != nil {
						return ctx.Err()
					}
					continue
				}
				q.add(s, nil)
			case <-tick:
				if err := p.scan(ctx, p.opts.ScanRuns, Force{}, q); err != nil && ctx.Err() == nil {
					p.log.Error("periodic scan failed", "err", err)
				}
			case <-retry:
				if len(deferred) > 0 {
					retryDeferred()
					p.endCycle(ctx)
				}
				continue
			}
		}
		for {
			drain()
			select {
			case <-tick:
				if err := p.scan(ctx, p.opts.ScanRuns, Force{}, q); err != nil && ctx.Err() == nil {
					p.log.Error("periodic scan failed", "err", err)
				}
			default:
			}
			p.queued.Store(int64(len(q)))
			w, ok := q.pop()
			if !ok {
				break
			}
			busy, err := p.shared(ctx, w)
			if busy {
				deferred.add(w.snap, w.subList())
			}
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				p.failed(w, err)
			}
		}
		p.queued.Store(0)
		p.endCycle(ctx)
	}
}

// failed reports work that failed in watch mode. Work whose lease was lost
// (taken over by another worker, its bundle not written) is a warning:
// the other worker does it.
func (p *Processor) failed(w *work, err error) {
	if errors.Is(err, overwatch.ErrLeaseLost) {
		p.log.Warn("processing left to another worker: lease lost", "snapshot", w.snap.SnapshotRef.String(), "err", err)
		return
	}
	p.log.Error("processing failed", "snapshot", w.snap.SnapshotRef.String(), "err", err)
}
