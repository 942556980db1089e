package webapp

import (
	"context"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver"
	"github.com/overwatch-dqm/overwatch/receiver/monitor"
)

// Heartbeat is the state of one receiver's heartbeat file
// (heartbeat.<SYS>Receiver in the data dir: decimal Unix seconds).
type Heartbeat struct {
	Subsystem string    `json:"subsystem"`
	Time      time.Time `json:"time"`
	Age       float64   `json:"ageSeconds"`
	Alive     bool      `json:"alive"`
	Error     string    `json:"error,omitempty"`
	// Run is the run the receiver's source reports as ongoing (0: none
	// or unknown) and LastData when it last stored new data of it.
	Run      int       `json:"run,omitempty"`
	LastData time.Time `json:"lastData,omitzero"`
	// NoData: alive, but no new data for NoDataMinutes while Run is
	// ongoing (the monitor's rule, which also alerts).
	NoData        bool `json:"noData"`
	NoDataMinutes int  `json:"noDataMinutes,omitempty"`
}

// SubsystemStatus is the processing state of one subsystem of the newest
// run.
type SubsystemStatus struct {
	Subsystem      string    `json:"subsystem"`
	LastSnapshot   time.Time `json:"lastSnapshot"`
	Processed      time.Time `json:"processed"`      // snapshot time the outputs were built from
	OutputsWritten time.Time `json:"outputsWritten"` // when the view was written
	// LagSeconds is how far the processed snapshot is behind the newest
	// one (0 when up to date, -1 when nothing is processed yet).
	LagSeconds float64 `json:"lagSeconds"`
}

// Status is what the status page and /api/status show.
type Status struct {
	Now        time.Time         `json:"now"`
	Heartbeats []Heartbeat       `json:"heartbeats"`
	Run        int               `json:"run"`
	Ongoing    bool              `json:"ongoing"`
	Subsystems []SubsystemStatus `json:"subsystems"`
	Runs       int               `json:"runs"`
	Disk       DiskUsage         `json:"disk"`
}

// DiskUsage is the usage of the file system holding the data dir.
type DiskUsage struct {
	Total int64  `json:"total"`
	Free  int64  `json:"free"`
	Used  int64  `json:"used"`
	Error string `json:"error,omitempty"`
}

// Percent is the used fraction of the disk in percent.
func (d DiskUsage) Percent() float64 {
	if d.Total == 0 {
		return 0
	}
	return 100 * float64(d.Used) / float64(d.Total)
}

// ReadHeartbeat reads a receiver heartbeat file and judges it against now
// with the monitor's rule (dead when five whole minutes away, either way).
func ReadHeartbeat(dataDir, sys string, now time.Time) Heartbeat {
	hb := Heartbeat{Subsystem: sys}
	t, err := receiver.ReadHeartbeat(monitor.HeartbeatPath(dataDir, sys))
	var numErr *strconv.NumError
	switch {
	case errors.Is(err, os.ErrNotExist):
		hb.Error = "no heartbeat file"
		return hb
	case errors.As(err, &numErr) || err == nil && t.Unix() <= 0:
		hb.Error = "heartbeat file does not hold Unix seconds"
		return hb
	case err != nil:
		hb.Error = err.Error()
		return hb
	}
	hb.Time = t
	hb.Age = now.Sub(t).Seconds()
	hb.Alive = !monitor.Dead(t.Unix(), now)
	return hb
}

func (a *App) status(ctx context.Context) (*Status, error) {
	now := a.cfg.Now()
	st := &Status{Now: now, Disk: diskUsage(a.cfg.DataDir)}
	after := a.cfg.NoDataAfter
	if after <= 0 {
		after = monitor.DefaultNoDataAfter
	}
	for _, sys := range a.cfg.Subsystems {
		hb := ReadHeartbeat(a.cfg.DataDir, sys, now)
		ds, stale := monitor.NoData(a.cfg.DataDir, sys, now, after)
		hb.Run, hb.LastData = ds.Run, ds.LastData
		if hb.NoData = stale && hb.Alive; hb.NoData {
			hb.NoDataMinutes = int(after / time.Minute)
		}
		st.Heartbeats = append(st.Heartbeats, hb)
	}
	n, err := a.store.CountRuns(ctx)
	if err != nil {
		return nil, err
	}
	st.Runs = n
	runs, err := a.store.Runs(ctx, overwatch.RunQuery{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return st, nil
	}
	ri := runs[0]
	st.Run, st.Ongoing = ri.Number, a.ongoing(ri)
	for _, s := range ri.Subsystems {
		ss := SubsystemStatus{Subsystem: s.Name, LastSnapshot: s.Last.Time, LagSeconds: -1}
		if v, mod, err := a.views.get(ctx, ri.Number, s.Name, ""); err == nil {
			ss.Processed = time.Unix(v.Snapshot.Time, 0)
			ss.OutputsWritten = mod
			ss.LagSeconds = max(0, s.Last.Time.Sub(ss.Processed).Seconds())
		}
		st.Subsystems = append(st.Subsystems, ss)
	}
	return st, nil
}
