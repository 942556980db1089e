package timeslice

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
)

// Request asks for a time slice of one subsystem of a run, optionally with
// processing options other than the detector's defaults and other
// thresholds for the subsystem's checks. The window is given one way (By;
// see Window): in minutes since the run's first snapshot (FromMinute,
// ToMinute; see SelectMinutes), in seconds (FromSecond, ToSecond; see
// SelectSeconds), by events (FromEvent, ToEvent: "events N to M"; see
// SelectEvents), as the last LastEvents events (SelectLastEvents), or as
// Unix times in seconds (FromUnix, ToUnix; see SelectWindow).
type Request struct {
	Run       int    `json:"run"`
	Subsystem string `json:"subsystem"`
	// By is ByMinutes, BySeconds, ByEvents, ByLastEvents or ByUnix; empty:
	// the kind whose fields are set (minutes when none).
	By         string  `json:"by,omitempty"`
	FromMinute float64 `json:"fromMinute,omitempty"`
	ToMinute   float64 `json:"toMinute,omitempty"`
	FromSecond float64 `json:"fromSecond,omitempty"`
	ToSecond   float64 `json:"toSecond,omitempty"`
	FromEvent  float64 `json:"fromEvent,omitempty"`
	ToEvent    float64 `json:"toEvent,omitempty"`
	LastEvents float64 `json:"lastEvents,omitempty"`
	FromUnix   int64   `json:"fromUnix,omitempty"`
	ToUnix     int64   `json:"toUnix,omitempty"`
	// Options are raw option texts (as sent by a form), validated against
	// the options the subsystem's detector declares.
	Options map[string]string `json:"options,omitempty"`
	// Thresholds override parameters of the subsystem's checks for this
	// slice: "<check name>.<parameter>" → raw value text (e.g.
	// "deadFastOR.DeadFraction" → "0.9"), validated against the checks
	// (ServiceOptions.Checks).
	Thresholds map[string]string `json:"thresholds,omitempty"`
}

// ErrInvalidRequest is wrapped by Submit's errors about a request that can
// never succeed (unknown run or subsystem, bad window, bad options).
var ErrInvalidRequest = errors.New("timeslice: invalid request")

// RenderRequest is what the service asks its Renderer to process: the
// slice's data for one subsystem of a run, to be written under Key.
type RenderRequest struct {
	Run       int
	Subsystem string
	// Source is the subsystem whose receiver files fed the slice.
	Source string
	// Key is the slice's canonical key (OutputRef.Slice of every output).
	Key string
	// Later is the newest snapshot of the window; Earlier the snapshot
	// subtracted from it (nil when nothing was subtracted or in reset mode).
	Later   ow.SnapshotInfo
	Earlier *ow.SnapshotInfo
	// Options are the validated, complete processing options.
	Options ow.Values
	// Thresholds are the validated check-threshold overrides, named as
	// processing options ("quality.<check>.<parameter>", see
	// quality.OptionName); nil when the slice overrides none.
	Thresholds ow.Values
}

// Rendered summarises a rendered slice.
type Rendered struct {
	// Hists is the number of histograms written, NEvents the slice's
	// number of events.
	Hists   int
	NEvents float64
	// Quality and QualityReason are the subsystem's quality over the slice
	// as its checks judged it (QualityNull, "" when no check ran).
	Quality       ow.Quality
	QualityReason string
}

// Renderer processes a slice's data into outputs under the slice key with
// the detector functions of the full run (and the subsystem's checks, with
// the request's thresholds), without touching the full run's outputs.
// processing.Processor implements it; the interface keeps the arrow from
// processing to timeslice one way.
type Renderer interface {
	RenderSlice(ctx context.Context, f *ow.File, r RenderRequest) (Rendered, error)
}

// Checks validates the check-threshold overrides of slice requests against
// a subsystem's checks (those of its detector and of the configuration):
// every named check and parameter must exist and every value be valid for
// it. It returns the overrides as processing options named by
// quality.OptionName. quality/observe's Observer implements it.
type Checks interface {
	ParseThresholds(sys string, raw map[string]string) (ow.Values, error)
}

// State is the state of a time-slice job.
type State string

// The job states.
const (
	StatePending State = "pending" // queued or being computed
	StateDone    State = "done"    // outputs written
	StateFailed  State = "failed"  // see Status.Error
)

