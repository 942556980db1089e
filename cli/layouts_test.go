package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
)

// startWeb runs `overwatch web` on dir until the returned stop is called.
func startWeb(t *testing.T, dir string) (base string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errb syncbuf.Buffer
	go func() {
		done <- runMain(ctx, &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }},
			[]string{"web", "--data", dir, "--listen", addr, "--no-slices"})
	}()
	base = "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, 20*time.Second, 20*time.Millisecond, errb.String())
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, errb.String())
		case <-time.After(20 * time.Second):
			t.Fatal("web did not stop on cancel")
		}
	}
	t.Cleanup(stop)
	return base, stop
}

var csrfAttr = regexp.MustCompile(`data-csrf="([^"]+)"`)

// layoutReq sends a JSON request with the session's CSRF token.
func (w *e2eClient) layoutReq(method, path string, body any) (int, string) {
	w.t.Helper()
	resp, err := w.c.Get(w.base + "/layouts")
	require.NoError(w.t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfAttr.FindSubmatch(page)
	require.NotNil(w.t, m, "%s", page)
	b, err := json.Marshal(body)
	require.NoError(w.t, err)
	req, err := http.NewRequest(method, w.base+path, strings.NewReader(string(b)))
	require.NoError(w.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", string(m[1]))
	resp, err = w.c.Do(req)
	require.NoError(w.t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// TestWebLayoutsSurviveRestart: a layout saved through one `web` process is
// served by a second one on the same data directory at the same time (a
// replica), a stale save is refused across them, and both serve every
// version after a restart.
func TestWebLayoutsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := runUsersCmd(context.Background(), "a long password\n", "users", "add", "--data", dir, "--role", "expert", "erin")
	require.Equal(t, 0, code, errs)

	baseA, stopA := startWeb(t, dir)
	baseB, stopB := startWeb(t, dir)
	a := e2eLogin(t, baseA, "erin", "a long password")
	layout := map[string]any{"title": "Shift", "tabs": []any{
		map[string]any{"title": "EMC", "plots": []any{map[string]any{"subsystem": "EMC", "name": "hEvents"}}},
		map[string]any{"title": "HLT", "plots": []any{map[string]any{"subsystem": "HLT", "name": "hSpec", "options": map[string]any{"logy": true}}}},
	}}
	st, body := a.layoutReq("PUT", "/api/layouts/shift", map[string]any{"version": 0, "comment": "first", "layout": layout})
	require.Equal(t, http.StatusCreated, st, body)
	layout["title"] = "Shift v2"
	st, body = a.layoutReq("PUT", "/api/layouts/shift", map[string]any{"version": 1, "layout": layout})
	require.Equal(t, http.StatusOK, st, body)

	// The replica serves it, and refuses a save from a stale version.
	b := e2eLogin(t, baseB, "erin", "a long password")
	st, got, err := b.get("/api/layouts/shift")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, st, string(got))
	assert.Contains(t, string(got), `"title":"Shift v2"`)
	assert.Contains(t, string(got), `"version":2`)
	st, body = b.layoutReq("PUT", "/api/layouts/shift", map[string]any{"version": 1, "layout": layout})
	assert.Equal(t, http.StatusConflict, st, body)

	stopA()
	stopB()
	baseC, _ := startWeb(t, dir)
	c := e2eLogin(t, baseC, "erin", "a long password")
	for v, title := range map[int]string{0: "Shift v2", 1: "Shift"} {
		path := "/api/layouts/shift"
		if v > 0 {
			path += fmt.Sprintf("?version=%d", v)
		}
		st, got, err := c.get(path)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, st, string(got))
		assert.Contains(t, string(got), fmt.Sprintf(`"title":%q`, title))
	}
	st, got, err = c.get("/api/layouts/shift/history")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, st)
	var hist []struct {
		Version int64  `json:"version"`
		Author  string `json:"author"`
		Comment string `json:"comment"`
	}
	require.NoError(t, json.Unmarshal(got, &hist))
	require.Len(t, hist, 2)
	assert.Equal(t, "erin", hist[0].Author)
	assert.Equal(t, "first", hist[0].Comment)
	st, got, err = c.get("/layouts/shift")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, st)
	assert.Contains(t, string(got), "Shift v2")
}

// TestServeConfigLayouts: layouts declared in the configuration are checked
// by `config check` and served by `overwatch serve` as official, read-only
// layouts; a bad declaration is reported with its place.
func TestServeConfigLayouts(t *testing.T) {
	dir := t.TempDir()
	webAddr := e2eFreeAddr(t)
	cfgPath := filepath.Join(dir, "overwatch.yaml")
	base := `data: ` + filepath.Join(dir, "data") + `
processing: {enabled: false}
monitor: {enabled: false}
web:
  listen: ` + webAddr + `
`
	bad := base + "layouts:\n  shift:\n    title: Shift\n    tabs: [{title: EMC, columns: 2, plots: [{subsystem: EMC, name: hEvents, w: 3}]}]\n"
	require.NoError(t, os.WriteFile(cfgPath, []byte(bad), 0o600))
	code, _, errs := runCommand(t, "config", "check", "--config", cfgPath)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "layouts.shift: tabs[0].plots[0].w: 3 cells, want 1–2")

	good := base + "layouts:\n  shift:\n    title: Shift from the configuration\n    tabs: [{title: EMC, columns: 2, plots: [{subsystem: EMC, name: hEvents, w: 2, options: {logy: true}}]}]\n"
	require.NoError(t, os.WriteFile(cfgPath, []byte(good), 0o600))
	code, out, errs := runCommand(t, "config", "check", "--config", cfgPath)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Shift from the configuration")
	code, _, errs = runUsersCmd(context.Background(), "a long password\n", "users", "add", "--data", filepath.Join(dir, "data"), "--role", "expert", "erin")
	require.Equal(t, 0, code, errs)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	stderr := &syncbuf.Buffer{}
	go func() {
		done <- runMain(ctx, &env{stdout: io.Discard, stderr: stderr, getenv: func(string) string { return "" }},
			[]string{"serve", "--config", cfgPath})
	}()
	defer func() {
		cancel()
		select {
		case c := <-done:
			assert.Equal(t, 0, c, stderr.String())
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	url := "http://" + webAddr
	require.Eventually(t, func() bool {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "serve did not start: %s", stderr.String())
	c := e2eLogin(t, url, "erin", "a long password")
	st, got, err := c.get("/api/layouts/shift")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, st, string(got))
	var d struct {
		Source   string `json:"source"`
		ReadOnly bool   `json:"readOnly"`
		Layout   struct {
			Title    string `json:"title"`
			Official bool   `json:"official"`
		} `json:"layout"`
	}
	require.NoError(t, json.Unmarshal(got, &d))
	assert.Equal(t, "config", d.Source)
	assert.True(t, d.ReadOnly)
	assert.True(t, d.Layout.Official)
	assert.Equal(t, "Shift from the configuration", d.Layout.Title)
	st, body := c.layoutReq("PUT", "/api/layouts/shift", map[string]any{"version": 0, "layout": map[string]any{"title": "x", "tabs": []any{map[string]any{"title": "t", "plots": []any{}}}}})
	assert.Equal(t, http.StatusForbidden, st, body)
	st, body = c.layoutReq("POST", "/api/layouts/shift/clone", map[string]any{"to": "mine"})
	assert.Equal(t, http.StatusCreated, st, body)
}
