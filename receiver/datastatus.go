package receiver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch/heartbeat"
)

// DataStatusName returns the name of the file in which a subsystem's
// receiver tells, next to its heartbeat, which run its source reports and
// when that run last brought new data: "datastatus.<SYS>Receiver".
func DataStatusName(subsystem string) string { return "datastatus." + subsystem + "Receiver" }

// DataStatus is what a receiver knows about the data flow: Run is the run
// its source reports as ongoing (0: none), LastData when a snapshot of that
// run with new content was last stored (or the run was first seen).
type DataStatus struct {
	Run      int
	LastData time.Time
}

// WriteDataStatus atomically writes dir/datastatus.<SYS>Receiver as
// "run=<N> last=<unix seconds>".
func WriteDataStatus(dir, subsystem string, s DataStatus) error {
	if subsystem == "" || strings.ContainsAny(subsystem, `/\`) {
		return fmt.Errorf("receiver: data status: invalid subsystem %q", subsystem)
	}
	b := fmt.Sprintf("run=%d last=%d", s.Run, s.LastData.Unix())
	return WriteFileAtomic(filepath.Join(dir, DataStatusName(subsystem)), []byte(b), false)
}

// ReadDataStatus reads a data status file.
func ReadDataStatus(path string) (DataStatus, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return DataStatus{}, fmt.Errorf("receiver: data status: %w", err)
	}
	var s DataStatus
	for _, f := range strings.Fields(string(b)) {
		k, v, _ := strings.Cut(f, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return DataStatus{}, fmt.Errorf("receiver: data status %s: %q: %w", path, f, err)
		}
		switch k {
		case "run":
			s.Run = int(n)
		case "last":
			s.LastData = time.Unix(n, 0)
		}
	}
	return s, nil
}

// ForwardHeartbeats copies the heartbeat and data status files of the
// receivers writing into a drop folder (from) to the data directory (to),
// where the monitor and the status page read them, so that split receivers
// are watched like the others. A file is copied only when it holds a newer
// time than its copy; unreadable files are skipped.
func ForwardHeartbeats(from, to string) error {
	hbs, err := filepath.Glob(filepath.Join(from, "heartbeat.*Receiver"))
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range hbs {
		sys := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "heartbeat."), "Receiver")
		t, err := heartbeat.ReadFile(p)
		if err != nil {
			continue
		}
		if old, err := heartbeat.ReadFile(filepath.Join(to, heartbeat.Name(sys))); err == nil && !t.After(old) {
			continue
		}
		if err := heartbeat.Write(to, sys, t); err != nil {
			errs = append(errs, err)
		}
	}
	dss, err := filepath.Glob(filepath.Join(from, "datastatus.*Receiver"))
	if err != nil {
		return err
	}
	for _, p := range dss {
		sys := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "datastatus."), "Receiver")
		s, err := ReadDataStatus(p)
		if err != nil {
			continue
		}
		if old, err := ReadDataStatus(filepath.Join(to, DataStatusName(sys))); err == nil && old.Run == s.Run && old.LastData.Equal(s.LastData) {
			continue
		}
		if err := WriteDataStatus(to, sys, s); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
