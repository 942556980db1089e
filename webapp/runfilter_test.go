package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// filterEnv: runs 300..304 in three months, modes A/B/C, an alarm in 302.
func filterEnv(t *testing.T) *testEnv {
	e := newEnv(t)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, cern)
		require.NoError(t, err)
		return v
	}
	now := time.Now().Truncate(time.Second)
	for _, r := range []struct {
		run  int
		mode overwatch.HLTMode
		at   time.Time
	}{
		{300, overwatch.ModeCompress, at("2026-10-15 12:00")},
		{301, overwatch.ModeNoCompress, at("2026-11-03 00:30")}, // 2 Nov 23:30 UTC: the CERN day counts
		{302, overwatch.ModeCompress, at("2026-11-20 08:00")},
		{303, overwatch.ModeNotTaking, at("2026-11-30 23:30")},
		{304, overwatch.ModeCompress, now.Add(-time.Minute)},
	} {
		_, err := e.store.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: r.run, Subsystem: "EMC", Mode: r.mode, Time: r.at, Origin: "test"},
			strings.NewReader(fmt.Sprint("placeholder ", r.run)))
		require.NoError(t, err)
	}
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/high", Subsystem: "EMC", Trend: "maxPatch", Alarm: "high", Run: 302,
		State: overwatch.AlarmResolved, FiredAt: at("2026-11-20 08:10"), ResolvedAt: at("2026-11-20 08:20"), Message: "too high"})
	return e
}

var rowRE = regexp.MustCompile(`<tr id="Run([0-9]+)"`)

func listedRuns(body string) string {
	var out []string
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return strings.Join(out, ",")
}

// TestRunListFilters: the run list's filters, server-side, with month
// bookmarks; bad input is 400.
func TestRunListFilters(t *testing.T) {
	e := filterEnv(t)
	c, _ := loggedIn(t, e)
	for _, tc := range []struct{ q, want string }{
		{"", "304,303,302,301,300"},
		{"?runFrom=301&runTo=303", "303,302,301"},
		{"?runFrom=303", "304,303"},
		{"?runTo=301", "301,300"},
		{"?dateFrom=2026-11-01&dateTo=2026-11-30", "303,302,301"},
		{"?dateFrom=2026-11-03&dateTo=2026-11-03", "301"},
		{"?dateTo=2026-10-31", "300"},
		{"?month=2026-11", "303,302,301"},
		{"?month=2026-10", "300"},
		{"?month=2025-01", ""},
		{"?mode=C", "304,302,300"},
		{"?mode=c&runTo=301", "300"},
		{"?mode=A", "303"},
		{"?alarm=1", "302"},
		{"?alarm=1&mode=B", ""},
		{"?alarm=0", "304,303,302,301,300"},
	} {
		resp, body := c.get("/runs" + tc.q)
		require.Equal(t, http.StatusOK, resp.StatusCode, tc.q)
		assert.Equal(t, tc.want, listedRuns(body), tc.q)
	}
	// Month bookmarks: a row and a drawer link at the first run of each month.
	_, body := c.get("/runs")
	for _, m := range []string{"2026-10", "2026-11"} {
		assert.Contains(t, body, `<tr class="month" id="m-`+m+`">`, m)
		assert.Contains(t, body, `href="#m-`+m+`"`, m)
	}
	assert.Contains(t, body, ">November 2026<")
	assert.Equal(t, 1, strings.Count(body, `id="m-2026-11"`))
	// The filter is shown and kept in the form.
	_, body = c.get("/runs?mode=C&runFrom=300")
	assert.Contains(t, body, `id="filter-info"`)
	assert.Contains(t, body, "HLT mode C")
	assert.Contains(t, body, `value="300"`)
	assert.Contains(t, body, `<option value="C" selected>`)

	for _, q := range []string{
		"runFrom=x", "runFrom=0", "runTo=1000000000", "runFrom=5&runTo=3", "dateFrom=2026-13-01", "dateFrom=1999-12-31",
		"dateFrom=2026-11-05&dateTo=2026-11-01", "dateTo=tomorrow", "month=2026-1x", "month=2026-11&dateFrom=2026-11-01",
		"month=1800-01", "mode=Z", "alarm=maybe", "runFrom=" + strings.Repeat("1", 40),
	} {
		resp, body := c.get("/runs?" + q)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", q, body)
		resp, body = c.get("/api/runs?" + q)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "api %s", q)
		assert.Contains(t, body, `"error"`)
	}
}

// TestAPIRunsFilters: /api/runs takes the same filters; its next link
// keeps them.
func TestAPIRunsFilters(t *testing.T) {
	e := filterEnv(t)
	c, _ := loggedIn(t, e)
	var resp struct {
		Runs []apiRunInfo `json:"runs"`
		Next string       `json:"next"`
	}
	get := func(p string) {
		r, body := c.get(p)
		require.Equal(t, http.StatusOK, r.StatusCode, body)
		resp.Runs, resp.Next = nil, ""
		require.NoError(t, json.Unmarshal([]byte(body), &resp))
	}
	get("/api/runs?mode=C&limit=2")
	require.Len(t, resp.Runs, 2)
	assert.Equal(t, []int{304, 302}, []int{resp.Runs[0].Number, resp.Runs[1].Number})
	assert.True(t, resp.Runs[0].Ongoing)
	assert.Equal(t, "/api/runs?before=302&limit=2&mode=C", resp.Next)
	get(resp.Next)
	require.Len(t, resp.Runs, 1)
	assert.Equal(t, 300, resp.Runs[0].Number)
	assert.Empty(t, resp.Next)
	get("/api/runs?alarm=1")
	require.Len(t, resp.Runs, 1)
	assert.Equal(t, 302, resp.Runs[0].Number)
}

// TestRunFilterScanBound: a filtered listing looks at most maxRunScan runs
// per request and says where to continue.
func TestRunFilterScanBound(t *testing.T) {
	e := filterEnv(t)
	oldScan, oldBatch := maxRunScan, runScanBatch
	maxRunScan, runScanBatch = 2, 1
	t.Cleanup(func() { maxRunScan, runScanBatch = oldScan, oldBatch })
	c, _ := loggedIn(t, e)
	resp, body := c.get("/runs?mode=A")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "303", listedRuns(body), "within the first two runs")
	resp, body = c.get("/runs?mode=B")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "", listedRuns(body), "304 and 303 looked at, no match yet")
	assert.Contains(t, body, "stopped after 2 runs")
	assert.Contains(t, body, `<a href="/runs?before=303&amp;mode=B" id="continue">`)
	resp, body = c.get("/runs?before=303&mode=B")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "301", listedRuns(body), "the continuation finds run 301")
	assert.Contains(t, body, `<a href="/runs?before=301&amp;mode=B" id="continue">`, "run 300 is not looked at yet")
}
