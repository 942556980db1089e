package webapp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

const (
	expertUser = "erin"
	viewerUser = "vic"
)

// withDocuments gives the app the fixture store's versioned documents
// (the fixture's store is the real one; webapp's own code never imports
// it).
func withDocuments(c *Config) { c.Documents = c.Store.(overwatch.DocumentStore) }

// layoutEnv is an app with documents, an expert and a viewer.
func layoutEnv(t testing.TB, opts ...envOpt) *testEnv {
	e := newEnv(t, append([]envOpt{withDocuments}, opts...)...)
	require.NoError(t, e.app.cfg.Users.Add(expertUser, testPassword, RoleExpert))
	require.NoError(t, e.app.cfg.Users.Add(viewerUser, testPassword, RoleViewer))
	return e
}

func loginAs(t testing.TB, base, user string) (*client, string) {
	c := newClient(t, base)
	resp := c.login(user, testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return c, c.csrf()
}

// sendJSON sends a JSON request with the CSRF token (none when csrf is "").
func (c *client) sendJSON(method, path, csrf string, v any) (*http.Response, string) {
	c.t.Helper()
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case nil:
	default:
		var err error
		b, err = json.Marshal(v)
		require.NoError(c.t, err)
	}
	hdr := map[string]string{"Content-Type": "application/json"}
	if csrf != "" {
		hdr["X-CSRF-Token"] = csrf
	}
	return c.do(method, path, strings.NewReader(string(b)), hdr)
}

func twoTabLayout(title string) overwatch.Layout {
	return overwatch.Layout{Title: title, Tabs: []overwatch.LayoutTab{
		{Title: "EMC", Columns: 2, Plots: []overwatch.LayoutPlot{
			{Subsystem: "EMC", Name: "EMCTRQA/hEMCalPatchMap", Width: 2, Options: overwatch.PlotOptions{LogZ: true, DrawOption: "colz"}},
			{Subsystem: "EMC", Name: "hEvents", Options: overwatch.PlotOptions{XRange: &overwatch.Range{Min: 0, Max: 10}}},
		}},
		{Title: "HLT", Plots: []overwatch.LayoutPlot{{Subsystem: "HLT", Name: "hSpec_a"}, {Kind: overwatch.PlotTrend, Subsystem: "EMC", Name: "maxPatch"}}},
	}}
}

func decodeDoc(t testing.TB, body string) layoutDoc {
	var d layoutDoc
	require.NoError(t, json.Unmarshal([]byte(body), &d), body)
	return d
}

