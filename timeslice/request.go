package timeslice

import (
	"fmt"
	"math"
	"sort"
	"strings"

	ow "github.com/overwatch-dqm/overwatch"
)

// The ways a Request gives its window (Request.By).
const (
	// ByMinutes: FromMinute .. ToMinute, minutes since the run's first
	// snapshot, each snapshot at its rounded minute (SelectMinutes). The
	// default.
	ByMinutes = "minutes"
	// BySeconds: FromSecond .. ToSecond, seconds since the run's first
	// snapshot, exact (SelectSeconds).
	BySeconds = "seconds"
	// ByEvents: events FromEvent .. ToEvent of the run, counted with each
	// snapshot's nEvents (SelectEvents).
	ByEvents = "events"
	// ByLastEvents: the last LastEvents events of the run
	// (SelectLastEvents).
	ByLastEvents = "lastEvents"
	// ByUnix: FromUnix .. ToUnix, Unix times in seconds (SelectWindow).
	ByUnix = "unix"
)

// Window returns how the request gives its window: By when set, otherwise
// the kind whose fields are set (minutes when none is), or an error
// wrapping ErrInvalidRequest when By is unknown or the fields of two kinds
// are set.
func (r Request) Window() (string, error) {
	set := map[string]bool{
		ByMinutes:    r.FromMinute != 0 || r.ToMinute != 0,
		BySeconds:    r.FromSecond != 0 || r.ToSecond != 0,
		ByEvents:     r.FromEvent != 0 || r.ToEvent != 0,
		ByLastEvents: r.LastEvents != 0,
		ByUnix:       r.FromUnix != 0 || r.ToUnix != 0,
	}
	var kinds []string
	for _, k := range []string{ByMinutes, BySeconds, ByEvents, ByLastEvents, ByUnix} {
		if set[k] {
			kinds = append(kinds, k)
		}
	}
	by := r.By
	switch {
	case by != "" && !isWindow(by):
		return "", fmt.Errorf("%w: window by %q: want %s, %s, %s, %s or %s", ErrInvalidRequest, by, ByMinutes, BySeconds, ByEvents, ByLastEvents, ByUnix)
	case len(kinds) > 1:
		return "", fmt.Errorf("%w: the window is given twice (%s): give one of them", ErrInvalidRequest, strings.Join(kinds, " and "))
	case by == "" && len(kinds) == 1:
		by = kinds[0]
	case by == "":
		by = ByMinutes
	case len(kinds) == 1 && kinds[0] != by:
		return "", fmt.Errorf("%w: window by %s, but the fields of a window by %s are set", ErrInvalidRequest, by, kinds[0])
	}
	return by, nil
}

func isWindow(by string) bool {
	switch by {
	case ByMinutes, BySeconds, ByEvents, ByLastEvents, ByUnix:
		return true
	}
	return false
}

// Validate checks what a request says by itself — a valid subsystem name;
// one window (see Window) of finite, non-negative bounds whose end is not
// before its start (minutes, seconds), whose end follows its start (Unix
// seconds, events), or a positive number of last events; options the
// subsystem's detector declares; well-formed check-threshold overrides —
// and returns the parsed option values. Its errors wrap ErrInvalidRequest.
// The service validates every request with it (and the thresholds against
// the subsystem's checks); the web app calls it to answer a bad request
// before submitting it: one set of rules.
func (r Request) Validate() (ow.Values, error) {
	if !ow.ValidSubsystem(r.Subsystem) {
		return nil, fmt.Errorf("%w: invalid subsystem %q", ErrInvalidRequest, r.Subsystem)
	}
	by, err := r.Window()
	if err != nil {
		return nil, err
	}
	finite := func(unit string, xs ...float64) error {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%w: window %s must be finite numbers", ErrInvalidRequest, unit)
			}
			if x < 0 {
				return fmt.Errorf("%w: window: %g %s must not be negative", ErrInvalidRequest, x, unit)
			}
		}
		return nil
	}
	switch by {
	case ByUnix:
		if r.FromUnix < 0 || r.ToUnix <= r.FromUnix {
			return nil, fmt.Errorf("%w: window end %d must follow its start %d (Unix seconds)", ErrInvalidRequest, r.ToUnix, r.FromUnix)
		}
	case ByMinutes:
		if err := finite("minutes", r.FromMinute, r.ToMinute); err != nil {
			return nil, err
		}
		if r.ToMinute < r.FromMinute {
			return nil, fmt.Errorf("%w: window: to=%g must not be less than from=%g", ErrInvalidRequest, r.ToMinute, r.FromMinute)
		}
	case BySeconds:
		if err := finite("seconds", r.FromSecond, r.ToSecond); err != nil {
			return nil, err
		}
		if r.ToSecond < r.FromSecond {
			return nil, fmt.Errorf("%w: window: to=%g s must not be less than from=%g s", ErrInvalidRequest, r.ToSecond, r.FromSecond)
		}
	case ByEvents:
		if err := finite("events", r.FromEvent, r.ToEvent); err != nil {
			return nil, err
		}
		if r.ToEvent <= r.FromEvent {
			return nil, fmt.Errorf("%w: events %g to %g: the last event must be after the first", ErrInvalidRequest, r.FromEvent, r.ToEvent)
		}
	case ByLastEvents:
		if math.IsNaN(r.LastEvents) || math.IsInf(r.LastEvents, 0) || r.LastEvents <= 0 {
			return nil, fmt.Errorf("%w: the last %g events: the number of events must be a positive number", ErrInvalidRequest, r.LastEvents)
		}
	}
	if _, err := r.ThresholdKeys(); err != nil {
		return nil, err
	}
	values, err := ow.ParseValues(ow.DetectorOptions(r.Subsystem), r.Options)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return values, nil
}

// ThresholdKeys returns the check-threshold overrides of the request as
// (check, parameter) pairs in the order of their sorted keys; a key is
// "<check name>.<parameter>" (the parameter after the last dot). A key
// without both parts or an empty value is an error wrapping
// ErrInvalidRequest.
func (r Request) ThresholdKeys() ([][2]string, error) {
	if len(r.Thresholds) > maxThresholds {
		return nil, fmt.Errorf("%w: %d check thresholds overridden (at most %d)", ErrInvalidRequest, len(r.Thresholds), maxThresholds)
	}
	keys := make([]string, 0, len(r.Thresholds))
	for k := range r.Thresholds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		i := strings.LastIndexByte(k, '.')
		if i <= 0 || i == len(k)-1 {
			return nil, fmt.Errorf("%w: check threshold %q: want <check name>.<parameter> (e.g. deadFastOR.DeadFraction)", ErrInvalidRequest, k)
		}
		if strings.TrimSpace(r.Thresholds[k]) == "" {
			return nil, fmt.Errorf("%w: check threshold %s: empty value", ErrInvalidRequest, k)
		}
		out = append(out, [2]string{k[:i], k[i+1:]})
	}
	return out, nil
}

// maxThresholds bounds the check-threshold overrides of one request.
const maxThresholds = 200