// Ref identifies a snapshot in a slice record.
type Ref struct {
	Subsystem string `json:"subsystem"`
	Time      int64  `json:"time"` // Unix seconds
	Seq       int    `json:"seq,omitempty"`
}

func refOf(s ow.SnapshotRef) Ref { return Ref{Subsystem: s.Subsystem, Time: s.Time.Unix(), Seq: s.Seq} }

// Record is a slice's request and result summary, stored as the slice's
// overwatch.OutputSlice output so that a permalink can be recomputed after a
// restart and equal requests share one result.
type Record struct {
	Key       string  `json:"key"`
	Request   Request `json:"request"`
	Run       int     `json:"run"`
	Subsystem string  `json:"subsystem"`
	Source    string  `json:"source"`
	// Later and Earlier are the snapshots selected for the window (Earlier
	// nil: nothing subtracted). In reset mode the snapshots after Earlier up
	// to Later are summed.
	Later   Ref  `json:"later"`
	Earlier *Ref `json:"earlier,omitempty"`
	// Options is the canonical form of the complete options.
	Options string `json:"options"`
	// ResetMode records that the slice was a sum of reset-mode snapshots.
	ResetMode bool   `json:"resetMode,omitempty"`
	State     State  `json:"state"`
	Error     string `json:"error,omitempty"`
	// Thresholds is the canonical form of the check-threshold overrides
	// ("" when none).
	Thresholds string `json:"thresholds,omitempty"`
	// Events are, for a window by events, the events selected: the window
	// holds the events after Events[0] up to Events[1] (the cumulative
	// counts of the earlier and later snapshots).
	Events *[2]float64 `json:"events,omitempty"`
	// Hists and NEvents summarise the result.
	Hists   int     `json:"hists,omitempty"`
	NEvents float64 `json:"nEvents,omitempty"`
	// Quality and QualityReason are the subsystem's quality over the slice
	// by its checks (with Thresholds).
	Quality       ow.Quality `json:"quality,omitempty"`
	QualityReason string     `json:"qualityReason,omitempty"`
	// Notes lists objects whose counts were reset within the window (the
	// later snapshot was kept) or that could not be subtracted.
	Notes []string `json:"notes,omitempty"`
}

// Status is the state of a slice job.
type Status struct {
	Key   string `json:"key"`
	State State  `json:"state"`
	// Progress goes from 0 to 1.
	Progress float64 `json:"progress"`
	// Stage names what the job is doing ("queued", "reading",
	// "subtracting", "processing", "done").
	Stage  string  `json:"stage"`
	Error  string  `json:"error,omitempty"`
	Record *Record `json:"record,omitempty"`
}

// ServiceOptions configure a Service.
type ServiceOptions struct {
	// Logger receives the service's logs (slog.Default when nil).
	Logger *slog.Logger
	// Jobs bounds the slices computed at once (2 when 0).
	Jobs int
	// DefaultAccumulation applies to snapshots stored without an
	// accumulation (older stores; Cumulative when unset). A window whose
	// later snapshot is reset (recorded, else this default) is the sum of
	// the window's snapshots; a cumulative one is the difference of two.
	DefaultAccumulation ow.Accumulation
	// Decode decodes snapshot files (overwatch.DecodeFile when nil).
	Decode func([]byte) (*ow.File, error)
	// Leases, when set, makes the services of every process on the store
	// (web replicas, serve) compute each slice once: the one holding the
	// slice's lease (queue LeaseQueue, key the slice key) computes it,
	// the others wait for its record — or take the work over when the
	// holder dies and its lease expires. Nil: each process computes the
	// slices asked of it.
	Leases ow.Leaser
	// LeaseTTL is how long a slice lease lasts unless renewed (30 s when 0).
	LeaseTTL time.Duration
	// Holder identifies this service in leases (host/pid/random when "").
	Holder string
	// Checks validates the check-threshold overrides of requests; nil: a
	// request overriding a threshold is refused.
	Checks Checks
}

// LeaseQueue is the lease queue of time-slice jobs.
const LeaseQueue = "slice"

// leasePoll is how often a service waiting for another one's slice looks
// at the record.
const leasePoll = 200 * time.Millisecond

