package timeslice_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/timeslice"
)

var runStart = time.Date(2018, 6, 1, 10, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return runStart.Add(time.Duration(sec) * time.Second) }

// The worked example of original-processing.md §4.7 with the corrected
// semantics of §10.1 item 4: snapshots at S+0, 62, 121, 180, 241 s
// (minutes 0..4).
func TestSelectMinutesWorkedExample(t *testing.T) {
	times := []time.Time{at(0), at(62), at(121), at(180), at(241)}
	cases := []struct {
		name           string
		from, to       float64
		later, earlier int
	}{
		// The original subtracted the first *selected* file (S+62); the
		// window 1..3 really starts after the last snapshot before minute 1.
		{"1-3 min", 1, 3, 3, 0},
		{"0-2 min: first snapshot included, nothing subtracted", 0, 2, 2, timeslice.NoSnapshot},
		{"0-4 min: the whole run", 0, 4, 4, timeslice.NoSnapshot},
		// The original subtracted a single selected file from itself and
		// produced empty histograms.
		{"2-2 min: one snapshot in the window", 2, 2, 2, 1},
		{"3.5-10 min: beyond the run", 3.5, 10, 4, 3},
		{"fractional end", 0.2, 1.4, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			later, earlier, err := timeslice.SelectMinutes(times, runStart, c.from, c.to)
			require.NoError(t, err)
			assert.Equal(t, c.later, later)
			assert.Equal(t, c.earlier, earlier)
		})
	}
	for _, bad := range [][2]float64{{5, 6}, {-1, 2}, {3, 2}, {0.2, 0.4}} {
		_, _, err := timeslice.SelectMinutes(times, runStart, bad[0], bad[1])
		assert.Error(t, err, "%v", bad)
	}
	_, _, err := timeslice.SelectMinutes(times, runStart, 4.5, 6)
	assert.ErrorIs(t, err, timeslice.ErrEmptyWindow)
}

func TestMinuteOfRounding(t *testing.T) {
	assert.Equal(t, 0, timeslice.MinuteOf(at(29), runStart))
	assert.Equal(t, 1, timeslice.MinuteOf(at(30), runStart)) // halves away from zero
	assert.Equal(t, 1, timeslice.MinuteOf(at(89), runStart))
	assert.Equal(t, 2, timeslice.MinuteOf(at(90), runStart)) // not banker's rounding
	assert.Equal(t, 3, timeslice.MinuteOf(at(178), runStart))
	assert.Equal(t, -1, timeslice.MinuteOf(at(-60), runStart))
}

func TestSelectWindow(t *testing.T) {
	times := []time.Time{at(0), at(62), at(121), at(180), at(241)}
	cases := []struct {
		name           string
		t0, t1         time.Time
		later, earlier int
	}{
		{"1-3 min", at(60), at(180), 3, 0},
		{"t1 exactly on a snapshot", at(62), at(121), 2, 0},
		{"t0 exactly on a snapshot: that snapshot is not subtracted", at(121), at(130), 2, 1},
		{"t0 at the run start", at(0), at(130), 2, timeslice.NoSnapshot},
		{"t0 before the first snapshot", at(-10), at(0), 0, timeslice.NoSnapshot},
		{"t1 after the last", at(200), at(1000), 4, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			later, earlier, err := timeslice.SelectWindow(times, c.t0, c.t1)
			require.NoError(t, err)
			assert.Equal(t, c.later, later)
			assert.Equal(t, c.earlier, earlier)
		})
	}

	// The single-snapshot case.
	one := []time.Time{at(62)}
	later, earlier, err := timeslice.SelectWindow(one, at(0), at(100))
	require.NoError(t, err)
	assert.Equal(t, 0, later)
	assert.Equal(t, timeslice.NoSnapshot, earlier)
	_, _, err = timeslice.SelectWindow(one, at(70), at(100))
	assert.ErrorIs(t, err, timeslice.ErrEmptyWindow)

	_, _, err = timeslice.SelectWindow(times, at(130), at(170)) // between snapshots
	assert.ErrorIs(t, err, timeslice.ErrEmptyWindow)
	_, _, err = timeslice.SelectWindow(times, at(-100), at(-1)) // before the first
	assert.ErrorIs(t, err, timeslice.ErrEmptyWindow)
	_, _, err = timeslice.SelectWindow(nil, at(0), at(10))
	assert.ErrorIs(t, err, timeslice.ErrEmptyWindow)
	_, _, err = timeslice.SelectWindow(times, at(100), at(10))
	assert.Error(t, err)
	_, _, err = timeslice.SelectWindow([]time.Time{at(10), at(5)}, at(0), at(20))
	assert.Error(t, err)
	_, _, err = timeslice.SelectMinutes([]time.Time{at(10), at(5)}, runStart, 0, 20)
	assert.Error(t, err)
}
