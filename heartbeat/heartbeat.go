// Package heartbeat is the receivers' heartbeat: the file a receiver
// rewrites on every loop, and the rule that judges it. Receivers write it,
// the receiver monitor and the web app's status page read it (the web app
// through a small interface that package cli wires to this package).
//
// The heartbeat keeps the original's format exactly, so that existing
// monitors keep working: a file named "heartbeat.<SYS>Receiver" in the data
// directory whose content is the current Unix time in seconds as decimal
// text, without a newline. It is rewritten atomically (temporary file and
// rename), so a reader never sees a half-written value.
//
// A receiver is dead when its heartbeat is missing, unreadable, or at least
// five whole minutes away from now (in the past or in the future).
package heartbeat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/fsutil"
)

// DeadAfter is how old (or how far in the future) a heartbeat may be
// before its receiver counts as dead: five whole minutes.
const DeadAfter = 5 * time.Minute

// Name returns the heartbeat file name of a subsystem's receiver,
// "heartbeat.<SYS>Receiver".
func Name(subsystem string) string { return "heartbeat." + subsystem + "Receiver" }

// Path returns the heartbeat file of a subsystem's receiver in dataDir.
func Path(dataDir, subsystem string) string { return filepath.Join(dataDir, Name(subsystem)) }

// Write atomically writes now's Unix seconds (decimal, no newline) to
// dir/heartbeat.<SYS>Receiver.
func Write(dir, subsystem string, now time.Time) error {
	if subsystem == "" || strings.ContainsAny(subsystem, `/\`) {
		return fmt.Errorf("heartbeat: invalid subsystem %q", subsystem)
	}
	if err := fsutil.WriteFileAtomic(Path(dir, subsystem), []byte(strconv.FormatInt(now.Unix(), 10)), 0o644, false); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// ReadFile reads a heartbeat file and returns the time it holds.
func ReadFile(path string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, fmt.Errorf("heartbeat: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("heartbeat %s: want decimal Unix seconds: %w", path, err)
	}
	return time.Unix(n, 0), nil
}

// Unix returns a subsystem's heartbeat in Unix seconds, or -1 when the file
// is missing or does not hold an integer.
func Unix(dataDir, subsystem string) int64 {
	t, err := ReadFile(Path(dataDir, subsystem))
	if err != nil {
		return -1
	}
	return t.Unix()
}

// Dead reports whether a heartbeat (Unix seconds) means a dead receiver at
// time now: missing (-1), or at least five whole minutes from now either
// way.
func Dead(heartbeat int64, now time.Time) bool {
	if heartbeat < 0 {
		return true
	}
	d := now.Unix() - heartbeat
	if d < 0 {
		d = -d
	}
	return d/60 >= int64(DeadAfter/time.Minute)
}

// Status is the state of one receiver's heartbeat at a given time.
type Status struct {
	Subsystem string    `json:"subsystem"`
	Time      time.Time `json:"time"`
	Age       float64   `json:"ageSeconds"`
	Alive     bool      `json:"alive"`
	Error     string    `json:"error,omitempty"`
}

// Check reads a subsystem's heartbeat in dataDir and judges it against now
// with the dead rule; Error says why there is no usable heartbeat.
func Check(dataDir, subsystem string, now time.Time) Status {
	hb := Status{Subsystem: subsystem}
	t, err := ReadFile(Path(dataDir, subsystem))
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
	return At(subsystem, t, now)
}

// At judges a heartbeat t (read from a file or elsewhere) against now with
// the dead rule.
func At(subsystem string, t, now time.Time) Status {
	return Status{Subsystem: subsystem, Time: t, Age: now.Sub(t).Seconds(), Alive: !Dead(t.Unix(), now)}
}
