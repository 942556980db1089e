package trending

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Config configures trending and alarms. The detectors' trend
// declarations are the defaults; Trends overrides them per trend.
type Config struct {
	// History is how many of a trend's newest points alarms see (default
	// 100).
	History int `yaml:"history"`
	// Recipients receive every alarm's e-mail unless a trend names its own.
	Recipients []string `yaml:"recipients"`
	// NotifyResolved also notifies when an alarm resolves (default: only
	// when it fires).
	NotifyResolved bool `yaml:"notifyResolved"`
	// Trends overrides declarations, keyed "SYS/trendName".
	Trends map[string]TrendOverride `yaml:"trends"`
}

// TrendOverride changes one declared trend.
type TrendOverride struct {
	// Disabled switches the trend off.
	Disabled bool `yaml:"disabled"`
	// Alarms, when non-nil, replaces the declared alarms (an empty list
	// removes them).
	Alarms []overwatch.AlarmSpec `yaml:"alarms"`
	// Recipients replaces Config.Recipients for this trend's alarms.
	Recipients []string `yaml:"recipients"`
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.History < 0 {
		return fmt.Errorf("trending: history must be >= 0, got %d", c.History)
	}
	for k, o := range c.Trends {
		if sys, name, ok := strings.Cut(k, "/"); !ok || !overwatch.ValidSubsystem(sys) || name == "" {
			return fmt.Errorf("trending: trend override key %q is not SYS/trendName", k)
		}
		for _, a := range o.Alarms {
			if err := ValidateSpec(a); err != nil {
				return fmt.Errorf("trending: override %s: %w", k, err)
			}
		}
	}
	return nil
}

// trend is one subscribed trend of a subsystem.
type trend struct {
	sys        string
	decl       overwatch.TrendDecl
	extract    Extractor
	alarms     []overwatch.AlarmSpec
	alarmNames []string
	recipients []string
}

type trendKey struct{ sys, name string }

// Manager records trend points from processed snapshots, evaluates alarms,
// keeps the alarm lifecycle (firing → resolved, deduplicated,
// acknowledgeable, silenceable) in the store and dispatches notifications
// once per processing cycle. It implements processing's Observer: call
// Observe for every processed snapshot and EndCycle when a cycle ends. It
// is safe for concurrent use.
type Manager struct {
	st   Storage
	cfg  Config
	log  *slog.Logger
	disp *Dispatcher

	mu      sync.Mutex
	subs    map[string]map[string][]*trend // sys → hist → trends
	series  map[trendKey][]overwatch.TrendPoint
	dirty   map[trendKey]bool
	pending []Notification

	// Trend outputs are rendered in the background, coalesced: a trend
	// updated again before its turn is rendered once.
	renderMu   sync.Mutex
	toRender   map[trendKey]string // key → description
	rendering  bool
	renderIdle *sync.Cond
	background bool
}

// RenderInBackground makes EndCycle return at once and write the trend
// outputs in a background goroutine, coalescing trends updated again
// before their turn (long-running deployments: rendering hundreds of
// trend plots must not delay the next snapshot). Call WaitOutputs before
// closing the store. By default EndCycle writes them before returning.
func (m *Manager) RenderInBackground() {
	m.renderMu.Lock()
	m.background = true
	m.renderMu.Unlock()
}

// Storage is what the Manager needs of a store.
type Storage interface {
	overwatch.TrendStore
	overwatch.AlarmStore
	overwatch.AlarmHistory
	overwatch.OutputStore
}

// NewManager returns a Manager over st. disp may be nil (no notifications
// are sent; alarm states are still kept). log may be nil.
func NewManager(st Storage, cfg Config, disp *Dispatcher, log *slog.Logger) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.History == 0 {
		cfg.History = 100
	}
	if log == nil {
		log = slog.Default()
	}
	m := &Manager{
		st: st, cfg: cfg, log: log, disp: disp,
		subs:     map[string]map[string][]*trend{},
		series:   map[trendKey][]overwatch.TrendPoint{},
		dirty:    map[trendKey]bool{},
		toRender: map[trendKey]string{},
	}
	m.renderIdle = sync.NewCond(&m.renderMu)
	return m, nil
}

