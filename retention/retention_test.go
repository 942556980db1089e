package retention_test

import (
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/retention"
	"github.com/stretchr/testify/assert"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// run returns run n whose snapshots of EMC are every minute for minutes
// minutes, the last one ago before now.
func run(n, minutes int, ago time.Duration, bytes int64) retention.Run {
	r := retention.Run{Number: n, Last: now.Add(-ago), Bytes: bytes, Snapshots: map[string][]overwatch.SnapshotInfo{}}
	for i := minutes - 1; i >= 0; i-- {
		at := r.Last.Add(-time.Duration(i) * time.Minute)
		r.Snapshots["EMC"] = append(r.Snapshots["EMC"], overwatch.SnapshotInfo{SnapshotRef: overwatch.SnapshotRef{Run: n, Subsystem: "EMC", Time: at}})
	}
	return r
}

func minutesOf(d retention.Decision, base time.Time) []int {
	var out []int
	for _, s := range d.Snapshots {
		out = append(out, int(s.Time.Sub(base)/time.Minute))
	}
	return out
}

func TestPlan(t *testing.T) {
	runs := []retention.Run{
		run(10, 3, 72*time.Hour, 100),
		run(12, 3, 48*time.Hour, 100),
		run(11, 3, 60*time.Hour, 100),
		run(13, 3, time.Hour, 100),
		run(14, 3, time.Minute, 100),
	}
	tests := []struct {
		name string
		p    retention.Policy
		runs []int
	}{
		{"keep everything", retention.Policy{}, nil},
		{"newest 2", retention.Policy{Runs: 2}, []int{10, 11, 12}},
		{"newest 10", retention.Policy{Runs: 10}, nil},
		{"2 days", retention.Policy{MaxAge: 50 * time.Hour}, []int{10, 11}},
		{"1 day and newest 4", retention.Policy{MaxAge: 24 * time.Hour, Runs: 4}, []int{10, 11, 12}},
		{"300 bytes", retention.Policy{MaxBytes: 300}, []int{10, 11}},
		{"nothing fits: the newest stays", retention.Policy{MaxBytes: 1}, []int{10, 11, 12, 13}},
		{"everything too old: the newest stays", retention.Policy{MaxAge: time.Second}, []int{10, 11, 12, 13}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := retention.Plan(tc.p, runs, now)
			assert.Equal(t, tc.runs, d.Runs)
			assert.Empty(t, d.Snapshots)
		})
	}
}

func TestPlanThin(t *testing.T) {
	finishedRun := run(20, 31, 2*time.Hour, 0) // minutes 0..30
	tests := []struct {
		name    string
		p       retention.Policy
		r       retention.Run
		deleted []int
	}{
		{"one per 10 minutes, first and last kept", retention.Policy{Thin: 10 * time.Minute}, finishedRun,
			[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29}},
		{"one per 20 minutes", retention.Policy{Thin: 20 * time.Minute}, finishedRun,
			[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29}},
		{"one per minute keeps all", retention.Policy{Thin: time.Minute}, finishedRun, nil},
		{"running: not thinned", retention.Policy{Thin: 10 * time.Minute}, run(21, 31, time.Minute, 0), nil},
		{"finished sooner", retention.Policy{Thin: 15 * time.Minute, Finished: 30 * time.Second}, run(20, 31, time.Minute, 0),
			[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}},
		{"increments never thinned", retention.Policy{Thin: 10 * time.Minute}, func() retention.Run { r := finishedRun; r.Increments = true; return r }(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := retention.Plan(tc.p, []retention.Run{tc.r}, now)
			assert.Empty(t, d.Runs)
			if tc.deleted == nil {
				assert.Empty(t, d.Snapshots)
				return
			}
			assert.Equal(t, tc.deleted, minutesOf(d, tc.r.Snapshots["EMC"][0].Time))
		})
	}
}

func TestPolicy(t *testing.T) {
	assert.True(t, retention.Policy{}.KeepsEverything())
	assert.Equal(t, "keep everything", retention.Policy{}.String())
	assert.False(t, retention.Policy{Thin: time.Minute}.KeepsEverything())
	assert.Error(t, retention.Policy{Runs: -1}.Validate())
	assert.Error(t, retention.Policy{MaxBytes: -1}.Validate())
	assert.NoError(t, retention.Policy{Runs: 3, MaxAge: time.Hour}.Validate())
	assert.Contains(t, retention.Policy{Runs: 3, Thin: time.Minute}.String(), "newest 3 runs")
}
