package cli

import (
	"context"
	"encoding/json"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ssoProxy is the single-sign-on front end of the test: a reverse proxy on
// loopback that authenticates its users (HTTP basic auth against a fixed
// table, standing in for the site's SSO) and names them to the backend in
// X-Remote-User, dropping any X-Remote-User a client sends.
func ssoProxy(t *testing.T, backend string) string {
	t.Helper()
	u, err := url.Parse(backend)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	users := map[string]string{"shifter1": "sso-secret"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("X-Remote-User")
		if name, pw, ok := r.BasicAuth(); ok && users[name] == pw {
			r.Header.Set("X-Remote-User", name)
			r.Header.Del("Authorization")
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// clientFrom returns an HTTP client whose connections come from a given
// loopback address.
func clientFrom(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func ssoGet(t *testing.T, c *http.Client, u string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	for k, v := range hdr {
		if k == "basic" {
			user, pw, _ := strings.Cut(v, ":")
			req.SetBasicAuth(user, pw)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeBehindSSOProxy: `overwatch serve` with trustedProxyHeader and
// trustedProxies from the configuration file (main exited with
// "TrustedProxyHeader needs TrustedProxies" and had no key for them) serves
// the users the SSO proxy names; a request from any other address that
// carries the header is refused; password login is off when configured.
func TestServeBehindSSOProxy(t *testing.T) {
	dir := t.TempDir()
	webAddr := e2eFreeAddr(t)
	cfgPath := filepath.Join(dir, "overwatch.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(`data: `+filepath.Join(dir, "data")+`
processing: {enabled: false}
monitor: {enabled: false}
web:
  listen: `+webAddr+`
  trustedProxyHeader: X-Remote-User
  trustedProxies: [127.0.0.1]
  disablePasswordLogin: true
`), 0o600))
	code, out, errs := runCommand(t, "config", "check", "--config", cfgPath)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "trustedProxies:")

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
	backend := "http://" + webAddr
	direct := clientFrom("127.0.0.3")
	require.Eventually(t, func() bool {
		resp, err := direct.Get(backend + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 15*time.Second, 50*time.Millisecond, "serve did not start: %s", stderr.String())

	proxy := ssoProxy(t, backend)
	viaProxy := clientFrom("127.0.0.1")
	// Authenticated by the proxy: the API answers as that user.
	code, body := ssoGet(t, viaProxy, proxy+"/api/runs", map[string]string{"basic": "shifter1:sso-secret"})
	require.Equal(t, http.StatusOK, code, body)
	var runs any
	require.NoError(t, json.Unmarshal([]byte(body), &runs))
	code, body = ssoGet(t, viaProxy, proxy+"/status", map[string]string{"basic": "shifter1:sso-secret"})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "shifter1")
	// Not authenticated by the proxy: a client's own header is dropped.
	code, _ = ssoGet(t, viaProxy, proxy+"/api/runs", map[string]string{"X-Remote-User": "shifter1"})
	assert.Equal(t, http.StatusUnauthorized, code)

	// From elsewhere, the header is refused outright.
	code, body = ssoGet(t, direct, backend+"/api/runs", map[string]string{"X-Remote-User": "shifter1"})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "single-sign-on proxy")
	code, _ = ssoGet(t, direct, backend+"/runs", map[string]string{"X-Remote-User": "admin"})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, stderr.String(), "untrusted address refused")
	// Without the header, from elsewhere: an ordinary anonymous request.
	code, _ = ssoGet(t, direct, backend+"/api/runs", nil)
	assert.Equal(t, http.StatusUnauthorized, code)

	// Password login is disabled, through the proxy or not.
	for _, c := range []struct {
		client *http.Client
		base   string
	}{{viaProxy, proxy}, {direct, backend}} {
		code, body = ssoGet(t, c.client, c.base+"/login", nil)
		assert.Equal(t, http.StatusForbidden, code)
		assert.Contains(t, body, "password login is disabled")
		resp, err := c.client.PostForm(c.base+"/login", url.Values{"username": {"x"}, "password": {"y"}})
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
}

func TestConfigCheckSSO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	for _, tc := range []struct{ yaml, want string }{
		{"web: {trustedProxyHeader: X-Remote-User}\n", "needs web.trustedProxies"},
		{"web: {trustedProxyHeader: X-Remote-User, trustedProxies: [10.0.0.0/33]}\n", `"10.0.0.0/33" is not an address or CIDR`},
		{"web: {trustedProxyHeader: 'X Remote', trustedProxies: [10.0.0.1]}\n", "not an HTTP header name"},
		{"web: {disablePasswordLogin: true}\n", "web.disablePasswordLogin: needs web.trustedProxyHeader"},
		{"web: {limits: {maxConns: 0}}\n", "web.limits: maxConns must be positive"},
		{"dqm: {enabled: true, maxCells: 0}\n", "dqm.maxCells: must be positive"},
	} {
		require.NoError(t, os.WriteFile(p, []byte(tc.yaml), 0o600))
		code, _, errs := runCommand(t, "config", "check", "--config", p)
		assert.Equal(t, 1, code, tc.yaml)
		assert.Contains(t, errs, tc.want, tc.yaml)
	}
	require.NoError(t, os.WriteFile(p, []byte("web: {trustedProxyHeader: X-Remote-User, trustedProxies: [10.0.0.5, '10.1.0.0/24', '::1']}\n"), 0o600))
	code, out, errs := runCommand(t, "config", "check", "--config", p)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "10.1.0.0/24")
}
