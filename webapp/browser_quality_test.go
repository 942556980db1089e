package webapp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// refProbe describes what JSROOT drew for a plot with a reference: the
// overlays drawn, the red (reference) paths in its SVG, and its ratio
// panel.
const refProbe = `((sel) => {
  const div = document.querySelector(sel);
  if (!div) return {found: false};
  const svg = div.querySelector('svg');
  let red = 0;
  if (svg) for (const p of svg.querySelectorAll('path')) {
    const s = (p.getAttribute('stroke') || p.style.stroke || '').replace(/\s/g, '').toLowerCase();
    if (s === 'red' || s === '#ff0000' || s === 'rgb(255,0,0)') red++;
  }
  const block = div.closest('.plot-block');
  const ratio = block && block.querySelector('.ratio');
  return {found: true, refDrawn: Number(div.dataset.refDrawn || 0), red, state: div.dataset.refState || '',
    ratioSVG: !!(ratio && ratio.querySelector('svg')), ratioDrawn: Number(ratio ? ratio.dataset.drawn || 0 : 0),
    note: (block && block.querySelector('.reference-note') || {}).textContent || ''};
})(%q)`

type refProbeResult struct {
	Found      bool   `json:"found"`
	RefDrawn   int    `json:"refDrawn"`
	Red        int    `json:"red"`
	State      string `json:"state"`
	RatioSVG   bool   `json:"ratioSVG"`
	RatioDrawn int    `json:"ratioDrawn"`
	Note       string `json:"note"`
}

func probeRef(t *testing.T, ctx context.Context, sel string, ok func(refProbeResult) bool) refProbeResult {
	t.Helper()
	var p refProbeResult
	require.Eventually(t, func() bool {
		var err error
		p, err = chromedp.Run(ctx, chromedp.Evaluate[refProbeResult](fmt.Sprintf(refProbe, sel)))
		return err == nil && ok(p)
	}, 30*time.Second, 100*time.Millisecond, "probe %s: last %+v", sel, p)
	return p
}

// TestBrowserReferencesAndBadges: the reference declared for the run is
// overlaid on its histograms and the ratio drawn on demand, both by
// JSROOT; the compare page overlays the other run; the run list shows the
// quality badge of the stored flags.
func TestBrowserReferencesAndBadges(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e, docs := qualityEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	e.seed(t, 3) // runs 100..102, 102 ongoing
	ctx0 := context.Background()
	d, err := quality.Reference{Subsystem: "EMC", First: 100, Last: 200, Run: 100, Author: "eric"}.Document()
	require.NoError(t, err)
	_, err = docs.PutDocument(ctx0, d, 0)
	require.NoError(t, err)
	f := &quality.RunFlags{Run: 102, Subsystem: "EMC"}
	t0 := time.Now().Add(-8 * time.Minute)
	f.Add(t0, overwatch.QualityGood, "ok")
	f.Add(t0.Add(4*time.Minute), overwatch.QualityBad, "dead region")
	putFlags(t, docs, f)

	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	badge, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#Run102 .qbadge.q-bad[data-sys="EMC"]`)))
	require.NoError(t, err)
	assert.Equal(t, "bad", badge)
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#Run101 .qbadge').length`))
	require.NoError(t, err)
	assert.Equal(t, 0, n, "no flags, no badge")
	screenshot(t, ctx, "quality-1-badges")

	// The run page: the reference run 100 overlaid in red on the TH1s.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/102/EMC?group=Spectra"), chromedp.WaitVisible(chromedp.CSS("#plots"))))
	sel := `.plot[data-name="hEvents"]`
	p := probeRef(t, ctx, sel, func(p refProbeResult) bool { return p.RefDrawn >= 1 })
	assert.Greater(t, p.Red, 0, "the reference is drawn in red in the plot's SVG")
	assert.Equal(t, "drawn", p.State)
	assert.Contains(t, p.Note, "reference run 100")
	info, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#reference-line .reference-info")))
	require.NoError(t, err)
	assert.Contains(t, info, "Reference: run 100 (EMC/100-200")
	assert.False(t, p.RatioSVG, "the ratio only on demand")

	// The ratio panel on demand.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`section[id="h-hEvents"] button.ratio-toggle`))))
	p = probeRef(t, ctx, sel, func(p refProbeResult) bool { return p.RatioSVG && p.RatioDrawn >= 1 })
	screenshot(t, ctx, "quality-2-reference-ratio")

	// A run without a declared reference says so and draws none.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/102/HLT"), chromedp.WaitReady(chromedp.CSS("#run-page"))))

	// The compare page: run 100 overlaid on run 102.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/compare?sys=EMC&a=102&b=100&group=Spectra"), chromedp.WaitVisible(chromedp.CSS("#compare-page"))))
	p = probeRef(t, ctx, `.compare-row .plot[data-ref-json][data-name="hSpec_a"]`, func(p refProbeResult) bool { return p.RefDrawn >= 1 })
	assert.Greater(t, p.Red, 0)
	screenshot(t, ctx, "quality-3-compare")

	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.cspViolations || "0"`))
	require.NoError(t, err)
	assert.Equal(t, "0", v, "CSP violations")

	// An expert uploads a reference ROOT file for run 102 alone (the
	// narrower range wins) through the references page; the run page then
	// overlays the file's histogram.
	ref, err := overwatch.DecodeJSONHist(e.th1)
	require.NoError(t, err)
	ref.Name = "hEvents"
	data, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "hEvents", Object: ref}})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "emc-ref.root")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	ectx := browser(t)
	require.NoError(t, browserLoginAs(ectx, srv.URL, "eric"))
	require.NoError(t, chromedp.Do(ectx, chromedp.Navigate(srv.URL+"/references?sys=EMC"), chromedp.WaitVisible(chromedp.CSS("#reference-upload")),
		chromedp.SendKeys(chromedp.CSS("#upload-first"), "102"), chromedp.SendKeys(chromedp.CSS("#upload-last"), "102"),
		chromedp.SetUploadFiles(chromedp.CSS("#upload-file"), []string{path}), chromedp.Click(chromedp.CSS("#upload-submit")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-name="EMC/102-102"] .reference-file`))))
	screenshot(t, ectx, "quality-4-reference-file")
	require.NoError(t, chromedp.Do(ectx, chromedp.Navigate(srv.URL+"/run/102/EMC?group=Spectra"), chromedp.WaitVisible(chromedp.CSS("#plots"))))
	p = probeRef(t, ectx, sel, func(p refProbeResult) bool { return p.RefDrawn >= 1 })
	assert.Greater(t, p.Red, 0, "the file's histogram drawn in red")
	assert.Contains(t, p.Note, "reference file emc-ref.root")
	info, err = chromedp.Run(ectx, chromedp.Text(chromedp.CSS("#reference-line .reference-info")))
	require.NoError(t, err)
	assert.Contains(t, info, "Reference: file emc-ref.root (EMC/102-102, set by eric)")
}
