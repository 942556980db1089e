package webapp

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCSRFRejectedWithoutToken(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	c, _ := loggedIn(t, e)
	tok := c.csrf()
	body := `{"run":100,"subsystem":"EMC","from":0,"to":5}`
	for name, hdr := range map[string]map[string]string{
		"no token":    {"Content-Type": "application/json"},
		"wrong token": {"Content-Type": "application/json", "X-CSRF-Token": "AAAA" + tok[4:]},
		"other form":  {"Content-Type": "application/json", "X-CSRF-Token": tok + "x"},
	} {
		resp, b := c.do("POST", "/api/slices", strings.NewReader(body), hdr)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, name)
		assert.Contains(t, b, "CSRF token missing or invalid", name)
	}
	// Logout without token is refused too (and the session stays).
	resp, _ := c.do("POST", "/logout", strings.NewReader(""), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = c.get("/runs")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	// With the token it works.
	resp, _ = c.do("POST", "/api/slices", strings.NewReader(body), map[string]string{"X-CSRF-Token": tok})
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)

	// Another session's token is not valid for this one.
	srv := e.server(t)
	other := newClient(t, srv.URL)
	other.login(testUser, testPassword)
	resp, _ = other.do("POST", "/api/slices", strings.NewReader(body), map[string]string{"X-CSRF-Token": tok})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestLoginCSRF(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t)
	c := newClient(t, srv.URL)
	c.get("/login")
	form := url.Values{"username": {testUser}, "password": {testPassword}}
	resp, body := c.do("POST", "/login", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "CSRF token is invalid")
	// No login cookie at all (cross-site form post).
	c2 := newClient(t, srv.URL)
	form.Set("csrf_token", "forged")
	resp, _ = c2.do("POST", "/login", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestTraversalIs404(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	// A file that must never be served.
	require.NoError(t, os.WriteFile(e.dir+"/secret.txt", []byte("top secret"), 0o600))
	c, _ := loggedIn(t, e)
	for _, p := range []string{
		"/run/100/EMC/files/..%2F..%2F.webapp%2Fusers.json",
		"/run/100/EMC/files/%2e%2e%2fsecret.txt",
		"/run/100/EMC/files/..",
		"/run/100/EMC/files/%2Fetc%2Fpasswd",
		"/run/100/EMC/files/secret.txt",
		"/api/runs/100/EMC/json/../../../../secret.txt",
		"/api/runs/100/EMC/json/%2e%2e/%2e%2e/.webapp/session.key",
		"/api/runs/100/EMC/png//etc/passwd",
		"/api/runs/100/EMC/hints/..%2f..%2fview",
		"/static/../webapp.go",
		"/static/%2e%2e/app.go",
		"/static//etc/passwd",
		"/.webapp/users.json",
		"/secret.txt",
		"/Run100/EMC/../../secret.txt",
	} {
		resp, body := c.get(p)
		if resp.StatusCode == http.StatusMovedPermanently || resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusTemporaryRedirect {
			// The router cleans paths with a redirect; follow it once.
			resp, body = c.get(resp.Header.Get("Location"))
		}
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, p)
		assert.NotContains(t, body, "top secret", p)
		assert.NotContains(t, body, "$2a$", p)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t)
	c := newClient(t, srv.URL)
	resp := c.login(testUser, testPassword)
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			sc = ck
		}
	}
	require.NotNil(t, sc)
	assert.True(t, sc.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, sc.SameSite)
	assert.False(t, sc.Secure, "plain HTTP test server")
	assert.Equal(t, "/", sc.Path)
	assert.Equal(t, int((12 * time.Hour).Seconds()), sc.MaxAge)

	// Behind TLS (or configured so), cookies are Secure and HSTS is sent.
	e2 := newEnv(t, func(c *Config) { c.SecureCookies = true })
	srv2 := e2.server(t)
	c2 := newClient(t, srv2.URL)
	resp = c2.login(testUser, testPassword)
	for _, ck := range resp.Cookies() {
		assert.True(t, ck.Secure, ck.Name)
		assert.True(t, ck.HttpOnly, ck.Name)
	}
	assert.NotEmpty(t, resp.Header.Get("Strict-Transport-Security"))

	tls := httptest.NewTLSServer(e.app)
	defer tls.Close()
	tc := newClient(t, tls.URL)
	tc.c.Transport = tls.Client().Transport
	resp, _ = tc.get("/login")
	for _, ck := range resp.Cookies() {
		assert.True(t, ck.Secure, ck.Name)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t)
	c := newClient(t, srv.URL)
	for _, p := range []string{"/login", "/api/runs", "/nope"} {
		resp, _ := c.get(p)
		h := resp.Header
		assert.Equal(t, contentSecurityPolicy, h.Get("Content-Security-Policy"), p)
		assert.Contains(t, h.Get("Content-Security-Policy"), "script-src 'self'")
		assert.NotContains(t, h.Get("Content-Security-Policy"), "unsafe-eval")
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), p)
		assert.Equal(t, "DENY", h.Get("X-Frame-Options"), p)
		assert.Equal(t, "same-origin", h.Get("Referrer-Policy"), p)
	}
	// No inline scripts in the pages (the CSP would block them).
	_, body := c.get("/login")
	assert.NotContains(t, body, "<script>")
	assert.Contains(t, body, `<script type="module" src="`+staticURL("app.js")+`"></script>`)
}