func TestLayoutAPISaveGetHistoryRevertCloneDelete(t *testing.T) {
	e := layoutEnv(t)
	e.seed(t, 1)
	srv := e.server(t)
	c, csrf := loginAs(t, srv.URL, expertUser)

	// Create (version 0 read): 201, version 1, author, normalized.
	resp, body := c.sendJSON("PUT", "/api/layouts/shift", csrf, layoutSave{Comment: "first", Layout: twoTabLayout("Shift")})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	d := decodeDoc(t, body)
	assert.Equal(t, int64(1), d.Version)
	assert.Equal(t, expertUser, d.Author)
	assert.Equal(t, "first", d.Comment)
	assert.Equal(t, overwatch.PlotHist, d.Layout.Tabs[0].Plots[0].Kind)
	assert.Equal(t, 3, d.Layout.Tabs[1].Columns, "default columns")
	assert.Equal(t, 1, d.Layout.Tabs[1].Plots[0].Width)

	// Update with the version read (POST works as PUT).
	l := twoTabLayout("Shift v2")
	resp, body = c.sendJSON("POST", "/api/layouts/shift", csrf, layoutSave{Version: 1, Comment: "retitled", Layout: l})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, int64(2), decodeDoc(t, body).Version)

	// A stale version: 409 naming who saved the newer one; nothing written.
	resp, body = c.sendJSON("PUT", "/api/layouts/shift", csrf, layoutSave{Version: 1, Layout: twoTabLayout("lost")})
	require.Equal(t, http.StatusConflict, resp.StatusCode, body)
	assert.Contains(t, body, "version 2 was saved by "+expertUser)
	// Creating over an existing name is a conflict too.
	resp, _ = c.sendJSON("PUT", "/api/layouts/shift", csrf, layoutSave{Layout: twoTabLayout("again")})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)

	// Get: newest and an old version.
	resp, body = c.get("/api/layouts/shift")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "Shift v2", decodeDoc(t, body).Layout.Title)
	resp, body = c.get("/api/layouts/shift?version=1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "Shift", decodeDoc(t, body).Layout.Title)
	resp, _ = c.get("/api/layouts/shift?version=9")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = c.get("/api/layouts/shift?version=x")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// Revert to version 1 writes version 3 with version 1's content.
	resp, body = c.sendJSON("POST", "/api/layouts/shift/revert", csrf, layoutRevert{Version: 2, To: 1})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	d = decodeDoc(t, body)
	assert.Equal(t, int64(3), d.Version)
	assert.Equal(t, "Shift", d.Layout.Title)
	assert.Equal(t, "revert to version 1", d.Comment)
	resp, _ = c.sendJSON("POST", "/api/layouts/shift/revert", csrf, layoutRevert{Version: 2, To: 1})
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "revert from a stale version")

	// History: every version, oldest first, who and why.
	resp, body = c.get("/api/layouts/shift/history")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var hist []layoutVersion
	require.NoError(t, json.Unmarshal([]byte(body), &hist))
	require.Len(t, hist, 3)
	assert.Equal(t, []string{"first", "retitled", "revert to version 1"}, []string{hist[0].Comment, hist[1].Comment, hist[2].Comment})
	assert.Equal(t, "Shift v2", hist[1].Title)

	// Clone: a new, unofficial layout; cloning onto an existing name is 409.
	resp, body = c.sendJSON("POST", "/api/layouts/shift/clone", csrf, layoutClone{To: "shift-copy"})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	d = decodeDoc(t, body)
	assert.Equal(t, "Shift (copy)", d.Layout.Title)
	assert.Equal(t, int64(1), d.Version)
	resp, _ = c.sendJSON("POST", "/api/layouts/shift/clone", csrf, layoutClone{To: "shift-copy"})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)

	// List: both, official first.
	off := twoTabLayout("Zulu official")
	off.Official = true
	resp, _ = c.sendJSON("PUT", "/api/layouts/zulu", csrf, layoutSave{Layout: off})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	resp, body = c.get("/api/layouts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list []layoutSummary
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list, 3)
	assert.Equal(t, "zulu", list[0].Name, "official first")
	assert.Equal(t, 4, list[0].Plots)

	// Delete needs the version read; writes a tombstone; history keeps it.
	resp, _ = c.sendJSON("DELETE", "/api/layouts/shift-copy", csrf, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = c.sendJSON("DELETE", "/api/layouts/shift-copy?version=7", csrf, nil)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, body = c.sendJSON("DELETE", "/api/layouts/shift-copy?version=1", csrf, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = c.get("/api/layouts/shift-copy")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body, "deleted by "+expertUser)
	resp, body = c.get("/api/layouts/shift-copy/history")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.Unmarshal([]byte(body), &hist))
	require.Len(t, hist, 2)
	assert.True(t, hist[1].Deleted)
	resp, body = c.get("/api/layouts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	assert.Len(t, list, 2)
	// Reverting a tombstone's predecessor brings it back.
	resp, body = c.sendJSON("POST", "/api/layouts/shift-copy/revert", csrf, layoutRevert{Version: 2, To: 1})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, int64(3), decodeDoc(t, body).Version)
	resp, _ = c.sendJSON("POST", "/api/layouts/shift-copy/revert", csrf, layoutRevert{Version: 3, To: 2})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a tombstone cannot be restored as content")
}