// Service computes time slices asynchronously: Submit validates a request,
// maps it to its snapshots and returns the slice's canonical key at once;
// the slice is computed in the background (once per key) and its progress
// read with Status. Its methods are safe for concurrent use.
type Service struct {
	store Store
	r     Renderer
	opts  ServiceOptions
	log   *slog.Logger
	ctx   context.Context
	stop  context.CancelFunc
	sem   chan struct{}
	wg    sync.WaitGroup

	mu   sync.Mutex
	jobs map[string]*job

	// evMu serialises the counting of snapshots' events.
	evMu sync.Mutex
}

type job struct {
	mu       sync.Mutex
	rec      Record
	stage    string
	progress float64
	done     chan struct{}
}

func (j *job) status() Status {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.rec
	return Status{Key: r.Key, State: r.State, Progress: j.progress, Stage: j.stage, Error: r.Error, Record: &r}
}

func (j *job) set(stage string, progress float64) {
	j.mu.Lock()
	j.stage, j.progress = stage, progress
	j.mu.Unlock()
}

// NewService returns a service reading snapshots from store and writing
// slices through r. Close stops its jobs.
func NewService(store Store, r Renderer, opts ServiceOptions) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Jobs <= 0 {
		opts.Jobs = 2
	}
	if opts.Decode == nil {
		opts.Decode = ow.DecodeFile
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 30 * time.Second
	}
	if opts.Holder == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		opts.Holder = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Service{store: store, r: r, opts: opts, log: opts.Logger.With("component", "timeslice"),
		ctx: ctx, stop: stop, sem: make(chan struct{}, opts.Jobs), jobs: map[string]*job{}}
}

// Close cancels running jobs and waits for them.
func (s *Service) Close() error {
	s.stop()
	s.wg.Wait()
	return nil
}

