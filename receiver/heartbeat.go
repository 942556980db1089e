// Package receiver holds what every Overwatch receiver shares: the heartbeat
// file that the receiver monitor watches. The receivers themselves live in
// sub-packages: receiver/hlt (the HLT ZeroMQ client), receiver/hltwire (its
// wire format) and receiver/hltsim (an HLT merger simulator).
//
// The heartbeat keeps the original's format exactly, so that existing
// monitors keep working: a file named "heartbeat.<SYS>Receiver" in the data
// directory whose content is the current Unix time in seconds as decimal
// text, without a newline. It is rewritten atomically (temporary file and
// rename), so a monitor never reads a half-written value.
package receiver

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/fsutil"
)

// HeartbeatName returns the heartbeat file name of a subsystem's receiver,
// "heartbeat.<SYS>Receiver".
func HeartbeatName(subsystem string) string { return "heartbeat." + subsystem + "Receiver" }

// WriteHeartbeat atomically writes now's Unix seconds (decimal, no newline)
// to dir/heartbeat.<SYS>Receiver.
func WriteHeartbeat(dir, subsystem string, now time.Time) error {
	if subsystem == "" || strings.ContainsAny(subsystem, `/\`) {
		return fmt.Errorf("receiver: heartbeat: invalid subsystem %q", subsystem)
	}
	return WriteFileAtomic(filepath.Join(dir, HeartbeatName(subsystem)), []byte(strconv.FormatInt(now.Unix(), 10)), false)
}

// ReadHeartbeat reads a heartbeat file and returns the time it holds.
func ReadHeartbeat(path string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, fmt.Errorf("receiver: heartbeat: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("receiver: heartbeat %s: want decimal Unix seconds: %w", path, err)
	}
	return time.Unix(n, 0), nil
}

// WriteFileAtomic writes data to path (mode 0644) through a temporary
// file in the same directory and a rename, so readers see either the old
// or the new content. With sync the file and its directory are fsynced.
func WriteFileAtomic(path string, data []byte, sync bool) error {
	if err := fsutil.WriteFileAtomic(path, data, 0o644, sync); err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	return nil
}

// SyncDir fsyncs a directory so that a rename or link in it is durable.
func SyncDir(dir string) error {
	if err := fsutil.SyncDir(dir); err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	return nil
}
