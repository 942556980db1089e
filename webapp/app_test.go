package webapp

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func TestPublicRoutes(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t)
	c := newClient(t, srv.URL)

	resp, body := c.get("/healthz")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok\n", body)

	resp, _ = c.get("/")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/login", resp.Header.Get("Location"))

	resp, body = c.get("/login")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `id="login-form"`)

	resp, body = c.get("/static/app.js")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "EventSource")

	resp, _ = c.get("/static/nope.js")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, body = c.get("/no/such/page")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body, "no page at /no/such/page")

	resp, _ = c.do("DELETE", "/runs", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestProtectedRoutesNeedLogin(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 2)
	srv := e.server(t)
	c := newClient(t, srv.URL)
	for _, p := range []string{"/runs", "/run/101/EMC", "/run/101/EMC/files", "/trending", "/status"} {
		resp, _ := c.get(p)
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode, p)
		assert.Equal(t, "/login?next="+strings.ReplaceAll(p, "/", "%2F"), resp.Header.Get("Location"), p)
	}
	for _, p := range []string{"/api/runs", "/api/runs/101", "/api/runs/101/EMC", "/api/runs/101/EMC/json/hEvents", "/api/status", "/api/events", "/api/alarms", "/api/trends/EMC"} {
		resp, body := c.get(p)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, p)
		assert.JSONEq(t, `{"error":"login required","status":401}`, body, p)
	}
	resp, _ := c.do("POST", "/api/slices", strings.NewReader(`{}`), nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t)
	c := newClient(t, srv.URL)

	resp := c.login(testUser, "wrong password!")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp = c.login("nobody", testPassword)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	resp = c.login(testUser, testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body := c.get("/runs")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "No runs have been received yet.")
	assert.Contains(t, body, `<span class="user">alice</span>`)

	// Already logged in: /login and / go on.
	resp, _ = c.get("/login?next=/status")
	assert.Equal(t, "/status", resp.Header.Get("Location"))
	resp, _ = c.get("/")
	assert.Equal(t, "/runs", resp.Header.Get("Location"))

	tok := c.csrf()
	resp, _ = c.do("POST", "/logout", strings.NewReader("csrf_token="+tok), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = c.get("/runs")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "logged out")
}

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/runs"},
		{"/run/1/EMC?x=1", "/run/1/EMC?x=1"},
		{"//evil.example/x", "/runs"},
		{"/\\evil.example", "/runs"},
		{"https://evil.example/", "/runs"},
		{"/logout", "/runs"},
		{"/login?next=/x", "/runs"},
		{"/x\r\nSet-Cookie: a=b", "/runs"},
		{"relative", "/runs"},
	} {
		assert.Equal(t, tc.want, safeNext(tc.in), tc.in)
	}
}

func TestRunList(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 3)
	c, _ := loggedIn(t, e)
	resp, body := c.get("/runs")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// Newest first, the newest one ongoing, links per subsystem.
	i102, i101, i100 := strings.Index(body, `id="Run102"`), strings.Index(body, `id="Run101"`), strings.Index(body, `id="Run100"`)
	require.True(t, i102 > 0 && i101 > i102 && i100 > i101, "newest first")
	assert.Contains(t, body, `id="ongoing-run"`)
	assert.Contains(t, body, `href="/run/102/EMC">EMC Histograms</a>`)
	assert.Contains(t, body, `href="/run/102/HLT/files">HLT ROOT Files</a>`)
	assert.Contains(t, body, "Showing 3 of 3 runs.")
	assert.NotContains(t, body, `id="older"`)

	resp, _ = c.get("/runs?jump=101")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/runs?before=102#Run101", resp.Header.Get("Location"))
	resp, body = c.get("/runs?before=102")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, body, `id="Run102"`)
	assert.Contains(t, body, `id="Run101"`)
	assert.Contains(t, body, `id="newest"`)

	// A new run shows up at once although listings are cached for a second:
	// the store's announcement invalidates them.
	e.addSnapshot(t, 200, "EMC", time.Now())
	require.Eventually(t, func() bool {
		_, body := c.get("/runs")
		return strings.Contains(body, `id="Run200"`)
	}, 900*time.Millisecond, 20*time.Millisecond)

	for _, tc := range []struct {
		path string
		code int
		msg  string
	}{
		{"/runs?jump=999", 404, "run 999 is not known"},
		{"/runs?jump=abc", 400, "invalid run number"},
		{"/runs?before=-3", 400, "invalid run number"},
		{"/runs?before=99999999999", 400, "invalid run number"},
	} {
		resp, body := c.get(tc.path)
		assert.Equal(t, tc.code, resp.StatusCode, tc.path)
		assert.Contains(t, body, tc.msg, tc.path)
	}
}

func TestRunListKeysetPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base := time.Now().Add(-48 * time.Hour)
	for r := 1; r <= 2*pageSize+7; r++ {
		e.addSnapshot(t, r, "HLT", base.Add(time.Duration(r)*time.Minute))
	}
	c, _ := loggedIn(t, e)
	seen := map[int]bool{}
	next := "/api/runs"
	pages := 0
	for next != "" {
		resp, body := c.get(next)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var page struct {
			Runs []struct {
				Number int `json:"number"`
			} `json:"runs"`
			Total int    `json:"total"`
			Next  string `json:"next"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &page))
		assert.Equal(t, 2*pageSize+7, page.Total)
		for _, r := range page.Runs {
			assert.False(t, seen[r.Number], "run %d on two pages", r.Number)
			seen[r.Number] = true
		}
		next = page.Next
		pages++
	}
	assert.Equal(t, 3, pages)
	assert.Len(t, seen, 2*pageSize+7)

	// HTML pages: 50 rows, the older link continues without overlap.
	_, body := c.get("/runs")
	assert.Equal(t, pageSize, strings.Count(body, `<tr id="Run`))
	assert.Contains(t, body, fmt.Sprintf(`href="/runs?before=%d"`, 2*pageSize+7-pageSize+1))
	_, body = c.get(fmt.Sprintf("/runs?before=%d", 2*pageSize+7-pageSize+1))
	assert.Contains(t, body, fmt.Sprintf(`id="Run%d"`, 2*pageSize+7-pageSize))
	assert.NotContains(t, body, fmt.Sprintf(`id="Run%d"`, 2*pageSize+7-pageSize+1))

	resp, _ := c.get("/api/runs?limit=0")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	_ = ctx
}

func TestRunPage(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 2)
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/high", Subsystem: "EMC", Trend: "maxPatch",
		Alarm: "high", Hist: "EMCTRQA/hEMCalPatchMap", State: overwatch.AlarmFiring, Message: "max patch above 100", Run: 101, FiredAt: time.Now()})
	c, _ := loggedIn(t, e)

	resp, body := c.get("/run/101/EMC")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `<h2 class="group-title" id="group-title">Patch maps</h2>`)
	assert.Contains(t, body, `data-json="/api/runs/101/EMC/json/EMCTRQA/hEMCalPatchMap"`)
	assert.Contains(t, body, `data-png="/api/runs/101/EMC/png/EMCTRQA/hEMCalPatchMap"`)
	assert.Contains(t, body, "<summary>Threshold</summary><p>5 hits</p>", "information panel")
	assert.Contains(t, body, "max patch above 100", "alarm panel")
	assert.Contains(t, body, `href="/trending/EMC?trend=maxPatch"`)
	assert.Contains(t, body, `class="fresh" data-time="`)
	assert.Contains(t, body, `id="slice-dialog"`)
	assert.Contains(t, body, `href="/run/101/EMC?group=Spectra"`, "drawer group link")
	assert.Contains(t, body, `href="/run/101/EMC?hist=EMCTRQA%2FhEMCalPatchMap"`, "drawer hist link")
	assert.Contains(t, body, "Logbook")

	_, body = c.get("/run/101/EMC?group=Spectra")
	assert.Contains(t, body, `class="plots grid"`)
	assert.Equal(t, 2, strings.Count(body, `class="plot" `))

	_, body = c.get("/run/101/EMC?hist=hSpec_a")
	assert.Equal(t, 1, strings.Count(body, `class="plot" `))
	assert.Contains(t, body, `data-name="hSpec_a"`)

	// HLT has snapshots but no outputs yet.
	resp, body = c.get("/run/101/HLT")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `id="no-data"`)

	for _, tc := range []struct {
		path string
		code int
		msg  string
	}{
		{"/run/999/EMC", 404, "run 999 is not known"},
		{"/run/101/ZDC", 404, "subsystem ZDC is not available in run 101 (available: EMC, HLT, TPC)"},
		{"/run/abc/EMC", 400, "invalid run number"},
		{"/run/0/EMC", 400, "invalid run number"},
		{"/run/101/emc", 400, "invalid subsystem"},
		{"/run/101/EMC?group=Nope", 404, "group &#34;Nope&#34; is not in run 101 EMC (groups: Patch maps, Spectra)"},
		{"/run/101/EMC?hist=nope", 404, "histogram &#34;nope&#34; is not in run 101 EMC"},
		{"/run/101/EMC?from=5&to=2", 400, "must not be less than from"},
		{"/run/101/EMC?from=x&to=2", 400, "from=&#34;x&#34; is not a number"},
		{"/run/101/EMC?from=-1&to=2", 400, "must not be negative"},
		{"/run/101/EMC?from=0&to=2&o.bogus=1", 400, "unknown processing option"},
		{"/run/101/EMC?from=0&to=200000", 400, "no snapshots in minutes"},
	} {
		resp, body := c.get(tc.path)
		assert.Equal(t, tc.code, resp.StatusCode, tc.path)
		assert.Contains(t, body, tc.msg, tc.path)
	}
}

