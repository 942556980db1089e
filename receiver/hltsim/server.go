package hltsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
)

// Phase is the state of the simulated data taking.
type Phase int

// The phases of the run cycle.
const (
	PhaseRun   Phase = iota // a run is live: histograms grow
	PhaseStale              // the run ended; mergers still serve its last content
	PhaseGap                // between runs: mergers answer with run 0 and no objects
)

// String returns "run", "stale" or "gap".
func (p Phase) String() string {
	switch p {
	case PhaseRun:
		return "run"
	case PhaseStale:
		return "stale"
	}
	return "gap"
}

// Server is a set of simulated HLT mergers, one per subsystem.
type Server struct {
	cfg Config
	gen *generator.Generator
	log *slog.Logger

	mu        sync.Mutex // guards the run cycle and the mergers' options
	phase     Phase
	run       int
	phaseLeft time.Duration // simulated time left in the phase
	lastWall  time.Time
	mergers   map[string]*merger

	listenMu  sync.Mutex
	socks     []zmq4.Socket
	endpoints []string

	requests atomic.Int64
}

// merger is the persistent state of one subsystem's merger.
type merger struct {
	sys          string
	classes      map[string]bool // every class ever sent (the merger's streamer list)
	schemaOnSend bool
	resetOnSend  bool
	allowReset   bool
	schemaKey    string
	schemaMsg    []byte
}

// New returns a simulator with its first run live. It does not listen yet:
// call Serve (or Listen then Serve), or use Reply directly.
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	for _, s := range cfg.Subsystems {
		if !overwatch.ValidSubsystem(s) {
			return nil, fmt.Errorf("hltsim: subsystem %q: want 2–8 upper-case letters or digits", s)
		}
	}
	s := &Server{
		cfg: cfg,
		gen: generator.New(generator.Config{
			Seed: cfg.Seed, Subsystems: cfg.Subsystems, EventsPerSecond: cfg.EventsPerSecond,
			Start: cfg.Now(), EMCHistograms: cfg.EMCHistograms,
		}),
		log:      cfg.Logger.With("component", "hltsim"),
		mergers:  map[string]*merger{},
		lastWall: cfg.Now(),
	}
	for _, sys := range cfg.Subsystems {
		s.mergers[sys] = &merger{sys: sys, classes: map[string]bool{}, allowReset: !cfg.DisallowResetOnRequest}
	}
	s.startRun(cfg.FirstRun)
	return s, nil
}

// Generator returns the histogram generator, e.g. to inject a hot channel
// in the middle of a run.
func (s *Server) Generator() *generator.Generator { return s.gen }

// Requests returns the number of requests answered.
func (s *Server) Requests() int64 { return s.requests.Load() }

// State returns the current phase and run number (0 between runs), after
// bringing the simulated clock up to date.
func (s *Server) State() (Phase, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncClock()
	return s.phase, s.infoRun()
}

// Advance moves the simulated clock by d at once (on top of the wall clock
// times Speed), running through run ends and starts as needed.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncClock()
	s.advance(d)
}

func (s *Server) startRun(run int) {
	s.run = run
	s.phase = PhaseRun
	s.phaseLeft = s.cfg.RunDuration
	s.gen.StartRun(run)
	for _, h := range s.cfg.HotChannels {
		if err := s.gen.InjectHotChannel(h.Subsystem, h.Hist, h.ID, h.RatePerEvent); err != nil {
			s.log.Warn("hot channel not injected", "err", err)
		}
	}
	for _, d := range s.cfg.Drifts {
		if err := s.gen.SetDrift(d.Subsystem, d.Hist, d.PerSecond); err != nil {
			s.log.Warn("drift not set", "err", err)
		}
	}
	s.gen.ClearDeadRegions()
	for _, r := range s.cfg.DeadRegions {
		if k := run - s.cfg.FirstRun; r.Every > 1 && k%r.Every != r.Every-1 {
			continue // not in this run
		}
		if err := s.gen.SetDeadRegion(r); err != nil {
			s.log.Warn("dead region not set", "err", err)
		}
	}
	for _, p := range s.cfg.DeadPeriods {
		if err := s.gen.AddDeadPeriod(p); err != nil {
			s.log.Warn("dead period not set", "err", err)
		}
	}
	s.log.Info("run started", "run", run)
}

func (s *Server) syncClock() {
	now := s.cfg.Now()
	wall := now.Sub(s.lastWall)
	s.lastWall = now
	if wall > 0 {
		s.advance(time.Duration(float64(wall) * s.cfg.Speed))
	}
}

func (s *Server) advance(d time.Duration) {
	for d > 0 || s.phaseLeft <= 0 {
		step := min(d, s.phaseLeft)
		if step > 0 {
			s.gen.Advance(step)
			d -= step
			s.phaseLeft -= step
		}
		if s.phaseLeft > 0 {
			continue
		}
		switch s.phase {
		case PhaseRun:
			s.gen.EndRun()
			s.phase, s.phaseLeft = PhaseStale, s.cfg.StaleDuration
			s.log.Info("run ended", "run", s.run)
		case PhaseStale:
			// The run control resets the mergers: run 0, no objects.
			for _, sys := range s.cfg.Subsystems {
				_ = s.gen.Reset(sys)
			}
			s.phase, s.phaseLeft = PhaseGap, s.cfg.GapDuration
		case PhaseGap:
			s.startRun(s.run + 1)
		}
	}
}

