package cli

import (
	"net/http"
	"net/netip"

	"github.com/overwatch-dqm/overwatch/internal/httpserve"
)

// ssoGuard is the front door of a web app behind a single-sign-on proxy
// that names the user in a request header: a request that carries the
// header but does not come from one of the trusted proxies is refused
// (403) — somebody is trying to log in as another user — and, when
// password login is disabled, the login page and form answer 403 with a
// pointer to the SSO front end.
type ssoGuard struct {
	header        string
	trusted       []netip.Prefix
	noPasswordLog bool
	next          http.Handler
	refused       func(r *http.Request)
}

// newSSOGuard wraps h; with an empty header it returns h unchanged.
func newSSOGuard(header string, trusted []netip.Prefix, disablePasswordLogin bool, h http.Handler, refused func(*http.Request)) http.Handler {
	if header == "" {
		return h
	}
	return &ssoGuard{header: header, trusted: trusted, noPasswordLog: disablePasswordLogin, next: h, refused: refused}
}

func (g *ssoGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, set := r.Header[http.CanonicalHeaderKey(g.header)]; set && !httpserve.RemoteIn(r.RemoteAddr, g.trusted) {
		if g.refused != nil {
			g.refused(r)
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "forbidden: the "+g.header+" header may only be set by the single-sign-on proxy", http.StatusForbidden)
		return
	}
	if g.noPasswordLog && r.URL.Path == "/login" {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "password login is disabled: log in through the single-sign-on front end", http.StatusForbidden)
		return
	}
	g.next.ServeHTTP(w, r)
}
