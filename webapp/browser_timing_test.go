package webapp

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

// pageTiming is what the timing probe reads of a run page: the plots, how
// many are in the viewport, and when (ms after the navigation started) the
// first plot and the last plot of the viewport were shown. A plot is shown
// when either its server-rendered image (the first viewport's placeholder,
// its paint time from the Element Timing API) or its JSROOT drawing is on
// the screen; the JSROOT times are also reported on their own.
type pageTiming struct {
	Plots       int     `json:"plots"`
	Visible     int     `json:"visible"`
	VisDrawn    int     `json:"visDrawn"`    // visible plots drawn by JSROOT
	VisShown    int     `json:"visShown"`    // visible plots shown (image or JSROOT)
	Drawn       int     `json:"drawn"`       // plots drawn by JSROOT
	First       float64 `json:"first"`       // first plot shown
	FirstImage  float64 `json:"firstImage"`  // first server-rendered image painted
	FirstJSROOT float64 `json:"firstJSROOT"` // first JSROOT drawing
	AllVisible  float64 `json:"allVisible"`  // every visible plot shown
	AllJSROOT   float64 `json:"allJSROOT"`   // every visible plot drawn by JSROOT
	Height      int     `json:"height"`
	Response    float64 `json:"response"` // the page's HTML received
	DOMReady    float64 `json:"domReady"`
	JSROOT      float64 `json:"jsroot"` // JSROOT's modules loaded
	FCP         float64 `json:"fcp"`    // the page's first contentful paint
}

const timingProbe = `(() => {
  const ps = [...document.querySelectorAll('#plots .plot[data-json]')];
  const vh = innerHeight;
  const vis = ps.filter((p) => { const r = p.getBoundingClientRect(); return r.top < vh && r.bottom > 0; });
  const js = (p) => (p.dataset.drawn && p.querySelector('svg')) ? Number(p.dataset.drawnAt || 0) : 0;
  const img = (p) => Number(p.dataset.imageAt || 0);
  const shown = (p) => { const a = js(p), b = img(p); return a && b ? Math.min(a, b) : a || b; };
  const min = (xs) => { xs = xs.filter((x) => x > 0); return xs.length ? Math.min(...xs) : 0; };
  const all = (xs) => xs.every((x) => x > 0) ? Math.max(0, ...xs) : 0;
  const nav = performance.getEntriesByType('navigation')[0] || {};
  return {plots: ps.length, visible: vis.length, visDrawn: vis.map(js).filter((x) => x > 0).length,
          visShown: vis.map(shown).filter((x) => x > 0).length, drawn: ps.map(js).filter((x) => x > 0).length,
          first: min(ps.map(shown)), firstImage: min(ps.map(img)), firstJSROOT: min(ps.map(js)),
          allVisible: all(vis.map(shown)), allJSROOT: all(vis.map(js)),
          height: document.documentElement.scrollHeight,
          response: nav.responseEnd || 0, domReady: nav.domContentLoadedEventEnd || 0,
          jsroot: Number(document.body.dataset.jsrootAt || 0),
          fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime || 0};
})()`

