// Package generator produces realistic synthetic detector histograms for
// Overwatch: the EMC trigger QA set (FastOR occupancies, edge-position maps,
// per-supermodule maps, EMCal/DCal patch spectra, clusters and cells), the
// TPC QA set (TH3D track histograms and TH1D event histograms under
// "TPCQA/..." key names) and the 38 HLT "fHist..." histograms, named as in
// the histogram catalogue of the original Overwatch. Any other subsystem
// name gets a small generic set (events, amplitude, time, channel map).
//
// Histograms grow cumulatively as simulated time advances, like the HLT
// mergers' output during a run: New builds a generator, StartRun begins a
// run, Advance fills the events of a time step, Snapshot returns deep copies
// of the current content. Knobs inject hot channels, drifts (a histogram's
// distribution moving linearly with time), dead periods without events and
// resets (the HLT's ResetOnRequest). Filling adds Poisson-distributed
// counts per bin (or samples individual hits when they are fewer than the
// bins), so it stays cheap for large event counts; the output is
// deterministic for a seed.
package generator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// DefaultStart is the simulated clock's start when Config.Start is zero
// (2015-11-24 17:05:10 UTC, the timestamp of the original's examples).
var DefaultStart = time.Unix(1448384710, 0).UTC()

// Config configures a Generator.
type Config struct {
	// Seed makes the output reproducible: equal seeds and equal calls give
	// equal histograms.
	Seed uint64
	// Subsystems lists the subsystems to simulate; nil means EMC, TPC and
	// HLT. Names other than those get a generic histogram set.
	Subsystems []string
	// EventsPerSecond is the event rate while a run is live; 0 means 100.
	EventsPerSecond float64
	// Start is the simulated clock's initial time; zero means DefaultStart.
	Start time.Time
	// Run, when positive, starts that run immediately at Start.
	Run int
	// EMCHistograms, when larger than the EMC catalogue, adds EMC-like
	// histograms (1-D of 100–3000 bins, 2-D up to 100×100) until the EMC
	// snapshot holds that many histograms. Use 500 for the performance
	// tests. At most MaxEMCHistograms.
	EMCHistograms int
}

// MaxEMCHistograms bounds Config.EMCHistograms.
const MaxEMCHistograms = 10000

// DeadPeriod is a span of run time, measured from the start of the run,
// during which no events are taken.
type DeadPeriod struct {
	From, To time.Duration
}

type subsystem struct {
	name   string
	models []*model
	byName map[string]*model
	events float64
}

// Generator simulates the histograms of several subsystems. It is safe for
// concurrent use.
type Generator struct {
	mu       sync.Mutex
	rng      *rand.Rand
	eps      float64
	now      time.Time
	run      int
	running  bool
	runStart time.Time
	dead     bool
	deads    []DeadPeriod
	frac     float64
	systems  []*subsystem
	bySys    map[string]*subsystem
}

// New returns a generator with empty histograms for every configured
// subsystem.
func New(cfg Config) *Generator {
	g := &Generator{
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		eps:   cfg.EventsPerSecond,
		now:   cfg.Start,
		bySys: map[string]*subsystem{},
	}
	if g.eps <= 0 {
		g.eps = 100
	}
	if g.now.IsZero() {
		g.now = DefaultStart
	}
	systems := cfg.Subsystems
	if systems == nil {
		systems = []string{"EMC", "TPC", "HLT"}
	}
	for _, name := range systems {
		if _, dup := g.bySys[name]; dup {
			continue
		}
		var ms []*model
		switch name {
		case "EMC":
			ms = emcModels(g.rng)
			if extra := min(cfg.EMCHistograms, MaxEMCHistograms) - len(ms); extra > 0 {
				ms = append(ms, emcExtraModels(g.rng, extra)...)
			}
		case "TPC":
			ms = tpcModels()
		case overwatch.HLTSubsystem:
			ms = hltModels()
		default:
			ms = genericModels(name)
		}
		s := &subsystem{name: name, models: ms, byName: make(map[string]*model, len(ms))}
		sort.Slice(s.models, func(i, j int) bool { return s.models[i].h.Name < s.models[j].h.Name })
		for _, m := range ms {
			s.byName[m.h.Name] = m
		}
		g.systems = append(g.systems, s)
		g.bySys[name] = s
	}
	if cfg.Run > 0 {
		g.startRun(cfg.Run)
	}
	return g
}

// Subsystems returns the simulated subsystems in configuration order.
func (g *Generator) Subsystems() []string {
	out := make([]string, len(g.systems))
	for i, s := range g.systems {
		out[i] = s.name
	}
	return out
}

// Now returns the simulated clock.
func (g *Generator) Now() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now
}

// Run returns the current (or last) run number and whether it is live.
func (g *Generator) Run() (int, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.run, g.running
}

// RunStart returns the simulated time at which the current run started.
func (g *Generator) RunStart() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.runStart
}

// StartRun begins run number run at the current simulated time: every
// histogram is emptied, event counters restart and dead periods are
// cleared.
func (g *Generator) StartRun(run int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.startRun(run)
}

func (g *Generator) startRun(run int) {
	g.run, g.running, g.runStart = run, true, g.now
	g.deads, g.dead, g.frac = nil, false, 0
	for _, s := range g.systems {
		s.events = 0
		for _, m := range s.models {
			m.reset()
		}
	}
}

// EndRun ends the current run: later Advance calls move the clock but take
// no events. Histograms keep their content until the next StartRun.
func (g *Generator) EndRun() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running = false
}

// SetDead switches data taking off (true) or back on (false) from now on,
// independently of the dead periods.
func (g *Generator) SetDead(dead bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dead = dead
}

