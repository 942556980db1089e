package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// A run page lists the alarms of that run (from the history), not those
// firing now in another run; the status page lists the current ones.
func TestAlarmsOfTheirRun(t *testing.T) {
	e := newEnv(t)
	now := e.seed(t, 2) // runs 100 and 101
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/old", Subsystem: "EMC", Trend: "maxPatch", Alarm: "old",
		State: overwatch.AlarmResolved, Message: "was high in 100", Run: 100, FiredAt: now.Add(-2 * time.Hour), ResolvedAt: now.Add(-time.Hour)})
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/high", Subsystem: "EMC", Trend: "maxPatch", Alarm: "high",
		State: overwatch.AlarmFiring, Message: "is high in 101", Run: 101, FiredAt: now})
	c, _ := loggedIn(t, e)

	_, page := c.get("/run/100/EMC")
	assert.Contains(t, page, "was high in 100")
	assert.NotContains(t, page, "is high in 101", "an alarm of run 101 is not on the page of run 100")
	assert.NotContains(t, page, `data-action="ack"`, "a resolved alarm has no buttons")
	assert.Contains(t, page, "resolved ")

	_, page = c.get("/run/101/EMC")
	assert.Contains(t, page, "is high in 101")
	assert.NotContains(t, page, "was high in 100")
	assert.Contains(t, page, `data-action="ack" `[:17])

	_, page = c.get("/status")
	assert.Contains(t, page, "is high in 101", "the status page lists the alarms firing now")
	assert.NotContains(t, page, "was high in 100")
	assert.Contains(t, page, `data-id="EMC/maxPatch/high" data-action="ack"`)

	// Acknowledged in the web: the history has the event with run and user.
	resp, body := c.do("POST", "/api/alarms/action", strings.NewReader(`{"id":"EMC/maxPatch/high","action":"ack"}`),
		map[string]string{"X-CSRF-Token": c.csrf()})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = c.get("/api/alarms/history?run=101")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var evs []overwatch.AlarmEvent
	require.NoError(t, json.Unmarshal([]byte(body), &evs))
	require.Len(t, evs, 2)
	assert.Equal(t, overwatch.AlarmEventFired, evs[0].Kind)
	assert.Equal(t, overwatch.AlarmEventAcknowledged, evs[1].Kind)
	assert.Equal(t, testUser, evs[1].User)
	assert.Equal(t, 101, evs[1].Run)
	_, page = c.get("/run/101/EMC")
	assert.Contains(t, page, "acknowledged by "+testUser)
}

func TestRolePermissions(t *testing.T) {
	perms := []Permission{PermView, PermAcknowledge, PermSilence, PermReferences, PermThresholds, PermBadChannels, PermLayouts, PermUsers, PermTokens}
	want := map[Role]int{RoleViewer: 1, RoleShifter: 3, RoleExpert: 7, RoleAdmin: 9} // the first n permissions
	for _, r := range Roles {
		for i, p := range perms {
			assert.Equal(t, i < want[r], r.Can(p), "%s %s", r, p)
		}
	}
	assert.False(t, Role("root").Can(PermView))
	assert.False(t, RoleAdmin.Can("unknown"))
	_, err := ParseRole("superuser")
	assert.Error(t, err)
}

func addUser(t *testing.T, e *testEnv, name string, role Role) *client {
	t.Helper()
	require.NoError(t, e.app.cfg.Users.Add(name, testPassword, role))
	c := newClient(t, e.server(t).URL)
	require.Equal(t, http.StatusSeeOther, c.login(name, testPassword).StatusCode)
	return c
}

// Each role boundary over HTTP: viewers read, shifters acknowledge and
// silence, admins list users and tokens.
func TestRoleBoundaries(t *testing.T) {
	e := newEnv(t)
	now := e.seed(t, 1)
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/high", Subsystem: "EMC", Trend: "maxPatch", Alarm: "high",
		State: overwatch.AlarmFiring, Message: "is high", Run: 100, FiredAt: now})
	clients := map[Role]*client{}
	for _, r := range Roles {
		clients[r] = addUser(t, e, "user-"+string(r), r)
	}
	for _, r := range Roles {
		c := clients[r]
		resp, _ := c.get("/api/runs")
		assert.Equal(t, http.StatusOK, resp.StatusCode, r)
		_, page := c.get("/run/100/EMC")
		assert.Equal(t, r != RoleViewer, strings.Contains(page, `data-action="silence"`), "%s sees the buttons", r)
		for _, action := range []string{"ack", "silence", "unsilence"} {
			resp, body := c.do("POST", "/api/alarms/action", strings.NewReader(`{"id":"EMC/maxPatch/high","action":"`+action+`"}`),
				map[string]string{"X-CSRF-Token": c.csrf()})
			want := http.StatusOK
			if r == RoleViewer {
				want = http.StatusForbidden
			}
			assert.Equal(t, want, resp.StatusCode, "%s %s: %s", r, action, body)
		}
		resp, body := c.get("/api/admin/users")
		want := http.StatusForbidden
		if r == RoleAdmin {
			want = http.StatusOK
			assert.Contains(t, body, `"role":"expert"`)
			assert.NotContains(t, body, "$2a$", "no hashes")
		}
		assert.Equal(t, want, resp.StatusCode, "%s admin: %s", r, body)
	}
	// A role change takes effect on the next request.
	require.NoError(t, e.app.cfg.Users.SetRole("user-viewer", RoleShifter))
	c := clients[RoleViewer]
	resp, _ := c.do("POST", "/api/alarms/action", strings.NewReader(`{"id":"EMC/maxPatch/high","action":"ack"}`), map[string]string{"X-CSRF-Token": c.csrf()})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	// Entries written before roles existed are shifters.
	r, ok := e.app.cfg.Users.Role(testUser)
	require.True(t, ok)
	assert.Equal(t, RoleShifter, r)
}