func TestFilesPageAndDownload(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	c, _ := loggedIn(t, e)
	resp, body := c.get("/run/100/EMC/files")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	snaps, err := e.store.Snapshots(context.Background(), 100, "EMC")
	require.NoError(t, err)
	require.Len(t, snaps, 3)
	base := filepath.Base(snaps[0].Path)
	assert.Contains(t, body, `href="/run/100/EMC/files/`+base+`"`)
	assert.Equal(t, 3, strings.Count(body, "<li><a download"))

	resp, body = c.get("/run/100/EMC/files/" + base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	assert.Equal(t, fmt.Sprintf("root-placeholder 100 EMC %d", snaps[0].Time.Unix()), body)

	resp, _ = c.get("/run/100/EMC/files/other.root")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, body = c.get("/api/runs/100/EMC/files")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `"url":"/run/100/EMC/files/`+base+`"`)
}

func TestLegacyRedirects(t *testing.T) {
	e := newEnv(t)
	c, _ := loggedIn(t, e)
	for _, tc := range []struct{ in, want string }{
		{"/monitoring", "/runs"},
		{"/Run123456/EMC/runPage", "/run/123456/EMC"},
		{"/Run123456/EMC/rootFiles", "/run/123456/EMC/files"},
		{"/Run123/emc/runPage?histGroup=Spectra&histName=h1", "/run/123/EMC?group=Spectra&hist=h1"},
		{"/trending?histGroup=EMC", "/trending/EMC"},
	} {
		resp, _ := c.get(tc.in)
		assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode, tc.in)
		assert.Equal(t, tc.want, resp.Header.Get("Location"), tc.in)
	}
	resp, _ := c.get("/Run12/EMC/other")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestHistogramAPI(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	c, _ := loggedIn(t, e)

	resp, body := c.get("/api/runs/100/EMC/json/EMCTRQA/hEMCalPatchMap")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.Equal(t, string(e.th2), body)
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	resp, body = c.do("GET", "/api/runs/100/EMC/json/EMCTRQA/hEMCalPatchMap", nil, map[string]string{"If-None-Match": etag})
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Empty(t, body)

	resp, body = c.get("/api/runs/100/EMC/hints/hEvents")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var h overwatch.Hints
	require.NoError(t, json.Unmarshal([]byte(body), &h))
	assert.Equal(t, "Events", h.PrettyName)
	assert.Len(t, h.Display.Decorations, 6)

	resp, body = c.get("/api/runs/100/EMC/png/hEvents")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	assert.Equal(t, string(tinyPNG()), body)

	resp, body = c.get("/api/runs/100/EMC")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var v overwatch.ViewDoc
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	assert.Len(t, v.Groups, 2)

	resp, body = c.get("/api/runs/100")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `"name":"EMC"`)

	for _, tc := range []struct {
		path string
		code int
	}{
		{"/api/runs/100/EMC/json/nope", 404},
		{"/api/runs/100/EMC/json/../../../etc/passwd", 404},
		{"/api/runs/100/EMC/json/%2e%2e%2f%2e%2e%2fview", 404},
		{"/api/runs/100/EMC/json//etc/passwd", 404},
		{"/api/runs/100/EMC/json/view", 404},
		{"/api/runs/100/EMC/json/hEvents?slice=../x", 400},
		{"/api/runs/100/EMC/json/hEvents?slice=unknownkey", 404},
		{"/api/runs/100/HLT/json/hEvents", 404},
		{"/api/runs/100/HLT", 404},
		{"/api/runs/100/ZDC", 404},
		{"/api/runs/999", 404},
		{"/api/runs/x", 400},
		{"/api/runs/100/e", 400},
	} {
		resp, body := c.get(tc.path)
		assert.Equal(t, tc.code, resp.StatusCode, tc.path)
		assert.Contains(t, resp.Header.Get("Content-Type"), "application/json", tc.path)
		assert.Contains(t, body, `"error"`, tc.path)
	}
}