// Key returns the canonical key of a slice: the hex SHA-256 of the run, the
// subsystem, the two selected snapshots, the canonical options and the
// canonical check-threshold overrides (so requests selecting the same
// snapshots with the same options and thresholds share one result,
// whatever their window's unit, exact bounds or spelling; a slice without
// overrides keeps the key it had before thresholds existed).
func Key(run int, sys string, later ow.SnapshotRef, earlier *ow.SnapshotRef, opts ow.Values, resetMode bool, thresholds ow.Values) string {
	h := sha256.New()
	fmt.Fprintf(h, "overwatch-slice-v1\x00%d\x00%s\x00%s/%d.%d\x00", run, sys, later.Subsystem, later.Time.Unix(), later.Seq)
	if earlier != nil {
		fmt.Fprintf(h, "%s/%d.%d", earlier.Subsystem, earlier.Time.Unix(), earlier.Seq)
	} else {
		h.Write([]byte("-"))
	}
	fmt.Fprintf(h, "\x00%s\x00%s", opts.Canonical(), strconv.FormatBool(resetMode))
	if len(thresholds) > 0 {
		fmt.Fprintf(h, "\x00thresholds\x00%s", thresholds.Canonical())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// resolved is a validated request mapped to its snapshots.
type resolved struct {
	rec     Record
	later   ow.SnapshotInfo
	earlier *ow.SnapshotInfo
	summed  []ow.SnapshotInfo // reset mode: the snapshots to sum
	values  ow.Values
	thresh  ow.Values
}

// resolve validates a request against the run, the subsystem and the
// detector's declared options and selects its snapshots.
func (s *Service) resolve(ctx context.Context, req Request) (*resolved, error) {
	values, err := req.Validate()
	if err != nil {
		return nil, err
	}
	run, err := s.store.RunInfo(ctx, req.Run)
	if err != nil {
		if errors.Is(err, ow.ErrNotFound) {
			return nil, fmt.Errorf("%w: run %d is not known", ErrInvalidRequest, req.Run)
		}
		return nil, fmt.Errorf("timeslice: run %d: %w", req.Run, err)
	}
	sub, ok := run.Subsystem(req.Subsystem)
	if !ok {
		return nil, fmt.Errorf("%w: run %d has no subsystem %q", ErrInvalidRequest, req.Run, req.Subsystem)
	}
	snaps, err := s.store.Snapshots(ctx, req.Run, sub.FilesFrom)
	if err != nil {
		return nil, fmt.Errorf("timeslice: snapshots of run %d %s: %w", req.Run, sub.FilesFrom, err)
	}
	thresh, err := s.thresholds(req)
	if err != nil {
		return nil, err
	}
	reset := len(snaps) > 0 && snaps[len(snaps)-1].Accumulation.Or(s.opts.DefaultAccumulation).IsReset()
	later, earlier, events, err := s.selectWindow(ctx, req, sub, snaps, reset)
	if err != nil {
		return nil, err
	}
	r := &resolved{later: snaps[later], values: values, thresh: thresh}
	var eref *ow.SnapshotRef
	if earlier != NoSnapshot {
		e := snaps[earlier]
		r.earlier = &e
		eref = &e.SnapshotRef
	}
	reset = r.later.Accumulation.Or(s.opts.DefaultAccumulation).IsReset()
	if reset {
		r.summed = snaps[earlier+1 : later+1]
	}
	key := Key(req.Run, req.Subsystem, r.later.SnapshotRef, eref, values, reset, thresh)
	r.rec = Record{Key: key, Request: req, Run: req.Run, Subsystem: req.Subsystem, Source: sub.FilesFrom,
		Later: refOf(r.later.SnapshotRef), Options: values.Canonical(), ResetMode: reset, State: StatePending, Events: events}
	if len(thresh) > 0 {
		r.rec.Thresholds = thresh.Canonical()
	}
	if r.earlier != nil {
		e := refOf(r.earlier.SnapshotRef)
		r.rec.Earlier = &e
	}
	return r, nil
}

// Submit validates a request and starts computing its slice unless an
// equal slice is already computed or being computed. It returns the slice's
// key at once. Errors about the request wrap ErrInvalidRequest.
func (s *Service) Submit(ctx context.Context, req Request) (string, error) {
	r, err := s.resolve(ctx, req)
	if err != nil {
		return "", err
	}
	key := r.rec.Key
	s.mu.Lock()
	if j, ok := s.jobs[key]; ok {
		st := j.status()
		if st.State != StateFailed {
			s.mu.Unlock()
			return key, nil
		}
	}
	s.mu.Unlock()
	// Computed before (maybe by another process): reuse when its outputs
	// are still there.
	if rec, err := s.readRecord(ctx, r.rec.Run, r.rec.Subsystem, key); err == nil && rec.State == StateDone && s.outputsPresent(ctx, rec) {
		s.remember(key, rec, "done", 1)
		return key, nil
	}
	if err := s.writeRecord(ctx, r.rec); err != nil {
		return "", err
	}
	s.start(r)
	return key, nil
}

func (s *Service) remember(key string, rec Record, stage string, progress float64) *job {
	j := &job{rec: rec, stage: stage, progress: progress, done: make(chan struct{})}
	if rec.State != StatePending {
		close(j.done)
	}
	s.mu.Lock()
	s.jobs[key] = j
	s.mu.Unlock()
	return j
}

// start launches the job of a resolved request, once per key.
func (s *Service) start(r *resolved) {
	s.mu.Lock()
	if j, ok := s.jobs[r.rec.Key]; ok && j.status().State == StatePending {
		s.mu.Unlock()
		return
	}
	j := &job{rec: r.rec, stage: "queued", done: make(chan struct{})}
	s.jobs[r.rec.Key] = j
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(j.done)
		select {
		case s.sem <- struct{}{}:
		case <-s.ctx.Done():
			s.finish(j, Rendered{}, nil, s.ctx.Err())
			return
		}
		defer func() { <-s.sem }()
		if s.opts.Leases != nil {
			s.computeLeased(j, r)
			return
		}
		res, notes, err := s.compute(s.ctx, j, r)
		s.finish(j, res, notes, err)
	}()
}

// computeLeased computes a slice under its lease, or waits for the
// process holding the lease to store it; when that holder dies, its lease
// expires and this one takes the work over.
func (s *Service) computeLeased(j *job, r *resolved) {
	ctx, key := s.ctx, r.rec.Key
	for {
		l, err := s.opts.Leases.TryLease(ctx, LeaseQueue, key, s.opts.Holder, s.opts.LeaseTTL)
		if err == nil {
			s.computeHeld(j, r, l)
			return
		}
		if !errors.Is(err, ow.ErrLeaseBusy) {
			s.finish(j, Rendered{}, nil, err)
			return
		}
		j.set("computed by another process", 0.05)
		select {
		case <-ctx.Done():
			s.finish(j, Rendered{}, nil, ctx.Err())
			return
		case <-time.After(leasePoll):
		}
		if rec, err := s.readRecord(ctx, r.rec.Run, r.rec.Subsystem, key); err == nil && rec.State == StateDone && s.outputsPresent(ctx, rec) {
			s.adopt(j, rec)
			return
		}
	}
}

// computeHeld computes a slice while holding its lease l, renewing it.
func (s *Service) computeHeld(j *job, r *resolved, l ow.Lease) {
	key := r.rec.Key
	// Done by the previous holder between our look and our grant.
	if rec, err := s.readRecord(s.ctx, r.rec.Run, r.rec.Subsystem, key); err == nil && rec.State == StateDone && s.outputsPresent(s.ctx, rec) {
		_ = s.opts.Leases.ReleaseLease(context.Background(), l)
		s.adopt(j, rec)
		return
	}
	ctx, cancel := context.WithCancelCause(s.ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(s.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				nl, err := s.opts.Leases.RenewLease(context.Background(), l, s.opts.LeaseTTL)
				if errors.Is(err, ow.ErrLeaseLost) {
					cancel(err) // another process computes it now
					return
				}
				if err == nil {
					l = nl
				}
			}
		}
	}()
	res, notes, err := s.compute(ctx, j, r)
	cancel(nil)
	<-renewed
	if cause := context.Cause(ctx); errors.Is(cause, ow.ErrLeaseLost) {
		err = fmt.Errorf("timeslice: slice %s: %w", key, cause)
	} else {
		defer func() { _ = s.opts.Leases.ReleaseLease(context.Background(), l) }()
	}
	s.finish(j, res, notes, err)
}

