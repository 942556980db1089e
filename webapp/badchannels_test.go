package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// patchMapCell is a cell of the fixture's 24 × 12 TH2F patch map.
func patchMapCell(ix, iy int) int { return ix + 26*iy }

// putProposals stores a bad-channel list of EMC with proposed cells of
// the patch map, as the observer does.
func putProposals(t *testing.T, docs *qualityDocs, cells ...int) {
	h := overwatch.MustNewHist(overwatch.ClassTH2F, "EMCTRQA/hEMCalPatchMap", "", overwatch.NewAxis(24, 0, 48), overwatch.NewAxis(12, 0, 24))
	b := &quality.BadChannels{Subsystem: "EMC"}
	require.True(t, b.Propose(h, quality.Result{Check: "DeadChannels", Bins: cells}, 100, time.Now()))
	d, err := b.Document("quality", "")
	require.NoError(t, err)
	_, err = docs.PutDocument(context.Background(), d, 0)
	require.NoError(t, err)
}

func TestBadChannelAPI(t *testing.T) {
	e, docs := qualityEnv(t)
	e.seed(t, 1)
	cell := patchMapCell(5, 3)
	putProposals(t, docs, cell, patchMapCell(6, 3))
	srv := e.server(t)
	decide := func(c *client, body string, csrf bool) (*http.Response, string) {
		hdr := map[string]string{"Content-Type": "application/json"}
		if csrf {
			hdr["X-CSRF-Token"] = c.csrf()
		}
		return c.do("POST", "/api/badchannels", strings.NewReader(body), hdr)
	}
	body := fmt.Sprintf(`{"subsystem":"EMC","hist":"EMCTRQA/hEMCalPatchMap","cell":%d,"state":"confirmed","version":1}`, cell)
	viewer := loginQuality(t, srv.URL, "vera")
	resp, _ := decide(viewer, body, true)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	shifter := loginQuality(t, srv.URL, testUser)
	resp, _ = decide(shifter, body, true)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	expert := loginQuality(t, srv.URL, "eric")
	resp, _ = decide(expert, body, false)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	secret, _, err := e.app.cfg.Tokens.Add("eric", []Scope{ScopeRuns}, time.Hour)
	require.NoError(t, err)
	resp, _ = newClient(t, srv.URL).do("POST", "/api/badchannels", strings.NewReader(body), map[string]string{"Authorization": "Bearer " + secret})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "tokens are read-only")
	h, _ := docs.DocumentHistory(context.Background(), quality.BadChannelsKind, "EMC")
	assert.Len(t, h, 1, "nothing written by the refused requests")

	resp, msg := decide(expert, body, true)
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	var got badChannelsJSON
	require.NoError(t, json.Unmarshal([]byte(msg), &got))
	assert.Equal(t, int64(2), got.Version)
	assert.Equal(t, 1, got.Confirmed)
	assert.Equal(t, 1, got.Proposed)
	assert.Equal(t, "eric", got.Channels[0].By)
	resp, _ = decide(expert, body, true)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "version 1 was read, the list is at 2")

	for _, c := range []struct {
		body string
		code int
	}{
		{`nope`, http.StatusBadRequest},
		{`{"subsystem":"EMC","hist":"x","cell":1,"state":"confirmed","version":2,"more":1}`, http.StatusBadRequest},
		{`{"subsystem":"emc","hist":"x","cell":1,"state":"confirmed","version":2}`, http.StatusBadRequest},
		{`{"subsystem":"EMC","hist":"x","cell":1,"state":"maybe","version":2}`, http.StatusBadRequest},
		{`{"subsystem":"EMC","hist":"x","cell":1,"state":"confirmed","version":2}`, http.StatusNotFound},
		{fmt.Sprintf(`{"subsystem":"EMC","hist":"EMCTRQA/hEMCalPatchMap","cell":%d,"state":"removed","version":2,"comment":"fixed"}`, patchMapCell(6, 3)), http.StatusOK},
	} {
		resp, msg := decide(expert, c.body, true)
		assert.Equal(t, c.code, resp.StatusCode, "%s: %s", c.body, msg)
	}
	resp, msg = viewer.get("/api/badchannels?sys=EMC&hist=EMCTRQA/hEMCalPatchMap")
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	require.NoError(t, json.Unmarshal([]byte(msg), &got))
	assert.Equal(t, [2]int{1, 0}, [2]int{got.Confirmed, got.Proposed})
	resp, msg = viewer.get("/api/badchannels/history?sys=EMC")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var hist struct{ History []overwatch.Document }
	require.NoError(t, json.Unmarshal([]byte(msg), &hist))
	require.Len(t, hist.History, 3)
	assert.Equal(t, "fixed", hist.History[2].Comment)
	resp, _ = viewer.get("/api/badchannels?sys=x")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// The run page: the panel, buttons only for experts, the mask.
	_, page := viewer.get("/run/100/EMC")
	assert.Contains(t, page, `class="panel badchannels"`)
	assert.NotContains(t, page, `class="channel-action"`)
	assert.Contains(t, page, fmt.Sprintf(`data-masked="[%d]"`, cell))
	_, page = expert.get("/run/100/EMC")
	assert.Contains(t, page, `class="channel-action"`)
}

