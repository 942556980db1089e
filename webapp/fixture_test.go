package webapp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/overwatch-dqm/overwatch/receiver/monitor"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
)

func init() { bcryptCost = bcrypt.MinCost }

const (
	testUser     = "alice"
	testPassword = "correct horse battery"
)

// testEnv is a web app over a real store in a temporary data dir.
type testEnv struct {
	dir    string
	store  *store.Store
	app    *App
	slices *fakeSlices
	now    time.Time
	th2    []byte
	th1    []byte
}

type envOpt func(*Config)

func newEnv(t testing.TB, opts ...envOpt) *testEnv {
	t.Helper()
	return newEnvStore(t, store.Options{NoSyncOutputs: true}, opts...)
}

// newEnvStore is newEnv on a store opened with so (its logger discards).
func newEnvStore(t testing.TB, so store.Options, opts ...envOpt) *testEnv {
	t.Helper()
	dir := t.TempDir()
	so.Logger = slog.New(slog.DiscardHandler)
	st, err := store.Open(dir, so)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	users, err := OpenUsers(UsersPath(dir))
	require.NoError(t, err)
	require.NoError(t, users.Add(testUser, testPassword, RoleShifter))
	th2, err := os.ReadFile("testdata/th2f.json")
	require.NoError(t, err)
	th1, err := os.ReadFile("testdata/th1f.json")
	require.NoError(t, err)
	e := &testEnv{dir: dir, store: st, th2: th2, th1: th1, now: time.Now()}
	e.slices = &fakeSlices{store: st, env: e, jobs: map[string]*timeslice.Status{}}
	t.Cleanup(e.slices.wg.Wait) // runs before the temp dir is removed
	cfg := Config{Store: st, Alarms: st, DataDir: dir, Users: users, Slices: e.slices, PollInterval: 100 * time.Millisecond,
		JSROOTDir: FindJSROOT("../tools/jsroot"), Heartbeats: fileHeartbeats(dir)}
	for _, o := range opts {
		o(&cfg)
	}
	app, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { app.Close() })
	e.app = app
	return e
}

// tinyPNG is a valid 2x2 PNG.
func tinyPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// addSnapshot stores a snapshot (placeholder bytes: the web app never
// decodes them) at start+offset.
func (e *testEnv) addSnapshot(t testing.TB, run int, sys string, at time.Time) overwatch.SnapshotInfo {
	t.Helper()
	info, err := e.store.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: overwatch.ModeCompress, Time: at, Origin: "test"},
		strings.NewReader(fmt.Sprintf("root-placeholder %d %s %d", run, sys, at.Unix())))
	require.NoError(t, err)
	return info
}

// publish writes the outputs processing would write for (run, sys, slice)
// built from snapshot time snap: a view with two groups (a TH2 in a
// normal group, two TH1 in a grid group), JSON, hints and PNG each.
func (e *testEnv) publish(t testing.TB, run int, sys, slice string, snap time.Time, from *overwatch.SnapshotDoc) {
	t.Helper()
	require.NoError(t, e.publishErr(run, sys, slice, snap, from))
}