// adopt ends a job with the record another process stored.
func (s *Service) adopt(j *job, rec Record) {
	j.mu.Lock()
	j.rec, j.stage, j.progress = rec, "done", 1
	j.mu.Unlock()
}

func (s *Service) finish(j *job, res Rendered, notes []string, err error) {
	j.mu.Lock()
	if err != nil {
		j.rec.State, j.rec.Error = StateFailed, err.Error()
	} else {
		j.rec.State, j.rec.Hists, j.rec.NEvents, j.rec.Notes = StateDone, res.Hists, res.NEvents, notes
		j.rec.Quality, j.rec.QualityReason = res.Quality, res.QualityReason
		j.stage, j.progress = "done", 1
	}
	rec := j.rec
	j.mu.Unlock()
	if err != nil {
		s.log.Warn("time slice failed", "key", rec.Key, "run", rec.Run, "subsystem", rec.Subsystem, "err", err)
	}
	// Record the outcome; a failure caused by Close stays pending on disk so
	// that it is recomputed after a restart.
	if errors.Is(err, context.Canceled) || errors.Is(err, ow.ErrLeaseLost) { // a lost lease: the record is the new holder's
		return
	}
	if werr := s.writeRecord(context.Background(), rec); werr != nil {
		s.log.Error("writing time-slice record", "key", rec.Key, "err", werr)
	}
}

// compute builds the slice's file (two snapshots read, or the window's
// snapshots summed in reset mode) and renders it.
func (s *Service) compute(ctx context.Context, j *job, r *resolved) (Rendered, []string, error) {
	start := time.Now()
	j.set("reading", 0.1)
	var f *ow.File
	var reports []ObjectReport
	if r.rec.ResetMode {
		var err error
		f, reports, err = SumSnapshots(ctx, s.store, r.summed, s.opts.Decode, nil, func(read int) {
			j.set("reading", 0.1+0.4*float64(read)/float64(len(r.summed)))
		})
		if err != nil {
			return Rendered{}, nil, err
		}
		j.set("summing", 0.5)
	} else {
		later, err := s.decode(ctx, r.later.SnapshotRef)
		if err != nil {
			return Rendered{}, nil, err
		}
		f = later
		if r.earlier != nil {
			earlier, err := s.decode(ctx, r.earlier.SnapshotRef)
			if err != nil {
				return Rendered{}, nil, err
			}
			j.set("subtracting", 0.4)
			if f, reports, err = DiffFiles(later, earlier); err != nil {
				return Rendered{}, nil, err
			}
		}
	}
	var notes []string
	for _, rep := range reports {
		switch rep.Action {
		case ResetDetected:
			notes = append(notes, fmt.Sprintf("%s: counts reset within the window (%s); the later snapshot is shown", rep.Path, rep.Info.Reason))
		case Failed:
			notes = append(notes, fmt.Sprintf("%s: left out: %v", rep.Path, rep.Err))
		}
	}
	j.set("processing", 0.6)
	res, err := s.r.RenderSlice(ctx, f, RenderRequest{Run: r.rec.Run, Subsystem: r.rec.Subsystem, Source: r.rec.Source,
		Key: r.rec.Key, Later: r.later, Earlier: r.earlier, Options: r.values, Thresholds: r.thresh})
	if err != nil {
		return Rendered{}, nil, fmt.Errorf("timeslice: processing slice %s: %w", r.rec.Key, err)
	}
	s.log.Info("time slice ready", "key", r.rec.Key, "run", r.rec.Run, "subsystem", r.rec.Subsystem, "hists", res.Hists, "took", time.Since(start))
	return res, notes, nil
}

