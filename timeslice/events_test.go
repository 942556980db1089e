package timeslice

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSelectSecondsShortRun is the short-run case that fails with minutes:
// snapshots 5 s apart all round to minute 0, so a minute window not
// starting at 0 is empty, while a window in seconds is not.
func TestSelectSecondsShortRun(t *testing.T) {
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var times []time.Time
	for i := 1; i <= 8; i++ { // 10:00:05 ... 10:00:40
		times = append(times, start.Add(time.Duration(5*i)*time.Second))
	}
	_, _, err := SelectMinutes(times, start, 0.25, 0.5)
	require.ErrorIs(t, err, ErrEmptyWindow, "every snapshot is at minute 0 or 1")

	for _, tc := range []struct {
		from, to       float64
		later, earlier int
	}{
		{15, 30, 5, 1}, // 10:00:30 − 10:00:10
		{0, 12, 1, NoSnapshot},
		{5, 5, 0, NoSnapshot}, // the window starts at the first snapshot
		{12.5, 39.9, 6, 1},
		{0, 1000, 7, NoSnapshot},
	} {
		later, earlier, err := SelectSeconds(times, start, tc.from, tc.to)
		require.NoError(t, err, "%v..%v", tc.from, tc.to)
		assert.Equal(t, tc.later, later, "%v..%v", tc.from, tc.to)
		assert.Equal(t, tc.earlier, earlier, "%v..%v", tc.from, tc.to)
	}
	_, _, err = SelectSeconds(times, start, 41, 50)
	assert.ErrorIs(t, err, ErrEmptyWindow)
	_, _, err = SelectSeconds(times, start, 0, 4)
	assert.ErrorIs(t, err, ErrEmptyWindow)
	for _, w := range [][2]float64{{-1, 5}, {5, 1}} {
		_, _, err = SelectSeconds(times, start, w[0], w[1])
		assert.Error(t, err)
		assert.NotErrorIs(t, err, ErrEmptyWindow)
	}
}

func TestSelectEvents(t *testing.T) {
	events := []float64{1000, 2000, 3000, 4000, 5000}
	for _, tc := range []struct {
		name           string
		from, to       float64
		later, earlier int
		err            error
	}{
		{"from the start", 0, 2500, 1, NoSnapshot, nil},
		{"middle", 1500, 4200, 3, 0, nil},
		{"exact counts", 2000, 4000, 3, 1, nil},
		{"beyond the end", 4500, 1e9, 4, 3, nil},
		{"before the first snapshot", 0, 999, 0, 0, ErrEmptyWindow},
		{"between two snapshots", 2100, 2900, 0, 0, ErrEmptyWindow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			later, earlier, err := SelectEvents(events, tc.from, tc.to)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.later, later)
			assert.Equal(t, tc.earlier, earlier)
		})
	}
	// An empty first snapshot is subtracted harmlessly from 0.
	later, earlier, err := SelectEvents([]float64{0, 100, 200}, 0, 200)
	require.NoError(t, err)
	assert.Equal(t, [2]int{2, 0}, [2]int{later, earlier})

	_, _, err = SelectEvents([]float64{100, 50}, 0, 100)
	assert.ErrorContains(t, err, "not a cumulative run")
	_, _, err = SelectEvents(events, 10, 5)
	assert.Error(t, err)
	_, _, err = SelectEvents([]float64{-1}, 0, 5)
	assert.Error(t, err)

	// The last N events.
	for _, tc := range []struct {
		n              float64
		later, earlier int
	}{
		{1000, 4, 3}, {1500, 4, 2}, {4000, 4, 0}, {4500, 4, NoSnapshot}, {1e9, 4, NoSnapshot},
	} {
		later, earlier, err := SelectLastEvents(events, tc.n)
		require.NoError(t, err, "last %v", tc.n)
		assert.Equal(t, [2]int{tc.later, tc.earlier}, [2]int{later, earlier}, "last %v", tc.n)
	}
	_, _, err = SelectLastEvents(nil, 10)
	assert.ErrorIs(t, err, ErrEmptyWindow)
	_, _, err = SelectLastEvents(events, -3)
	assert.Error(t, err)
}
