package webapp

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/timeslice"
)

// chromiumPath returns the Chromium binary, or "" when absent.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// artifactsDir is where browser screenshots are kept (never committed):
// $OVERWATCH_ARTIFACTS/webapp, default <tmp>/overwatch-artifacts/webapp.
func artifactsDir(t *testing.T) string {
	base := os.Getenv("OVERWATCH_ARTIFACTS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "overwatch-artifacts")
	}
	dir := filepath.Join(base, "webapp")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// browser starts headless Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install -y chromium, or `make setup-system`)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	require.NoError(t, chromedp.Do(ctx), "start chromium")
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(artifactsDir(t), name+".png")
	if err := os.WriteFile(p, buf, 0o644); err == nil {
		t.Logf("screenshot: %s", p)
	}
}

func browserLogin(ctx context.Context, base string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), testUser),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#runs")),
	)
}

// th2Cells counts the distinct fill colours JSROOT used in a plot's SVG
// (the colour cells of a colz TH2) and tells whether the decoration text
// was drawn.
const th2Probe = `(() => {
  const div = document.querySelector('.plot[data-name="EMCTRQA/hEMCalPatchMap"]');
  if (!div) return {svg: false, fills: 0, deco: false, drawn: 0};
  const svg = div.querySelector('svg');
  const fills = new Set();
  if (svg) for (const p of svg.querySelectorAll('path')) {
    const f = p.getAttribute('fill') || p.style.fill;
    if (f && f !== 'none' && f !== 'white' && f !== '#ffffff' && f !== 'rgb(255, 255, 255)') fills.add(f);
  }
  return {svg: !!svg, fills: fills.size, deco: !!svg && svg.textContent.includes('threshold'),
          drawn: Number(div.dataset.drawn || 0), json: div.dataset.json};
})()`

type probe struct {
	SVG   bool   `json:"svg"`
	Fills int    `json:"fills"`
	Deco  bool   `json:"deco"`
	Drawn int    `json:"drawn"`
	JSON  string `json:"json"`
}

func waitTH2(ctx context.Context, minDrawn int) (probe, error) {
	var p probe
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var err error
		if p, err = chromedp.Run(ctx, chromedp.Evaluate[probe](th2Probe)); err != nil {
			return p, err
		}
		if p.SVG && p.Fills >= 5 && p.Drawn >= minDrawn {
			return p, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p, fmt.Errorf("TH2 not drawn: %+v", p)
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	e.slices.delay = 300 * time.Millisecond
	e.seed(t, 3)
	srv := e.server(t)
	ctx := browser(t)

	// Log in: the run list.
	require.NoError(t, browserLogin(ctx, srv.URL))
	ongoing, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#ongoing-run")))
	require.NoError(t, err)
	assert.Contains(t, ongoing, "Run 102")
	screenshot(t, ctx, "01-runs")

	// The run page: the TH2 drawn by JSROOT with its colour cells and the
	// decoration text.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/run/102/EMC"]`)), chromedp.WaitVisible(chromedp.CSS("#plots"))))
	p, err := waitTH2(ctx, 1)
	require.NoError(t, err)
	assert.True(t, p.Deco, "decoration text drawn over the plot")
	badge, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".plot-block .fresh")))
	require.NoError(t, err)
	assert.Contains(t, badge, "updated")
	screenshot(t, ctx, "02-run-page")

	// A new snapshot arrives and processing writes new outputs: the open
	// page redraws by itself.
	drawnBefore := p.Drawn
	at := time.Now().Add(2 * time.Second)
	e.addSnapshot(t, 102, "EMC", at)
	e.th2 = bytes.Replace(e.th2, []byte(`"fEntries":`), []byte(`"fEntries":1e6,"fDummy":`), 1) // new content
	e.th2 = bytes.Replace(e.th2, []byte(`,"fDummy":`), []byte(`,"fMaximum":`), 1)
	time.Sleep(20 * time.Millisecond)
	e.publish(t, 102, "EMC", "", at, nil)
	p, err = waitTH2(ctx, drawnBefore+1)
	require.NoError(t, err, "page redrew after the new snapshot")
	screenshot(t, ctx, "03-live-update")

	// Time slice through the dialog: computed asynchronously, shown in
	// place, addressable by its URL.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#slice-open")),
		chromedp.WaitVisible(chromedp.CSS("#slice-dialog")),
		chromedp.SetValue(chromedp.CSS("#slice-from"), "0"),
		chromedp.SetValue(chromedp.CSS("#slice-to"), "5"),
		chromedp.Click(chromedp.CSS("#slice-submit")),
		chromedp.WaitVisible(chromedp.CSS("#slice-info")),
	))
	p, err = waitTH2(ctx, 1)
	require.NoError(t, err)
	assert.Contains(t, p.JSON, "?slice=")
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	keyAttr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#run-page"), "data-slice"))
	require.NoError(t, err)
	key := keyAttr.Value
	u, err := url.Parse(loc)
	require.NoError(t, err)
	assert.Equal(t, "/run/102/EMC", u.Path)
	assert.Equal(t, "0", u.Query().Get("from"))
	assert.Equal(t, "5", u.Query().Get("to"))
	require.NotEmpty(t, key)
	screenshot(t, ctx, "04-time-slice")

	// The permalink in a new browser context (no cookies: log in again).
	ctx2, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	require.NoError(t, browserLogin(ctx2, srv.URL))
	require.NoError(t, chromedp.Do(ctx2, chromedp.Navigate(loc), chromedp.WaitVisible(chromedp.CSS("#slice-info"))))
	p2, err := waitTH2(ctx2, 1)
	require.NoError(t, err)
	assert.Equal(t, p.JSON, p2.JSON, "same slice outputs")
	assert.GreaterOrEqual(t, p2.Fills, 5)
	key2, err := chromedp.Run(ctx2, chromedp.AttributeValue(chromedp.CSS("#run-page"), "data-slice"))
	require.NoError(t, err)
	assert.Equal(t, key, key2.Value)
	screenshot(t, ctx2, "05-permalink")

	// JSROOT drew everything under the Content-Security-Policy.
	for _, c := range []context.Context{ctx, ctx2} {
		v, err := chromedp.Run(c, chromedp.Evaluate[string](`document.body.dataset.cspViolations || "0"`))
		require.NoError(t, err)
		assert.Equal(t, "0", v, "CSP violations")
	}
	// Control: an inline script is blocked and counted.
	_, err = chromedp.Run(ctx2, chromedp.Evaluate[bool](`(() => { const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.body.appendChild(s); return true; })()`))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		v, err := chromedp.Run(ctx2, chromedp.Evaluate[string](`document.body.dataset.cspViolations || "0"`))
		return err == nil && v == "1"
	}, 5*time.Second, 50*time.Millisecond, "the CSP blocks inline scripts")
	ran, err := chromedp.Run(ctx2, chromedp.Evaluate[bool](`window.inlineRan === true`))
	require.NoError(t, err)
	assert.False(t, ran)
}