func (s *Service) decode(ctx context.Context, ref ow.SnapshotRef) (*ow.File, error) {
	return DecodeSnapshot(ctx, s.store, ref, s.opts.Decode)
}

// Status returns the state of a slice. A key unknown to this process is
// looked up in the store: a finished slice whose outputs are present is
// reported done; otherwise (interrupted by a restart, outputs deleted) it
// is recomputed from its stored request. run and sys locate the record.
func (s *Service) Status(ctx context.Context, run int, sys, key string) (Status, error) {
	s.mu.Lock()
	j, ok := s.jobs[key]
	s.mu.Unlock()
	if ok {
		return j.status(), nil
	}
	rec, err := s.readRecord(ctx, run, sys, key)
	if err != nil {
		return Status{}, err
	}
	if rec.State == StateDone && s.outputsPresent(ctx, rec) {
		return s.remember(key, rec, "done", 1).status(), nil
	}
	// Recompute from the stored request: the same selection gives the same
	// key.
	r, err := s.resolve(ctx, rec.Request)
	if err != nil {
		return Status{}, fmt.Errorf("timeslice: recomputing slice %s: %w", key, err)
	}
	if r.rec.Key != key {
		return Status{}, fmt.Errorf("timeslice: slice %s: its request now selects other snapshots (%s): %w", key, r.rec.Key, ErrInvalidRequest)
	}
	if err := s.writeRecord(ctx, r.rec); err != nil {
		return Status{}, err
	}
	s.start(r)
	s.mu.Lock()
	j = s.jobs[key]
	s.mu.Unlock()
	return j.status(), nil
}

// Wait blocks until the slice's job ends (or ctx is done) and returns its
// status.
func (s *Service) Wait(ctx context.Context, run int, sys, key string) (Status, error) {
	st, err := s.Status(ctx, run, sys, key)
	if err != nil {
		return st, err
	}
	s.mu.Lock()
	j := s.jobs[key]
	s.mu.Unlock()
	select {
	case <-j.done:
		return j.status(), nil
	case <-ctx.Done():
		return j.status(), ctx.Err()
	}
}

func (s *Service) recordRef(run int, sys, key string) ow.OutputRef {
	return ow.OutputRef{Run: run, Subsystem: sys, Slice: key, Kind: ow.OutputSlice}
}

func (s *Service) readRecord(ctx context.Context, run int, sys, key string) (Record, error) {
	b, err := s.store.Output(ctx, s.recordRef(run, sys, key))
	if err != nil {
		return Record{}, fmt.Errorf("timeslice: slice %s of run %d %s: %w", key, run, sys, err)
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Record{}, fmt.Errorf("timeslice: slice record %s is not valid JSON: %w", key, err)
	}
	if rec.Key != key {
		return Record{}, fmt.Errorf("timeslice: slice record %s holds key %q", key, rec.Key)
	}
	return rec, nil
}

func (s *Service) writeRecord(ctx context.Context, rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("timeslice: encoding slice record: %w", err)
	}
	if err := s.store.PutOutput(ctx, s.recordRef(rec.Run, rec.Subsystem, rec.Key), b); err != nil {
		return fmt.Errorf("timeslice: writing slice record %s: %w", rec.Key, err)
	}
	return nil
}

// outputsPresent reports whether a finished slice's outputs are still
// stored: its bundle (or, from before bundles, its view).
func (s *Service) outputsPresent(ctx context.Context, rec Record) bool {
	for _, k := range []ow.OutputKind{ow.OutputBundle, ow.OutputView} {
		if _, err := s.store.OutputTime(ctx, ow.OutputRef{Run: rec.Run, Subsystem: rec.Subsystem, Slice: rec.Key, Kind: k}); err == nil {
			return true
		}
	}
	return false
}
