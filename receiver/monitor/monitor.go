// Package monitor watches the receivers' heartbeats and raises an alert
// when one stops (the original Overwatch receiver monitor, §3 of
// original-receivers-webapp.md).
//
// Every receiver writes <data>/heartbeat.<SYS>Receiver (package heartbeat)
// on every loop; heartbeat.Dead is the rule that tells a dead receiver. A receiver that dies raises a "dead" alert; while it stays
// dead a "reminder" is raised once an hour (at minute 0); a dead receiver
// whose heartbeat comes back raises "revived".
//
// A heartbeat says only that a receiver's loop runs. The monitor also reads
// the receivers' data status (<data>/datastatus.<SYS>Receiver, see
// receiver.DataStatus): a live receiver whose source reports an ongoing run
// but that has stored no new data for NoDataAfter raises "no data" (with an
// hourly reminder) and "data resumed" when new data arrives or the run
// ends.
package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/overwatch-dqm/overwatch/receiver"
)

// DefaultNoDataAfter is how long a live receiver may go without new data
// while a run is ongoing before the monitor alerts (Monitor.NoDataAfter).
const DefaultNoDataAfter = 10 * time.Minute

// DataStatusPath returns the data status file of a subsystem's receiver.
func DataStatusPath(dataDir, sys string) string {
	return filepath.Join(dataDir, receiver.DataStatusName(sys))
}

// NoData reports whether a receiver's data status means "no new data for
// after while a run is ongoing" at time now (after <= 0:
// DefaultNoDataAfter). A receiver without a data status file (older
// receivers, the C++ zmqReceive) never counts as without data.
func NoData(dataDir, sys string, now time.Time, after time.Duration) (receiver.DataStatus, bool) {
	if after <= 0 {
		after = DefaultNoDataAfter
	}
	s, err := receiver.ReadDataStatus(DataStatusPath(dataDir, sys))
	if err != nil {
		return s, false
	}
	return s, Stale(s, now, after)
}

// Stale is the no-data rule: a run is ongoing and has brought no new data
// for after (<= 0: DefaultNoDataAfter).
func Stale(s receiver.DataStatus, now time.Time, after time.Duration) bool {
	if after <= 0 {
		after = DefaultNoDataAfter
	}
	return s.Run > 0 && now.Sub(s.LastData) >= after
}

// State is the kind of an alert.
type State string

// The alert states.
const (
	StateDead     State = "dead"
	StateReminder State = "reminder"
	StateRevived  State = "revived"
	// StateNoData: alive, but no new data for NoDataAfter while a run is
	// ongoing (reminded hourly); StateDataResumed ends it.
	StateNoData      State = "no data"
	StateDataResumed State = "data resumed"
)

// Alert tells that a receiver died, is still dead, or came back.
type Alert struct {
	Subsystem string
	State     State
	Message   string
	Heartbeat int64 // -1 when missing
	Time      time.Time
	// Run is the ongoing run of a "no data" alert.
	Run int
}

// An Alerter delivers alerts.
type Alerter interface {
	Alert(ctx context.Context, a Alert)
}

// LogAlerter logs alerts: dead and reminder at error level, revived at
// warning level.
type LogAlerter struct{ Log *slog.Logger }

// Alert implements Alerter.
func (l LogAlerter) Alert(_ context.Context, a Alert) {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	lvl := slog.LevelError
	if a.State == StateRevived || a.State == StateDataResumed {
		lvl = slog.LevelWarn
	}
	log.Log(context.Background(), lvl, a.Message, "subsystem", a.Subsystem, "state", string(a.State), "heartbeat", a.Heartbeat)
}

// AlerterFunc adapts a function to Alerter.
type AlerterFunc func(ctx context.Context, a Alert)

// Alert implements Alerter.
func (f AlerterFunc) Alert(ctx context.Context, a Alert) { f(ctx, a) }