func TestBrowserTrending(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	e.seed(t, 1)
	addTrend(t, e, 100, "maxPatch", 20)
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/trending/EMC"), chromedp.WaitVisible(chromedp.CSS(`.trend[data-drawn="1"] svg`))))
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.points li a[href^="/run/100/EMC?from=0"]').length`))
	require.NoError(t, err)
	assert.Equal(t, 20, n, "every point links to its source histogram")
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.trend svg').textContent`))
	require.NoError(t, err)
	assert.True(t, strings.Contains(text, ":"), "time axis labels")
	screenshot(t, ctx, "06-trending")
}

// TestBrowserRealPipeline drives the browser over the real pipeline:
// ROOT snapshots processed by the processing package (its JSROOT JSON drawn
// by JSROOT), a time slice computed by the timeslice service, and a new
// snapshot processed while the page is open.
func TestBrowserRealPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	start, p := patchRun(t, e)
	e.realSlices(t, p, timeslice.ServiceOptions{}, Config{JSROOTDir: e.app.cfg.JSROOTDir, PollInterval: 100 * time.Millisecond})
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))

	const realProbe = `(() => {
  const div = document.querySelector('.plot[data-name="hPatchMap"]');
  const svg = div && div.querySelector('svg');
  const fills = new Set();
  if (svg) for (const p of svg.querySelectorAll('path')) { const f = p.getAttribute('fill'); if (f && f !== 'none' && f !== 'white') fills.add(f); }
  return {svg: !!svg, fills: fills.size, drawn: Number(div ? div.dataset.drawn || 0 : 0), json: div ? div.dataset.json : ''};
})()`
	wait := func(minDrawn int) probe {
		var pr probe
		require.Eventually(t, func() bool {
			var err error
			pr, err = chromedp.Run(ctx, chromedp.Evaluate[probe](realProbe))
			return err == nil && pr.SVG && pr.Fills >= 3 && pr.Drawn >= minDrawn
		}, 30*time.Second, 100*time.Millisecond)
		return pr
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/500/EMC"), chromedp.WaitVisible(chromedp.CSS("#plots"))))
	pr := wait(1)
	screenshot(t, ctx, "10-real-run-page")

	// A new snapshot, processed while the page is open.
	last := putPatchSnapshot(t, e, start, 4)
	require.NoError(t, p.Process(t.Context(), last))
	wait(pr.Drawn + 1)

	// A time slice through the dialog, computed by the real service.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#slice-open")),
		chromedp.SetValue(chromedp.CSS("#slice-from"), "4"),
		chromedp.SetValue(chromedp.CSS("#slice-to"), "10"),
		chromedp.Click(chromedp.CSS("#slice-submit")),
		chromedp.WaitVisible(chromedp.CSS("#slice-info")),
	))
	pr = wait(1)
	assert.Contains(t, pr.JSON, "?slice=")
	screenshot(t, ctx, "11-real-time-slice")

	// A window in seconds through the dialog; the last N events need an
	// events histogram, which these snapshots lack: the dialog says so.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#slice-open")), chromedp.WaitVisible(chromedp.CSS("#slice-dialog"))))
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById('slice-by'); s.value = 'seconds'; s.dispatchEvent(new Event('change')); return true; })()`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#slice-from"), "200"),
		chromedp.SetValue(chromedp.CSS("#slice-to"), "600"),
		chromedp.Click(chromedp.CSS("#slice-submit")),
		chromedp.WaitVisible(chromedp.CSS("#slice-info")),
	))
	require.Eventually(t, func() bool {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		return err == nil && strings.Contains(loc, "by=seconds") && strings.Contains(loc, "from=200")
	}, 20*time.Second, 100*time.Millisecond)
	info, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#slice-info")))
	require.NoError(t, err)
	assert.Contains(t, info, "seconds 200 – 600")
	wait(1)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#slice-open")), chromedp.WaitVisible(chromedp.CSS("#slice-dialog"))))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById('slice-by'); s.value = 'lastEvents'; s.dispatchEvent(new Event('change')); return true; })()`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#slice-last")),
		chromedp.SetValue(chromedp.CSS("#slice-last"), "100"),
		chromedp.Click(chromedp.CSS("#slice-submit")),
		chromedp.WaitVisible(chromedp.CSS("#slice-form-error")),
	))
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#slice-form-error")))
	require.NoError(t, err)
	assert.Contains(t, msg, "events histogram")
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('slice-from').offsetParent === null`))
	require.NoError(t, err)
	assert.True(t, hidden, "the last N events take no from/to")
	screenshot(t, ctx, "12-slice-by-events-error")
}

// TestBrowserJSROOTFailure: when JSROOT is configured but cannot be
// loaded, the page falls back to the server-rendered PNGs.
func TestBrowserJSROOTFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	broken := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(broken, "modules", "base"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(broken, "modules", "main.mjs"), []byte("throw new Error('broken JSROOT');\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(broken, "modules", "base", "colors.mjs"), []byte("export const addColor = () => 0;\n"), 0o644))
	e := newEnv(t, func(c *Config) { c.JSROOTDir = broken })
	require.True(t, e.app.HasJSROOT())
	e.seed(t, 1)
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/100/EMC"),
		chromedp.WaitVisible(chromedp.CSS(`.plot[data-name="EMCTRQA/hEMCalPatchMap"] img`))))
	require.Eventually(t, func() bool {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('.plot img'); return i.complete && i.naturalWidth === 2; })()`))
		return err == nil && ok
	}, 10*time.Second, 50*time.Millisecond, "the PNG output is shown")
}

