package webapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

func browserLoginAs(ctx context.Context, base, user string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#runs")),
	)
}

// js evaluates an expression and fails the test on an error.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// pick chooses a plot in the editor's picker and adds it to the tab.
func pick(t *testing.T, ctx context.Context, sys, kind, name string) {
	t.Helper()
	js[bool](t, ctx, fmt.Sprintf(`(() => { const s = document.getElementById('picker-sys'); s.value = %q; const k = document.getElementById('picker-kind'); k.value = %q; s.dispatchEvent(new Event('change')); return true; })()`, sys, kind))
	require.NoError(t, waitJS(ctx, fmt.Sprintf(`[...document.querySelectorAll('#picker-name option')].some((o) => o.value === %q)`, name)), "picker lists %s %s", sys, name)
	js[bool](t, ctx, fmt.Sprintf(`(() => { document.getElementById('picker-name').value = %q; document.getElementById('picker-add').click(); return true; })()`, name))
}

// cellsDrawn tells the names of the visible tab's plots and whether each
// was drawn by JSROOT (an SVG inside).
const cellsDrawn = `(() => [...document.querySelectorAll('.lgrid:not([hidden]) .lcell')].map((c) => {
  const p = c.querySelector('.lplot');
  return {sys: c.dataset.sys, name: c.dataset.name, svg: !!p.querySelector('svg'), drawn: Number(p.dataset.drawn || 0), failed: p.classList.contains('failed'), text: p.classList.contains('failed') ? p.textContent : ''};
}))()`

type cellState struct {
	Sys    string `json:"sys"`
	Name   string `json:"name"`
	SVG    bool   `json:"svg"`
	Drawn  int    `json:"drawn"`
	Failed bool   `json:"failed"`
	Text   string `json:"text"`
}

