package cli

import (
	"time"

	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/overwatch-dqm/overwatch/receiver/monitor"
	"github.com/overwatch-dqm/overwatch/webapp"
)

// webHeartbeats hands the web app the heartbeat and data status files of
// dataDir, judged by package heartbeat's dead rule and the monitor's
// no-data rule (after <= 0: monitor.DefaultNoDataAfter).
func webHeartbeats(dataDir string, after time.Duration) webapp.HeartbeatReader {
	if after <= 0 {
		after = monitor.DefaultNoDataAfter
	}
	return webapp.HeartbeatFunc(func(sys string, now time.Time) webapp.Heartbeat {
		s := heartbeat.Check(dataDir, sys, now)
		hb := webapp.Heartbeat{Subsystem: s.Subsystem, Time: s.Time, Age: s.Age, Alive: s.Alive, Error: s.Error}
		ds, stale := monitor.NoData(dataDir, sys, now, after)
		hb.Run, hb.LastData = ds.Run, ds.LastData
		if hb.NoData = stale && hb.Alive; hb.NoData {
			hb.NoDataMinutes = int(after / time.Minute)
		}
		return hb
	})
}
