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
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
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

// WriteFileAtomic writes data to path through a temporary file in the same
// directory (named ".<base>.*.tmp", which directory scanners ignore) and a
// rename, so readers see either the old or the new content. With sync the
// file and its directory are fsynced, making the write durable.
func WriteFileAtomic(path string, data []byte, sync bool) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("receiver: write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("receiver: write %s: %w", path, err)
	}
	if sync {
		return SyncDir(dir)
	}
	return nil
}

// SyncDir fsyncs a directory so that a rename or link in it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("receiver: sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("receiver: sync %s: %w", dir, err)
	}
	return nil
}