// simulatedRun stores one snapshot per subsystem of a simulated run
// (the HLT simulator's histograms after minutes of data taking: the demo's
// sizes) and processes it with the real processing.
func simulatedRun(t testing.TB, e *testEnv, run, emcHists int, systems ...string) {
	t.Helper()
	start := time.Now().Add(-15 * time.Minute).Truncate(time.Second)
	g := generator.New(generator.Config{Seed: uint64(run), Subsystems: systems, Start: start, Run: run, EMCHistograms: emcHists})
	g.Advance(10 * time.Minute)
	p := processing.New(e.store, processing.Options{Logger: slog.New(slog.DiscardHandler)})
	for _, sys := range systems {
		data, err := overwatch.EncodeFile(g.Snapshot(sys))
		require.NoError(t, err)
		info, err := e.store.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: overwatch.ModeCompress,
			Time: start.Add(10 * time.Minute), Origin: "test"}, bytes.NewReader(data))
		require.NoError(t, err)
		require.NoError(t, p.Process(context.Background(), info))
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// TestBrowserPageTiming measures, on the HLT and EMC run pages of
// simulated runs processed by the real processing (the demo's histogram
// sets, and an EMC set grown to 500 histograms), the time from navigation
// to the first plot drawn and to every plot of the viewport drawn
// (medians of OVERWATCH_TIMING_RUNS loads, default 5). The goals (first
// plot ≤ 300 ms, visible plots ≤ 1 s) are checked only when
// OVERWATCH_TIMING_STRICT is set: on a shared, loaded machine the numbers
// are reported, not asserted.
func TestBrowserPageTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	simulatedRun(t, e, 700, 0, "EMC", "HLT")
	simulatedRun(t, e, 701, 500, "EMC")
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	loads := 5
	if n, err := strconv.Atoi(os.Getenv("OVERWATCH_TIMING_RUNS")); err == nil && n > 0 {
		loads = n
	}
	for _, page := range []string{"/run/700/HLT", "/run/700/EMC", "/run/701/EMC"} {
		var first, firstImg, firstJS, visible, visJS, response, dom, jsr, fcp []float64
		var last pageTiming
		for i := 0; i < loads+1; i++ { // the first load warms the caches (JSROOT modules, outputs)
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+page), chromedp.WaitVisible(chromedp.CSS("#plots"))))
			var pt pageTiming
			require.Eventually(t, func() bool {
				var err error
				pt, err = chromedp.Run(ctx, chromedp.Evaluate[pageTiming](timingProbe))
				return err == nil && pt.Visible > 0 && pt.VisDrawn == pt.Visible && pt.AllJSROOT > 0
			}, 60*time.Second, 150*time.Millisecond, "%s: visible plots drawn by JSROOT", page) // the page records its own times: polling rarely does not disturb it
			last = pt
			if i == 0 {
				t.Logf("TIMING %s cold load (caches empty): first plot %.0f ms (image %.0f ms, JSROOT %.0f ms), all visible %.0f ms (JSROOT %.0f ms)",
					page, pt.First, pt.FirstImage, pt.FirstJSROOT, pt.AllVisible, pt.AllJSROOT)
				continue
			}
			first, firstImg, firstJS = append(first, pt.First), append(firstImg, pt.FirstImage), append(firstJS, pt.FirstJSROOT)
			visible, visJS = append(visible, pt.AllVisible), append(visJS, pt.AllJSROOT)
			response, dom, jsr = append(response, pt.Response), append(dom, pt.DOMReady), append(jsr, pt.JSROOT)
			fcp = append(fcp, pt.FCP)
		}
		mf, mv := median(first), median(visible)
		t.Logf("TIMING %s: %d plots on the page (%d px tall), %d in the viewport, %d drawn; first plot %.0f ms (image %.0f ms, JSROOT %.0f ms), all visible %.0f ms (JSROOT %.0f ms) (HTML received %.0f ms, DOM ready %.0f ms, first paint %.0f ms, JSROOT loaded %.0f ms; medians of %d loads; first %v, first JSROOT %v, visible %v, visible JSROOT %v)",
			page, last.Plots, last.Height, last.Visible, last.Drawn, mf, median(firstImg), median(firstJS), mv, median(visJS),
			median(response), median(dom), median(fcp), median(jsr), loads, first, firstJS, visible, visJS)
		// What holds on any machine, however loaded (ratios within the
		// same loads): the visible plots are shown with the page's first
		// paint (their server-rendered images), not after JSROOT has
		// loaded; the absolute goals are for a machine of our own.
		mfcp := median(fcp)
		require.Greater(t, mfcp, 0.0, "%s: first contentful paint", page)
		assert.LessOrEqual(t, mv, 1.25*mfcp+50, "%s: all visible plots shown with the first paint (%.0f ms), not after it", page, mfcp)
		assert.Less(t, mf, median(jsr), "%s: the first plot shown before JSROOT is loaded", page)
		if os.Getenv("OVERWATCH_TIMING_STRICT") != "" {
			require.LessOrEqual(t, mf, 300.0, "%s: first plot", page)
			require.LessOrEqual(t, mv, 1000.0, "%s: visible plots", page)
		}
		if last.Plots > last.Visible+10 {
			require.Less(t, last.Drawn, last.Plots, "%s: plots far below the fold are not drawn", page)
		}
	}
}

// BenchmarkRunPage500: the HTML of the EMC run page with 500 histograms
// (the browser waits for it before it can show any plot).
func BenchmarkRunPage500(b *testing.B) {
	e, ck := benchEnv(b, 0)
	simulatedRun(b, e, 701, 500, "EMC")
	benchGet(b, e.app, ck, "/run/701/EMC")
}