func TestLoginRateLimit(t *testing.T) {
	clock := time.Now()
	now := func() time.Time { return clock }
	e := newEnv(t, func(c *Config) { c.Now = now; c.LoginAttempts = 3; c.LoginWindow = time.Minute })
	srv := e.server(t)
	c := newClient(t, srv.URL)
	for i := 0; i < 3; i++ {
		resp := c.login(testUser, "bad password "+string(rune('a'+i)))
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	// Limited now from this address, even with the right password.
	resp := c.login(testUser, testPassword)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "60", resp.Header.Get("Retry-After"))
	// Another user from the same address is not locked by alice's
	// failures (the address limit is 4× higher).
	resp = c.login("bob", "whatever password")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	// After the window the right password works.
	clock = clock.Add(61 * time.Second)
	resp = c.login(testUser, testPassword)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

func TestLimiter(t *testing.T) {
	clock := time.Unix(1000, 0)
	l := newLimiter(2, 10*time.Second, func() time.Time { return clock })
	ok, _ := l.take("a")
	assert.True(t, ok)
	ok, _ = l.take("a")
	assert.True(t, ok)
	ok, wait := l.take("a", "b")
	assert.False(t, ok)
	assert.Equal(t, 10*time.Second, wait)
	assert.Equal(t, 0, l.count("b"), "a refused attempt counts against no key")
	ok, _ = l.take("b")
	assert.True(t, ok)
	l.giveBack("b")
	assert.Equal(t, 0, l.count("b"))
	clock = clock.Add(5 * time.Second)
	l.take("b")
	clock = clock.Add(5 * time.Second)
	ok, _ = l.take("a")
	assert.True(t, ok, "attempts left the window")
	l.take("b")
	ok, _ = l.take("b")
	assert.False(t, ok)
	l.reset("b")
	ok, _ = l.take("b")
	assert.True(t, ok)
	l.record("c")
	l.record("c")
	l.record("c")
	assert.Equal(t, 3, l.count("c"), "record has no limit")
	assert.Equal(t, time.Duration(0), slowDown(4, 5))
	assert.Equal(t, slowDownStep, slowDown(5, 5))
	assert.Equal(t, slowDownMax, slowDown(500, 5))
}

func TestSessionTampering(t *testing.T) {
	e := newEnv(t)
	c, srv := loggedIn(t, e)
	u, _ := url.Parse(srv.URL)
	var val string
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			val = ck.Value
		}
	}
	require.NotEmpty(t, val)
	for name, v := range map[string]string{
		"flipped payload": "x" + val[1:],
		"no signature":    strings.SplitN(val, ".", 2)[0],
		"empty":           "",
		"garbage":         "a.b",
		"other user":      e.app.sess.encode(session{User: "mallory", Expires: time.Now().Add(time.Hour), Nonce: "n"}),
		"expired":         e.app.sess.encode(session{User: testUser, Expires: time.Now().Add(-time.Second), Nonce: "n"}),
	} {
		c2 := newClient(t, srv.URL)
		c2.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: v}})
		resp, _ := c2.get("/api/runs")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
	}
}

func TestPasswordChangeEndsSessions(t *testing.T) {
	e := newEnv(t)
	c, _ := loggedIn(t, e)
	resp, _ := c.get("/api/runs")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, e.app.cfg.Users.SetPassword(testUser, "another long password"))
	resp, _ = c.get("/api/runs")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	c2, _ := loggedIn(t, newEnv(t))
	resp, _ = c2.get("/api/runs")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestUserRemovalEndsSessions(t *testing.T) {
	e := newEnv(t)
	c, _ := loggedIn(t, e)
	// Remove through a second handle on the file, as the CLI does.
	u2, err := OpenUsers(UsersPath(e.dir))
	require.NoError(t, err)
	require.NoError(t, u2.Remove(testUser))
	resp, _ := c.get("/api/runs")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestTrustedProxyHeader(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.TrustedProxyHeader = "X-Remote-User"
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	srv := e.server(t)
	c := newClient(t, srv.URL)
	resp, body := c.do("GET", "/runs", nil, map[string]string{"X-Remote-User": "sso-user"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `<span class="user">sso-user</span>`)
	resp, _ = c.do("GET", "/runs", nil, map[string]string{"X-Remote-User": "bad name!"})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// Not from a trusted proxy: the header is ignored.
	e2 := newEnv(t, func(c *Config) {
		c.TrustedProxyHeader = "X-Remote-User"
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	c2 := newClient(t, e2.server(t).URL)
	resp, _ = c2.do("GET", "/runs", nil, map[string]string{"X-Remote-User": "sso-user"})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// Without the option, the header means nothing.
	c3 := newClient(t, newEnv(t).server(t).URL)
	resp, _ = c3.do("GET", "/api/runs", nil, map[string]string{"X-Remote-User": testUser})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	p := SecretPath(dir)
	k1, err := LoadOrCreateSecret(p)
	require.NoError(t, err)
	assert.Len(t, k1, 32)
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	k2, err := LoadOrCreateSecret(p)
	require.NoError(t, err)
	assert.Equal(t, k1, k2, "stable across restarts")

	require.NoError(t, os.Chmod(p, 0o644))
	_, err = LoadOrCreateSecret(p)
	assert.ErrorContains(t, err, "expected 0600")
	require.NoError(t, os.Chmod(p, 0o600))
	require.NoError(t, os.WriteFile(p, []byte("short"), 0o600))
	_, err = LoadOrCreateSecret(p)
	assert.ErrorContains(t, err, "expected 64 hex digits")

	// Two data dirs get different secrets.
	k3, err := LoadOrCreateSecret(SecretPath(t.TempDir()))
	require.NoError(t, err)
	assert.NotEqual(t, k1, k3)
}
