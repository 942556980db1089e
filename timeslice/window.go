package timeslice

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrEmptyWindow is wrapped by the errors of SelectWindow and
// SelectMinutes when no snapshot lies in the requested window.
var ErrEmptyWindow = errors.New("timeslice: no snapshot in the window")

// NoSnapshot is the earlier index SelectWindow returns when nothing is to
// be subtracted: the window starts at or before the first snapshot.
const NoSnapshot = -1

// SelectWindow picks the snapshots of a cumulative-mode window [t0, t1]
// from the snapshot times of a run (sorted, oldest first):
//
//   - later is the index of the last snapshot taken at or before t1;
//   - earlier is the index of the last snapshot taken before t0, or
//     NoSnapshot (-1) when t0 is at or before the first snapshot, meaning
//     nothing is subtracted (the window starts with the run).
//
// The window's data is then snapshot[later] - snapshot[earlier] (Diff), or
// snapshot[later] itself when earlier is NoSnapshot. For reset-mode runs,
// the snapshots earlier+1 .. later are the ones to Sum.
//
// It is an error when t1 is before t0, when the times are not sorted, when
// no snapshot is at or before t1, and when the window holds no snapshot
// (the last one at or before t1 is also before t0), these two wrapping
// ErrEmptyWindow.
func SelectWindow(times []time.Time, t0, t1 time.Time) (later, earlier int, err error) {
	if t1.Before(t0) {
		return 0, 0, fmt.Errorf("timeslice: window ends (%s) before it starts (%s)", t1.Format(time.RFC3339), t0.Format(time.RFC3339))
	}
	for i := 1; i < len(times); i++ {
		if times[i].Before(times[i-1]) {
			return 0, 0, fmt.Errorf("timeslice: snapshot times not sorted: %d (%s) is before %d (%s)",
				i, times[i].Format(time.RFC3339), i-1, times[i-1].Format(time.RFC3339))
		}
	}
	return pick(len(times),
		func(i int) bool { return !times[i].After(t1) },
		func(i int) bool { return times[i].Before(t0) },
		func() error {
			return fmt.Errorf("%w: %d snapshots, none in [%s, %s]", ErrEmptyWindow, len(times), t0.Format(time.RFC3339), t1.Format(time.RFC3339))
		})
}

// pick finds the last index satisfying atOrBeforeEnd (later) and the last
// satisfying beforeStart (earlier), both predicates being monotone (true
// then false) over the sorted snapshots.
func pick(n int, atOrBeforeEnd, beforeStart func(int) bool, empty func() error) (later, earlier int, err error) {
	later, earlier = -1, NoSnapshot
	for i := 0; i < n; i++ {
		if atOrBeforeEnd(i) {
			later = i
		}
		if beforeStart(i) {
			earlier = i
		}
	}
	if later < 0 || later <= earlier {
		return 0, 0, empty()
	}
	return later, earlier, nil
}

// MinuteOf returns the minute of the run at which a snapshot taken at t
// was written, start being the start of the run: (t - start) in minutes
// rounded to the nearest whole minute, halves away from zero (a snapshot at
// 1 min 30 s is minute 2, one at 1 min 29.9 s minute 1). Receivers write
// snapshots at a varying second of each minute; rounding to the nearest
// minute makes "minute 3" mean the snapshot written around 3 minutes into
// the run, whichever side of the minute it landed on. (The original
// Overwatch meant the same but rounded differently in Python 2 and 3.)
func MinuteOf(t, start time.Time) int {
	return int(math.Round(t.Sub(start).Minutes()))
}

// SelectMinutes is SelectWindow for a window given in minutes since the
// start of the run, [from, to], comparing each snapshot's MinuteOf: later
// is the last snapshot whose minute is <= to, earlier the last whose minute
// is < from (NoSnapshot when there is none). With snapshots at minutes
// 0, 1, 2, 3, 4 the window 1..3 is snapshot 3 - snapshot 0 and the window
// 0..2 is snapshot 2 alone. Errors as SelectWindow's; from or to being
// negative or NaN, or to < from, is also an error.
func SelectMinutes(times []time.Time, start time.Time, from, to float64) (later, earlier int, err error) {
	if math.IsNaN(from) || math.IsNaN(to) || from < 0 || to < from {
		return 0, 0, fmt.Errorf("timeslice: bad minute window [%g, %g] (want 0 <= from <= to)", from, to)
	}
	minutes := make([]int, len(times))
	for i, t := range times {
		minutes[i] = MinuteOf(t, start)
		if i > 0 && times[i].Before(times[i-1]) {
			return 0, 0, fmt.Errorf("timeslice: snapshot times not sorted: %d is before %d", i, i-1)
		}
	}
	return pick(len(times),
		func(i int) bool { return float64(minutes[i]) <= to },
		func(i int) bool { return float64(minutes[i]) < from },
		func() error {
			return fmt.Errorf("%w: %d snapshots, none at minutes %g..%g of the run", ErrEmptyWindow, len(times), from, to)
		})
}