func TestTimeSliceAPI(t *testing.T) {
	e := newEnv(t)
	e.slices.delay = 20 * time.Millisecond
	e.seed(t, 1)
	c, _ := loggedIn(t, e)
	tok := c.csrf()
	post := func(body string) (*http.Response, string) {
		return c.do("POST", "/api/slices", strings.NewReader(body), map[string]string{"X-CSRF-Token": tok, "Content-Type": "application/json"})
	}
	resp, body := post(`{"run":100,"subsystem":"EMC","from":0,"to":5}`)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, body)
	var st sliceResponse
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Equal(t, "/run/100/EMC?from=0&to=5", st.URL)
	require.NotEmpty(t, st.Key)

	require.Eventually(t, func() bool {
		_, body := c.get(st.StatusURL)
		return strings.Contains(body, `"state":"done"`)
	}, 5*time.Second, 10*time.Millisecond)

	// Same request again: same key, done at once.
	resp, body = post(`{"run":100,"subsystem":"EMC","from":0,"to":5}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, st.Key)

	// Slice outputs are served with ?slice=.
	resp, body = c.get("/api/runs/100/EMC/json/EMCTRQA/hEMCalPatchMap?slice=" + st.Key)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "EMCal patch map (slice)")

	// The permalink page shows the slice.
	resp, body = c.get(st.URL)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `data-slice="`+st.Key+`"`)
	assert.Contains(t, body, "?slice="+st.Key)
	assert.Contains(t, body, `id="slice-info"`)

	for _, tc := range []struct {
		body string
		code int
		msg  string
	}{
		{`not json`, 400, "invalid time-slice request"},
		{`{"run":100,"subsystem":"EMC","from":0,"to":5,"extra":1}`, 400, "unknown field"},
		{`{"run":999,"subsystem":"EMC","from":0,"to":5}`, 404, "run 999 is not known"},
		{`{"run":100,"subsystem":"ZDC","from":0,"to":5}`, 404, "subsystem ZDC is not available"},
		{`{"run":100,"subsystem":"x","from":0,"to":5}`, 400, "invalid subsystem"},
		{`{"run":100,"subsystem":"EMC","from":6,"to":5}`, 400, "must not be less than from"},
		{`{"run":100,"subsystem":"EMC","from":0,"to":5,"options":{"nope":"1"}}`, 400, "unknown processing option"},
		{`{"run":100,"subsystem":"EMC","from":0,"to":500000}`, 400, "no snapshots"},
	} {
		resp, body := post(tc.body)
		assert.Equal(t, tc.code, resp.StatusCode, tc.body)
		assert.Contains(t, body, tc.msg, tc.body)
	}
	assert.Equal(t, "/api/slices/100/EMC/"+st.Key, st.StatusURL)
	resp, _ = c.get("/api/slices/100/EMC/doesnotexist")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = c.get("/api/slices/100/EMC/a.b")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = c.get("/api/slices/x/EMC/abc")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestPendingSlicePage(t *testing.T) {
	e := newEnv(t)
	e.slices.delay = time.Second
	e.seed(t, 1)
	c, _ := loggedIn(t, e)
	resp, body := c.get("/run/100/EMC?from=0&to=3")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `id="slice-progress"`)
	assert.NotContains(t, body, `class="plot" `)
}

func TestSlicesDisabled(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Slices = nil })
	e.seed(t, 1)
	c, _ := loggedIn(t, e)
	resp, body := c.do("POST", "/api/slices", strings.NewReader(`{}`), map[string]string{"X-CSRF-Token": c.csrf()})
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body, "not enabled")
	resp, _ = c.get("/run/100/EMC?from=0&to=1")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	_, body = c.get("/run/100/EMC")
	assert.NotContains(t, body, `id="slice-dialog"`)
}

func TestTrendingAndAlarms(t *testing.T) {
	e := newEnv(t)
	now := e.seed(t, 1)
	ctx := context.Background()
	ri, err := e.store.RunInfo(ctx, 100)
	require.NoError(t, err)
	var pts []overwatch.TrendPoint
	for i := 0; i < 5; i++ {
		pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: "maxPatch", Run: 100, Time: ri.Start.Add(time.Duration(i) * time.Minute), Value: float64(10 * i), Error: 1})
	}
	require.NoError(t, e.store.PutTrendPoints(ctx, pts))
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/high", Subsystem: "EMC", Trend: "maxPatch", Alarm: "high",
		State: overwatch.AlarmResolved, Message: "was high", Run: 100, FiredAt: now, ResolvedAt: now})
	c, _ := loggedIn(t, e)

	resp, _ := c.get("/trending")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/trending/EMC", resp.Header.Get("Location"))

	resp, body := c.get("/trending/EMC")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `data-trend="/api/trends/EMC/maxPatch"`)
	assert.Contains(t, body, "was high")

	resp, body = c.get("/api/trends/EMC")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `[{"name":"maxPatch","url":"/api/trends/EMC/maxPatch"}]`, body)

	resp, body = c.get("/api/trends/EMC/maxPatch")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tr struct {
		Points []trendPoint `json:"points"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &tr))
	require.Len(t, tr.Points, 5)
	assert.Equal(t, 30.0, tr.Points[3].Value)
	assert.Equal(t, "/run/100/EMC?from=0&to=3.1", tr.Points[3].Link, "links to the histogram as of that snapshot")

	resp, body = c.get("/api/trends/EMC/maxPatch?limit=2")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.Unmarshal([]byte(body), &tr))
	assert.Len(t, tr.Points, 2)

	resp, body = c.get("/api/alarms?subsystem=EMC&state=resolved")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `"ID":"EMC/maxPatch/high"`)
	resp, body = c.get("/api/alarms?state=firing")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "[]\n", body)

	for _, tc := range []struct {
		path string
		code int
	}{
		{"/trending/EMC?trend=nope", 404},
		{"/trending/ZZZ", 404},
		{"/trending/emc", 400},
		{"/api/trends/EMC/nope", 404},
		{"/api/trends/e", 400},
		{"/api/trends/EMC/maxPatch?limit=x", 400},
		{"/api/trends/EMC/maxPatch?from=x", 400},
		{"/api/trends/EMC/maxPatch?run=-1", 400},
		{"/api/alarms?state=weird", 400},
		{"/api/alarms?subsystem=bad!", 400},
		{"/api/options/x", 400},
	} {
		resp, _ := c.get(tc.path)
		assert.Equal(t, tc.code, resp.StatusCode, tc.path)
	}
	resp, body = c.get("/trending/TPC")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Subsystem TPC has no trends yet.")
	resp, body = c.get("/api/options/EMC")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(body, "["))
}