func (e *testEnv) publishErr(run int, sys, slice string, snap time.Time, from *overwatch.SnapshotDoc) error {
	ctx := context.Background()
	view := overwatch.ViewDoc{Run: run, Subsystem: sys, Source: sys, Slice: slice, Snapshot: overwatch.SnapshotDoc{Time: snap.Unix()}, From: from, NEvents: 1000, Options: "{}", Complete: true,
		Groups: []overwatch.ViewGroup{
			{Title: "Patch maps", Hists: []overwatch.ViewHist{{Name: "EMCTRQA/hEMCalPatchMap", PrettyName: "EMCal patch map", Class: "TH2F", Quality: overwatch.QualityGood}}},
			{Title: "Spectra", Grid: true, Hists: []overwatch.ViewHist{{Name: "hEvents", PrettyName: "Events", Class: "TH1F"}, {Name: "hSpec_a", PrettyName: "Spectrum A", Class: "TH1F"}}},
		}}
	data, err := json.Marshal(view)
	if err != nil {
		return err
	}
	var firstErr error
	put := func(name string, kind overwatch.OutputKind, b []byte) {
		if err := e.store.PutOutput(ctx, overwatch.OutputRef{Run: run, Subsystem: sys, Slice: slice, Name: name, Kind: kind}, b); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for _, g := range view.Groups {
		for _, h := range g.Hists {
			js := e.th1
			if h.Class == "TH2F" {
				js = e.th2
			}
			if slice != "" { // make the slice's content distinguishable
				js = bytes.Replace(js, []byte(`"fTitle":"EMCal patch map"`), []byte(`"fTitle":"EMCal patch map (slice)"`), 1)
			}
			put(h.Name, overwatch.OutputJSON, js)
			hi := overwatch.Hints{Name: h.Name, PrettyName: h.PrettyName, Class: h.Class, Group: g.Title,
				Display: overwatch.Display{LogZ: h.Class == "TH2F", GridX: true, Decorations: []overwatch.Decoration{
					{Kind: overwatch.DecoLine, X1: 0, Y1: 12, X2: 48, Y2: 12, Color: "#ff0000", LineWidth: 2},
					{Kind: overwatch.DecoText, X1: 0.15, Y1: 0.85, NDC: true, Text: "threshold", Color: "#0000ff"},
					{Kind: overwatch.DecoBox, X1: 30, Y1: 2, X2: 40, Y2: 8, Color: "#00aa00", LineWidth: 2, Dashed: true},
					{Kind: overwatch.DecoBox, X1: 0.7, Y1: 0.8, X2: 0.85, Y2: 0.88, NDC: true, Fill: "#ffeeaa"},
					{Kind: overwatch.DecoAxis, X1: 48, Y1: 0, X2: 48, Y2: 24, AxisMin: 0, AxisMax: 2.4, AxisTitle: "phi", NDiv: 505, Opposite: true, Color: "#aa00aa"},
					{Kind: overwatch.DecoLegend, X1: 0.6, Y1: 0.15, X2: 0.85, Y2: 0.3, NDC: true, Fill: "#ffffff",
						Entries: []overwatch.LegendEntry{{Label: "EMCal", Option: "l"}, {Label: "DCal", Option: "f"}}},
				}},
				Info: []overwatch.InfoItem{{Label: "Threshold", Value: "5 hits"}}, Quality: h.Quality}
			hb, err := json.Marshal(hi)
			if err != nil {
				return err
			}
			put(h.Name, overwatch.OutputHints, hb)
			put(h.Name, overwatch.OutputPNG, tinyPNG())
		}
	}
	put(overwatch.ViewName, overwatch.OutputView, data)
	return firstErr
}

// seed creates runs 100..100+n-1 with EMC and HLT snapshots and outputs;
// the newest run is ongoing (its last snapshot is recent).
func (e *testEnv) seed(t testing.TB, n int) time.Time {
	t.Helper()
	now := time.Now().Truncate(time.Second)
	for i := 0; i < n; i++ {
		run := 100 + i
		start := now.Add(time.Duration(i-n) * time.Hour)
		if i == n-1 {
			start = now.Add(-10 * time.Minute)
		}
		for k := 0; k < 3; k++ {
			at := start.Add(time.Duration(k) * 4 * time.Minute)
			e.addSnapshot(t, run, "EMC", at)
			e.addSnapshot(t, run, "HLT", at)
		}
		e.publish(t, run, "EMC", "", start.Add(8*time.Minute), nil)
	}
	return now
}

// fakeSlices is an in-test time-slice service: it computes a slice by
// writing the outputs processing would write under the slice key, after
// a short delay so that the asynchronous path is exercised.
type fakeSlices struct {
	store *store.Store
	env   *testEnv
	delay time.Duration
	wg    sync.WaitGroup
	mu    sync.Mutex
	jobs  map[string]*timeslice.Status
	calls int
}

func sliceKeyOf(req timeslice.Request) string {
	keys := make([]string, 0, len(req.Options))
	for k := range req.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%s|%g|%g", req.Run, req.Subsystem, req.FromMinute, req.ToMinute)
	for _, k := range keys {
		fmt.Fprintf(&b, "|%s=%s", k, req.Options[k])
	}
	s := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(s[:12])
}

func (f *fakeSlices) Submit(ctx context.Context, req timeslice.Request) (string, error) {
	if req.ToMinute > 100000 {
		return "", fmt.Errorf("no snapshots in minutes %g-%g: %w", req.FromMinute, req.ToMinute, timeslice.ErrInvalidRequest)
	}
	key := sliceKeyOf(req)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if st, ok := f.jobs[key]; ok {
		return st.Key, nil
	}
	// A stored result (e.g. from before a restart) is done at once.
	if _, err := f.store.OutputTime(ctx, overwatch.ViewRef(req.Run, req.Subsystem, key)); err == nil {
		st := &timeslice.Status{Key: key, State: timeslice.StateDone, Stage: "done", Progress: 1}
		f.jobs[key] = st
		return key, nil
	}
	st := &timeslice.Status{Key: key, State: timeslice.StatePending, Stage: "queued"}
	f.jobs[key] = st
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		time.Sleep(f.delay)
		f.mu.Lock()
		st.Stage, st.Progress = "processing", 0.5
		f.mu.Unlock()
		time.Sleep(f.delay)
		ri, err := f.store.RunInfo(context.Background(), req.Run)
		f.mu.Lock()
		defer f.mu.Unlock()
		if err != nil {
			st.State, st.Error = timeslice.StateFailed, err.Error()
			return
		}
		end := ri.Start.Add(time.Duration(req.ToMinute * float64(time.Minute)))
		if err := f.env.publishErr(req.Run, req.Subsystem, key, end, &overwatch.SnapshotDoc{Time: ri.Start.Unix()}); err != nil {
			st.State, st.Error = timeslice.StateFailed, err.Error()
			return
		}
		st.State, st.Stage, st.Progress = timeslice.StateDone, "done", 1
	}()
	return key, nil
}

