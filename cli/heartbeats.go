package cli

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"time"

	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/overwatch-dqm/overwatch/receiver"
	"github.com/overwatch-dqm/overwatch/receiver/monitor"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/webapp"
)

// webHeartbeats hands the web app the receivers' heartbeats and data
// status, judged by package heartbeat's dead rule and the monitor's
// no-data rule (after <= 0: monitor.DefaultNoDataAfter): from the files of
// dataDir, or, when st is not nil (blobs on a bucket: every machine has a
// data directory of its own), from the store's index, where the receivers
// keep them (statusToIndex).
func webHeartbeats(dataDir string, st *store.Store, after time.Duration) webapp.HeartbeatReader {
	if after <= 0 {
		after = monitor.DefaultNoDataAfter
	}
	return webapp.HeartbeatFunc(func(sys string, now time.Time) webapp.Heartbeat {
		var hb webapp.Heartbeat
		var ds receiver.DataStatus
		var stale bool
		if st == nil {
			hb = webHeartbeat(heartbeat.Check(dataDir, sys, now))
			ds, stale = monitor.NoData(dataDir, sys, now, after)
		} else {
			hb, ds = indexHeartbeat(st, sys, now)
			stale = monitor.Stale(ds, now, after)
		}
		hb.Run, hb.LastData = ds.Run, ds.LastData
		if hb.NoData = stale && hb.Alive; hb.NoData {
			hb.NoDataMinutes = int(after / time.Minute)
		}
		return hb
	})
}

// statusIndex returns st when the receivers' status goes through the
// index: with blobs on a bucket (bucket not nil), every machine has a data
// directory of its own. Otherwise nil (the files of the data directory).
func statusIndex(st *store.Store, bucket blob.Bucket) *store.Store {
	if bucket == nil {
		return nil
	}
	return st
}

// indexTimeout bounds one read or write of a receiver's status in the
// index.
const indexTimeout = 2 * time.Second

// readIndexStatus reads a receiver's status from the index, bounded by
// indexTimeout.
func readIndexStatus(ctx context.Context, st *store.Store, sys string) (store.ReceiverStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, indexTimeout)
	defer cancel()
	return st.ReceiverStatus(ctx, sys)
}

// monitorRead is a monitor.Monitor's Read from the index: no status, or
// an index that does not answer, is no heartbeat (-1).
func monitorRead(st *store.Store, log *slog.Logger) func(context.Context, string) (int64, receiver.DataStatus) {
	return func(ctx context.Context, sys string) (int64, receiver.DataStatus) {
		rs, err := readIndexStatus(ctx, st, sys)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				log.Warn("receiver status: reading the index failed", "subsystem", sys, "err", err)
			}
			return -1, receiver.DataStatus{}
		}
		return rs.Beat.Unix(), receiver.DataStatus{Run: rs.Run, LastData: rs.LastData}
	}
}

func indexHeartbeat(st *store.Store, sys string, now time.Time) (webapp.Heartbeat, receiver.DataStatus) {
	rs, err := readIndexStatus(context.Background(), st, sys)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return webapp.Heartbeat{Subsystem: sys, Error: "no heartbeat in the index"}, receiver.DataStatus{}
	case err != nil:
		return webapp.Heartbeat{Subsystem: sys, Error: err.Error()}, receiver.DataStatus{}
	}
	return webHeartbeat(heartbeat.At(sys, rs.Beat, now)), receiver.DataStatus{Run: rs.Run, LastData: rs.LastData}
}

// webHeartbeat is a heartbeat.Status as the web app shows it.
func webHeartbeat(s heartbeat.Status) webapp.Heartbeat {
	return webapp.Heartbeat{Subsystem: s.Subsystem, Time: s.Time, Age: s.Age, Alive: s.Alive, Error: s.Error}
}

// statusEvery is how often a receiver's unchanged status is written to
// the index: well within heartbeat.DeadAfter, and not one index write per
// loop.
const statusEvery = 5 * time.Second

// statusToIndex returns an hlt.Config.Status that keeps a receiver's
// heartbeat and data status in the store's index — at most every
// statusEvery unless the data status changed — for the web replicas of
// other machines. A failed write is logged (once a minute at most) and
// retried at the next heartbeat.
func statusToIndex(st *store.Store, sys string, log *slog.Logger) func(time.Time, receiver.DataStatus) {
	var last time.Time
	var lastDS receiver.DataStatus
	var lastWarn time.Time
	return func(now time.Time, ds receiver.DataStatus) {
		if !last.IsZero() && now.Sub(last) < statusEvery && ds == lastDS {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), indexTimeout)
		defer cancel()
		err := st.PutReceiverStatus(ctx, store.ReceiverStatus{Subsystem: sys, Beat: now, Run: ds.Run, LastData: ds.LastData})
		if err != nil {
			if now.Sub(lastWarn) >= time.Minute {
				lastWarn = now
				log.Warn("receiver status: writing to the index failed", "err", err)
			}
			return
		}
		last, lastDS = now, ds
	}
}
