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
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

// pageTiming is what the timing probe reads of a run page: the plots, how
// many are in the viewport, and when (ms after the navigation started) the
// first plot and the last plot of the viewport were drawn.
type pageTiming struct {
	Plots      int     `json:"plots"`
	Visible    int     `json:"visible"`
	VisDrawn   int     `json:"visDrawn"`
	Drawn      int     `json:"drawn"`
	First      float64 `json:"first"`
	AllVisible float64 `json:"allVisible"`
	Height     int     `json:"height"`
	Response   float64 `json:"response"` // the page's HTML received
	DOMReady   float64 `json:"domReady"`
	JSROOT     float64 `json:"jsroot"` // JSROOT's modules loaded
}

const timingProbe = `(() => {
  const ps = [...document.querySelectorAll('#plots .plot[data-json]')];
  const vh = innerHeight;
  const vis = ps.filter((p) => { const r = p.getBoundingClientRect(); return r.top < vh && r.bottom > 0; });
  const t = (p) => (p.dataset.drawn && p.querySelector('svg')) ? Number(p.dataset.drawnAt || 0) : 0;
  const drawn = ps.map(t).filter((x) => x > 0);
  const visT = vis.map(t);
  return {plots: ps.length, visible: vis.length, visDrawn: visT.filter((x) => x > 0).length, drawn: drawn.length,
          first: drawn.length ? Math.min(...drawn) : 0, allVisible: visT.every((x) => x > 0) ? Math.max(0, ...visT) : 0,
          height: document.documentElement.scrollHeight,
          response: performance.getEntriesByType('navigation')[0]?.responseEnd || 0,
          domReady: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd || 0,
          jsroot: Number(document.body.dataset.jsrootAt || 0)};
})()`

// simulatedRun stores one snapshot per subsystem of a simulated run
// (the HLT simulator's histograms after minutes of data taking: the demo's
// sizes) and processes it with the real processing.
func simulatedRun(t *testing.T, e *testEnv, run, emcHists int, systems ...string) {
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
		var first, visible, response, dom, jsr []float64
		var last pageTiming
		for i := 0; i < loads+1; i++ { // the first load warms the caches (JSROOT modules, outputs)
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+page), chromedp.WaitVisible(chromedp.CSS("#plots"))))
			var pt pageTiming
			require.Eventually(t, func() bool {
				var err error
				pt, err = chromedp.Run(ctx, chromedp.Evaluate[pageTiming](timingProbe))
				return err == nil && pt.Visible > 0 && pt.VisDrawn == pt.Visible && pt.AllVisible > 0
			}, 30*time.Second, 150*time.Millisecond, "%s: visible plots drawn", page) // the page records its own times: polling rarely does not disturb it
			last = pt
			if i == 0 {
				continue
			}
			first = append(first, pt.First)
			response, dom, jsr = append(response, pt.Response), append(dom, pt.DOMReady), append(jsr, pt.JSROOT)
			visible = append(visible, pt.AllVisible)
		}
		mf, mv := median(first), median(visible)
		t.Logf("TIMING %s: %d plots on the page (%d px tall), %d in the viewport, %d drawn; first plot %.0f ms, all visible %.0f ms (HTML received %.0f ms, DOM ready %.0f ms, JSROOT loaded %.0f ms; medians of %d loads; first %v, visible %v)",
			page, last.Plots, last.Height, last.Visible, last.Drawn, mf, mv, median(response), median(dom), median(jsr), loads, first, visible)
		if os.Getenv("OVERWATCH_TIMING_STRICT") != "" {
			require.LessOrEqual(t, mf, 300.0, "%s: first plot", page)
			require.LessOrEqual(t, mv, 1000.0, "%s: visible plots", page)
		}
		if last.Plots > last.Visible+10 {
			require.Less(t, last.Drawn, last.Plots, "%s: plots far below the fold are not drawn", page)
		}
	}
}
