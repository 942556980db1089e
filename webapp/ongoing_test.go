package webapp

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// TestIsOngoing is the table of the "ongoing" rule: only the newest run,
// and only while its newest snapshot is recent.
func TestIsOngoing(t *testing.T) {
	now := time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)
	run := func(n int, end time.Time) overwatch.RunInfo {
		return overwatch.RunInfo{Number: n, Start: end.Add(-time.Hour), End: end}
	}
	for _, tc := range []struct {
		name   string
		ri     overwatch.RunInfo
		newest int
		want   bool
	}{
		{"newest, snapshot 1 min ago", run(102, now.Add(-time.Minute)), 102, true},
		{"newest, snapshot just now", run(102, now), 102, true},
		{"newest, snapshot 4m59s ago", run(102, now.Add(-ongoingWindow+time.Second)), 102, true},
		{"newest, snapshot exactly the window ago", run(102, now.Add(-ongoingWindow)), 102, false},
		{"newest, snapshot an hour ago", run(102, now.Add(-time.Hour)), 102, false},
		{"older run with a recent snapshot (the demo's case)", run(101, now.Add(-time.Minute)), 102, false},
		{"older run, old snapshot", run(100, now.Add(-2*time.Hour)), 102, false},
		{"no snapshot time recorded", overwatch.RunInfo{Number: 102}, 102, false},
		{"empty index", run(102, now), 0, false},
	} {
		assert.Equal(t, tc.want, isOngoing(tc.ri, tc.newest, now), tc.name)
	}
}

// TestOnlyNewestRunOngoing: three runs whose snapshots are all recent (as
// in the demo, where a run lasts 45 s): the run list, the run pages and
// the API call only the newest one ongoing.
func TestOnlyNewestRunOngoing(t *testing.T) {
	e := newEnv(t)
	now := time.Now().Truncate(time.Second)
	for i, run := range []int{200, 201, 202} {
		e.addSnapshot(t, run, "EMC", now.Add(time.Duration(i-3)*time.Minute))
		e.publish(t, run, "EMC", "", now.Add(time.Duration(i-3)*time.Minute), nil)
	}
	c, _ := loggedIn(t, e)
	resp, body := c.get("/runs")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, strings.Count(body, `class="badge live-badge">ongoing`), "one ongoing badge")
	assert.Contains(t, body, `<tr id="Run202" class="ongoing">`)
	assert.Contains(t, body, `<tr id="Run201" class="">`)
	for run, want := range map[string]bool{"200": false, "201": false, "202": true} {
		_, page := c.get("/run/" + run + "/EMC")
		assert.Equal(t, want, strings.Contains(page, "live-badge"), "run page %s", run)
		_, js := c.get("/api/runs/" + run)
		assert.Equal(t, want, strings.Contains(js, `"ongoing":true`), "API run %s", run)
	}
}
