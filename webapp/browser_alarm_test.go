package webapp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// waitJS polls a boolean expression until it is true (or 20 s pass).
func waitJS(ctx context.Context, expr string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("timed out waiting for %s", expr)
}

// After the page content is reloaded in place, the alarm buttons (new
// elements) still work.
func TestBrowserAlarmButtonsAfterReload(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	now := e.seed(t, 1)
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/high", Subsystem: "EMC", Trend: "maxPatch", Alarm: "high",
		Hist: "hEvents", State: overwatch.AlarmFiring, Message: "is high", Run: 100, FiredAt: now})
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, browserLogin(ctx, srv.URL))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/100/EMC"),
		chromedp.WaitVisible(chromedp.CSS(`#alarms button[data-action="ack"]`))))
	require.NoError(t, waitJS(ctx, `document.body.dataset.ready === '1'`))
	// Mark the rendered buttons, then reload the content in place (the
	// page's own popstate handler) and wait for new buttons.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
	  for (const b of document.querySelectorAll('button.alarm-action')) b.dataset.old = '1';
	  history.pushState({}, '', location.pathname + '?group=Spectra');
	  history.back();
	  return true; })()`))
	require.NoError(t, err)
	require.NoError(t, waitJS(ctx, `!!document.querySelector('#alarms button[data-action="ack"]') && !document.querySelector('button.alarm-action[data-old]')`),
		"content reloaded in place")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#alarms button[data-action="ack"]`))))
	require.NoError(t, waitJS(ctx, `(document.querySelector('#alarms .alarm-status')?.textContent || '').includes('acknowledged by `+testUser+`')`))
	rec, err := e.store.Alarm(context.Background(), "EMC/maxPatch/high")
	require.NoError(t, err)
	assert.Equal(t, testUser, rec.AckedBy)
	screenshot(t, ctx, "alarm-after-reload")
}