// TestBrowserBadChannelConfirm: an expert confirms a proposed bad channel
// on the run page and the map shows it masked (drawn by JSROOT).
func TestBrowserBadChannelConfirm(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e, docs := qualityEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	e.seed(t, 1)
	putProposals(t, docs, patchMapCell(5, 3))
	srv := e.server(t)
	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "eric"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#runs")),
		chromedp.Navigate(srv.URL+"/run/100/EMC"),
		chromedp.WaitVisible(chromedp.CSS("#plots")),
	))
	_, err := waitTH2(ctx, 1)
	require.NoError(t, err)
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Number(document.querySelector('.plot[data-name="EMCTRQA/hEMCalPatchMap"]').dataset.maskDrawn || 0)`))
	require.NoError(t, err)
	assert.Equal(t, 0, n, "nothing masked while only proposed")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`details.badchannels summary`)),
		chromedp.Click(chromedp.CSS(`button.channel-action[data-state="confirmed"]`)),
	))
	const maskProbe = `(() => {
  const div = document.querySelector('.plot[data-name="EMCTRQA/hEMCalPatchMap"]');
  if (!div || !div.dataset.masked) return {masked: 0, black: 0};
  let black = 0;
  for (const p of div.querySelectorAll('svg path')) {
    const f = (p.getAttribute('fill') || p.style.fill || '').replace(/\s/g, '').toLowerCase();
    if (f === 'black' || f === '#000000' || f === 'rgb(0,0,0)') black++;
  }
  return {masked: Number(div.dataset.maskDrawn || 0), black, state: document.querySelector('li.channel .state').textContent};
})()`
	var p struct {
		Masked int    `json:"masked"`
		Black  int    `json:"black"`
		State  string `json:"state"`
	}
	assert.Eventually(t, func() bool {
		p, err = chromedp.Run(ctx, chromedp.Evaluate[struct {
			Masked int    `json:"masked"`
			Black  int    `json:"black"`
			State  string `json:"state"`
		}](maskProbe))
		return err == nil && p.Masked >= 1 && p.Black > 0
	}, 15*time.Second, 100*time.Millisecond, "mask drawn: %+v %v", p, err)
	if t.Failed() {
		st, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#plots').outerHTML.slice(0, 3000)`))
		t.Log(st)
	}
	assert.Equal(t, "confirmed", p.State)
	screenshot(t, ctx, "quality-4-bad-channel-masked")
	d, err := docs.Document(context.Background(), quality.BadChannelsKind, "EMC", 0)
	require.NoError(t, err)
	assert.Equal(t, "eric", d.Author)
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.cspViolations || "0"`))
	require.NoError(t, err)
	assert.Equal(t, "0", v)
}