func waitCells(t *testing.T, ctx context.Context, n int) []cellState {
	t.Helper()
	var cells []cellState
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		cells = js[[]cellState](t, ctx, cellsDrawn)
		all := len(cells) == n
		for _, c := range cells {
			all = all && c.SVG && c.Drawn > 0
		}
		if all {
			return cells
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("plots not drawn: %+v", cells)
	return nil
}

// docsScreenshot keeps a screenshot for docs/ when OVERWATCH_DOCS_SCREENSHOTS
// names a directory (the repository's docs/images when regenerating them).
func docsScreenshot(t *testing.T, ctx context.Context, name string) {
	screenshot(t, ctx, name)
	dir := os.Getenv("OVERWATCH_DOCS_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	}
}

// TestBrowserLayouts: an expert builds a two-tab layout from EMC and HLT
// plots in the editor and saves it; a second user opens its permalink and
// sees the same plots drawn by JSROOT (time to first and to all plots
// measured); an edit is reverted from the history; the kiosk cycles the two
// tabs, shows the firing alarm and redraws on a new snapshot.
func TestBrowserLayouts(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := layoutEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	now := e.seed(t, 2)
	e.publish(t, 101, "HLT", "", now.Add(-2*time.Minute), nil)
	addTrend(t, e, 101, "maxPatch", 20)
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/high", Subsystem: "EMC", Trend: "maxPatch", Alarm: "high",
		Hist: "hEvents", State: overwatch.AlarmFiring, Message: "max patch is high", Run: 101, FiredAt: now})
	srv := e.server(t)

	// The expert builds the layout.
	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)))
	require.NoError(t, browserLoginAs(ctx, srv.URL, expertUser))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/layouts"), chromedp.WaitVisible(chromedp.CSS("#new-layout-name")),
		chromedp.SendKeys(chromedp.CSS("#new-layout-name"), "shift"), chromedp.Click(chromedp.CSS("#new-layout-submit")),
		chromedp.WaitVisible(chromedp.CSS("#picker"))))
	require.NoError(t, waitJS(ctx, `document.body.dataset.editorReady === '1'`))
	js[bool](t, ctx, `(() => { const i = document.getElementById('layout-title'); i.value = 'Shift overview'; i.dispatchEvent(new Event('input')); const o = document.getElementById('layout-official'); o.click(); const tt = document.getElementById('tab-title'); tt.value = 'EMC'; tt.dispatchEvent(new Event('input')); return true; })()`)
	pick(t, ctx, "EMC", "hist", "EMCTRQA/hEMCalPatchMap")
	pick(t, ctx, "EMC", "hist", "hEvents")
	// Resize the TH2 to two cells wide, log y on the spectrum.
	js[bool](t, ctx, `(() => { const w = document.querySelector('.lcell[data-index="0"] .size-w'); w.value = '2'; w.dispatchEvent(new Event('change')); return true; })()`)
	js[bool](t, ctx, `(() => { const c = document.querySelector('.lcell[data-index="1"] .opt-logy'); c.click(); return true; })()`)
	js[bool](t, ctx, `(() => { document.getElementById('tab-add').click(); const tt = document.getElementById('tab-title'); tt.value = 'HLT'; tt.dispatchEvent(new Event('input')); return true; })()`)
	pick(t, ctx, "HLT", "hist", "hSpec_a")
	pick(t, ctx, "HLT", "hist", "hEvents")
	pick(t, ctx, "EMC", "trend", "maxPatch")
	// Reorder: the second HLT plot before the first (drag and drop), then
	// the trend before the spectrum (button).
	js[bool](t, ctx, `(() => {
	  const dt = new DataTransfer();
	  const from = document.querySelector('.lcell[data-index="1"]'), to = document.querySelector('.lcell[data-index="0"]');
	  from.dispatchEvent(new DragEvent('dragstart', {dataTransfer: dt, bubbles: true}));
	  to.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
	  to.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
	  return true; })()`)
	require.NoError(t, waitJS(ctx, `document.querySelector('.lcell[data-index="0"]').dataset.name === 'hEvents'`), "dropped before the first")
	js[bool](t, ctx, `(() => { document.querySelector('.lcell[data-index="2"] .move-left').click(); return true; })()`)
	waitCells(t, ctx, 3)
	js[bool](t, ctx, `(() => { document.getElementById('save-comment').value = 'first version'; document.getElementById('save').click(); return true; })()`)
	require.NoError(t, waitJS(ctx, `document.getElementById('save-status').textContent === 'saved version 1'`))
	waitCells(t, ctx, 3)
	docsScreenshot(t, ctx, "layout-editor")

	d, err := e.store.Document(t.Context(), overwatch.DocumentKindLayout, "shift", 0)
	require.NoError(t, err)
	assert.Equal(t, expertUser, d.Author)
	var saved overwatch.Layout
	require.NoError(t, json.Unmarshal(d.Body, &saved))
	assert.Equal(t, "Shift overview", saved.Title)
	assert.True(t, saved.Official)
	require.Len(t, saved.Tabs, 2)
	assert.Equal(t, []string{"EMC", "HLT"}, []string{saved.Tabs[0].Title, saved.Tabs[1].Title})
	require.Len(t, saved.Tabs[0].Plots, 2)
	assert.Equal(t, "EMCTRQA/hEMCalPatchMap", saved.Tabs[0].Plots[0].Name)
	assert.Equal(t, 2, saved.Tabs[0].Plots[0].Width)
	assert.True(t, saved.Tabs[0].Plots[1].Options.LogY)
	require.Len(t, saved.Tabs[1].Plots, 3)
	assert.Equal(t, []string{"hEvents", "maxPatch", "hSpec_a"}, []string{saved.Tabs[1].Plots[0].Name, saved.Tabs[1].Plots[1].Name, saved.Tabs[1].Plots[2].Name}, "reordered")
	assert.Equal(t, "HLT", saved.Tabs[1].Plots[0].Subsystem)
	assert.Equal(t, overwatch.LayoutPlot{Kind: overwatch.PlotTrend, Subsystem: "EMC", Name: "maxPatch", Width: 1, Height: 1}, saved.Tabs[1].Plots[1])

	// A second user (viewer, another browser context) opens the permalink.
	ctx2, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	require.NoError(t, browserLoginAs(ctx2, srv.URL, viewerUser))
	permalink := srv.URL + "/layouts/shift?run=latest&tab=1"
	var first, all, jsr, dom []float64
	for i := 0; i < 5; i++ {
		require.NoError(t, chromedp.Do(ctx2, chromedp.Navigate(permalink), chromedp.WaitVisible(chromedp.CSS("#layout-grids"))))
		require.NoError(t, waitJS(ctx2, `document.body.dataset.layoutReady === '1'`))
		cells := waitCells(t, ctx2, 2)
		assert.Equal(t, "EMCTRQA/hEMCalPatchMap", cells[0].Name)
		assert.Equal(t, "hEvents", cells[1].Name)
		f := js[string](t, ctx2, `document.body.dataset.firstPlotMs`)
		a := js[string](t, ctx2, `document.body.dataset.allPlotsMs`)
		var fv, av float64
		fmt.Sscan(f, &fv)
		fmt.Sscan(a, &av)
		first, all = append(first, fv), append(all, av)
		jsr = append(jsr, js[float64](t, ctx2, `Number(document.body.dataset.jsrootMs)`))
		dom = append(dom, js[float64](t, ctx2, `performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd`))
	}
	t.Logf("layout page (2 plots, TH2 + TH1, run 101): time to first plot median %.0f ms %v, to all visible plots median %.0f ms %v (after navigation start); DOMContentLoaded median %.0f ms %v, JSROOT modules loaded median %.0f ms %v",
		median(first), first, median(all), all, median(dom), dom, median(jsr), jsr)
	// The second tab: the HLT plots, drawn by JSROOT, same as the editor's.
	require.NoError(t, chromedp.Do(ctx2, chromedp.Click(chromedp.CSS(`#tabs button[data-tab="1"]`))))
	cells := waitCells(t, ctx2, 3)
	assert.Equal(t, []string{"HLT", "EMC", "HLT"}, []string{cells[0].Sys, cells[1].Sys, cells[2].Sys})
	assert.Equal(t, []string{"hEvents", "maxPatch", "hSpec_a"}, []string{cells[0].Name, cells[1].Name, cells[2].Name})
	loc, err := chromedp.Run(ctx2, chromedp.Location())
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(loc, "/layouts/shift?run=latest&tab=2"), loc)
	assert.False(t, js[bool](t, ctx2, `!!document.getElementById('edit-link')`), "a viewer gets no edit link")
	screenshot(t, ctx2, "layout-permalink")

	// The expert edits (removes the spectrum) and reverts from the history.
	js[bool](t, ctx, `(() => { document.querySelector('#tabs button[data-tab="0"]').click(); return true; })()`)
	require.NoError(t, waitJS(ctx, `document.querySelectorAll('.lcell').length === 2`))
	js[bool](t, ctx, `(() => { document.querySelector('.lcell[data-index="1"] .remove').click(); document.getElementById('save-comment').value = 'drop the spectrum'; document.getElementById('save').click(); return true; })()`)
	require.NoError(t, waitJS(ctx, `document.getElementById('save-status').textContent === 'saved version 2'`))
	require.NoError(t, waitJS(ctx, `!!document.querySelector('#history button.revert[data-version="1"]')`))
	assert.Equal(t, 1, js[int](t, ctx, `document.querySelectorAll('.lcell').length`))
	js[bool](t, ctx, `(() => { document.querySelector('#history button.revert[data-version="1"]').click(); return true; })()`)
	require.NoError(t, waitJS(ctx, `document.getElementById('save-status').textContent.startsWith('reverted to version 1: saved as version 3')`))
	assert.Equal(t, 2, js[int](t, ctx, `document.querySelectorAll('.lcell').length`))
	require.NoError(t, waitJS(ctx, `document.querySelectorAll('#history li').length === 3`))
	d, err = e.store.Document(t.Context(), overwatch.DocumentKindLayout, "shift", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(3), d.Version)
	v1, err := e.store.Document(t.Context(), overwatch.DocumentKindLayout, "shift", 1)
	require.NoError(t, err)
	assert.JSONEq(t, string(v1.Body), string(d.Body), "version 3 holds version 1's layout")

	// The kiosk cycles the two tabs (every 3 s), shows the alarm, and
	// redraws on a new snapshot.
	require.NoError(t, chromedp.Do(ctx2, chromedp.EmulateViewport(1280, 720)))
	require.NoError(t, chromedp.Do(ctx2, chromedp.Navigate(srv.URL+"/kiosk?layouts=shift&every=3"), chromedp.WaitVisible(chromedp.CSS("#kiosk-title"))))
	require.NoError(t, waitJS(ctx2, `document.body.dataset.layoutReady === '1'`))
	assert.Equal(t, "0", js[string](t, ctx2, `document.body.dataset.kioskPos`))
	waitCells(t, ctx2, 2)
	require.NoError(t, waitJS(ctx2, `document.body.dataset.kioskAlarms === '1'`))
	assert.Contains(t, js[string](t, ctx2, `document.getElementById('kiosk-alarms').textContent`), "max patch is high")
	assert.Contains(t, js[string](t, ctx2, `document.getElementById('kiosk-run').textContent`), "Run 101")
	assert.False(t, js[bool](t, ctx2, `!!document.querySelector('.toolbar')`), "no navigation")
	docsScreenshot(t, ctx2, "kiosk")
	require.NoError(t, waitJS(ctx2, `document.body.dataset.kioskPos === '1'`), "the kiosk moved to the second tab")
	assert.Contains(t, js[string](t, ctx2, `document.getElementById('kiosk-title').textContent`), "HLT")
	waitCells(t, ctx2, 3)
	require.NoError(t, waitJS(ctx2, `document.body.dataset.kioskPos === '0' && document.body.dataset.kioskCycles === '2'`), "and back to the first")
	waitCells(t, ctx2, 2)
	before := js[int](t, ctx2, `Number(document.querySelector('.lcell[data-name="EMCTRQA/hEMCalPatchMap"] .lplot').dataset.drawn)`)
	at := time.Now()
	e.addSnapshot(t, 101, "EMC", at)
	e.th2 = bytes.Replace(e.th2, []byte(`"fEntries":`), []byte(`"fEntries":2e6,"fDummy":`), 1)
	e.th2 = bytes.Replace(e.th2, []byte(`,"fDummy":`), []byte(`,"fMaximum":`), 1)
	e.publish(t, 101, "EMC", "", at, nil)
	require.NoError(t, waitJS(ctx2, fmt.Sprintf(`Number(document.querySelector('.lcell[data-name="EMCTRQA/hEMCalPatchMap"] .lplot').dataset.drawn) > %d`, before)), "kiosk redrew the new snapshot")

	// A new run starts and is processed: the kiosk follows it.
	next := time.Now()
	e.addSnapshot(t, 102, "EMC", next)
	e.publish(t, 102, "EMC", "", next, nil)
	require.NoError(t, waitJS(ctx2, `document.getElementById('kiosk-run').textContent === 'Run 102'`), "the kiosk follows the newest run")
	require.NoError(t, waitJS(ctx2, `[...document.querySelectorAll('.lcell[data-sys="EMC"][data-kind="hist"] .lplot')].some((p) => p.dataset.run === '102' && !!p.querySelector('svg'))`), "and draws its plots")

	for _, c := range []context.Context{ctx, ctx2} {
		v, err := chromedp.Run(c, chromedp.Evaluate[string](`document.body.dataset.cspViolations || "0"`))
		require.NoError(t, err)
		assert.Equal(t, "0", v, "CSP violations")
	}
}

