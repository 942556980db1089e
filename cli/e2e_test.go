package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// e2eBuild builds the overwatch binary into a temporary directory.
func e2eBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "overwatch")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/overwatch")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// e2eFreeAddr returns a loopback address with a port that was free a moment
// ago.
func e2eFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// e2eClient is a logged-in client of the web app.
type e2eClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

var e2eCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// e2eLogin logs in through the form, as a browser does: GET /login sets the
// login-nonce cookie and carries the form's CSRF token; POST /login answers
// 303 to /runs with the session cookie.
func e2eLogin(t *testing.T, base, user, password string) *e2eClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	resp, err := c.Get(base + "/login")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := e2eCSRF.FindSubmatch(page)
	require.NotNil(t, m, "the login form carries a CSRF token: %s", page)

	// Without the token the login is refused.
	resp, err = c.PostForm(base+"/login", url.Values{"username": {user}, "password": {password}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, err = c.Get(base + "/login")
	require.NoError(t, err)
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m = e2eCSRF.FindSubmatch(page)
	require.NotNil(t, m)

	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = c.PostForm(base+"/login", url.Values{
		"username": {user}, "password": {password}, "csrf_token": {string(m[1])}, "next": {"/runs"},
	})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "login answers 303")
	require.Equal(t, "/runs", resp.Header.Get("Location"))
	c.CheckRedirect = nil
	return &e2eClient{t: t, base: base, c: c}
}

// get fetches a path and returns the status and body.
func (w *e2eClient) get(path string) (int, []byte, error) {
	resp, err := w.c.Get(w.base + path)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// getJSON fetches a path and decodes a 200 answer into v; other statuses
// are errors.
func (w *e2eClient) getJSON(path string, v any) error {
	code, b, err := w.get(path)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", path, code, b)
	}
	return json.Unmarshal(b, v)
}

// e2eEventually calls f every 250 ms until it returns nil or the deadline
// passes; it returns the time it took.
func e2eEventually(t *testing.T, deadline time.Time, what string, f func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var last error
	for time.Now().Before(deadline) {
		if last = f(); last == nil {
			return time.Since(start)
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.FailNow(t, "timed out waiting for "+what, "last error: %v", last)
	return 0
}

// e2eScrape reads /metrics and returns the sum over labels of every sample.
func e2eScrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			// Labels may hold spaces: the value follows the closing brace.
			j := strings.LastIndexByte(line, '}')
			name, rest = line[:i], strings.TrimSpace(line[j+1:])
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err == nil {
			out[name] += v
		}
	}
	require.NoError(t, sc.Err())
	return out
}

type e2eRun struct {
	Number     int      `json:"number"`
	Subsystems []e2eSub `json:"subsystems"`
}

type e2eSub struct {
	Name string `json:"name"`
}

