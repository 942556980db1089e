package webapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

type trendResp struct {
	Points []trendPoint `json:"points"`
	Runs   []trendRun   `json:"runs"`
}

func getTrend(t *testing.T, c *client, query string) (int, trendResp, string) {
	t.Helper()
	resp, body := c.get("/api/trends/EMC/maxPatch" + query)
	var tr trendResp
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal([]byte(body), &tr), body)
	}
	return resp.StatusCode, tr, body
}

func pointRuns(tr trendResp) map[int]int {
	m := map[int]int{}
	for _, p := range tr.Points {
		m[p.Run]++
	}
	return m
}

// TestTrendRangeParameters: the run range, the time range and "last" of
// /api/trends select the points; the runs of the points come with their
// boundaries; bad input is 400.
func TestTrendRangeParameters(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 3) // runs 100 (3 h ago), 101 (2 h ago), 102 (10 min ago)
	for _, run := range []int{100, 101, 102} {
		addTrend(t, e, run, "maxPatch", 20)
	}
	c, _ := loggedIn(t, e)

	code, tr, body := getTrend(t, c, "")
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, map[int]int{100: 20, 101: 20, 102: 20}, pointRuns(tr))
	require.Len(t, tr.Runs, 3)
	for _, r := range tr.Runs {
		ri, err := e.store.RunInfo(context.Background(), r.Run)
		require.NoError(t, err)
		si, _ := ri.Subsystem("EMC")
		assert.Equal(t, si.Start.Unix(), r.Start, "run %d start", r.Run)
		assert.Equal(t, si.End.Unix(), r.End, "run %d end", r.Run)
		assert.Empty(t, r.Quality, "no run flags on this store")
	}

	code, tr, body = getTrend(t, c, "?runFrom=101&runTo=102")
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, map[int]int{101: 20, 102: 20}, pointRuns(tr))
	assert.Len(t, tr.Runs, 2)
	code, tr, _ = getTrend(t, c, "?runTo=100")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[int]int{100: 20}, pointRuns(tr))
	code, tr, _ = getTrend(t, c, "?runFrom=101&limit=5")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[int]int{102: 5}, pointRuns(tr), "newest 5 of the range")
	code, tr, _ = getTrend(t, c, "?runFrom=101&runTo=101")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[int]int{101: 20}, pointRuns(tr))
	for _, p := range tr.Points {
		assert.Contains(t, p.Link, "/run/101/EMC?from=0", "drill-down to the source snapshot kept")
	}
	code, tr, _ = getTrend(t, c, "?last=1h")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[int]int{102: 20}, pointRuns(tr), "the last hour: run 102 only")
	code, tr, _ = getTrend(t, c, "?last=150m")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, 20, pointRuns(tr)[102])
	assert.Zero(t, pointRuns(tr)[100])
	now := time.Now()
	code, tr, _ = getTrend(t, c, "?"+url.Values{"from": {itoa(now.Add(-130 * time.Minute).Unix())}, "to": {itoa(now.Add(-time.Hour).Unix())}}.Encode())
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[int]int{101: 20}, pointRuns(tr))

	for _, q := range []string{
		"?runFrom=102&runTo=101", "?run=101&runFrom=100", "?run=101&runTo=102", "?runFrom=abc", "?runFrom=0",
		"?runTo=1000000000", "?runFrom=-5", "?from=10&to=5", "?from=x", "?to=-1", "?from=99999999999999999999",
		"?last=30s", "?last=9000h", "?last=1x", "?last=-1h", "?last=1h&from=5", "?limit=0", "?limit=100001", "?limit=ten",
	} {
		code, _, body := getTrend(t, c, q)
		assert.Equal(t, http.StatusBadRequest, code, "%s: %s", q, body)
		assert.Contains(t, body, `"error"`, q)
	}
	resp, _ := c.get("/api/trends/EMC/nope?runFrom=1")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func itoa(n int64) string { return jsonInt(n) }

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// flagStore is a store with run quality flags (RunFlagReader).
type flagStore struct {
	Store
	flags map[int]overwatch.Quality
}

func (f flagStore) RunFlags(_ context.Context, sys string, runs []int) (map[int]overwatch.Quality, error) {
	out := map[int]overwatch.Quality{}
	for _, r := range runs {
		if q, ok := f.flags[r]; ok && sys == "EMC" {
			out[r] = q
		}
	}
	return out, nil
}

// TestTrendRunFlags: a store that knows run quality flags gives each run
// of a trend its flag (the points are coloured by it in the page).
func TestTrendRunFlags(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 3)
	for _, run := range []int{100, 101, 102} {
		addTrend(t, e, run, "maxPatch", 3)
	}
	app, err := New(Config{Store: flagStore{Store: e.store, flags: map[int]overwatch.Quality{100: overwatch.QualityBad, 102: overwatch.QualityGood}},
		Alarms: e.store, DataDir: e.dir, Users: e.app.cfg.Users, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { app.Close() })
	e.app = app
	c, _ := loggedIn(t, e)
	code, tr, body := getTrend(t, c, "")
	require.Equal(t, http.StatusOK, code, body)
	got := map[int]string{}
	for _, r := range tr.Runs {
		got[r.Run] = r.Quality
	}
	assert.Equal(t, map[int]string{100: "bad", 101: "", 102: "good"}, got)
}

// TestTrendQueryTable: the parsed query of the range parameters.
func TestTrendQueryTable(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		q    string
		want overwatch.TrendQuery
	}{
		{"", overwatch.TrendQuery{Subsystem: "EMC", Trend: "x", Limit: 5000}},
		{"runFrom=5&runTo=9", overwatch.TrendQuery{Subsystem: "EMC", Trend: "x", RunFrom: 5, RunTo: 9, Limit: 5000}},
		{"runFrom=5", overwatch.TrendQuery{Subsystem: "EMC", Trend: "x", RunFrom: 5, Limit: 5000}},
		{"run=7&limit=10", overwatch.TrendQuery{Subsystem: "EMC", Trend: "x", Run: 7, Limit: 10}},
		{"last=24h", overwatch.TrendQuery{Subsystem: "EMC", Trend: "x", From: now.Add(-24 * time.Hour), Limit: 5000}},
		{"last=1h&to=1800000000", overwatch.TrendQuery{Subsystem: "EMC", Trend: "x", From: now.Add(-time.Hour), To: now, Limit: 5000}},
		{"from=100&to=200", overwatch.TrendQuery{Subsystem: "EMC", Trend: "x", From: time.Unix(100, 0), To: time.Unix(200, 0), Limit: 5000}},
	} {
		v, err := url.ParseQuery(tc.q)
		require.NoError(t, err)
		got, err := trendQuery(v, "EMC", "x", now)
		require.NoError(t, err, tc.q)
		assert.Equal(t, tc.want, got, tc.q)
	}
}

// BenchmarkTrendRange: the trend API over 10 runs of 500 points each, all
// of them, a run range of two runs, and the last hour.
func BenchmarkTrendRange(b *testing.B) {
	e, ck := benchEnv(b, 0)
	e.seed(b, 10)
	for run := 100; run < 110; run++ {
		addTrend(b, e, run, "maxPatch", 500)
	}
	b.Run("all", func(b *testing.B) { benchGet(b, e.app, ck, "/api/trends/EMC/maxPatch") })
	b.Run("runs", func(b *testing.B) { benchGet(b, e.app, ck, "/api/trends/EMC/maxPatch?runFrom=105&runTo=106") })
	b.Run("last-hour", func(b *testing.B) { benchGet(b, e.app, ck, "/api/trends/EMC/maxPatch?last=1h") })
}