func (s *Server) infoRun() int {
	if s.phase == PhaseGap {
		return 0
	}
	return s.run
}

// request is the effect of one CONFIG option string.
type request struct {
	sel, unsel *regexp.Regexp
	selBad     bool
	list       []string
	reset      bool
	schema     bool
	resetNow   bool
}

// applyOptions interprets merger options like ZMQROOTmerger's
// ProcessOptionString: one-shot options go into the returned request,
// persistent ones change m; an unknown option stops the parsing of the
// rest (options before it stay in effect).
func (s *Server) applyOptions(m *merger, opts []hltwire.Option) request {
	var r request
	truthy := func(o hltwire.Option) bool { return !strings.Contains(o.Value, "0") }
	for _, o := range opts {
		switch o.Name {
		case "select":
			re, err := regexp.Compile(o.Value)
			if err != nil {
				s.log.Warn("bad select regexp: nothing selected", "merger", m.sys, "select", o.Value, "err", err)
				r.selBad = true
			}
			r.sel = re
		case "unselect":
			re, err := regexp.Compile(o.Value)
			if err != nil {
				s.log.Warn("bad unselect regexp ignored", "merger", m.sys, "unselect", o.Value, "err", err)
			}
			r.unsel = re
		case "list":
			r.list = strings.FieldsFunc(o.Value, func(c rune) bool { return c == ',' || c == ' ' })
		case "ResetOnRequest":
			r.reset = truthy(o)
		case "SchemaOnRequest":
			r.schema = true
		case "reset":
			r.resetNow = true
		case "ResetOnSend":
			m.resetOnSend = truthy(o)
		case "SchemaOnSend":
			m.schemaOnSend = truthy(o)
		case "AllowResetOnRequest":
			m.allowReset = truthy(o)
		default:
			s.log.Warn("unrecognized option; rest of the option string ignored", "merger", m.sys, "option", o.Name)
			return r
		}
	}
	return r
}

func (r *request) selected(name string) bool {
	if r.selBad || (r.sel != nil && !r.sel.MatchString(name)) {
		return false
	}
	if r.unsel != nil && r.unsel.MatchString(name) {
		return false
	}
	if len(r.list) > 0 {
		for _, l := range r.list {
			if strings.Contains(name, l) {
				return true
			}
		}
		return false
	}
	return true
}

// ErrUnknownSubsystem is wrapped by errors about a subsystem the simulator
// has no merger for.
var ErrUnknownSubsystem = errors.New("hltsim: unknown subsystem")

// Reply builds the reply of subsys's merger to a request with the given
// options (hltwire.ParseRequest), exactly as it would go on the wire after
// the envelope: [ROOTSTRI pair,] INFO pair, one ROOTTOBJ pair per object.
func (s *Server) Reply(subsys string, opts []hltwire.Option) ([][]byte, error) {
	s.requests.Add(1)
	s.mu.Lock()
	m := s.mergers[subsys]
	if m == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w %q", ErrUnknownSubsystem, subsys)
	}
	s.syncClock()
	req := s.applyOptions(m, opts)
	if req.resetNow {
		_ = s.gen.Reset(subsys)
	}
	run := s.infoRun()
	info := ""
	if run > 0 {
		info = hltwire.FormatInfo(run, s.cfg.Mode, s.cfg.BeamType, nil)
	} else {
		info = "run=0"
	}
	var hists []*overwatch.Hist
	if s.phase != PhaseGap {
		for _, name := range s.gen.Names(subsys) {
			if req.selected(name) {
				if h := s.gen.Hist(subsys, name); h != nil {
					hists = append(hists, h)
				}
			}
		}
	}
	if (req.reset && m.allowReset) || m.resetOnSend {
		_ = s.gen.Reset(subsys)
	}
	for _, h := range hists {
		m.classes[h.Class] = true
	}
	wantSchema := req.schema || m.schemaOnSend
	s.mu.Unlock()

	sort.Slice(hists, func(i, j int) bool { return hists[i].Name < hists[j].Name })
	opt := hltwire.TMessageOptions{LittleEndianLength: !s.cfg.BigEndianLength}
	objs, err := encodeAll(hists, opt)
	if err != nil {
		return nil, err
	}
	reply := hltwire.Reply{Info: []byte(info), Objects: objs}
	if wantSchema {
		msg, err := s.streamers(m, opt)
		if err != nil {
			return nil, err
		}
		reply.Streamers = msg
	}
	return reply.Frames(), nil
}