// TestDemoEndToEnd builds the binary, runs "overwatch demo" as a
// subprocess and checks through HTTP, as a user would, that the whole chain
// works: simulator → HLT receivers → store → processing → trending and
// alarms → web app and metrics. It reports how long the demo takes until
// runs, processed histograms and the drift alarm are visible.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the demo (up to 2 minutes)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is needed to build the binary")
	}
	bin := e2eBuild(t)
	data := t.TempDir()
	addr := e2eFreeAddr(t)

	// At 100× a 15-minute run lasts 9 s and the mean track pT crosses the
	// alarm threshold after about 6 simulated minutes (3.5 s).
	cmd := exec.Command(bin, "demo", "--data", data, "--listen", addr, "--speed", "100")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	require.NoError(t, cmd.Start())
	exited := make(chan struct{}) // closed when the demo has exited
	var waitErr error
	stop := func() {
		select {
		case <-exited:
			return
		default:
		}
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("demo stderr:\n%s", e2eTail(stderr.String(), 60))
		}
	})

	// The first line on stdout: "http://ADDR user=NAME password=PASSWORD".
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		waitErr = cmd.Wait()
		close(exited)
	}()
	var first string
	select {
	case first = <-lines:
	case <-time.After(60 * time.Second):
		require.FailNow(t, "the demo printed no URL line within 60 s")
	}
	m := regexp.MustCompile(`^(https?://\S+) user=(\S+) password=(\S+)$`).FindStringSubmatch(first)
	require.NotNil(t, m, "URL line: %q", first)
	base, user, password := m[1], m[2], m[3]
	require.Equal(t, "http://"+addr, base)
	t.Logf("demo up after %v", time.Since(start).Round(time.Millisecond))

	// Not logged in: the API answers 401 JSON.
	resp, err := http.Get(base + "/api/runs")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	web := e2eLogin(t, base, user, password)
	metrics1 := e2eScrape(t, base)
	deadline := start.Add(100 * time.Second)

	// Runs appear.
	var runs struct {
		Runs  []e2eRun `json:"runs"`
		Total int      `json:"total"`
	}
	e2eEventually(t, deadline, "runs in /api/runs", func() error {
		if err := web.getJSON("/api/runs", &runs); err != nil {
			return err
		}
		if len(runs.Runs) == 0 {
			return errors.New("no runs yet")
		}
		return nil
	})
	runsAt := time.Since(start)
	t.Logf("runs visible after %v (%d runs)", runsAt.Round(time.Millisecond), runs.Total)

	// Processed histograms appear: a view, then the JSROOT JSON of one of
	// its histograms. HLT's are asked for first: a subsystem that borrows
	// the HLT files (EMC, TPC at the start of a run) lists HLT's
	// histograms until its own files arrive, and then lists its own — a
	// histogram of the view a moment before is then rightly 404.
	var histPath, histName string
	var obj map[string]any
	e2eEventually(t, deadline, "a processed subsystem view and one of its histograms", func() error {
		if err := web.getJSON("/api/runs", &runs); err != nil {
			return err
		}
		var last error = errors.New("no processed view yet")
		for _, r := range runs.Runs {
			subs := append([]e2eSub(nil), r.Subsystems...)
			sort.SliceStable(subs, func(i, j int) bool { return subs[i].Name == "HLT" && subs[j].Name != "HLT" })
			for _, s := range subs {
				var view struct {
					Groups []struct {
						Hists []struct {
							Name string `json:"name"`
						} `json:"hists"`
					} `json:"groups"`
				}
				if web.getJSON(fmt.Sprintf("/api/runs/%d/%s", r.Number, s.Name), &view) != nil {
					continue
				}
				for _, g := range view.Groups {
					for _, h := range g.Hists {
						segs := strings.Split(h.Name, "/")
						for i := range segs {
							segs[i] = url.PathEscape(segs[i])
						}
						histPath = fmt.Sprintf("/api/runs/%d/%s/json/%s", r.Number, s.Name, strings.Join(segs, "/"))
						histName = h.Name
						if last = web.getJSON(histPath, &obj); last == nil {
							return nil
						}
						break
					}
					break
				}
			}
		}
		return last
	})
	histAt := time.Since(start)
	typ, _ := obj["_typename"].(string)
	assert.Regexp(t, `^(TH[123][DFIS]|TProfile|THStack|TGraph)`, typ, "JSROOT JSON of %s", histName)
	assert.Equal(t, histName, obj["fName"])
	t.Logf("processed histogram visible after %v (%s)", histAt.Round(time.Millisecond), histPath)

	// The drifting trend has points, and its alarm fires.
	var trend struct {
		Points []struct {
			Run   int     `json:"run"`
			Value float64 `json:"value"`
		} `json:"points"`
	}
	e2eEventually(t, deadline, "points of HLT/"+demoDriftTrend, func() error {
		if err := web.getJSON("/api/trends/HLT/"+demoDriftTrend, &trend); err != nil {
			return err
		}
		if len(trend.Points) == 0 {
			return errors.New("no points yet")
		}
		return nil
	})
	t.Logf("trend points visible after %v", time.Since(start).Round(time.Millisecond))
	var alarm overwatch.AlarmRecord
	e2eEventually(t, deadline, "the drift alarm", func() error {
		var alarms []overwatch.AlarmRecord
		if err := web.getJSON("/api/alarms?subsystem=HLT", &alarms); err != nil {
			return err
		}
		for _, a := range alarms {
			if a.Trend == demoDriftTrend {
				alarm = a
				return nil
			}
		}
		return fmt.Errorf("no alarm on %s yet (%d alarms)", demoDriftTrend, len(alarms))
	})
	alarmAt := time.Since(start)
	t.Logf("alarm visible after %v: %s %s run %d: %s", alarmAt.Round(time.Millisecond), alarm.ID, alarm.State, alarm.Run, alarm.Message)
	assert.Equal(t, "HLT", alarm.Subsystem)
	assert.Contains(t, []overwatch.AlarmState{overwatch.AlarmFiring, overwatch.AlarmResolved}, alarm.State)
	assert.False(t, alarm.FiredAt.IsZero())
	require.NoError(t, web.getJSON("/api/trends/HLT/"+demoDriftTrend, &trend))
	maxV := 0.0
	for _, p := range trend.Points {
		maxV = max(maxV, p.Value)
	}
	assert.Greater(t, maxV, demoAlarmMax, "a point above the threshold explains the alarm")

	// The quality story: a reference declared for every subsystem (the
	// first run); EMC's flags turn Bad in the second run, where the dead
	// region appears, with a badge on the run list.
	firstRun := 0
	e2eEventually(t, deadline, "EMC flagged Bad", func() error {
		if err := web.getJSON("/api/runs?limit=500", &runs); err != nil {
			return err
		}
		for _, r := range runs.Runs {
			if firstRun == 0 || r.Number < firstRun {
				firstRun = r.Number
			}
		}
		for _, r := range runs.Runs {
			var q struct {
				Subsystems []struct {
					Quality string `json:"quality"`
				} `json:"subsystems"`
			}
			if err := web.getJSON(fmt.Sprintf("/api/runs/%d/quality?sys=EMC", r.Number), &q); err != nil {
				continue
			}
			if len(q.Subsystems) == 1 && q.Subsystems[0].Quality == "bad" {
				if r.Number == firstRun {
					return fmt.Errorf("the first run %d, without dead region, is Bad", firstRun)
				}
				t.Logf("EMC of run %d flagged Bad after %v", r.Number, time.Since(start).Round(time.Millisecond))
				return nil
			}
		}
		return errors.New("no EMC Bad flag yet")
	})
	var refs struct {
		Applies *struct {
			Run int `json:"run"`
		} `json:"applies"`
	}
	for _, sys := range []string{"EMC", "TPC", "HLT"} {
		require.NoError(t, web.getJSON(fmt.Sprintf("/api/references?sys=%s&run=%d", sys, firstRun+1), &refs))
		require.NotNil(t, refs.Applies, sys)
		assert.Equal(t, firstRun, refs.Applies.Run, "%s: the first run is the reference", sys)
	}
	code, page, err := web.get("/runs")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(page), `class="badge qbadge q-bad" data-sys="EMC"`, "the Bad badge on the run list")
	// (The quality alarm needs 3 Bad EMC snapshots processed in a row: at
	// 100× processing sees about 2 EMC snapshots of the dead region per
	// run, so it is not awaited here; the observer's tests cover it.)

	// The counters move.
	counters := []string{"overwatch_hlt_replies_total", "overwatch_processed_snapshots_total", "overwatch_http_requests_total"}
	e2eEventually(t, deadline, "counters to move", func() error {
		m2 := e2eScrape(t, base)
		for _, c := range counters {
			if m2[c] <= metrics1[c] {
				return fmt.Errorf("%s: %v then %v", c, metrics1[c], m2[c])
			}
		}
		t.Logf("counters: %s %v→%v, %s %v→%v, %s %v→%v", counters[0], metrics1[counters[0]], m2[counters[0]],
			counters[1], metrics1[counters[1]], m2[counters[1]], counters[2], metrics1[counters[2]], m2[counters[2]])
		return nil
	})

	// SIGINT stops the demo cleanly.
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	stopAt := time.Now()
	select {
	case <-exited:
		require.NoError(t, waitErr, "exit status after SIGINT")
		assert.Equal(t, 0, cmd.ProcessState.ExitCode())
		t.Logf("demo exited 0, %v after SIGINT", time.Since(stopAt).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		require.FailNow(t, "the demo did not exit within 15 s of SIGINT")
	}
}

