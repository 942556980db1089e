package webapp

import (
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// TestBrowserTrendByRun: a trend shown against run number with a run
// range selected, two trends overlaid, points of flagged runs coloured,
// and the time axis in CERN time with run boundaries.
func TestBrowserTrendByRun(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	e.seed(t, 4) // runs 100..103
	for run := 100; run <= 103; run++ {
		addTrend(t, e, run, "maxPatch", 10)
		addTrend(t, e, run, "meanPatch", 10)
	}
	app, err := New(Config{Store: flagStore{Store: e.store, flags: map[int]overwatch.Quality{102: overwatch.QualityBad}},
		Alarms: e.store, DataDir: e.dir, Users: e.app.cfg.Users, Logger: slog.New(slog.DiscardHandler), JSROOTDir: e.app.cfg.JSROOTDir})
	require.NoError(t, err)
	t.Cleanup(func() { app.Close() })
	e.app = app
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/trending/EMC"),
		chromedp.WaitVisible(chromedp.CSS(`#t-maxPatch .trend[data-drawn] svg`))))
	pts, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#t-maxPatch .trend').dataset.points`))
	require.NoError(t, err)
	assert.Equal(t, "40", pts, "every point against time")
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#t-maxPatch .trend svg').textContent`))
	require.NoError(t, err)
	assert.Contains(t, text, "CERN", "time axis titled in CERN time")
	for _, run := range []string{"100", "101", "102", "103"} {
		assert.Contains(t, text, run, "run boundary label %s", run)
	}

	// Against run number, runs 101..102.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#axis-run")),
		chromedp.SetValue(chromedp.CSS("#trend-range"), "runs"),
	))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('trend-range').dispatchEvent(new Event('change'))`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#run-from")),
		chromedp.SendKeys(chromedp.CSS("#run-from"), "101"),
		chromedp.SendKeys(chromedp.CSS("#run-to"), "102"),
		chromedp.Click(chromedp.CSS("#trend-apply")),
		chromedp.WaitVisible(chromedp.CSS(`#t-maxPatch .trend[data-axis="run"][data-points="2"] svg`)),
	))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	assert.Equal(t, "run", u.Query().Get("axis"))
	assert.Equal(t, "101", u.Query().Get("runFrom"))
	assert.Equal(t, "102", u.Query().Get("runTo"))
	text, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#t-maxPatch .trend svg').textContent`))
	require.NoError(t, err)
	assert.Contains(t, text, "run number")
	assert.Contains(t, text, "101")
	assert.Contains(t, text, "102")
	assert.NotContains(t, text, "103")
	// Run 102 is flagged bad: its point is drawn in red.
	red, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('#t-maxPatch .trend svg path')].filter((p) => p.style.fill === 'red').length`))
	require.NoError(t, err)
	assert.Positive(t, red, "the bad run's point in red")

	// Overlay two trends of the same kind.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input.trend-pick[value="maxPatch"]`)),
		chromedp.Click(chromedp.CSS(`input.trend-pick[value="meanPatch"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#overlay[data-points="4"] svg`)),
	))
	loc, err = chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Contains(t, loc, "overlay=maxPatch%2CmeanPatch")
	time.Sleep(200 * time.Millisecond)
	screenshot(t, ctx, "20-trending-by-run")

	// Back to time, the overlay kept: boundaries of runs 101 and 102.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#axis-time")),
		chromedp.WaitVisible(chromedp.CSS(`#overlay[data-axis="time"][data-points="40"] svg`))))
	time.Sleep(200 * time.Millisecond)
	screenshot(t, ctx, "21-trending-overlay-time")

	// Drill-down: a click on a point (JSROOT's frame click, at the point's
	// coordinates) opens its source histogram as it was in that snapshot.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/trending/EMC?axis=run&runFrom=101&runTo=101"),
		chromedp.WaitVisible(chromedp.CSS(`#t-maxPatch .trend[data-axis="run"][data-points="1"] svg`))))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`import(document.body.dataset.jsrootBase + '/modules/base/ObjectPainter.mjs').then((m) => {
	  const fp = m.getElementMainPainter(document.querySelector('#t-maxPatch .trend')).getFramePainter();
	  fp.processFrameClick({ x: fp.grx(101), y: fp.gry(12) });
	  return true;
	})`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		return err == nil && strings.Contains(loc, "/run/101/EMC?from=0&")
	}, 10*time.Second, 100*time.Millisecond, "the click opened the source histogram")
}