// Declarations returns the effective trends of a subsystem (declarations
// with the configuration applied), sorted by name.
func (m *Manager) Declarations(sys string) []overwatch.TrendDecl {
	m.mu.Lock()
	subs := m.subscribe(sys)
	m.mu.Unlock()
	var out []overwatch.TrendDecl
	for _, ts := range subs {
		for _, t := range ts {
			d := t.decl
			d.Alarms = t.alarms
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// subscribe builds (once) the subscriptions of a subsystem, keyed by
// (subsystem, histogram): a histogram processed for two subsystems is
// trended for each subsystem's own declarations only. m.mu must be held.
func (m *Manager) subscribe(sys string) map[string][]*trend {
	if s, ok := m.subs[sys]; ok {
		return s
	}
	s := map[string][]*trend{}
	m.subs[sys] = s
	td, ok := overwatch.DetectorFor(sys).(overwatch.TrendDeclarer)
	if !ok {
		return s
	}
	seen := map[string]bool{}
	for _, d := range td.Trends() {
		if d.Name == "" || d.Hist == "" || seen[d.Name] {
			m.log.Warn("trending: skipping invalid or duplicate trend declaration", "subsystem", sys, "trend", d.Name)
			continue
		}
		seen[d.Name] = true
		ex, ok := LookupExtractor(d.Extractor)
		if !ok {
			m.log.Warn("trending: unknown extractor; trend skipped", "subsystem", sys, "trend", d.Name, "extractor", d.Extractor)
			continue
		}
		t := &trend{sys: sys, decl: d, extract: ex, alarms: d.Alarms, recipients: m.cfg.Recipients}
		if o, ok := m.cfg.Trends[sys+"/"+d.Name]; ok {
			if o.Disabled {
				continue
			}
			if o.Alarms != nil {
				t.alarms = o.Alarms
			}
			if o.Recipients != nil {
				t.recipients = o.Recipients
			}
		}
		var valid []overwatch.AlarmSpec
		for _, a := range t.alarms {
			if err := ValidateSpec(a); err != nil {
				m.log.Warn("trending: invalid alarm dropped", "subsystem", sys, "trend", d.Name, "err", err)
				continue
			}
			valid = append(valid, a)
		}
		t.alarms = valid
		for i, a := range t.alarms {
			t.alarmNames = append(t.alarmNames, alarmName(a, i))
		}
		s[d.Hist] = append(s[d.Hist], t)
	}
	return s
}

// loadSeries returns the cached newest points of a trend, loading them from
// the store on first use. m.mu must be held.
func (m *Manager) loadSeries(ctx context.Context, k trendKey) ([]overwatch.TrendPoint, error) {
	if s, ok := m.series[k]; ok {
		return s, nil
	}
	pts, err := m.st.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: k.sys, Trend: k.name, Limit: m.cfg.History})
	if err != nil {
		return nil, fmt.Errorf("trending: loading %s/%s: %w", k.sys, k.name, err)
	}
	m.series[k] = pts
	return pts, nil
}

func pointBefore(a, b overwatch.TrendPoint) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	return a.Seq < b.Seq
}

// insertPoint inserts p in time order, replacing a point with the same
// identity, keeping at most max points. It returns the new series and the
// index of p in it (-1 if it fell off the front).
func insertPoint(s []overwatch.TrendPoint, p overwatch.TrendPoint, max int) ([]overwatch.TrendPoint, int) {
	i := sort.Search(len(s), func(i int) bool { return !pointBefore(s[i], p) })
	if i < len(s) && s[i].Time.Equal(p.Time) && s[i].Seq == p.Seq {
		s[i] = p
	} else {
		s = append(s, overwatch.TrendPoint{})
		copy(s[i+1:], s[i:])
		s[i] = p
	}
	if over := len(s) - max; over > 0 {
		s = append(s[:0:0], s[over:]...)
		i -= over
	}
	return s, i
}