func TestLayoutAPIPermissions(t *testing.T) {
	e := layoutEnv(t)
	srv := e.server(t)
	expert, ecsrf := loginAs(t, srv.URL, expertUser)
	resp, body := expert.sendJSON("PUT", "/api/layouts/shift", ecsrf, layoutSave{Layout: twoTabLayout("Shift")})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)

	save := layoutSave{Version: 1, Layout: twoTabLayout("changed")}
	// A viewer and a shifter read but cannot write.
	for _, u := range []string{viewerUser, testUser} {
		c, csrf := loginAs(t, srv.URL, u)
		resp, _ := c.get("/api/layouts/shift")
		assert.Equal(t, http.StatusOK, resp.StatusCode, u)
		resp, body := c.sendJSON("PUT", "/api/layouts/shift", csrf, save)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, u)
		assert.Contains(t, body, "needs the expert role")
		resp, _ = c.sendJSON("POST", "/api/layouts/shift/revert", csrf, layoutRevert{Version: 1, To: 1})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, u)
		resp, _ = c.sendJSON("POST", "/api/layouts/shift/clone", csrf, layoutClone{To: "mine"})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, u)
		resp, _ = c.sendJSON("DELETE", "/api/layouts/shift?version=1", csrf, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, u)
		resp, _ = c.get("/layouts/shift/edit")
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, u)
	}
	// The expert without the CSRF token: 403, nothing written.
	resp, body = expert.sendJSON("PUT", "/api/layouts/shift", "", save)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "CSRF")
	resp, _ = expert.sendJSON("PUT", "/api/layouts/shift", "wrong", save)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	// Not logged in: 401.
	anon := newClient(t, srv.URL)
	resp, _ = anon.get("/api/layouts")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = anon.sendJSON("PUT", "/api/layouts/shift", "x", save)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// An API token (even of an expert) reads but never writes.
	secret, _, err := e.app.cfg.Tokens.Add(expertUser, []Scope{ScopeRuns}, time.Hour)
	require.NoError(t, err)
	tok := newClient(t, srv.URL)
	resp, body = tok.do("GET", "/api/layouts/shift", nil, map[string]string{"Authorization": "Bearer " + secret})
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, _ = tok.do("GET", "/api/layouts", nil, map[string]string{"Authorization": "Bearer " + secret})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	b, _ := json.Marshal(save)
	for _, m := range []string{"PUT", "POST", "DELETE"} {
		resp, _ = tok.do(m, "/api/layouts/shift?version=1", strings.NewReader(string(b)), map[string]string{"Authorization": "Bearer " + secret, "Content-Type": "application/json"})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, m)
	}
	resp, _ = tok.do("PUT", "/api/preferences", strings.NewReader(`{"theme":"dark"}`), map[string]string{"Authorization": "Bearer " + secret})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Still version 1 with the expert's content.
	resp, body = expert.get("/api/layouts/shift")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	d := decodeDoc(t, body)
	assert.Equal(t, int64(1), d.Version)
	assert.Equal(t, "Shift", d.Layout.Title)
}