// TestBrowserDarkTheme: the toggle switches the theme, keeps it in the
// browser across pages and in the user's preferences.
func TestBrowserDarkTheme(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := layoutEnv(t)
	e.seed(t, 1)
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLoginAs(ctx, srv.URL, viewerUser))
	bg := `getComputedStyle(document.body).backgroundColor`
	light := js[string](t, ctx, bg)
	js[bool](t, ctx, `(() => { document.getElementById('theme-toggle').click(); return true; })()`)
	require.NoError(t, waitJS(ctx, `document.documentElement.dataset.theme === 'dark'`))
	dark := js[string](t, ctx, bg)
	assert.NotEqual(t, light, dark)
	assert.Equal(t, "rgb(18, 23, 29)", dark)
	require.Eventually(t, func() bool {
		p := e.app.userPrefs(t.Context(), &session{User: viewerUser})
		return p.Theme == "dark"
	}, 10*time.Second, 100*time.Millisecond, "kept in the user's preferences")
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/100/EMC"), chromedp.WaitVisible(chromedp.CSS("#plots"))))
	require.NoError(t, waitJS(ctx, `document.documentElement.dataset.theme === 'dark'`))
	assert.Equal(t, "dark", js[string](t, ctx, `localStorage.getItem('overwatch.theme')`))
	screenshot(t, ctx, "dark-run-page")

	// The preferences form of the layout list: PNG images by default.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/layouts"), chromedp.WaitVisible(chromedp.CSS("#prefs-form"))))
	require.NoError(t, waitJS(ctx, `document.body.dataset.prefsReady === '1'`))
	assert.Equal(t, "dark", js[string](t, ctx, `document.getElementById('pref-theme').value`))
	js[bool](t, ctx, `(() => { document.getElementById('pref-render').value = 'png'; document.getElementById('pref-theme').value = 'auto'; document.getElementById('pref-save').click(); return true; })()`)
	require.NoError(t, waitJS(ctx, `document.getElementById('pref-status').textContent === 'saved'`))
	p := e.app.userPrefs(t.Context(), &session{User: viewerUser})
	assert.Equal(t, "png", p.Render)
	assert.Equal(t, "auto", p.Theme)
	assert.False(t, js[bool](t, ctx, `'theme' in document.documentElement.dataset`), "back to the browser's theme")
	// A layout then shows the server's PNGs.
	body, err := json.Marshal(twoTabLayout("PNG"))
	require.NoError(t, err)
	_, err = e.store.PutDocument(t.Context(), overwatch.Document{Kind: overwatch.DocumentKindLayout, Name: "png", Author: expertUser, Body: body}, 0)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/layouts/png?run=100"), chromedp.WaitVisible(chromedp.CSS("#layout-grids"))))
	require.NoError(t, waitJS(ctx, `document.querySelectorAll('.lgrid:not([hidden]) .lplot img[src*="/api/runs/100/EMC/png/"]').length === 2`))
	assert.Equal(t, 0, js[int](t, ctx, `document.querySelectorAll('.lgrid:not([hidden]) .lplot svg').length`))
}

