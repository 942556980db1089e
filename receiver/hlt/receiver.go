// Package hlt is the HLT ZeroMQ receiver of Overwatch: a wire-compatible
// re-implementation of the original zmqReceive. It periodically asks an HLT
// ROOT merger (ZMQROOTmerger, or the simulator of receiver/hltsim) for its
// merged histograms over a ZeroMQ REQ socket, decodes the reply (INFO run
// information, ROOTSTRI streamer infos, one TMessage per object) and stores
// every useful reply as one snapshot through a Sink: an Overwatch store
// (StoreSink) or a drop folder with the C++ receiver's file names (DropSink).
//
// Compared with the original it keeps the request (the 4-frame CONFIG
// message with -select, -ResetOnRequest and -SchemaOnRequest on the first
// request and after a decode failure), the heartbeat file and the rule "no
// file when the run number is 0 or nothing was decoded", and fixes the
// weaknesses listed in the spec: a reply without INFO is not filed under a
// stale run, a missing HLT mode becomes U, same-second replies never
// overwrite each other, identical replies after the end of a run are not
// written again (configurable), timeouts back off exponentially, SIGINT and
// SIGTERM (the context) stop it at once, the selection cannot inject merger
// options, and a hostile payload is logged and skipped.
//
// The ZeroMQ library (go-zeromq/zmq4) reads frames of any announced size;
// connect it only to trusted mergers (as the original did, through an SSH
// tunnel).
package hlt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/overwatch-dqm/overwatch/receiver"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
	"github.com/overwatch-dqm/overwatch/store"
)

// Config configures a Receiver.
type Config struct {
	// Endpoint is the merger's socket spec in the AliZMQhelpers grammar,
	// e.g. "REQ>tcp://localhost:60321". Only REQ with one connecting
	// endpoint is supported ("tcp://host:port" alone means REQ>).
	Endpoint string
	// Subsystem is the receiver's subsystem (EMC, TPC, HLT, ...): it names
	// the snapshots and the heartbeat file.
	Subsystem string
	// DataDir, when set, receives the heartbeat file
	// heartbeat.<SYS>Receiver on every loop, and after every reply the
	// data status datastatus.<SYS>Receiver (receiver.DataStatus: the run
	// the merger reports and when it last brought new data), from which
	// the monitor tells a receiver that is alive but gets no new data.
	DataDir string
	// Status, when set, is called with the heartbeat time and the data
	// status each time the heartbeat is due (whether or not DataDir is
	// set), from the receiving loop: it must return quickly. Package cli
	// keeps them in the store's index when every machine has a data
	// directory of its own (blobs on a bucket).
	Status func(now time.Time, ds receiver.DataStatus)
	// Select and Unselect are regular expressions forwarded to the merger
	// (matched anywhere in the object names).
	Select, Unselect string
	// ResetOnRequest asks the merger to reset after every reply, so that
	// snapshots hold increments; such snapshots are delivered with Source
	// "hlt-reset" instead of "hlt".
	ResetOnRequest bool
	// Accumulation is recorded with every snapshot (overwatch.SnapshotMeta)
	// when ResetOnRequest is off: Cumulative when unset; a deployment
	// whose mergers reset on their own says Reset. With ResetOnRequest the
	// snapshots are always Reset.
	Accumulation overwatch.Accumulation
	// LegacyTopics sends the request with G1 raw string topics ("CONFIG"),
	// for a merger built before October 2016. The default is the O2
	// DataTopic that every later merger reads.
	LegacyTopics bool
	// Sleep is the pause after a reply (default 60 s).
	Sleep time.Duration
	// Timeout is how long to wait for a reply (default 10 s). On timeout
	// the socket is re-created.
	Timeout time.Duration
	// BackoffMax caps the exponential back-off after consecutive timeouts
	// (default 60 s); the first retry is immediate, then 1 s, 2 s, 4 s ...
	BackoffMax time.Duration
	// KeepDuplicates writes a reply even when its content is identical to
	// the previous snapshot of the same run (by default such replies, which
	// a merger keeps serving after the end of a run, are skipped).
	KeepDuplicates bool
	// MaxObjects bounds the objects decoded from one reply (default
	// DefaultMaxObjects).
	MaxObjects int
	// StoreRetryMax caps the back-off between attempts to store a snapshot
	// the sink refused (default DefaultStoreRetryMax). A snapshot is never
	// dropped because its sink failed for a while (a full disk, a process
	// out of file descriptors): the receiver keeps it, retries with
	// exponential back-off (100 ms doubling up to StoreRetryMax) and sends
	// no new request to the merger until it is stored — back-pressure, so
	// that at most one snapshot per receiver waits in memory. Only a
	// permanent refusal (a run number out of range) or the end of the
	// context gives it up, counted in Stats.SinkErrors.
	StoreRetryMax time.Duration
	// Logger receives the receiver's log (default slog.Default()).
	Logger *slog.Logger
	// Now returns the current time (default time.Now); tests may fake it.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultSleep      = 60 * time.Second
	DefaultTimeout    = 10 * time.Second
	DefaultBackoffMax = 60 * time.Second
	backoffBase       = time.Second
	// DefaultStoreRetryMax is the longest wait between attempts to store
	// a snapshot.
	DefaultStoreRetryMax = 30 * time.Second
	storeRetryBase       = 100 * time.Millisecond
	storeAttemptTimeout  = time.Minute
)

