package trending

import (
	"context"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Report moves an alarm judged outside trending (e.g. a subsystem's
// data-quality flag, by the quality observer) through the same lifecycle as
// trend alarms: on fires it (or keeps it firing) as sys/name/alarm with
// message msg, off resolves it; notifications, silencing, acknowledgement
// and reprocessing behave as for a trend alarm. hist names the histogram
// the alarm is about ("" for a whole subsystem).
func (m *Manager) Report(ctx context.Context, sys, name, alarm, hist string, on bool, msg string, run int, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := &trend{sys: sys, decl: overwatch.TrendDecl{Name: name, Hist: hist}, recipients: m.cfg.Recipients}
	return m.transition(ctx, t, alarm, on, msg, overwatch.TrendPoint{Subsystem: sys, Trend: name, Run: run, Time: at})
}