// TestBrowserLayoutTimeSlice: a layout permalink with a time slice asks the
// time-slice service for it per subsystem and draws the slice's outputs.
func TestBrowserLayoutTimeSlice(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := layoutEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	e.slices.delay = 200 * time.Millisecond
	now := e.seed(t, 2)
	e.publish(t, 101, "HLT", "", now.Add(-2*time.Minute), nil)
	body, err := json.Marshal(twoTabLayout("Sliced"))
	require.NoError(t, err)
	_, err = e.store.PutDocument(t.Context(), overwatch.Document{Kind: overwatch.DocumentKindLayout, Name: "shift", Author: expertUser, Body: body}, 0)
	require.NoError(t, err)
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLoginAs(ctx, srv.URL, viewerUser))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/layouts/shift?run=101&tab=1&from=0&to=5"), chromedp.WaitVisible(chromedp.CSS("#layout-slice"))))
	require.NoError(t, waitJS(ctx, `document.body.dataset.layoutReady === '1'`))
	waitCells(t, ctx, 2)
	jsonURL := js[string](t, ctx, `document.querySelector('.lcell[data-name="EMCTRQA/hEMCalPatchMap"] .lplot').dataset.json`)
	assert.Contains(t, jsonURL, "?slice=")
	key := jsonURL[strings.Index(jsonURL, "?slice=")+len("?slice="):]
	assert.Equal(t, sliceKeyOf(timeslice.Request{Run: 101, Subsystem: "EMC", FromMinute: 0, ToMinute: 5, Options: map[string]string{}}), key,
		"the EMC plots are read from the EMC slice of the permalink")
	e.slices.mu.Lock()
	n := len(e.slices.jobs)
	e.slices.mu.Unlock()
	assert.Equal(t, 2, n, "one slice per subsystem of the layout's histograms (EMC, HLT)")
	// Changing the run reloads the page with the slice of the other run.
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#run-input"), "100"), chromedp.Click(chromedp.CSS("#run-go"))))
	require.NoError(t, waitJS(ctx, `location.search === '?run=100&tab=1&from=0&to=5'`))
}