// ParseEndpoint checks a socket spec and returns the address to connect
// to. It accepts "REQ>tcp://host:port", "REQ-tcp://...", "REQ+tcp://..." and
// a bare "tcp://host:port"; it refuses other socket types, binding ("@"),
// several endpoints (zmq4's REQ fails over between endpoints incorrectly)
// and transports other than tcp and ipc (zmq4's inproc REQ is broken).
func ParseEndpoint(spec string) (string, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return "", fmt.Errorf("hlt: empty endpoint (want e.g. REQ>tcp://localhost:60321)")
	}
	addr := s
	if !strings.HasPrefix(s, "tcp://") && !strings.HasPrefix(s, "ipc://") {
		i := strings.IndexAny(s, "@>-+")
		if i <= 0 {
			return "", fmt.Errorf("hlt: endpoint %q: want MODE>endpoint, e.g. REQ>tcp://localhost:60321", spec)
		}
		if mode := s[:i]; mode != "REQ" {
			return "", fmt.Errorf("hlt: endpoint %q: socket type %q not supported (want REQ, the merger's request socket)", spec, mode)
		}
		if s[i] == '@' {
			return "", fmt.Errorf("hlt: endpoint %q: a receiver connects (>) to the merger, it does not bind (@)", spec)
		}
		addr = s[i+1:]
	}
	if strings.Contains(addr, ",") {
		return "", fmt.Errorf("hlt: endpoint %q: only one endpoint is supported", spec)
	}
	if !strings.HasPrefix(addr, "tcp://") && !strings.HasPrefix(addr, "ipc://") {
		return "", fmt.Errorf("hlt: endpoint %q: want a tcp:// or ipc:// address", spec)
	}
	return addr, nil
}

// Stats are the receiver's counters.
type Stats struct {
	Requests     int64 // requests sent
	Replies      int64 // replies received
	Timeouts     int64 // requests without a reply in time (or failed connections)
	Written      int64 // snapshots stored
	NoRun        int64 // replies not stored because the run number was 0 or unknown
	NoObjects    int64 // replies not stored because no object was decoded
	Duplicates   int64 // replies not stored because identical to the previous one
	SinkErrors   int64 // snapshots given up: refused permanently by the sink, or still unstored at shutdown
	StoreRetries int64 // failed attempts to store a snapshot that were retried
	BadObjects   int64 // object payloads that could not be decoded
	Streamers    int64 // ROOTSTRI streamer-info messages applied
	LastReply    time.Time
	LastWritten  string // where the last snapshot went
}

// Receiver is the HLT ZeroMQ client. It implements overwatch.Receiver.
type Receiver struct {
	cfg  Config
	sink Sink
	dec  *Decoder
	log  *slog.Logger

	requests, replies, timeouts, written, noRun, noObjects, duplicates, sinkErrors, badObjects, streamers, storeRetries atomic.Int64

	mu          sync.Mutex
	lastReply   time.Time
	lastWritten string

	// State of the loop (owned by Run).
	needSchema bool
	lastRun    int
	lastHash   [32]byte
	// The data status (receiver.DataStatus): the run the merger reports
	// and when it last brought new data.
	curRun  int
	lastNew time.Time
}

