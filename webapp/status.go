package webapp

import (
	"context"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Heartbeat is the state of one receiver's heartbeat and data (package
// heartbeat reads the files and judges them; package cli wires it in).
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
	// Transfer is the transfer job's state, per destination (absent when
	// no transfer job reports on this data directory).
	Transfer *TransferStatus `json:"transfer,omitempty"`
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

// HeartbeatReader tells the state of a receiver's heartbeat at time now:
// the web app's only view of the receivers.
type HeartbeatReader interface {
	Heartbeat(subsystem string, now time.Time) Heartbeat
}

// HeartbeatFunc adapts a function to HeartbeatReader.
type HeartbeatFunc func(subsystem string, now time.Time) Heartbeat

// Heartbeat implements HeartbeatReader.
func (f HeartbeatFunc) Heartbeat(subsystem string, now time.Time) Heartbeat { return f(subsystem, now) }

func (a *App) status(ctx context.Context) (*Status, error) {
	now := a.cfg.Now()
	st := &Status{Now: now, Disk: diskUsage(a.cfg.DataDir)}
	if a.cfg.Heartbeats != nil {
		for _, sys := range a.cfg.Subsystems {
			st.Heartbeats = append(st.Heartbeats, a.cfg.Heartbeats.Heartbeat(sys, now))
		}
	}
	if a.cfg.Transfers != nil {
		st.Transfer = a.cfg.Transfers.TransferStatus(now)
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
	st.Run, st.Ongoing = ri.Number, a.ongoing(ctx, ri)
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