// Observe records one point per subscribed trend from the processed
// histograms of a snapshot of subsystem sys, evaluates the trends' alarms
// on their series up to that snapshot, updates the alarm states and returns
// the alarm lines for the information panels of the source histograms
// (label "Alarm<trendName>"; absent once the alarm resolved). Processing the
// same snapshot again replaces its points: nothing is duplicated.
func (m *Manager) Observe(ctx context.Context, sys string, snap overwatch.SnapshotInfo, run int, hists map[string]*overwatch.Hist) (map[string][]overwatch.InfoItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	subs := m.subscribe(sys)
	type work struct {
		t *trend
		p overwatch.TrendPoint
	}
	var todo []work
	names := make([]string, 0, len(hists))
	for name := range hists {
		if len(subs[name]) > 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		h := hists[name]
		for _, t := range subs[name] {
			v, e := t.extract(h)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				m.log.Warn("trending: non-finite value skipped", "subsystem", sys, "trend", t.decl.Name, "value", v)
				continue
			}
			if math.IsNaN(e) || math.IsInf(e, 0) {
				e = 0
			}
			todo = append(todo, work{t, overwatch.TrendPoint{
				Subsystem: sys, Trend: t.decl.Name, Run: run,
				Time: snap.Time, Seq: snap.Seq, Value: v, Error: e,
			}})
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	pts := make([]overwatch.TrendPoint, len(todo))
	for i, w := range todo {
		pts[i] = w.p
	}
	if err := m.st.PutTrendPoints(ctx, pts); err != nil {
		return nil, fmt.Errorf("trending: storing %d points: %w", len(pts), err)
	}
	info := map[string][]overwatch.InfoItem{}
	var errs []error
	for _, w := range todo {
		k := trendKey{sys, w.t.decl.Name}
		s, err := m.loadSeries(ctx, k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s, idx := insertPoint(s, w.p, m.cfg.History)
		m.series[k] = s
		m.dirty[k] = true
		if idx < 0 || len(w.t.alarms) == 0 {
			continue
		}
		values := make([]float64, idx+1)
		for i := range values {
			values[i] = s[i].Value
		}
		var msgs []string
		for i, a := range w.t.alarms {
			on, msg, err := evaluateSpec(a, values)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if err := m.transition(ctx, w.t, w.t.alarmNames[i], on, msg, w.p); err != nil {
				errs = append(errs, err)
			}
			if on {
				msgs = append(msgs, msg)
			}
		}
		if len(msgs) > 0 {
			info[w.t.decl.Hist] = append(info[w.t.decl.Hist], overwatch.InfoItem{
				Label: "Alarm" + w.t.decl.Name, Value: strings.Join(msgs, "\n"),
			})
		}
	}
	return info, errors.Join(errs...)
}

// AlarmID returns the stable identifier of an alarm of a trend.
func AlarmID(sys, trend, alarm string) string { return sys + "/" + trend + "/" + alarm }

// transition moves an alarm's stored state in one atomic update of the
// store (a concurrent acknowledgement or silence is never lost) and
// records what happened in the alarm's history: "fired" when it starts
// firing, and again for each new run in which it is still firing (so every
// run lists the alarms that fired in it), "resolved" when it stops. m.mu
// must be held.
func (m *Manager) transition(ctx context.Context, t *trend, alarm string, on bool, msg string, p overwatch.TrendPoint) error {
	id := AlarmID(t.sys, t.decl.Name, alarm)
	notify := false
	rec, err := m.st.UpdateAlarm(ctx, id, func(rec *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
		notify = false
		if !exists {
			if !on {
				return nil, nil
			}
			rec.Subsystem, rec.Trend, rec.Alarm, rec.Hist = t.sys, t.decl.Name, alarm, t.decl.Hist
		}
		fired := overwatch.AlarmEvent{Kind: overwatch.AlarmEventFired, Run: p.Run, Time: p.Time, Message: msg}
		firing := rec.State == overwatch.AlarmFiring
		switch {
		case on && !firing:
			rec.State = overwatch.AlarmFiring
			rec.FiredAt, rec.LastSeen, rec.ResolvedAt = p.Time, p.Time, time.Time{}
			rec.Message, rec.Run = msg, p.Run
			rec.AckedBy, rec.AckedAt = "", time.Time{}
			notify = true
			return []overwatch.AlarmEvent{fired}, nil
		case on && firing:
			if !p.Time.After(rec.LastSeen) && rec.Message == msg {
				return nil, nil // reprocessing: nothing new
			}
			var evs []overwatch.AlarmEvent
			if p.Run != rec.Run && p.Time.After(rec.LastSeen) {
				evs = append(evs, fired) // still firing, in a new run
			}
			if p.Time.After(rec.LastSeen) {
				rec.LastSeen = p.Time
			}
			rec.Message, rec.Run = msg, p.Run
			return evs, nil
		case !on && firing:
			if p.Time.Before(rec.FiredAt) {
				return nil, nil // an older snapshot reprocessed: it does not resolve a newer firing
			}
			rec.State = overwatch.AlarmResolved
			rec.ResolvedAt = p.Time
			notify = m.cfg.NotifyResolved
			return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventResolved, Run: p.Run, Time: p.Time, Message: rec.Message}}, nil
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("trending: storing alarm %s: %w", id, err)
	}
	if notify {
		m.notify(t, rec, p.Time)
	}
	return nil
}

// notify queues a notification unless the alarm is silenced at time now.
// m.mu must be held.
func (m *Manager) notify(t *trend, rec overwatch.AlarmRecord, now time.Time) {
	if now.Before(rec.SilencedUntil) {
		m.log.Info("trending: alarm silenced; no notification", "alarm", rec.ID, "until", rec.SilencedUntil)
		return
	}
	m.pending = append(m.pending, Notification{
		AlarmID: rec.ID, Subsystem: rec.Subsystem, Trend: rec.Trend, Alarm: rec.Alarm, Hist: rec.Hist,
		State: rec.State, Message: rec.Message, Run: rec.Run, Time: now,
		Recipients: append([]string(nil), t.recipients...),
	})
}

// EndCycle hands the cycle's notifications to the dispatcher as one batch
// (delivery never blocks processing) and writes the outputs (TGraphErrors
// JSON and PNG) of the trends that received points since the last cycle —
// in the background after RenderInBackground.
func (m *Manager) EndCycle(ctx context.Context) {
	m.mu.Lock()
	batch := m.pending
	m.pending = nil
	descs := make(map[trendKey]string, len(m.dirty))
	for k := range m.dirty {
		descs[k] = ""
		for _, ts := range m.subs[k.sys] {
			for _, t := range ts {
				if t.decl.Name == k.name {
					descs[k] = t.decl.Desc
				}
			}
		}
	}
	m.dirty = map[trendKey]bool{}
	m.mu.Unlock()

	if len(descs) > 0 {
		m.renderMu.Lock()
		for k, d := range descs {
			m.toRender[k] = d
		}
		start, background := !m.rendering, m.background
		m.rendering = true
		m.renderMu.Unlock()
		switch {
		case start && background:
			go m.renderLoop(context.WithoutCancel(ctx))
		case start:
			m.renderLoop(ctx)
		case !background:
			m.WaitOutputs() // a background pass is running: let it finish ours too
		}
	}
	if len(batch) > 0 {
		if m.disp != nil {
			m.disp.Enqueue(batch)
		} else {
			for _, n := range batch {
				m.log.Warn("alarm", "id", n.AlarmID, "state", n.State, "message", n.Message)
			}
		}
	}
}

// renderLoop writes scheduled trend outputs until none is left.
func (m *Manager) renderLoop(ctx context.Context) {
	for {
		m.renderMu.Lock()
		var k trendKey
		var desc string
		found := false
		for k, desc = range m.toRender {
			found = true
			break
		}
		if !found {
			m.rendering = false
			m.renderIdle.Broadcast()
			m.renderMu.Unlock()
			return
		}
		delete(m.toRender, k)
		m.renderMu.Unlock()
		if err := m.writeOutputs(ctx, k, desc); err != nil {
			m.log.Error("trending: writing trend outputs", "subsystem", k.sys, "trend", k.name, "err", err)
		}
	}
}

// WaitOutputs blocks until every scheduled trend output has been written.
func (m *Manager) WaitOutputs() {
	m.renderMu.Lock()
	for m.rendering {
		m.renderIdle.Wait()
	}
	m.renderMu.Unlock()
}

// Ack acknowledges a firing alarm on behalf of user (see Acknowledge).
func (m *Manager) Ack(ctx context.Context, id, user string, at time.Time) error {
	_, err := Acknowledge(ctx, m.st, id, user, at)
	return err
}

// Silence suppresses the notifications of an alarm until the given time,
// on behalf of user (see SilenceAlarm).
func (m *Manager) Silence(ctx context.Context, id, user string, at, until time.Time) error {
	_, err := SilenceAlarm(ctx, m.st, id, user, at, until)
	return err
}

// ErrNotFiring is wrapped by Acknowledge errors about an alarm that is not
// firing.
var ErrNotFiring = errors.New("only firing alarms can be acknowledged")

// Acknowledge records, in one atomic update, that user has seen a firing
// alarm, with an "acknowledged" event in its history. Acknowledging an
// alarm that is not firing is an error; an unknown alarm's error wraps
// overwatch.ErrNotFound. The acknowledgement is cleared when the alarm
// fires again.
func Acknowledge(ctx context.Context, st overwatch.AlarmHistory, id, user string, at time.Time) (overwatch.AlarmRecord, error) {
	return st.UpdateAlarm(ctx, id, func(rec *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
		if !exists {
			return nil, fmt.Errorf("trending: alarm %s: %w", id, overwatch.ErrNotFound)
		}
		if rec.State != overwatch.AlarmFiring {
			return nil, fmt.Errorf("trending: alarm %s is %s: %w", id, rec.State, ErrNotFiring)
		}
		rec.AckedBy, rec.AckedAt = user, at
		return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventAcknowledged, Run: rec.Run, Time: at, User: user, Message: rec.Message}}, nil
	})
}

// SilenceAlarm suppresses, in one atomic update, the notifications of an
// alarm until the given time (a zero time lifts the silence), with a
// "silenced" event (Until the end of the silence, zero when lifted) in its
// history. The alarm's state is still recorded and shown while it is
// silenced. An unknown alarm's error wraps overwatch.ErrNotFound.
func SilenceAlarm(ctx context.Context, st overwatch.AlarmHistory, id, user string, at, until time.Time) (overwatch.AlarmRecord, error) {
	return st.UpdateAlarm(ctx, id, func(rec *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
		if !exists {
			return nil, fmt.Errorf("trending: alarm %s: %w", id, overwatch.ErrNotFound)
		}
		rec.SilencedUntil = until
		return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventSilenced, Run: rec.Run, Time: at, User: user, Until: until, Message: rec.Message}}, nil
	})
}

func sqrtAbs(v float64) float64 { return math.Sqrt(math.Abs(v)) }