// Monitor checks the heartbeats of a set of receivers.
type Monitor struct {
	DataDir    string
	Subsystems []string
	// Alerter receives alerts (LogAlerter when nil).
	Alerter Alerter
	// Log receives the per-check status lines (slog.Default when nil).
	Log *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// NoDataAfter is how long a live receiver may store no new data while
	// its source reports an ongoing run (DefaultNoDataAfter when 0).
	NoDataAfter time.Duration
	// Read, when set, replaces the files of DataDir: it returns a
	// subsystem's heartbeat (Unix seconds, -1 when there is none) and data
	// status (package cli reads them from the store's index when every
	// machine has a data directory of its own).
	Read func(ctx context.Context, sys string) (heartbeat int64, ds receiver.DataStatus)

	mu     sync.Mutex
	dead   map[string]bool
	noData map[string]bool
}

// read returns a subsystem's heartbeat and data status: from Read, or
// from the files of DataDir.
func (m *Monitor) read(ctx context.Context, sys string) (int64, receiver.DataStatus) {
	if m.Read != nil {
		return m.Read(ctx, sys)
	}
	ds, err := receiver.ReadDataStatus(DataStatusPath(m.DataDir, sys))
	if err != nil {
		ds = receiver.DataStatus{}
	}
	return heartbeat.Unix(m.DataDir, sys), ds
}

// Check reads every heartbeat once, raises the alerts the transitions call
// for, and returns the dead subsystems, sorted.
func (m *Monitor) Check(ctx context.Context) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dead == nil {
		m.dead = map[string]bool{}
	}
	if m.noData == nil {
		m.noData = map[string]bool{}
	}
	after := m.NoDataAfter
	if after <= 0 {
		after = DefaultNoDataAfter
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	log := m.Log
	if log == nil {
		log = slog.Default()
	}
	alerter := m.Alerter
	if alerter == nil {
		alerter = LogAlerter{Log: log}
	}
	t := now()
	for _, sys := range m.Subsystems {
		hb, ds := m.read(ctx, sys)
		a := Alert{Subsystem: sys, Heartbeat: hb, Time: t}
		switch dead, was := heartbeat.Dead(hb, t), m.dead[sys]; {
		case dead && !was:
			m.dead[sys] = true
			a.State, a.Message = StateDead, fmt.Sprintf("%s receiver has had no heart beat for 5 minutes!", sys)
			alerter.Alert(ctx, a)
		case dead && was:
			if t.Minute() == 0 {
				a.State, a.Message = StateReminder, fmt.Sprintf("%s receiver has had no heart beat for 5 minutes!", sys)
				alerter.Alert(ctx, a)
			}
		case !dead && was:
			delete(m.dead, sys)
			a.State, a.Message = StateRevived, fmt.Sprintf("%s receiver has been revived.", sys)
			alerter.Alert(ctx, a)
		default:
			log.Info("receiver alive", "subsystem", sys, "heartbeat", hb)
		}
		stale := Stale(ds, t, after) && !heartbeat.Dead(hb, t) // a dead receiver has its own alert
		na := Alert{Subsystem: sys, Heartbeat: hb, Time: t, Run: ds.Run}
		msg := fmt.Sprintf("%s receiver: no new data for %d minutes while run %d is ongoing!", sys, int(after/time.Minute), ds.Run)
		switch was := m.noData[sys]; {
		case stale && !was:
			m.noData[sys] = true
			na.State, na.Message = StateNoData, msg
			alerter.Alert(ctx, na)
		case stale && was && t.Minute() == 0:
			na.State, na.Message = StateNoData, msg
			alerter.Alert(ctx, na)
		case !stale && was:
			delete(m.noData, sys)
			na.State, na.Message = StateDataResumed, fmt.Sprintf("%s receiver: data flows again (or the run ended).", sys)
			alerter.Alert(ctx, na)
		}
	}
	out := make([]string, 0, len(m.dead))
	for s := range m.dead {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Run waits initialDelay (receivers need time to start), then checks every
// interval until ctx is done.
func (m *Monitor) Run(ctx context.Context, initialDelay, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("monitor: interval must be positive, got %v", interval)
	}
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(initialDelay):
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		m.Check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