func TestLayoutValidation(t *testing.T) {
	e := layoutEnv(t)
	srv := e.server(t)
	c, csrf := loginAs(t, srv.URL, expertUser)
	many := func(n int, f func(i int) overwatch.LayoutPlot) []overwatch.LayoutPlot {
		out := make([]overwatch.LayoutPlot, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	ok := func() overwatch.Layout { return twoTabLayout("ok") }
	cases := []struct {
		name string
		mut  func(l *overwatch.Layout)
		want string
	}{
		{"no title", func(l *overwatch.Layout) { l.Title = " " }, "title: must not be empty"},
		{"long title", func(l *overwatch.Layout) { l.Title = strings.Repeat("x", 201) }, "title: 201 bytes"},
		{"control chars", func(l *overwatch.Layout) { l.Tabs[0].Title = "a\x01b" }, "tabs[0].title: control characters"},
		{"no tabs", func(l *overwatch.Layout) { l.Tabs = nil }, "tabs: 0 tabs"},
		{"too many tabs", func(l *overwatch.Layout) {
			for len(l.Tabs) <= overwatch.MaxLayoutTabs {
				l.Tabs = append(l.Tabs, l.Tabs[0])
			}
		}, "tabs: 21 tabs"},
		{"too many plots", func(l *overwatch.Layout) {
			l.Tabs[0].Plots = many(overwatch.MaxLayoutPlots+1, func(int) overwatch.LayoutPlot { return overwatch.LayoutPlot{Subsystem: "EMC", Name: "h"} })
		}, "tabs[0].plots: 65 plots"},
		{"bad subsystem", func(l *overwatch.Layout) { l.Tabs[1].Plots[0].Subsystem = "emc" }, "tabs[1].plots[0].subsystem"},
		{"bad kind", func(l *overwatch.Layout) { l.Tabs[1].Plots[0].Kind = "stack" }, "tabs[1].plots[0].kind"},
		{"empty name", func(l *overwatch.Layout) { l.Tabs[0].Plots[1].Name = "" }, "tabs[0].plots[1].name: must not be empty"},
		{"wider than the grid", func(l *overwatch.Layout) { l.Tabs[0].Plots[0].Width = 3 }, "tabs[0].plots[0].w: 3 cells"},
		{"too high", func(l *overwatch.Layout) { l.Tabs[0].Plots[0].Height = 5 }, "tabs[0].plots[0].h: 5 cells"},
		{"columns", func(l *overwatch.Layout) { l.Tabs[0].Columns = 7 }, "tabs[0].columns: 7"},
		{"range", func(l *overwatch.Layout) { l.Tabs[0].Plots[1].Options.XRange = &overwatch.Range{Min: 5, Max: 5} }, "options.xrange: [5, 5]"},
		{"draw option", func(l *overwatch.Layout) { l.Tabs[0].Plots[0].Options.DrawOption = "colz<script>" }, "options.drawOption"},
	}
	for _, tc := range cases {
		l := ok()
		tc.mut(&l)
		resp, body := c.sendJSON("PUT", "/api/layouts/v", csrf, layoutSave{Layout: l})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, tc.name)
		assert.Contains(t, body, tc.want, tc.name)
	}
	// Malformed bodies, unknown fields, bad names: 400.
	for _, b := range []string{`{`, `{"layout":{"title":"x","tabs":[{"title":"t","plots":[]}]},"extra":1}`, `{"layout":{"title":1}}`, `{"version":0,"layout":{"title":"x","tabs":[{"title":"t"}]}} {}`} {
		resp, body := c.sendJSON("PUT", "/api/layouts/v", csrf, b)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, b+" → "+body)
	}
	for _, n := range []string{".hidden", "a%20b", strings.Repeat("n", 65), "-x"} {
		resp, _ := c.sendJSON("PUT", "/api/layouts/"+n, csrf, layoutSave{Layout: ok()})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, n)
	}
	resp, body := c.sendJSON("PUT", "/api/layouts/v", csrf, layoutSave{Version: -1, Layout: ok()})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	resp, _ = c.sendJSON("PUT", "/api/layouts/v", csrf, layoutSave{Comment: "a\nb", Layout: ok()})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	// A body over 1 MiB: 413, never 500.
	huge := `{"comment":"` + strings.Repeat("x", overwatch.MaxDocumentBody) + `"}`
	resp, _ = c.sendJSON("PUT", "/api/layouts/v", csrf, huge)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	// Nothing was stored.
	resp, _ = c.get("/api/layouts/v")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestLayoutConfigDeclared(t *testing.T) {
	decl := twoTabLayout("Declared")
	decl.Official = true
	e := layoutEnv(t, func(c *Config) { c.Layouts = map[string]overwatch.Layout{"shift": decl} })
	e.seed(t, 1)
	srv := e.server(t)
	c, csrf := loginAs(t, srv.URL, expertUser)
	resp, body := c.get("/api/layouts/shift")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	d := decodeDoc(t, body)
	assert.True(t, d.ReadOnly)
	assert.Equal(t, "config", d.Source)
	// Read-only in the browser: save, revert, delete and the editor are 403.
	resp, _ = c.sendJSON("PUT", "/api/layouts/shift", csrf, layoutSave{Layout: twoTabLayout("x")})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = c.sendJSON("DELETE", "/api/layouts/shift?version=1", csrf, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = c.get("/layouts/shift/edit")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	// Cloning it gives an editable copy.
	resp, body = c.sendJSON("POST", "/api/layouts/shift/clone", csrf, layoutClone{To: "mine", Title: "Mine"})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	d = decodeDoc(t, body)
	assert.False(t, d.Layout.Official)
	assert.Equal(t, "cloned from shift", d.Comment)
	// The list shows both, the declared one first (official).
	_, page := c.get("/layouts")
	assert.Regexp(t, `(?s)data-layout="shift".*official.*config.*data-layout="mine"`, page)
	assert.Contains(t, page, `id="kiosk-official" href="/kiosk?layouts=shift"`)

	// An invalid declaration is refused by New.
	bad := twoTabLayout("")
	_, err := New(Config{Store: e.store, Alarms: e.store, DataDir: e.dir, Layouts: map[string]overwatch.Layout{"x": bad}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "title: must not be empty")
}

func TestLayoutPages(t *testing.T) {
	e := layoutEnv(t)
	e.seed(t, 2)
	srv := e.server(t)
	c, csrf := loginAs(t, srv.URL, expertUser)
	resp, body := c.sendJSON("PUT", "/api/layouts/shift", csrf, layoutSave{Layout: twoTabLayout("Shift <b>")})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)

	resp, page := c.get("/layouts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `href="/layouts/shift"`)
	assert.Contains(t, page, "Shift &lt;b&gt;")
	assert.Contains(t, page, `src="`+staticURL("layouts.js")+`"`)
	assert.NotRegexp(t, `<script>`, page, "no inline scripts")

	// The view: ?run=latest resolves to the newest run; the permalink keeps "latest".
	resp, page = c.get("/layouts/shift")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := regexp.MustCompile(`data-layout="([^"]+)"`).FindStringSubmatch(page)
	require.NotNil(t, m)
	var pj pageJSON
	require.NoError(t, json.Unmarshal([]byte(htmlUnescape(m[1])), &pj))
	assert.Equal(t, 101, pj.Run)
	assert.Equal(t, "latest", pj.RunParam)
	assert.True(t, pj.CanEdit)
	assert.Contains(t, page, `href="/layouts/shift?run=latest&amp;tab=1"`)
	resp, page = c.get("/layouts/shift?run=100&tab=2")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `href="/layouts/shift?run=100&amp;tab=2"`)
	// An old version stays in the permalink.
	resp, page = c.get("/layouts/shift?version=1&run=100")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `href="/layouts/shift?run=100&amp;tab=1&amp;version=1"`)
	// A time slice in the permalink.
	resp, page = c.get("/layouts/shift?run=100&from=0&to=5.5")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `href="/layouts/shift?run=100&amp;tab=1&amp;from=0&amp;to=5.5"`)
	assert.Contains(t, page, `id="layout-slice"`)
	for _, q := range []string{"?run=abc", "?tab=3", "?tab=0", "?version=0", "?from=5&to=1", "?from=1", "?from=x&to=2", "?from=-1&to=2", "?from=0&to=1e9"} {
		resp, _ = c.get("/layouts/shift" + q)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, q)
	}
	resp, _ = c.get("/layouts/nope")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// The editor: existing and new layouts.
	resp, page = c.get("/layouts/shift/edit")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `id="picker"`)
	resp, _ = c.get("/layouts/brand-new/edit")
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// A viewer sees the view without the edit link.
	v, _ := loginAs(t, srv.URL, viewerUser)
	resp, page = v.get("/layouts/shift")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, page, `id="edit-link"`)

	// The kiosk: its own document, no toolbar; bounds checked.
	resp, page = v.get("/kiosk?layouts=shift,shift&every=10")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `class="kiosk"`)
	assert.NotContains(t, page, `class="toolbar"`)
	resp, page = v.get("/kiosk?layouts=shift&tabs=2")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m = regexp.MustCompile(`data-layout="([^"]+)"`).FindStringSubmatch(page)
	require.NotNil(t, m)
	require.NoError(t, json.Unmarshal([]byte(htmlUnescape(m[1])), &pj))
	require.Len(t, pj.Kiosk, 1)
	require.Len(t, pj.Kiosk[0].Layout.Tabs, 1)
	assert.Equal(t, "HLT", pj.Kiosk[0].Layout.Tabs[0].Title)
	assert.Equal(t, 30, pj.Every)
	for _, q := range []string{"?layouts=shift&tabs=3", "?layouts=shift&tabs=x", "?layouts=shift,shift&tabs=1", "", "?layouts=shift&every=1", "?layouts=shift&every=x", "?layouts=..", "?layouts=" + strings.Repeat("a,", 21)} {
		resp, _ = v.get("/kiosk" + q)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, q)
	}
	resp, _ = v.get("/kiosk?layouts=nope")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'", "&amp;", "&").Replace(s)
}