func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	now := e.seed(t, 1)
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/high", Subsystem: "EMC", Trend: "maxPatch", Alarm: "high",
		State: overwatch.AlarmFiring, Message: "is high", Run: 100, FiredAt: now})
	srv := e.server(t)
	// Tokens added from another handle on the file (as the CLI does).
	toks, err := OpenTokens(TokensPath(e.dir))
	require.NoError(t, err)
	all, tok, err := toks.Add(testUser, Scopes, 0)
	require.NoError(t, err)
	runsOnly, _, err := toks.Add(testUser, []Scope{ScopeRuns}, 0)
	require.NoError(t, err)
	short, _, err := toks.Add(testUser, Scopes, time.Nanosecond)
	require.NoError(t, err)

	raw, err := os.ReadFile(TokensPath(e.dir))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), strings.SplitN(all, "_", 3)[2], "only the hash is stored") // the secret (base64url: it may hold "_" itself)
	st, err := os.Stat(TokensPath(e.dir))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	call := func(method, path, token string) (int, string) {
		c := newClient(t, srv.URL)
		var body *strings.Reader
		if method == "POST" {
			body = strings.NewReader(`{"id":"EMC/maxPatch/high","action":"ack"}`)
		} else {
			body = strings.NewReader("")
		}
		resp, b := c.do(method, path, body, map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"})
		return resp.StatusCode, b
	}
	for _, tc := range []struct {
		method, path, token string
		code                int
	}{
		{"GET", "/api/runs", all, 200},
		{"HEAD", "/api/runs", all, 200},
		{"GET", "/api/runs/100/EMC", all, 200},
		{"GET", "/api/alarms", all, 200},
		{"GET", "/api/status", all, 200},
		{"GET", "/api/runs", runsOnly, 200},
		{"GET", "/api/alarms", runsOnly, 403},      // scope
		{"GET", "/api/trends/EMC", runsOnly, 403},  // scope
		{"POST", "/api/alarms/action", all, 403},   // read-only
		{"GET", "/api/admin/users", all, 403},      // not for tokens
		{"GET", "/api/runs", all + "x", 401},       // wrong secret
		{"GET", "/api/runs", "owt_nope_nope", 401}, // unknown
		{"GET", "/api/runs", short, 401},           // expired
		{"GET", "/runs", all, http.StatusSeeOther}, // pages need a login
		{"GET", "/api/runs", strings.Replace(all, "owt_", "", 1), 401},
	} {
		code, body := call(tc.method, tc.path, tc.token)
		assert.Equal(t, tc.code, code, "%s %s: %s", tc.method, tc.path, body)
	}
	// Revoked: at once, in the running server.
	require.NoError(t, toks.Remove(tok.ID))
	code, _ := call("GET", "/api/runs", all)
	assert.Equal(t, http.StatusUnauthorized, code)
	// The user removed: the user's tokens stop working.
	require.NoError(t, e.app.cfg.Users.Remove(testUser))
	code, _ = call("GET", "/api/runs", runsOnly)
	assert.Equal(t, http.StatusUnauthorized, code)
	list, err := toks.List()
	require.NoError(t, err)
	assert.Len(t, list, 2)
	assert.ErrorIs(t, toks.Remove("nope"), ErrUnknownToken)
	_, err = ParseScopes("runs,admin")
	assert.Error(t, err)
}

// GET routes answer HEAD (not 405); /static/ lists no directory.
func TestHeadAndStatic(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	c, srv := loggedIn(t, e)
	anon := newClient(t, srv.URL)
	for _, p := range []string{"/login", "/healthz", "/static/style.css"} {
		resp, body := anon.do("HEAD", p, nil, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, p)
		assert.Empty(t, body, p)
	}
	for _, p := range []string{"/healthz", "/runs", "/run/100/EMC", "/status", "/api/runs", "/api/runs/100/EMC", "/static/app.js"} {
		resp, body := c.do("HEAD", p, nil, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, p)
		assert.Empty(t, body, p)
	}
	for _, p := range []string{"/static/", "/static", "/static/%2e", "/static/app.js%00"} {
		resp, body := c.get(p)
		if resp.StatusCode == http.StatusMovedPermanently {
			resp, body = c.get(resp.Header.Get("Location"))
		}
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, p)
		assert.NotContains(t, body, `<a href="app.js">`, p)
	}
}