// e2eProc is one process of an end-to-end test, its output captured.
type e2eProc struct {
	name string
	cmd  *exec.Cmd
	log  *syncbuf.Buffer
	done chan struct{}
}

// e2eProcs starts the processes of an end-to-end test from one binary and
// stops them (SIGINT, then SIGKILL after 20 s) in reverse order when the
// test ends, printing the tail of each one's output when it failed.
type e2eProcs struct {
	t     *testing.T
	bin   string
	env   []string // nil: the test's environment
	procs []*e2eProc
}

func newE2EProcs(t *testing.T, bin string, env []string) *e2eProcs {
	g := &e2eProcs{t: t, bin: bin, env: env}
	t.Cleanup(func() {
		for i := len(g.procs) - 1; i >= 0; i-- {
			g.stop(g.procs[i])
			if t.Failed() {
				t.Logf("%s:\n%s", g.procs[i].name, e2eTail(g.procs[i].log.String(), 25))
			}
		}
	})
	return g
}

func (g *e2eProcs) start(name string, args ...string) *e2eProc {
	g.t.Helper()
	p := &e2eProc{name: name, cmd: exec.Command(g.bin, args...), log: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr, p.cmd.Env = p.log, p.log, g.env
	require.NoError(g.t, p.cmd.Start(), name)
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	g.procs = append(g.procs, p)
	return p
}

func (g *e2eProcs) stop(p *e2eProc) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// running fails the test when a process other than those of except has
// exited.
func (g *e2eProcs) running(except ...*e2eProc) {
	g.t.Helper()
	for _, p := range g.procs {
		if slices.Contains(except, p) {
			continue
		}
		select {
		case <-p.done:
			require.FailNow(g.t, p.name+" exited", "%s", e2eTail(p.log.String(), 20))
		default:
		}
	}
}

// e2eTail returns the last n lines of s.
func e2eTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