func (f *fakeSlices) Status(_ context.Context, _ int, _, key string) (timeslice.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.jobs[key]
	if !ok {
		return timeslice.Status{}, fmt.Errorf("slice %s: %w", key, overwatch.ErrNotFound)
	}
	return *st, nil
}

// client is an HTTP client with a cookie jar against a test server.
type client struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (e *testEnv) server(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(e.app)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t testing.TB, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	require.NoError(c.t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.c.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) { return c.do("GET", path, nil, nil) }

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login logs in through the form and returns the session's CSRF token.
func (c *client) login(user, pw string) *http.Response {
	c.t.Helper()
	_, page := c.get("/login")
	m := tokenRE.FindStringSubmatch(page)
	require.NotNil(c.t, m, "login form has a CSRF token")
	form := url.Values{"username": {user}, "password": {pw}, "csrf_token": {m[1]}, "next": {"/runs"}}
	resp, _ := c.do("POST", "/login", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	return resp
}

// csrf returns the CSRF token of the logged-in session (from a page).
func (c *client) csrf() string {
	c.t.Helper()
	_, page := c.get("/runs")
	m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindStringSubmatch(page)
	require.NotNil(c.t, m)
	return m[1]
}

// postSlice posts the time-slice request body with the session's CSRF
// token tok; a request accepted (status below 300) is polled until the
// slice is computed, failing the test if it fails. It returns the status
// code, the POST's answer updated by the last status polled, and the
// POST's body.
func (c *client) postSlice(tok, body string) (int, sliceResponse, string) {
	c.t.Helper()
	resp, b := c.do("POST", "/api/slices", strings.NewReader(body), map[string]string{"X-CSRF-Token": tok})
	var st sliceResponse
	if resp.StatusCode < 300 {
		require.NoError(c.t, json.Unmarshal([]byte(b), &st))
		require.Eventually(c.t, func() bool {
			_, sb := c.get(st.StatusURL)
			require.NoError(c.t, json.Unmarshal([]byte(sb), &st))
			require.NotEqual(c.t, timeslice.StateFailed, st.State, st.Error)
			return st.State == timeslice.StateDone
		}, 20*time.Second, 20*time.Millisecond)
	}
	return resp.StatusCode, st, b
}

func loggedIn(t testing.TB, e *testEnv) (*client, *httptest.Server) {
	srv := e.server(t)
	c := newClient(t, srv.URL)
	resp := c.login(testUser, testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/runs", resp.Header.Get("Location"))
	return c, srv
}

// addTrend stores n points of a trend, one per minute from the run start.
func addTrend(t testing.TB, e *testEnv, run int, name string, n int) {
	t.Helper()
	ctx := context.Background()
	ri, err := e.store.RunInfo(ctx, run)
	require.NoError(t, err)
	pts := make([]overwatch.TrendPoint, n)
	for i := range pts {
		pts[i] = overwatch.TrendPoint{Subsystem: "EMC", Trend: name, Run: run, Time: ri.Start.Add(time.Duration(i) * time.Minute), Value: float64(10 + i%7), Error: 1}
	}
	require.NoError(t, e.store.PutTrendPoints(ctx, pts))
}

// fileHeartbeats reads the heartbeat and data status files of dir, as
// package cli wires it (no data for 10 minutes while a run is ongoing).
func fileHeartbeats(dir string) HeartbeatReader {
	const after = 10 * time.Minute
	return HeartbeatFunc(func(sys string, now time.Time) Heartbeat {
		s := heartbeat.Check(dir, sys, now)
		hb := Heartbeat{Subsystem: s.Subsystem, Time: s.Time, Age: s.Age, Alive: s.Alive, Error: s.Error}
		ds, stale := monitor.NoData(dir, sys, now, after)
		hb.Run, hb.LastData = ds.Run, ds.LastData
		if hb.NoData = stale && hb.Alive; hb.NoData {
			hb.NoDataMinutes = int(after / time.Minute)
		}
		return hb
	})
}

// putAlarm stores an alarm as trending does: one atomic update with its
// history (fired in rec.Run, and resolved when it is resolved).
func putAlarm(t testing.TB, e *testEnv, rec overwatch.AlarmRecord) {
	t.Helper()
	_, err := e.store.UpdateAlarm(context.Background(), rec.ID, func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
		*a = rec
		evs := []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventFired, Run: rec.Run, Time: rec.FiredAt, Message: rec.Message}}
		if rec.State == overwatch.AlarmResolved {
			evs = append(evs, overwatch.AlarmEvent{Kind: overwatch.AlarmEventResolved, Run: rec.Run, Time: rec.ResolvedAt, Message: rec.Message})
		}
		return evs, nil
	})
	require.NoError(t, err)
}