func TestLayoutsWithoutDocuments(t *testing.T) {
	e := newEnv(t)
	c, srv := loggedIn(t, e)
	_ = srv
	resp, body := c.get("/api/layouts/x")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body, "without a document store")
	resp, _ = c.get("/layouts")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

func TestPreferences(t *testing.T) {
	e := layoutEnv(t)
	srv := e.server(t)
	v, csrf := loginAs(t, srv.URL, viewerUser)
	resp, body := v.get("/api/preferences")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"theme":"auto","render":"jsroot"}`, body)
	// Any logged-in user keeps their own preferences (CSRF needed).
	resp, _ = v.sendJSON("PUT", "/api/preferences", "", preferencesBody{Theme: "dark"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, body = v.sendJSON("PUT", "/api/preferences", csrf, preferencesBody{Theme: "dark", DrawOption: "hist", Render: "png"})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = v.sendJSON("PUT", "/api/preferences", csrf, preferencesBody{Theme: "dark"})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = v.get("/api/preferences")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"theme":"dark","render":"jsroot"}`, body)
	for _, b := range []string{`{"theme":"pink"}`, `{"render":"svg"}`, `{"drawOption":"<x>"}`, `{"theme":"dark","x":1}`} {
		resp, body = v.sendJSON("PUT", "/api/preferences", csrf, b)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, b+" → "+body)
	}
	// Stored as the user's document, versioned.
	hist, err := e.store.DocumentHistory(t.Context(), documentKindPreferences, viewerUser)
	require.NoError(t, err)
	assert.Len(t, hist, 2)
	// Another user's preferences are their own.
	x, _ := loginAs(t, srv.URL, expertUser)
	_, body = x.get("/api/preferences")
	assert.JSONEq(t, `{"theme":"auto","render":"jsroot"}`, body)
}

func TestLayoutCheckExample(t *testing.T) {
	l := overwatch.Layout{Title: "t", Tabs: []overwatch.LayoutTab{{Title: "a", Plots: []overwatch.LayoutPlot{{Subsystem: "EMC", Name: "h"}}}}}
	require.NoError(t, l.Check())
	assert.Equal(t, 3, l.Tabs[0].Columns)
	l.Tabs[0].Plots[0].Width = 4
	err := l.Check()
	require.ErrorIs(t, err, overwatch.ErrInvalidLayout)
	assert.Equal(t, fmt.Sprintf("%v: tabs[0].plots[0].w: 4 cells, want 1–3 (the tab's columns)", overwatch.ErrInvalidLayout), err.Error())
}