// TestBrowserSliceOptions: the options set in the dialog reach the
// request and its permalink.
func TestBrowserSliceOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	start := time.Now().Add(-30 * time.Minute).Truncate(time.Second)
	e.addSnapshot(t, 300, "WEBT", start)
	e.addSnapshot(t, 300, "WEBT", start.Add(20*time.Minute))
	e.publish(t, 300, "WEBT", "", start.Add(20*time.Minute), nil)
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/run/300/WEBT"),
		chromedp.WaitVisible(chromedp.CSS("#plots")),
		chromedp.Click(chromedp.CSS("#slice-open")),
		chromedp.Click(chromedp.CSS(`input[data-opt="scaleHists"]`)), // default on: switch off
		chromedp.SetValue(chromedp.CSS(`input[data-opt="hotChannelThreshold"]`), "250"),
		chromedp.SetValue(chromedp.CSS("#slice-to"), "7.5"),
		chromedp.Click(chromedp.CSS("#slice-submit")),
		chromedp.WaitVisible(chromedp.CSS("#slice-info")),
	))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, "false", q.Get("o.scaleHists"))
	assert.Equal(t, "250", q.Get("o.hotChannelThreshold"))
	assert.Equal(t, "0.5", q.Get("o.minFraction"))
	assert.Equal(t, "all", q.Get("o.label"))
	assert.Equal(t, "7.5", q.Get("to"))
	// The request the service got.
	e.slices.mu.Lock()
	var got []string
	for k := range e.slices.jobs {
		got = append(got, k)
	}
	e.slices.mu.Unlock()
	require.Len(t, got, 1)
	assert.Equal(t, sliceKeyOf(timeslice.Request{Run: 300, Subsystem: "WEBT", FromMinute: 0, ToMinute: 7.5,
		Options: map[string]string{"scaleHists": "false", "hotChannelThreshold": "250", "minFraction": "0.5", "label": "all"}}), got[0])
	screenshot(t, ctx, "07-slice-options")
}