// The JSROOT directory: NUL and other odd names are 404 (not 500);
// symbolic links inside it are not followed out of it.
func TestJSROOTServing(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.js")
	require.NoError(t, os.WriteFile(outside, []byte("top secret"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "modules", "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "modules", "main.mjs"), []byte("export const ok = 1;"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "modules", "evil.js")))
	require.NoError(t, os.Symlink(filepath.Dir(outside), filepath.Join(dir, "modules", "evildir")))
	require.NoError(t, os.Symlink("main.mjs", filepath.Join(dir, "modules", "alias.mjs")))
	e := newEnv(t, func(c *Config) { c.JSROOTDir = dir })
	c := newClient(t, e.server(t).URL)
	for p, want := range map[string]int{
		"/jsroot/modules/main.mjs":           200,
		"/jsroot/modules/alias.mjs":          200, // a link inside the directory
		"/jsroot/modules/evil.js":            404,
		"/jsroot/modules/evildir/secret.js":  404,
		"/jsroot/modules/a%00.js":            404,
		"/jsroot/modules/main.mjs%00":        404,
		"/jsroot/modules/%01x.js":            404,
		"/jsroot/modules/sub/":               404,
		"/jsroot/modules/../../etc/x.js":     404,
		"/jsroot/modules/%2e%2e/%2e%2e/x.js": 404,
	} {
		resp, body := c.get(p)
		if resp.StatusCode == http.StatusMovedPermanently {
			resp, body = c.get(resp.Header.Get("Location"))
		}
		assert.Equal(t, want, resp.StatusCode, p)
		assert.NotContains(t, body, "top secret", p)
	}
}

// whatwgPath resolves dot segments as browsers do (also %2E forms).
func whatwgPath(p string) string {
	var out []string
	segs := strings.Split(p, "/")[1:]
	for i, s := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(s) {
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		case ".", "%2e":
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

var oddNames = []string{"a/../b", "../x", "x/..", "..", ".", "./y", "a/./b", "a//b", "/lead", "trail/", "%2e%2e/z", "q?x=1#f", "sp ace/ü", `back\slash`, "a/.../b"}

// Every histogram name round-trips through its plot URLs, as a browser
// requests them.
func TestNameRoundTrip(t *testing.T) {
	e := newEnv(t)
	now := e.seed(t, 1)
	ctx := context.Background()
	view := overwatch.ViewDoc{Run: 100, Subsystem: "EMC", Source: "EMC", Snapshot: overwatch.SnapshotDoc{Time: now.Unix()}, Complete: true,
		Groups: []overwatch.ViewGroup{{Title: "Odd"}}}
	for i, n := range oddNames {
		view.Groups[0].Hists = append(view.Groups[0].Hists, overwatch.ViewHist{Name: n, Class: "TH1F"})
		require.NoError(t, e.store.PutOutput(ctx, overwatch.OutputRef{Run: 100, Subsystem: "EMC", Name: n, Kind: overwatch.OutputJSON},
			[]byte(fmt.Sprintf(`{"_typename":"TH1F","n":%d}`, i))))
	}
	data, err := json.Marshal(view)
	require.NoError(t, err)
	require.NoError(t, e.store.PutOutput(ctx, overwatch.ViewRef(100, "EMC", ""), data))
	c, _ := loggedIn(t, e)
	for i, n := range oddNames {
		u, err := url.Parse(outputURL(100, "EMC", "", "json", n))
		require.NoError(t, err)
		u.RawPath = whatwgPath(u.EscapedPath())
		u.Path, err = url.PathUnescape(u.RawPath)
		require.NoError(t, err)
		resp, body := c.get(u.RequestURI())
		require.Equal(t, http.StatusOK, resp.StatusCode, "%q as %s", n, u.RequestURI())
		assert.Contains(t, body, fmt.Sprintf(`"n":%d`, i), n)
	}
}

// FuzzNameURL: every name survives browser normalisation of its URL.
func FuzzNameURL(f *testing.F) {
	for _, n := range oddNames {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" || strings.ContainsRune(name, 0) {
			return
		}
		u, err := url.Parse(nameURL("/api/runs/1/EMC/json", name, nil))
		require.NoError(t, err)
		p, err := url.PathUnescape(whatwgPath(u.EscapedPath()))
		require.NoError(t, err)
		got, ok := strings.CutPrefix(p, "/api/runs/1/EMC/json/")
		require.True(t, ok, "%q → %q", name, p)
		if got == "" {
			got = u.Query().Get("name")
		}
		require.Equal(t, name, got)
	})
}