func TestStatus(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	now := time.Now()
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "heartbeat.EMCReceiver"), []byte(strconv.FormatInt(now.Unix()-30, 10)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "heartbeat.HLTReceiver"), []byte(strconv.FormatInt(now.Unix()-600, 10)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "heartbeat.TPCReceiver"), []byte("hello world"), 0o644))
	c, _ := loggedIn(t, e)
	resp, body := c.get("/api/status")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st Status
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Len(t, st.Heartbeats, 3)
	byName := map[string]Heartbeat{}
	for _, h := range st.Heartbeats {
		byName[h.Subsystem] = h
	}
	assert.True(t, byName["EMC"].Alive)
	assert.False(t, byName["HLT"].Alive)
	assert.False(t, byName["TPC"].Alive)
	assert.Contains(t, byName["TPC"].Error, "Unix seconds")
	assert.Equal(t, 100, st.Run)
	assert.Equal(t, 1, st.Runs)
	assert.True(t, st.Disk.Total > 0)
	var emc SubsystemStatus
	for _, s := range st.Subsystems {
		if s.Subsystem == "EMC" {
			emc = s
		}
	}
	assert.Equal(t, 0.0, emc.LagSeconds)

	resp, body = c.get("/status")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `<tr class="dead"><td>HLT</td>`)
	assert.Contains(t, body, `<tr class="alive"><td>EMC</td>`)
}

