package timeslice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
)

// thresholds validates a request's check-threshold overrides with the
// service's Checks (nil when it overrides none).
func (s *Service) thresholds(req Request) (ow.Values, error) {
	if len(req.Thresholds) == 0 {
		return nil, nil
	}
	if s.opts.Checks == nil {
		return nil, fmt.Errorf("%w: this server does not run checks on time slices: no check threshold can be overridden", ErrInvalidRequest)
	}
	v, err := s.opts.Checks.ParseThresholds(req.Subsystem, req.Thresholds)
	if err != nil {
		return nil, fmt.Errorf("%w: check thresholds: %w", ErrInvalidRequest, err)
	}
	return v, nil
}

// selectWindow picks the request's snapshots (see Request.Window): later,
// earlier (NoSnapshot: nothing subtracted) and, for a window by events,
// the cumulative event counts of earlier (0 when NoSnapshot) and later.
// An empty window is an error wrapping ErrInvalidRequest and
// ErrEmptyWindow that says what the run's snapshots cover.
func (s *Service) selectWindow(ctx context.Context, req Request, sub ow.SubsystemInfo, snaps []ow.SnapshotInfo, reset bool) (later, earlier int, events *[2]float64, err error) {
	by, err := req.Window()
	if err != nil {
		return 0, 0, nil, err
	}
	times := make([]time.Time, len(snaps))
	for i, sn := range snaps {
		times[i] = sn.Time
	}
	start := sub.Start
	if len(times) > 0 {
		start = times[0]
	}
	span := func() string {
		if len(times) == 0 {
			return "the run has no snapshot"
		}
		d := times[len(times)-1].Sub(start)
		return fmt.Sprintf("the run's %d snapshots span %g s (minutes 0 to %d) after its first snapshot", len(times), d.Seconds(), MinuteOf(times[len(times)-1], start))
	}
	switch by {
	case ByUnix:
		later, earlier, err = SelectWindow(times, time.Unix(req.FromUnix, 0), time.Unix(req.ToUnix, 0))
	case BySeconds:
		later, earlier, err = SelectSeconds(times, start, req.FromSecond, req.ToSecond)
	case ByEvents, ByLastEvents:
		var counts []float64
		if counts, err = s.eventCounts(ctx, req.Run, sub.FilesFrom, snaps, reset); err != nil {
			return 0, 0, nil, err
		}
		if by == ByEvents {
			later, earlier, err = SelectEvents(counts, req.FromEvent, req.ToEvent)
		} else {
			later, earlier, err = SelectLastEvents(counts, req.LastEvents)
		}
		span = func() string {
			if len(counts) == 0 {
				return "the run has no snapshot"
			}
			return fmt.Sprintf("the run's %d snapshots hold %g to %g events", len(counts), counts[0], counts[len(counts)-1])
		}
		if err == nil {
			ev := [2]float64{0, counts[later]}
			if earlier != NoSnapshot {
				ev[0] = counts[earlier]
			}
			events = &ev
		}
	default:
		later, earlier, err = SelectMinutes(times, start, req.FromMinute, req.ToMinute)
	}
	if errors.Is(err, ErrEmptyWindow) {
		return 0, 0, nil, fmt.Errorf("%w: %w (%s)", ErrInvalidRequest, err, span())
	}
	if err != nil {
		return 0, 0, nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	return later, earlier, events, nil
}

// EventsKey is the slice key of the record in which the service keeps the
// number of events of each snapshot of a run (an overwatch.OutputSlice
// output of the run's source subsystem): counted once per snapshot, by
// decoding it, for the windows by events.
const EventsKey = "nevents"

// eventsRecord is the stored form of the event counts of a run's
// snapshots: each snapshot's own count (its events histogram's bin 1; in
// reset mode the events since the previous snapshot).
type eventsRecord struct {
	Key       string       `json:"key"`
	Snapshots []eventCount `json:"snapshots"`
}

type eventCount struct {
	Ref
	Events float64 `json:"events"`
	// None: the snapshot has no events histogram.
	None bool `json:"none,omitempty"`
}

// eventCounts returns the cumulative number of events at each snapshot of
// a run (the running sum of the snapshots' counts in reset mode), counting
// the snapshots not counted before and recording them. A snapshot without
// an events histogram, or whose count is not a finite non-negative number,
// is an error wrapping ErrInvalidRequest.
func (s *Service) eventCounts(ctx context.Context, run int, source string, snaps []ow.SnapshotInfo, reset bool) ([]float64, error) {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	ref := ow.OutputRef{Run: run, Subsystem: source, Slice: EventsKey, Kind: ow.OutputSlice}
	known := map[Ref]eventCount{}
	if b, err := s.store.Output(ctx, ref); err == nil {
		var rec eventsRecord
		if err := json.Unmarshal(b, &rec); err == nil && rec.Key == EventsKey {
			for _, c := range rec.Snapshots {
				known[c.Ref] = c
			}
		} else {
			s.log.Warn("event counts unreadable: counted again", "run", run, "subsystem", source)
		}
	} else if !errors.Is(err, ow.ErrNotFound) {
		return nil, fmt.Errorf("timeslice: event counts of run %d %s: %w", run, source, err)
	}
	added := 0
	out := make([]float64, len(snaps))
	rec := eventsRecord{Key: EventsKey, Snapshots: make([]eventCount, 0, len(snaps))}
	total := 0.0
	var bad error
	for i, sn := range snaps {
		r := refOf(sn.SnapshotRef)
		c, ok := known[r]
		if !ok {
			f, err := s.decode(ctx, sn.SnapshotRef)
			if err != nil {
				bad = fmt.Errorf("%w: windows by events: %w", ErrInvalidRequest, err)
				break
			}
			c = eventCount{Ref: r}
			hists, names := FileHists(f)
			c.Events, ok = EventsOf(hists, names)
			c.None = !ok
			added++
		}
		rec.Snapshots = append(rec.Snapshots, c)
		if c.None {
			bad = fmt.Errorf("%w: windows by events need each snapshot's events histogram (a histogram named …events…); snapshot %s has none", ErrInvalidRequest, sn.SnapshotRef)
			break
		}
		if math.IsNaN(c.Events) || math.IsInf(c.Events, 0) || c.Events < 0 {
			bad = fmt.Errorf("%w: windows by events: snapshot %s holds %g events", ErrInvalidRequest, sn.SnapshotRef, c.Events)
			break
		}
		if reset {
			total += c.Events
		} else {
			total = c.Events
		}
		out[i] = total
	}
	// Keep what was counted before, also after a snapshot that failed.
	for _, sn := range snaps[len(rec.Snapshots):] {
		if c, ok := known[refOf(sn.SnapshotRef)]; ok {
			rec.Snapshots = append(rec.Snapshots, c)
		}
	}
	if added > 0 {
		if b, err := json.Marshal(rec); err == nil {
			if err := s.store.PutOutput(ctx, ref, b); err != nil {
				s.log.Warn("event counts not recorded", "run", run, "subsystem", source, "err", err)
			}
		}
	}
	if bad != nil {
		return nil, bad
	}
	if !reset {
		for i := 1; i < len(out); i++ {
			if out[i] < out[i-1] {
				return nil, fmt.Errorf("%w: windows by events: the event count goes down at snapshot %s (%g after %g): the run's snapshots are not cumulative (reset mode?)",
					ErrInvalidRequest, snaps[i].SnapshotRef, out[i], out[i-1])
			}
		}
	}
	return out, nil
}