// encodeAll encodes one TMessage per histogram, spreading the work over
// the available CPUs for large replies.
func encodeAll(hists []*overwatch.Hist, opt hltwire.TMessageOptions) ([][]byte, error) {
	out := make([][]byte, len(hists))
	errs := make([]error, len(hists))
	workers := min(runtime.GOMAXPROCS(0), (len(hists)+31)/32)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(hists); i = int(next.Add(1) - 1) {
				out[i], errs[i] = hltwire.EncodeTMessage(hists[i], opt)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("hltsim: encode %s %q: %w", hists[i].Class, hists[i].Name, err)
		}
	}
	return out, nil
}

// streamers returns the merger's ROOTSTRI TMessage for every class it ever
// sent, cached while that set does not change.
func (s *Server) streamers(m *merger, opt hltwire.TMessageOptions) ([]byte, error) {
	s.mu.Lock()
	classes := make([]string, 0, len(m.classes))
	for c := range m.classes {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	key := strings.Join(classes, ",")
	if m.schemaMsg != nil && m.schemaKey == key {
		msg := m.schemaMsg
		s.mu.Unlock()
		return msg, nil
	}
	s.mu.Unlock()
	// The G4 merger requests compression level 1 but sends the
	// uncompressed buffer (ROOT's Compress writes a separate buffer the
	// helpers never use); a negative level asks for no compression.
	if s.cfg.CompressStreamers {
		opt.CompressionLevel = 1
	} else {
		opt.CompressionLevel = -1
	}
	msg, err := hltwire.EncodeStreamerInfosTMessage(classes, opt)
	if err != nil {
		return nil, fmt.Errorf("hltsim: streamer infos of %v: %w", classes, err)
	}
	s.mu.Lock()
	m.schemaKey, m.schemaMsg = key, msg
	s.mu.Unlock()
	return msg, nil
}

// Listen binds one ROUTER socket per merger. Serve calls it when needed;
// call it first to learn the bound endpoints (Endpoints) before serving.
// The sockets close when ctx is done.
func (s *Server) Listen(ctx context.Context) error {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	if s.socks != nil {
		return nil
	}
	var socks []zmq4.Socket
	var eps []string
	for i, ep := range s.cfg.Listen {
		sock := zmq4.NewRouter(ctx, zmq4.WithID(zmq4.SocketIdentity("hltsim-"+s.cfg.Subsystems[i])))
		if err := sock.Listen(ep); err != nil {
			_ = sock.Close()
			for _, o := range socks {
				_ = o.Close()
			}
			return fmt.Errorf("hltsim: %s merger: listen on %s: %w", s.cfg.Subsystems[i], ep, err)
		}
		bound := ep
		if a := sock.Addr(); a != nil && strings.HasPrefix(ep, "tcp://") {
			bound = "tcp://" + a.String()
		}
		socks = append(socks, sock)
		eps = append(eps, bound)
	}
	s.socks, s.endpoints = socks, eps
	return nil
}

// Endpoints returns the bound endpoint of every merger, keyed by subsystem
// (nil before Listen).
func (s *Server) Endpoints() map[string]string {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	if s.endpoints == nil {
		return nil
	}
	m := make(map[string]string, len(s.endpoints))
	for i, e := range s.endpoints {
		m[s.cfg.Subsystems[i]] = e
	}
	return m
}

// Serve answers requests on every merger's socket until ctx is done, then
// closes the sockets and returns nil. It returns an error only when a
// socket cannot listen.
func (s *Server) Serve(ctx context.Context) error {
	if err := s.Listen(ctx); err != nil {
		return err
	}
	s.listenMu.Lock()
	socks := s.socks
	eps := s.endpoints
	s.listenMu.Unlock()
	var wg sync.WaitGroup
	for i, sock := range socks {
		s.log.Info("merger listening", "subsystem", s.cfg.Subsystems[i], "endpoint", eps[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveOne(ctx, s.cfg.Subsystems[i], sock)
		}()
	}
	<-ctx.Done()
	for _, sock := range socks {
		_ = sock.Close()
	}
	wg.Wait()
	return nil
}

func (s *Server) serveOne(ctx context.Context, sys string, sock zmq4.Socket) {
	for {
		msg, err := sock.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("receive failed", "merger", sys, "err", err)
			if !sleepCtx(ctx, 10*time.Millisecond) {
				return
			}
			continue
		}
		if len(msg.Frames) < 1 {
			continue
		}
		id := msg.Frames[0]
		body := msg.Frames[1:]
		envelope := [][]byte{id}
		if len(body) > 0 && len(body[0]) == 0 {
			// REQ peers put an empty delimiter in front of the request.
			envelope = append(envelope, []byte{})
			body = body[1:]
		}
		opts, err := hltwire.ParseRequest(body)
		if err != nil {
			s.log.Warn("malformed request answered without options", "merger", sys, "err", err)
		}
		frames, err := s.Reply(sys, opts)
		if err != nil {
			s.log.Error("building reply failed; answering with INFO only", "merger", sys, "err", err)
			frames = hltwire.Reply{Info: []byte("run=0")}.Frames()
		}
		if err := sock.Send(zmq4.NewMsgFrom(append(envelope, frames...)...)); err != nil && ctx.Err() == nil {
			s.log.Warn("send failed", "merger", sys, "err", err)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
