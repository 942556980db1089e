package webapp

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loginForm fetches the login page and returns a POST request body and
// cookie-carrying client ready to submit it with the given credentials.
func loginForm(t *testing.T, base, user, pw string) (*client, string) {
	c := newClient(t, base)
	_, page := c.get("/login")
	m := tokenRE.FindStringSubmatch(page)
	require.NotNil(t, m)
	return c, url.Values{"username": {user}, "password": {pw}, "csrf_token": {m[1]}, "next": {"/runs"}}.Encode()
}

var formHdr = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

// 60 parallel guesses from one address (59 wrong, 1 right): the attempts
// are counted before the password is checked, so at most LoginAttempts
// are checked, the others get 429, and no login succeeds beyond the limit.
func TestParallelLoginGuesses(t *testing.T) {
	// A realistic hash cost (tens of ms here, ~0.3 s at BcryptCost): the
	// race is between checking passwords and recording the failures.
	old := bcryptCost
	bcryptCost = 10
	e := newEnv(t)
	bcryptCost = old
	srv := e.server(t)
	const n, right = 60, 37
	type attempt struct {
		c    *client
		body string
	}
	atts := make([]attempt, n)
	for i := range atts {
		pw := "wrong password " + string(rune('A'+i%26)) + string(rune('a'+i/26))
		if i == right {
			pw = testPassword
		}
		atts[i].c, atts[i].body = loginForm(t, srv.URL, testUser, pw)
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range atts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, _ := atts[i].c.do("POST", "/login", strings.NewReader(atts[i].body), formHdr)
			codes[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	checked, limited := 0, 0
	for i, code := range codes {
		switch code {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusUnauthorized:
			checked++
		case http.StatusSeeOther:
			checked++
			assert.Equal(t, right, i, "only the right password logs in")
		default:
			t.Errorf("attempt %d: status %d", i, code)
		}
	}
	assert.LessOrEqual(t, checked, e.app.cfg.LoginAttempts, "passwords checked: %v", codes)
	assert.Equal(t, n-checked, limited)
}

// Wrong passwords from other addresses slow the user's logins down but do
// not lock the real user out; the attacker's addresses are limited.
func TestLoginNotLockedOutFromElsewhere(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	srv := e.server(t)
	post := func(addr, pw string) int {
		c, body := loginForm(t, srv.URL, testUser, pw)
		resp, _ := c.do("POST", "/login", strings.NewReader(body), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": addr})
		return resp.StatusCode
	}
	for i := 1; i <= 5; i++ {
		assert.Equal(t, http.StatusUnauthorized, post("10.0.0."+string(rune('0'+i)), "wrong password!"))
	}
	assert.Equal(t, http.StatusSeeOther, post("192.168.1.7", testPassword), "the shifter logs in from their own address")
	// One attacker address is limited after LoginAttempts failures.
	for i := 0; i < 5; i++ {
		post("10.0.0.9", "wrong password!")
	}
	assert.Equal(t, http.StatusTooManyRequests, post("10.0.0.9", testPassword))
}

// The login redirect never leaves the site: the target is checked as the
// browser will resolve it (decoded and cleaned).
func TestSafeNextTable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/run/1/EMC?group=a", "/run/1/EMC?group=a"},
		{"/x/../run/1/EMC", "/run/1/EMC"},
		{"/x/../\\evil.com", "/runs"},
		{"/x/../%5Cevil.com", "/runs"},
		{"/%5C%5Cevil.com", "/runs"},
		{"/\\evil.com", "/runs"},
		{"//evil.com", "/runs"},
		{"/x/..//evil.com", "/evil.com"},
		{"/././/evil.com", "/evil.com"},
		{"/%2F%2Fevil.com", "/evil.com"},
		{"https://evil.com", "/runs"},
		{"javascript:alert(1)", "/runs"},
		{"/a\tb", "/runs"},
		{"/a\x00b", "/runs"},
		{"/a%00b", "/runs"},
		{"/a%0d%0aSet-Cookie:x", "/runs"},
		{"/a\r\nLocation: x", "/runs"},
		{"/login?next=/x", "/runs"},
		{"/x/../logout", "/runs"},
		{"", "/runs"},
		{"runs", "/runs"},
	} {
		got := safeNext(tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		// What the server answers and the browser resolves stays local.
		rec := httptest.NewRecorder()
		http.Redirect(rec, httptest.NewRequest("GET", "/login", nil), got, http.StatusSeeOther)
		loc := rec.Header().Get("Location")
		assertLocal(t, loc)
	}
}

// assertLocal checks that a Location resolves to the same host in a
// browser (which treats '\' like '/').
func assertLocal(t *testing.T, loc string) {
	t.Helper()
	base, _ := url.Parse("http://overwatch.example/login")
	u, err := url.Parse(strings.ReplaceAll(loc, "\\", "/"))
	require.NoError(t, err, loc)
	assert.Equal(t, "overwatch.example", base.ResolveReference(u).Host, "Location %q", loc)
}

// GET /login?next=... of a logged-in user, and the POST of the form,
// redirect only on site.
func TestLoginOpenRedirect(t *testing.T) {
	e := newEnv(t)
	c, _ := loggedIn(t, e)
	for _, next := range []string{"/x/../%5Cevil.com", "/x/..%2F%5Cevil.com", "/%2F/evil.com", "/x/../\\/evil.com"} {
		resp, _ := c.get("/login?next=" + url.QueryEscape(next))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assertLocal(t, resp.Header.Get("Location"))
		resp, _ = c.get("/login?next=" + next)
		assertLocal(t, resp.Header.Get("Location"))
	}
	c2, body := loginForm(t, c.base, testUser, testPassword)
	form, _ := url.ParseQuery(body)
	form.Set("next", "/x/../\\evil.com")
	resp, _ := c2.do("POST", "/login", strings.NewReader(form.Encode()), formHdr)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/runs", resp.Header.Get("Location"))
}

func sessionValue(t *testing.T, c *client) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// A copied session cookie stops working at logout, on this server and on
// another replica serving the same data directory.
func TestLogoutEndsCopiedSession(t *testing.T) {
	e := newEnv(t)
	c, srv := loggedIn(t, e)
	stolen := sessionValue(t, c)
	replica, err := New(Config{Store: e.store, Alarms: e.store, DataDir: e.dir, Users: e.app.cfg.Users, Secret: e.app.cfg.Secret})
	require.NoError(t, err)
	t.Cleanup(func() { replica.Close() })
	rsrv := httptest.NewServer(replica)
	t.Cleanup(rsrv.Close)

	useCopy := func(base string) int {
		c2 := newClient(t, base)
		u, _ := url.Parse(base)
		c2.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: stolen}})
		resp, _ := c2.get("/api/runs")
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, useCopy(srv.URL))
	require.Equal(t, http.StatusOK, useCopy(rsrv.URL), "replicas share the sessions")
	resp, _ := c.do("POST", "/logout", strings.NewReader("csrf_token="+url.QueryEscape(c.csrf())), formHdr)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, http.StatusUnauthorized, useCopy(srv.URL), "copied cookie after logout")
	assert.Equal(t, http.StatusUnauthorized, useCopy(rsrv.URL), "copied cookie on another replica after logout")
}