var _ overwatch.Receiver = (*Receiver)(nil)

// New returns a receiver that stores snapshots through sink. Configuration
// errors are reported by Run.
func New(cfg Config, sink Sink) *Receiver {
	if cfg.Sleep <= 0 {
		cfg.Sleep = DefaultSleep
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.StoreRetryMax <= 0 {
		cfg.StoreRetryMax = DefaultStoreRetryMax
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	dec := NewDecoder()
	dec.MaxObjects = cfg.MaxObjects
	return &Receiver{
		cfg: cfg, sink: sink, dec: dec, needSchema: true,
		log: cfg.Logger.With("receiver", "hlt", "subsystem", cfg.Subsystem),
	}
}

// beat writes the heartbeat file (when DataDir is set) and hands the
// heartbeat and the data status to Config.Status (when set).
func (r *Receiver) beat() {
	now := r.cfg.Now()
	if r.cfg.DataDir != "" {
		if err := heartbeat.Write(r.cfg.DataDir, r.cfg.Subsystem, now); err != nil {
			r.log.Warn("heartbeat", "err", err)
		}
	}
	if r.cfg.Status != nil {
		r.cfg.Status(now, r.DataStatus())
	}
}

// DataStatus returns the run the merger reported last (0: none) and when
// that run last brought a snapshot with new content (or was first seen).
// Like HandleReply, it belongs to the loop: call it from Run's goroutine or
// when Run is not running.
func (r *Receiver) DataStatus() receiver.DataStatus {
	if r.curRun <= 0 || !overwatch.ValidRun(r.curRun) {
		return receiver.DataStatus{}
	}
	return receiver.DataStatus{Run: r.curRun, LastData: r.lastNew}
}

// Stats returns a snapshot of the counters.
func (r *Receiver) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{
		Requests: r.requests.Load(), Replies: r.replies.Load(), Timeouts: r.timeouts.Load(),
		Written: r.written.Load(), NoRun: r.noRun.Load(), NoObjects: r.noObjects.Load(),
		Duplicates: r.duplicates.Load(), SinkErrors: r.sinkErrors.Load(), BadObjects: r.badObjects.Load(), Streamers: r.streamers.Load(),
		StoreRetries: r.storeRetries.Load(),
		LastReply:    r.lastReply, LastWritten: r.lastWritten,
	}
}

func (r *Receiver) validate() (string, error) {
	addr, err := ParseEndpoint(r.cfg.Endpoint)
	if err != nil {
		return "", err
	}
	if !overwatch.ValidSubsystem(r.cfg.Subsystem) {
		return "", fmt.Errorf("hlt: subsystem %q: want 2–8 upper-case letters or digits", r.cfg.Subsystem)
	}
	if r.sink == nil {
		return "", errors.New("hlt: no sink")
	}
	if _, err := (hltwire.Request{Select: r.cfg.Select, Unselect: r.cfg.Unselect}).OptionString(); err != nil {
		return "", fmt.Errorf("hlt: %w", err)
	}
	return addr, nil
}

// Run requests, decodes and stores replies until ctx is done; it then
// returns nil at once (closing the socket). Only configuration errors make
// it return early. A Receiver runs one loop at a time.
func (r *Receiver) Run(ctx context.Context) error {
	addr, err := r.validate()
	if err != nil {
		return err
	}
	r.log.Info("HLT receiver starting", "endpoint", addr, "select", r.cfg.Select,
		"reset", r.cfg.ResetOnRequest, "sleep", r.cfg.Sleep, "timeout", r.cfg.Timeout)
	var sock *reqSocket
	defer func() {
		if sock != nil {
			sock.close()
		}
	}()
	failures := 0
	for {
		if ctx.Err() != nil {
			r.log.Info("HLT receiver stopping")
			return nil
		}
		r.beat()
		if sock == nil {
			sock = newReqSocket(ctx, addr, r.cfg.Timeout)
		}
		req := hltwire.Request{Select: r.cfg.Select, Unselect: r.cfg.Unselect,
			ResetOnRequest: r.cfg.ResetOnRequest, SchemaOnRequest: r.needSchema}
		frames, _ := req.Frames() // options validated above
		if r.cfg.LegacyTopics {
			frames, _ = req.LegacyFrames()
		}
		r.requests.Add(1)
		reply, err := sock.roundTrip(ctx, frames, r.cfg.Timeout)
		if err != nil {
			sock.close()
			sock = nil
			if ctx.Err() != nil {
				r.log.Info("HLT receiver stopping")
				return nil
			}
			r.timeouts.Add(1)
			failures++
			wait := backoff(failures, r.cfg.BackoffMax)
			r.log.Warn("no reply from the merger; socket re-created", "endpoint", addr, "err", err,
				"consecutive", failures, "retry_in", wait)
			if !sleepCtx(ctx, wait) {
				r.log.Info("HLT receiver stopping")
				return nil
			}
			continue
		}
		failures = 0
		r.needSchema = false
		r.replies.Add(1)
		r.handle(ctx, reply)
		if r.cfg.DataDir != "" {
			if err := receiver.WriteDataStatus(r.cfg.DataDir, r.cfg.Subsystem, r.DataStatus()); err != nil {
				r.log.Warn("data status", "err", err)
			}
		}
		if !sleepCtx(ctx, r.cfg.Sleep) {
			r.log.Info("HLT receiver stopping")
			return nil
		}
	}
}

// backoff returns the wait after n consecutive failures: 0 for the first
// (the original re-requests at once), then 1 s doubling up to max.
func backoff(n int, max time.Duration) time.Duration {
	if n <= 1 {
		return 0
	}
	d := backoffBase
	for i := 2; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// HandleReply decodes one reply and stores it when it is useful, as Run
// does for every reply it receives (decode failures make the next request
// ask for the schema; the duplicate check compares with the previous stored
// reply). It returns where the snapshot went, or "" when nothing was
// stored. It is meant for replaying captured replies and for benchmarks; do
// not call it while Run is running.
func (r *Receiver) HandleReply(ctx context.Context, frames [][]byte) string {
	return r.handle(ctx, frames)
}

func (r *Receiver) handle(ctx context.Context, frames [][]byte) string {
	now := r.cfg.Now()
	r.mu.Lock()
	r.lastReply = now
	r.mu.Unlock()
	d := r.dec.Decode(frames)
	r.badObjects.Add(int64(d.Failed))
	r.streamers.Add(int64(d.Streamers))
	if d.NeedSchema {
		r.needSchema = true
	}
	if len(d.Errs) > 0 {
		r.log.Warn("problems in reply (skipped)", "failed", d.Failed, "not_root", d.NotROOT,
			"dropped", d.Dropped, "first", d.Errs[0], "request_schema", d.NeedSchema)
	}
	if d.Duplicates > 0 {
		r.log.Warn("objects with the same name in one reply; the last one is kept", "count", d.Duplicates)
	}
	run := d.Info.Run
	if d.HasInfo && run != r.curRun {
		r.curRun, r.lastNew = max(run, 0), now
	}
	if !d.HasInfo {
		r.noRun.Add(1)
		r.log.Info("reply without INFO: run unknown, not stored", "objects", len(d.Entries))
		return ""
	}
	if run <= 0 {
		r.noRun.Add(1)
		r.log.Info("run number is 0: not stored", "objects", len(d.Entries))
		return ""
	}
	if !overwatch.ValidRun(run) {
		r.noRun.Add(1)
		r.log.Error("run number outside the valid range: not stored", "run", run, "max", overwatch.MaxRun, "objects", len(d.Entries))
		return ""
	}
	if len(d.Entries) == 0 {
		r.noObjects.Add(1)
		r.log.Info("no objects in reply: not stored", "run", run)
		return ""
	}
	if !r.cfg.KeepDuplicates && !r.cfg.ResetOnRequest && run == r.lastRun && d.Hash == r.lastHash {
		r.duplicates.Add(1)
		r.log.Info("reply identical to the previous snapshot of the run: not stored", "run", run)
		return ""
	}
	mode, err := overwatch.ParseHLTMode(d.Info.Mode)
	if err != nil || d.Info.Mode == "" || mode == overwatch.ModeDQM {
		if d.Info.Mode != "" {
			r.log.Warn("unknown HLT mode; using U", "mode", d.Info.Mode)
		}
		mode = overwatch.ModeUnknown
	}
	source := "hlt"
	if r.cfg.ResetOnRequest {
		source = "hlt-reset"
	}
	meta := overwatch.SnapshotMeta{Run: run, Subsystem: r.cfg.Subsystem, Mode: mode,
		Time: now.Truncate(time.Second), Origin: source, Accumulation: r.accumulation()}
	where, err := r.put(ctx, meta, d.Entries)
	if err != nil {
		r.sinkErrors.Add(1)
		r.log.Error("storing snapshot failed; snapshot lost", "run", run, "err", err)
		return ""
	}
	r.lastRun, r.lastHash = run, d.Hash
	r.lastNew = now
	r.written.Add(1)
	r.mu.Lock()
	r.lastWritten = where
	r.mu.Unlock()
	r.log.Info("snapshot stored", "run", run, "mode", mode, "objects", len(d.Entries), "path", where)
	return where
}

// put stores a snapshot, retrying with exponential back-off while the sink
// fails (see Config.StoreRetryMax). The heartbeat keeps being written: the
// loop is alive, only waiting. A reply received just before ctx ends is
// still stored (each attempt runs without ctx's cancellation, bounded by
// storeAttemptTimeout); it gives up on a permanent refusal or when an
// attempt fails after ctx is done.
func (r *Receiver) put(ctx context.Context, meta overwatch.SnapshotMeta, entries []overwatch.Entry) (string, error) {
	wait := storeRetryBase
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeAttemptTimeout)
		where, err := r.sink.Put(actx, meta, entries)
		cancel()
		if err == nil {
			if attempt > 1 {
				r.log.Info("snapshot stored after retries", "run", meta.Run, "attempts", attempt)
			}
			return where, nil
		}
		if errors.Is(err, store.ErrRunRange) || ctx.Err() != nil {
			return "", err
		}
		r.storeRetries.Add(1)
		r.log.Warn("storing snapshot failed; keeping it and retrying (no new request until it is stored)",
			"run", meta.Run, "err", err, "attempt", attempt, "retry_in", wait)
		if !sleepCtx(ctx, wait) {
			return "", fmt.Errorf("stopped while retrying: %w", err)
		}
		r.beat()
		wait = min(2*wait, r.cfg.StoreRetryMax)
	}
}