func TestLiveEvents(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	c, srv := loggedIn(t, e)
	req, err := http.NewRequest("GET", srv.URL+"/api/events", nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req = req.WithContext(ctx)
	resp, err := c.c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(prefix string) string {
		for {
			select {
			case l, ok := <-lines:
				require.True(t, ok, "stream ended")
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-ctx.Done():
				t.Fatalf("no %q line", prefix)
			}
		}
	}
	waitFor(": connected")
	time.Sleep(150 * time.Millisecond) // the hub's first poll records the current state
	at := time.Now().Add(time.Second)
	e.addSnapshot(t, 100, "EMC", at)
	assert.Equal(t, "event: snapshot", waitFor("event: snapshot"))
	assert.Contains(t, waitFor("data: "), `"run":100,"subsystem":"EMC"`)
	time.Sleep(20 * time.Millisecond) // distinct modification time
	e.publish(t, 100, "EMC", "", at, nil)
	assert.Equal(t, "event: update", waitFor("event: update"))
	assert.Contains(t, waitFor("data: "), `"type":"update","run":100,"subsystem":"EMC"`)
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := New(Config{})
	assert.ErrorContains(t, err, "Store is required")
	e := newEnv(t)
	_, err = New(Config{Store: e.store})
	assert.ErrorContains(t, err, "DataDir is required")
	_, err = New(Config{Store: e.store, Alarms: e.store, DataDir: e.dir, TrustedProxyHeader: "X-User"})
	assert.ErrorContains(t, err, "TrustedProxies")
	_, err = New(Config{Store: e.store, Alarms: e.store, DataDir: e.dir, Secret: []byte("short")})
	assert.ErrorContains(t, err, "at least 32 bytes")
}

func TestNoJSROOTFallback(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.JSROOTDir = "" })
	e.seed(t, 1)
	c, _ := loggedIn(t, e)
	_, body := c.get("/run/100/EMC")
	assert.Contains(t, body, `id="no-jsroot"`)
	assert.Contains(t, body, "make setup-jsroot")
	assert.Contains(t, body, `<img alt="EMCal patch map" src="/api/runs/100/EMC/png/EMCTRQA/hEMCalPatchMap" loading="lazy">`)
	resp, _ := c.get("/jsroot/modules/main.mjs")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestJSROOTServed(t *testing.T) {
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	srv := e.server(t)
	c := newClient(t, srv.URL)
	resp, body := c.get("/jsroot/modules/main.mjs")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "export")
	assert.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	for _, p := range []string{"/jsroot/package.json/../LICENSE", "/jsroot/LICENSE", "/jsroot/modules/", "/jsroot/../../go.mod", "/jsroot/%2e%2e/%2e%2e/go.mod"} {
		resp, _ := c.get(p)
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, p)
	}
}

func TestHistogramGzip(t *testing.T) {
	e := newEnv(t)
	e.th2 = append(e.th2[:len(e.th2)-1], []byte(`,"fPadding":"`+strings.Repeat("x", 4000)+`"}`)...)
	e.seed(t, 1)
	c, _ := loggedIn(t, e)
	for i := 0; i < 2; i++ { // compressed once, then from the cache
		req, err := http.NewRequest("GET", c.base+"/api/runs/100/EMC/json/EMCTRQA/hEMCalPatchMap", nil)
		require.NoError(t, err)
		req.Header.Set("Accept-Encoding", "br;q=1, gzip;q=0.8")
		resp, err := c.c.Do(req) // the transport does not decompress: we set the header ourselves
		require.NoError(t, err)
		require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
		assert.Equal(t, "Accept-Encoding", resp.Header.Get("Vary"))
		zr, err := gzip.NewReader(resp.Body)
		require.NoError(t, err)
		got, err := io.ReadAll(zr)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, string(e.th2), string(got))
	}
	resp, body := c.do("GET", "/api/runs/100/EMC/json/EMCTRQA/hEMCalPatchMap", nil, map[string]string{"Accept-Encoding": "gzip;q=0"})
	assert.Empty(t, resp.Header.Get("Content-Encoding"))
	assert.Equal(t, string(e.th2), body)
	resp, _ = c.do("GET", "/api/runs/100/EMC/png/hEvents", nil, map[string]string{"Accept-Encoding": "gzip"})
	assert.Empty(t, resp.Header.Get("Content-Encoding"), "PNGs are not recompressed")
}
