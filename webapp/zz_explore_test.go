package webapp

import (
	"github.com/chromedp/cdproto/page"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

func TestZZExplore(t *testing.T) {
	e := newEnv(t)
	simulatedRun(t, e, 700, 0, "EMC", "HLT")
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `window.__lt = []; window.__fr = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lt.push(Math.round(e.startTime) + '+' + Math.round(e.duration)); }).observe({type: 'longtask', buffered: true});
const f = (ts) => { window.__fr.push(Math.round(ts)); if (ts < 700) requestAnimationFrame(f); }; requestAnimationFrame(f);`})
	require.NoError(t, err)
	for i := 0; i < 4; i++ {
		pg := "/run/700/HLT"
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+pg), chromedp.WaitVisible(chromedp.CSS("header"))))
		time.Sleep(1500 * time.Millisecond)
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		  const n = performance.getEntriesByType('navigation')[0];
		  let out = 'nav resp ' + n.responseStart.toFixed(0) + '-' + n.responseEnd.toFixed(0) + ' domInteractive ' + n.domInteractive.toFixed(0) + ' dcl ' + n.domContentLoadedEventStart.toFixed(0) + '-' + n.domContentLoadedEventEnd.toFixed(0) + ' size ' + n.transferSize + '/' + n.decodedBodySize + '\n';
		  for (const p of performance.getEntriesByType('paint')) out += p.name + ' ' + p.startTime.toFixed(0) + '\n';
		  for (const r of performance.getEntriesByType('resource')) out += r.name.replace(location.origin,'') + ' start ' + r.startTime.toFixed(0) + ' reqStart ' + r.requestStart.toFixed(0) + ' end ' + r.responseEnd.toFixed(0) + ' xfer ' + r.transferSize + ' ' + r.initiatorType + '\n';
		  out += 'dcl ' + n.domContentLoadedEventEnd.toFixed(0) + ' imageAt ' + [...document.querySelectorAll('.plot[data-image-at]')].map(p => p.dataset.imageAt).join(',') + '\n'; out += 'longtasks ' + window.__lt.join(' ') + '\nframes ' + window.__fr.join(' ') + '\n'; out += 'jsroot ' + document.body.dataset.jsrootAt + ' drawn ' + [...document.querySelectorAll('.plot[data-drawn-at]')].map(p => p.dataset.drawnAt).join(',') + '\n';
		  return out;
		})()`))
		require.NoError(t, err)
		t.Logf("load %d\n%s", i, s)
	}
}