// reqSocket is one REQ socket. zmq4's Dial gives up after its retries and
// its Recv ignores timeouts, so a round trip runs in a goroutine raced
// against a timer and the context; closing the socket (cancelling its
// context) unblocks it.
type reqSocket struct {
	addr   string
	sock   zmq4.Socket
	cancel context.CancelFunc
	dialed bool
}

func newReqSocket(ctx context.Context, addr string, timeout time.Duration) *reqSocket {
	sctx, cancel := context.WithCancel(ctx)
	retry := 100 * time.Millisecond
	retries := max(1, int(timeout/retry))
	s := zmq4.NewReq(sctx, zmq4.WithDialerRetry(retry), zmq4.WithDialerMaxRetries(retries),
		zmq4.WithDialerTimeout(timeout))
	return &reqSocket{addr: addr, sock: s, cancel: cancel}
}

func (s *reqSocket) close() {
	s.cancel()
	_ = s.sock.Close()
}

type result struct {
	frames [][]byte
	err    error
}

func (s *reqSocket) roundTrip(ctx context.Context, frames [][]byte, timeout time.Duration) ([][]byte, error) {
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("zmq: %v", p)}
			}
		}()
		if !s.dialed {
			if err := s.sock.Dial(s.addr); err != nil {
				done <- result{err: err}
				return
			}
			s.dialed = true
		}
		if err := s.sock.Send(zmq4.NewMsgFrom(frames...)); err != nil {
			done <- result{err: fmt.Errorf("send: %w", err)}
			return
		}
		msg, err := s.sock.Recv()
		if err != nil {
			done <- result{err: fmt.Errorf("receive: %w", err)}
			return
		}
		done <- result{frames: msg.Frames}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("no reply within %v", timeout)
	case res := <-done:
		return res.frames, res.err
	}
}

// accumulation is what the receiver's snapshots hold (Config.Accumulation).
func (r *Receiver) accumulation() overwatch.Accumulation {
	if r.cfg.ResetOnRequest {
		return overwatch.Reset
	}
	return r.cfg.Accumulation.Or(overwatch.Cumulative)
}