// AddDeadPeriod declares a span of run time without events in the current
// run. From must be before To.
func (g *Generator) AddDeadPeriod(p DeadPeriod) error {
	if !(p.From < p.To) {
		return fmt.Errorf("generator: dead period [%v, %v) is empty (want From < To)", p.From, p.To)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.deads = append(g.deads, p)
	return nil
}

// Advance moves the simulated clock by dt and, while a run is live, fills
// the events taken in that time (EventsPerSecond × live time, where dead
// periods do not count) into every subsystem.
func (g *Generator) Advance(dt time.Duration) {
	if dt <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	from := g.now.Sub(g.runStart)
	g.now = g.now.Add(dt)
	if !g.running || g.dead {
		return
	}
	live := dt
	for _, p := range g.deads {
		lo, hi := max(p.From, from), min(p.To, from+dt)
		if hi > lo {
			live -= hi - lo
		}
	}
	if live <= 0 {
		return
	}
	g.frac += g.eps * live.Seconds()
	n := float64(int64(g.frac))
	g.frac -= n
	if n == 0 {
		return
	}
	t := (from + dt/2).Seconds()
	for _, s := range g.systems {
		s.events += n
		for _, m := range s.models {
			m.fill(g.rng, n, t)
		}
	}
}

// Events returns the number of events filled into a subsystem since the
// start of the run or its last reset.
func (g *Generator) Events(sys string) float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.bySys[sys]; ok {
		return s.events
	}
	return 0
}

// Names returns the names of a subsystem's histograms, sorted.
func (g *Generator) Names(sys string) []string {
	s, ok := g.bySys[sys]
	if !ok {
		return nil
	}
	out := make([]string, len(s.models))
	for i, m := range s.models {
		out[i] = m.h.Name
	}
	return out
}

// Hist returns a deep copy of one histogram, or nil when the subsystem has
// no histogram of that name.
func (g *Generator) Hist(sys, name string) *overwatch.Hist {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.bySys[sys]
	if !ok {
		return nil
	}
	m, ok := s.byName[name]
	if !ok {
		return nil
	}
	return m.h.Clone()
}

// Snapshot returns deep copies of every histogram of a subsystem, sorted by
// key name, as top-level entries of a ROOT file (the TPC's "TPCQA/..."
// names are plain key names). An unknown subsystem gives nil.
func (g *Generator) Snapshot(sys string) []overwatch.Entry {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.bySys[sys]
	if !ok {
		return nil
	}
	out := make([]overwatch.Entry, len(s.models))
	for i, m := range s.models {
		out[i] = overwatch.Entry{Key: m.h.Name, Object: m.h.Clone()}
	}
	return out
}

// SnapshotOf returns the snapshots of several subsystems as the entries of
// one file, sorted by key name, as an HLT file carrying the histograms of
// subsystems that have no receiver of their own. Unknown subsystems are
// skipped; a name present in several subsystems appears once per
// subsystem.
func (g *Generator) SnapshotOf(systems ...string) []overwatch.Entry {
	var out []overwatch.Entry
	for _, sys := range systems {
		out = append(out, g.Snapshot(sys)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Reset empties every histogram of a subsystem and restarts its event
// count, as the HLT mergers do after each request in ResetOnRequest mode.
func (g *Generator) Reset(sys string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.bySys[sys]
	if !ok {
		return fmt.Errorf("generator: unknown subsystem %q (have %v)", sys, g.subsystemNames())
	}
	s.events = 0
	for _, m := range s.models {
		m.reset()
	}
	return nil
}

// InjectHotChannel makes channel id of a 1-D histogram (bin id+1, e.g. a
// FastOR ID on "EMCTRQA_histFastORL0") receive ratePerEvent extra hits per
// event from now on. A rate of 0 removes the injection.
func (g *Generator) InjectHotChannel(sys, hist string, id int, ratePerEvent float64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	m, err := g.model(sys, hist)
	if err != nil {
		return err
	}
	if m.h.Dim() != 1 || m.events {
		return fmt.Errorf("generator: hot channels need a 1-D histogram; %q is a %s", hist, m.h.Class)
	}
	if id < 0 || id >= m.h.X.NBins {
		return fmt.Errorf("generator: channel %d outside %q (want 0..%d)", id, hist, m.h.X.NBins-1)
	}
	if ratePerEvent < 0 {
		return fmt.Errorf("generator: negative hot-channel rate %g", ratePerEvent)
	}
	if m.hot == nil {
		m.hot = map[int]float64{}
	}
	if ratePerEvent == 0 {
		delete(m.hot, id)
	} else {
		m.hot[id] = ratePerEvent
	}
	return nil
}

// SetDrift makes the x distribution of a histogram move by perSecond x-axis
// units per second of run time (0 stops the drift), so that its mean
// drifts linearly with time.
func (g *Generator) SetDrift(sys, hist string, perSecond float64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	m, err := g.model(sys, hist)
	if err != nil {
		return err
	}
	if k := m.shapes[0].kind; m.events || k == shapeWeights || k == shapeUniform || m.rate == 0 {
		return fmt.Errorf("generator: %q has no continuous x distribution to drift", hist)
	}
	m.drift = perSecond
	return nil
}

func (g *Generator) model(sys, hist string) (*model, error) {
	s, ok := g.bySys[sys]
	if !ok {
		return nil, fmt.Errorf("generator: unknown subsystem %q (have %v)", sys, g.subsystemNames())
	}
	m, ok := s.byName[hist]
	if !ok {
		return nil, fmt.Errorf("generator: subsystem %s has no histogram %q", sys, hist)
	}
	return m, nil
}

func (g *Generator) subsystemNames() []string {
	out := make([]string, 0, len(g.systems))
	for _, s := range g.systems {
		out = append(out, s.name)
	}
	return slices.Clip(out)
}
