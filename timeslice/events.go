package timeslice

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
)

// SelectSeconds is SelectWindow for a window given in seconds since the
// start of the run, [from, to], exact to the nanosecond (no rounding to
// whole minutes): a short run whose snapshots are seconds apart has windows
// that do not start at minute 0. Errors as SelectWindow's; from or to
// negative, infinite or NaN, or to < from, is also an error.
func SelectSeconds(times []time.Time, start time.Time, from, to float64) (later, earlier int, err error) {
	if bad(from) || bad(to) || to < from {
		return 0, 0, fmt.Errorf("timeslice: bad window [%g s, %g s] (want 0 <= from <= to)", from, to)
	}
	at := func(s float64) time.Time { return start.Add(time.Duration(math.Round(s * float64(time.Second)))) }
	return SelectWindow(times, at(from), at(to))
}

// SelectEvents picks a cumulative-mode window by event counts: events[i]
// is the number of events snapshot i holds (its nEvents, non-decreasing
// over a cumulative run). later is the last snapshot holding at most to
// events; earlier the last holding at most from events (NoSnapshot when
// none), whose events are subtracted: the window holds the events after
// snapshot earlier up to snapshot later, the snapshots nearest to the
// requested counts without going past to. It is an error when the counts
// decrease (not a cumulative run), when from or to is negative, infinite
// or NaN or to < from, and (wrapping ErrEmptyWindow) when no snapshot falls
// in the window.
func SelectEvents(events []float64, from, to float64) (later, earlier int, err error) {
	if bad(from) || bad(to) || to < from {
		return 0, 0, fmt.Errorf("timeslice: bad event window [%g, %g] (want 0 <= from <= to)", from, to)
	}
	for i, e := range events {
		if bad(e) {
			return 0, 0, fmt.Errorf("timeslice: snapshot %d has %g events", i, e)
		}
		if i > 0 && e < events[i-1] {
			return 0, 0, fmt.Errorf("timeslice: event counts decrease at snapshot %d (%g after %g): not a cumulative run", i, e, events[i-1])
		}
	}
	return pick(len(events),
		func(i int) bool { return events[i] <= to },
		func(i int) bool { return events[i] <= from && (from > 0 || events[i] == 0) },
		func() error {
			return fmt.Errorf("%w: %d snapshots, none between %g and %g events", ErrEmptyWindow, len(events), from, to)
		})
}

// SelectLastEvents picks the window of (at least) the last n events of a
// cumulative run: the newest snapshot minus the newest snapshot holding at
// most (total − n) events, or the newest snapshot alone when the run has
// fewer than n events more than its first snapshot. Errors as
// SelectEvents'.
func SelectLastEvents(events []float64, n float64) (later, earlier int, err error) {
	if bad(n) {
		return 0, 0, fmt.Errorf("timeslice: bad event count %g", n)
	}
	if len(events) == 0 {
		return 0, 0, fmt.Errorf("%w: no snapshot", ErrEmptyWindow)
	}
	total := events[len(events)-1]
	return SelectEvents(events, math.Max(0, total-n), total)
}

func bad(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) || x < 0 }

// FileHists returns the histograms of a decoded file by path (the first of
// equal paths; objects that are not histograms left out) and their paths
// sorted: the histograms processing processes and counts events in.
func FileHists(f *ow.File) (map[string]*ow.Hist, []string) {
	hists := make(map[string]*ow.Hist, len(f.Entries))
	names := make([]string, 0, len(f.Entries))
	for _, e := range f.Entries {
		h, ok := e.Object.(*ow.Hist)
		if !ok || h == nil || h.Dim() == 0 {
			continue
		}
		name := e.Path()
		if _, dup := hists[name]; dup {
			continue
		}
		hists[name] = h
		names = append(names, name)
	}
	sort.Strings(names)
	return hists, names
}

// EventsOf returns the number of events of a snapshot (or slice): bin 1 of
// the last (in sorted names) histogram whose lower-cased name contains
// "events" and that has a bin 1, and whether there is one. names are the
// sorted paths of hists (FileHists). The count is returned as stored (it
// may be zero, or not a number in a broken file): processing normalises
// with it when it is a positive finite number, windows by events count
// with it when it is finite and not negative.
func EventsOf(hists map[string]*ow.Hist, names []string) (float64, bool) {
	for i := len(names) - 1; i >= 0; i-- {
		if !strings.Contains(strings.ToLower(names[i]), "events") {
			continue
		}
		h := hists[names[i]]
		if h == nil || h.Dim() == 0 || len(h.Contents) < 2 {
			continue
		}
		return h.BinContent(1), true
	}
	return 0, false
}
