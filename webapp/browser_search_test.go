package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// TestBrowserSearch: the run page's search finds a histogram by part of
// its title across subsystems, moves through the results with the
// keyboard and opens the chosen one in place.
func TestBrowserSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	e.seed(t, 2)
	e.publish(t, 101, "HLT", "", time.Now(), nil)
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/101/EMC"), chromedp.WaitVisible(chromedp.CSS("#plots")),
		chromedp.SendKeys(chromedp.CSS("#search-input"), "ectrum")))
	require.NoError(t, waitJS(ctx, `document.body.dataset.searchHits === '2'`), "two hits: Spectrum A of EMC and of HLT")
	titles, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#search-results li')].map((li) => li.textContent)`))
	require.NoError(t, err)
	require.Len(t, titles, 2)
	assert.Contains(t, titles[0], "Spectrum A")
	assert.Contains(t, titles[0], "EMC")
	assert.Contains(t, titles[1], "HLT")
	screenshot(t, ctx, "30-search")

	// ↓ moves to the HLT hit, ↑ back, ↓ again, Enter opens it in place.
	active := func() string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#search-results li.active')?.textContent || ''`))
		require.NoError(t, err)
		return v
	}
	assert.Contains(t, active(), "EMC")
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown)))
	assert.Contains(t, active(), "HLT")
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowUp)))
	assert.Contains(t, active(), "EMC")
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#search-view .plot[data-drawn] svg`))))
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#search-view-title")))
	require.NoError(t, err)
	assert.Equal(t, "Spectrum A (HLT)", title)
	jsonURL, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#search-view .plot').dataset.json`))
	require.NoError(t, err)
	assert.Equal(t, "/api/runs/101/HLT/json/hSpec_a", jsonURL)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/run/101/EMC", loc, "opened in place, no navigation")
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('search-results').hidden`))
	require.NoError(t, err)
	assert.True(t, hidden, "the list closes on Enter")
	screenshot(t, ctx, "31-search-opened")

	// Esc closes the list, a second Esc clears the box.
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#search-input")), chromedp.KeyEvent("s")))
	require.NoError(t, waitJS(ctx, `!document.getElementById('search-results').hidden`))
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)))
	hidden, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('search-results').hidden`))
	require.NoError(t, err)
	assert.True(t, hidden)
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)))
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('search-input').value`))
	require.NoError(t, err)
	assert.Empty(t, v)
	csp, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.cspViolations || "0"`))
	require.NoError(t, err)
	assert.Equal(t, "0", csp)
}

// publishMany writes a view of one group of n TH1 (JSON, hints, PNG each)
// for (run, sys).
func publishMany(t testing.TB, e *testEnv, run int, sys string, n int, snap time.Time) {
	t.Helper()
	ctx := context.Background()
	grp := overwatch.ViewGroup{Title: "All"}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("h%03d", i)
		grp.Hists = append(grp.Hists, overwatch.ViewHist{Name: name, PrettyName: fmt.Sprintf("Histogram %d", i), Class: "TH1F"})
		hb, err := json.Marshal(overwatch.Hints{Name: name, PrettyName: fmt.Sprintf("Histogram %d", i), Class: "TH1F", Group: "All"})
		require.NoError(t, err)
		for kind, data := range map[overwatch.OutputKind][]byte{overwatch.OutputJSON: e.th1, overwatch.OutputHints: hb, overwatch.OutputPNG: tinyPNG()} {
			require.NoError(t, e.store.PutOutput(ctx, overwatch.OutputRef{Run: run, Subsystem: sys, Name: name, Kind: kind}, data))
		}
	}
	view := overwatch.ViewDoc{Run: run, Subsystem: sys, Source: sys, Snapshot: overwatch.SnapshotDoc{Time: snap.Unix()}, Complete: true,
		Groups: []overwatch.ViewGroup{grp}}
	data, err := json.Marshal(view)
	require.NoError(t, err)
	require.NoError(t, e.store.PutOutput(ctx, overwatch.ViewRef(run, sys, ""), data))
}

// TestBrowserLazyDrawing: of a long page, only the plots near the
// viewport are drawn; the others are drawn once scrolled into view.
func TestBrowserLazyDrawing(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	now := time.Now().Truncate(time.Second)
	e.addSnapshot(t, 400, "EMC", now)
	publishMany(t, e, 400, "EMC", 40, now)
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/400/EMC"), chromedp.WaitVisible(chromedp.CSS(`.plot[data-name="h000"][data-drawn] svg`))))
	const state = `(() => { const ps = [...document.querySelectorAll('#plots .plot')];
	  return {total: ps.length, drawn: ps.filter((p) => p.dataset.drawn).length, last: !!ps[ps.length - 1].dataset.drawn,
	          spinners: ps.filter((p) => p.querySelector('.spinner, img.placeholder')).length}; })()`
	type lazyState struct {
		Total, Drawn, Spinners int
		Last                   bool
	}
	time.Sleep(500 * time.Millisecond) // give any eager drawing the time to show
	st, err := chromedp.Run(ctx, chromedp.Evaluate[lazyState](state))
	require.NoError(t, err)
	require.Equal(t, 40, st.Total)
	assert.LessOrEqual(t, st.Drawn, 6, "only the plots near the viewport are drawn")
	assert.GreaterOrEqual(t, st.Drawn, 1)
	assert.False(t, st.Last, "the last plot is not drawn before scrolling")
	assert.Equal(t, st.Total-st.Drawn, st.Spinners, "a spinner (or, in the first viewport, the server-rendered image) in every plot not drawn yet")

	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('#plots .plot-block:last-child').scrollIntoView(); return true; })()`))
	require.NoError(t, err)
	require.NoError(t, waitJS(ctx, `(() => { const ps = document.querySelectorAll('#plots .plot'); const l = ps[ps.length - 1]; return !!l.dataset.drawn && !!l.querySelector('svg'); })()`),
		"the last plot is drawn once scrolled into view")
	st, err = chromedp.Run(ctx, chromedp.Evaluate[lazyState](state))
	require.NoError(t, err)
	assert.Less(t, st.Drawn, st.Total, "the plots scrolled past are not all drawn")
	screenshot(t, ctx, "32-lazy-bottom")
}
