package webapp

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/overwatch-dqm/overwatch/quality/observe"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/httpserve"
	"github.com/overwatch-dqm/overwatch/store/bundle"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// contentSecurityPolicy allows only same-origin scripts (JSROOT's ES
// modules are served locally), no inline scripts, no eval; inline styles
// are allowed because JSROOT styles its SVG with style attributes.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// App is the web app: an http.Handler serving the pages, the JSON API,
// live updates and the static files. Close stops its background work.
type App struct {
	cfg        Config
	store      Store
	alarms     overwatch.AlarmHistory
	jsrootRoot *os.Root // the JSROOT directory, closed by Close
	router     *httprouter.Router
	tmpl       map[string]*template.Template
	sess       *sessions
	limit      *limiter  // failed logins per (user, address)
	limitAddr  *limiter  // failed logins per address, over all users
	slow       *limiter  // failed logins per user, over all addresses: slow-down
	hashing    semaphore // bounds concurrent password checks
	views      *viewCache
	refFiles   *observe.ReferenceFiles // nil without a document store
	hub        *hub
	jsroot     http.Handler // nil when JSROOT is not installed
	jsrootBase string       // the versioned URL of the JSROOT directory (/jsroot/v-…)
	static     http.Handler
	log        *slog.Logger
	cancel     context.CancelFunc
	gz         *gzipCache
	outs       *outputCache
	bundles    *bundle.Outputs
	images     *imageCache
	listMu     sync.Mutex
	listings   map[int]runListing
	rowsMu     sync.Mutex
	rows       map[rowKey]cachedRow
	hubDone    chan struct{}
	// badgesCache keeps the run list's quality badges (quality.go).
	badgesCache badgeCache
}

// New builds the web app and starts its live-update hub.
func New(cfg Config) (*App, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if cfg.Alarms == nil {
		return nil, errors.New("webapp: Config.Alarms is required (atomic alarm updates with their history)")
	}
	outputs := bundle.NewOutputs(cfg.Store)
	a := &App{
		alarms:    cfg.Alarms,
		cfg:       cfg,
		store:     cfg.Store,
		sess:      &sessions{key: cfg.Secret, ttl: cfg.SessionTTL, secure: cfg.SecureCookies, now: cfg.Now},
		limit:     newLimiter(cfg.LoginAttempts, cfg.LoginWindow, cfg.Now),
		limitAddr: newLimiter(addrFactor*cfg.LoginAttempts, cfg.LoginWindow, cfg.Now),
		slow:      newLimiter(math.MaxInt, cfg.LoginWindow, cfg.Now),
		hashing:   make(semaphore, cfg.LoginConcurrency),
		bundles:   outputs,
		images:    newImageCache(outputs),
		views:     newViewCache(outputs),
		log:       cfg.Logger,
		rows:      map[rowKey]cachedRow{},
		gz:        newGzipCache(),
		outs:      newOutputCache(),
		listings:  map[int]runListing{},
	}
	if cfg.Documents != nil {
		a.refFiles = observe.NewReferenceFiles(cfg.Documents)
	}
	var err error
	if a.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	a.static = versioned("/static/", staticVersion, staticETags, http.StripPrefix("/static/", http.FileServerFS(filesOnly{sub})))
	if cfg.JSROOTDir != "" {
		if _, err := os.Stat(path.Join(cfg.JSROOTDir, "modules", "main.mjs")); err == nil {
			// os.Root: symbolic links inside the directory are not
			// followed out of it.
			if a.jsrootRoot, err = os.OpenRoot(cfg.JSROOTDir); err != nil {
				return nil, fmt.Errorf("webapp: JSROOT directory: %w", err)
			}
			v, err := digestJSROOT(a.jsrootRoot.FS())
			if err != nil {
				a.jsrootRoot.Close()
				return nil, fmt.Errorf("webapp: JSROOT directory: %w", err)
			}
			a.jsrootBase = "/jsroot/v-" + v
			a.jsroot = versioned("/jsroot/", v, nil, http.StripPrefix("/jsroot/", http.FileServerFS(jsrootFS{a.jsrootRoot.FS()})))
		} else {
			a.log.Warn("JSROOT not found: pages fall back to PNG images", "dir", cfg.JSROOTDir)
		}
	}
	a.routes()
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.hub = newHub(a.store, cfg.PollInterval, a.log)
	a.hub.outputs = outputs
	a.hub.onChange = a.invalidateRuns
	a.hubDone = make(chan struct{})
	go func() {
		defer close(a.hubDone)
		a.hub.run(ctx)
	}()
	return a, nil
}

// Close stops the live-update hub and ends open event streams.
func (a *App) Close() error {
	a.cancel()
	<-a.hubDone
	if a.jsrootRoot != nil {
		return a.jsrootRoot.Close()
	}
	return nil
}

// HasJSROOT reports whether JSROOT is served (otherwise pages show PNGs).
func (a *App) HasJSROOT() bool { return a.jsroot != nil }

// jsrootFS serves only the file types JSROOT needs from its package
// directory (no directory listings, no dot files, no control characters).
// Every failure is "not found", so odd names are 404, never 500.
type jsrootFS struct{ fs fs.FS }

var jsrootExt = map[string]bool{".mjs": true, ".js": true, ".css": true, ".json": true, ".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".svg": true, ".png": true, ".gif": true}

// Open opens a file of the JSROOT package if its type is whitelisted.
func (j jsrootFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) || badRedirectChars(name) || strings.Contains(name, "/.") || strings.HasPrefix(name, ".") || !jsrootExt[path.Ext(name)] {
		return nil, fs.ErrNotExist
	}
	return filesOnly(j).Open(name)
}

// filesOnly serves regular files only: directories (which http.FileServer
// would list) and names it cannot open are "not found".
type filesOnly struct{ fs fs.FS }

// Open opens a regular file.
func (o filesOnly) Open(name string) (fs.File, error) {
	if badRedirectChars(name) {
		return nil, fs.ErrNotExist
	}
	f, err := o.fs.Open(name)
	if err != nil {
		return nil, fs.ErrNotExist
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}

// handler is the signature of the app's request handlers: they return an
// error that is rendered as an HTML page or JSON according to the route.
type handler func(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error

// httpError is an error with an HTTP status and a message for the user.
type httpError struct {
	code int
	msg  string
}

// Error returns the message shown to the user.
func (e *httpError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) error {
	return &httpError{code: code, msg: fmt.Sprintf(format, args...)}
}

func (a *App) routes() {
	r := httprouter.New()
	r.RedirectTrailingSlash = true
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.NotFound = http.HandlerFunc(a.notFound)
	r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		a.renderError(w, req, errorf(http.StatusMethodNotAllowed, "method %s is not allowed here", req.Method))
	})
	r.PanicHandler = func(w http.ResponseWriter, req *http.Request, v any) {
		a.log.Error("panic in handler", "path", req.URL.Path, "panic", v, "stack", string(debug.Stack()))
		a.renderError(w, req, errors.New("internal error"))
	}

	// GET routes answer HEAD too (net/http drops the body).
	get := func(p string, h httprouter.Handle) {
		r.GET(p, h)
		r.HEAD(p, h)
	}

	// Public.
	get("/", a.page(a.home, false))
	get("/login", a.page(a.loginPage, false))
	r.POST("/login", a.page(a.loginPost, false))
	get("/healthz", func(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Handler(http.MethodGet, "/static/*filepath", a.static)
	r.Handler(http.MethodHead, "/static/*filepath", a.static)
	get("/jsroot/*filepath", func(w http.ResponseWriter, req *http.Request, _ httprouter.Params) {
		if a.jsroot == nil {
			a.renderError(w, req, errorf(http.StatusNotFound, "JSROOT is not installed on this server: run `make setup-jsroot` or start with --jsroot DIR"))
			return
		}
		a.jsroot.ServeHTTP(w, req)
	})

	// Pages (login required).
	r.POST("/logout", a.page(a.logout, true))
	get("/runs", a.page(a.runList, true))
	get("/run/:run/:sys", a.page(a.runPage, true))
	get("/run/:run/:sys/files", a.page(a.filesPage, true))
	get("/run/:run/:sys/files/:file", a.page(a.downloadSnapshot, true))
	get("/trending", a.page(a.trendingPage, true))
	get("/trending/:sys", a.page(a.trendingPage, true))
	get("/status", a.page(a.statusPage, true))

	// JSON API (login or an API token of the route's scope; tokens are
	// read-only).
	get("/api/runs", a.api(ScopeRuns, a.apiRuns))
	get("/api/runs/:run", a.api(ScopeRuns, a.apiRun))
	get("/api/runs/:run/:sys", a.api(ScopeRuns, a.apiViewOrSearch)) // and /api/runs/:run/search (search.go)
	get("/api/runs/:run/:sys/files", a.api(ScopeRuns, a.apiFiles))
	get("/api/runs/:run/:sys/json/*name", a.api(ScopeRuns, a.apiOutput(overwatch.OutputJSON)))
	get("/api/runs/:run/:sys/hints/*name", a.api(ScopeRuns, a.apiOutput(overwatch.OutputHints)))
	get("/api/runs/:run/:sys/png/*name", a.api(ScopeRuns, a.apiOutput(overwatch.OutputPNG)))
	get("/api/options/:sys", a.api(ScopeRuns, a.apiOptions))
	r.POST("/api/slices", a.api(ScopeRuns, a.apiSliceSubmit))
	get("/api/slices/:run/:sys/:key", a.api(ScopeRuns, a.apiSliceStatus))
	get("/api/trends/:sys", a.api(ScopeTrends, a.apiTrends))
	get("/api/trends/:sys/*name", a.api(ScopeTrends, a.apiTrend))
	get("/api/alarms", a.api(ScopeAlarms, a.apiAlarms))
	get("/api/alarms/history", a.api(ScopeAlarms, a.apiAlarmHistory))
	r.POST("/api/alarms/action", a.api(ScopeAlarms, a.apiAlarmAction))
	get("/api/status", a.api(ScopeStatus, a.apiStatus))
	r.GET("/api/events", a.api(ScopeStatus, a.apiEvents)) // a stream: no HEAD
	get("/api/admin/users", a.api("", a.apiAdminUsers))
	a.layoutRoutes(r, get)
	a.qualityRoutes(r, get)
	a.router = r
}

// legacyRun matches the original web app's run URLs.
var legacyRun = regexp.MustCompile(`^/Run([0-9]{1,9})/([A-Za-z0-9]{2,8})/(runPage|rootFiles)$`)

// ServeHTTP sets the security headers, redirects the original URLs and
// dispatches to the router.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if a.cfg.SecureCookies || r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		switch p := r.URL.Path; {
		case p == "/monitoring" || p == "/monitoring/":
			http.Redirect(w, r, "/runs", http.StatusMovedPermanently)
			return
		case legacyRun.MatchString(p):
			m := legacyRun.FindStringSubmatch(p)
			target := "/run/" + m[1] + "/" + strings.ToUpper(m[2])
			if m[3] == "rootFiles" {
				target += "/files"
			}
			q := url.Values{}
			if g := r.URL.Query().Get("histGroup"); g != "" {
				q.Set("group", g)
			}
			if n := r.URL.Query().Get("histName"); n != "" {
				q.Set("hist", n)
			}
			if len(q) > 0 {
				target += "?" + q.Encode()
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		case p == "/trending" && r.URL.Query().Get("histGroup") != "":
			http.Redirect(w, r, "/trending/"+url.PathEscape(r.URL.Query().Get("histGroup")), http.StatusMovedPermanently)
			return
		}
	}
	a.router.ServeHTTP(w, r)
}

func (a *App) notFound(w http.ResponseWriter, r *http.Request) {
	a.renderError(w, r, errorf(http.StatusNotFound, "no page at %s", r.URL.Path))
}

// isAPI reports whether a request is answered in JSON.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// renderError writes err as a JSON error or an HTML error page with the
// right status: httpError codes, 404 for overwatch.ErrNotFound, 400 for
// timeslice.ErrInvalidRequest, else 500 (logged, with a generic message).
func (a *App) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := http.StatusInternalServerError, "internal error: the server log has details"
	var he *httpError
	switch {
	case errors.As(err, &he):
		code, msg = he.code, he.msg
	case errors.Is(err, overwatch.ErrNotFound):
		code, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, timeslice.ErrInvalidRequest):
		code, msg = http.StatusBadRequest, err.Error()
	case errors.Is(err, context.Canceled):
		return // client went away
	default:
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	if isAPI(r) {
		writeJSON(w, code, map[string]any{"error": msg, "status": code})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = a.tmpl["error"].ExecuteTemplate(w, "layout", pageData{Title: http.StatusText(code), Error: msg, Code: code})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		code, data = http.StatusInternalServerError, []byte(`{"error":"cannot encode response","status":500}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(data)
	_, _ = w.Write([]byte("\n"))
}

// currentSession returns the logged-in session of a request: the signed
// cookie (checked against the user's current password hash and the
// server-side session record, which logout deletes), or the trusted proxy
// header when configured and the peer is a trusted proxy.
func (a *App) currentSession(r *http.Request) (*session, bool) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if s, ok := a.sess.decode(c.Value); ok {
			if fp, ok := a.cfg.Users.fingerprint(s.User); ok && fp == s.Fingerprint {
				rec, err := a.cfg.Sessions.LookupSession(r.Context(), s.Nonce)
				if err == nil && rec.User == s.User {
					s.Role, _ = a.cfg.Users.Role(s.User)
					return &s, true
				}
				if err != nil && !errors.Is(err, overwatch.ErrNotFound) {
					a.log.Warn("session lookup failed", "err", err)
				}
			}
		}
	}
	if a.cfg.TrustedProxyHeader != "" && a.fromTrustedProxy(r) {
		if name := r.Header.Get(a.cfg.TrustedProxyHeader); ValidUserName(name) {
			// No cookie: the proxy authenticates every request; the CSRF
			// nonce is derived from the user so tokens stay stable.
			role, ok := a.cfg.Users.Role(name)
			if !ok {
				role = a.cfg.ProxyRole
			}
			return &session{User: name, Nonce: "proxy:" + name, Expires: a.cfg.Now().Add(a.cfg.SessionTTL), Role: role}, true
		}
	}
	return nil, false
}

func (a *App) fromTrustedProxy(r *http.Request) bool {
	return httpserve.RemoteIn(r.RemoteAddr, a.cfg.TrustedProxies)
}

// clientAddr is the address used for login rate limiting.
func (a *App) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a.fromTrustedProxy(r) {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				return last
			}
		}
	}
	return host
}

// stateChanging reports whether a method needs a CSRF token.
func stateChanging(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// page wraps an HTML handler: login check (redirect to /login), CSRF check
// on state-changing requests, error rendering.
func (a *App) page(h handler, needLogin bool) httprouter.Handle {
	return a.wrap(h, needLogin)
}

// api wraps a JSON handler: 401 JSON instead of a redirect, and API
// tokens of the given scope accepted (none when scope is "").
func (a *App) api(scope Scope, h handler) httprouter.Handle {
	inner := a.wrap(h, true)
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		if tok, ok := bearer(r); ok {
			a.withToken(w, r, ps, h, tok, scope)
			return
		}
		inner(w, r, ps)
	}
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	if len(v) < 7 || !strings.EqualFold(v[:7], "bearer ") {
		return "", false
	}
	return strings.TrimSpace(v[7:]), true
}

// withToken serves an API request authenticated by an API token:
// read-only (GET and HEAD), on the routes of the token's scopes, for a
// user that still exists, with the viewer's rights.
func (a *App) withToken(w http.ResponseWriter, r *http.Request, ps httprouter.Params, h handler, presented string, scope Scope) {
	w.Header().Set("Cache-Control", "no-store")
	if scope == "" || stateChanging(r.Method) {
		a.renderError(w, r, errorf(http.StatusForbidden, "API tokens are read-only and do not open %s %s", r.Method, r.URL.Path))
		return
	}
	tok, ok := a.cfg.Tokens.verify(presented, a.cfg.Now())
	if ok {
		_, ok = a.cfg.Users.Role(tok.User)
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="overwatch"`)
		a.renderError(w, r, errorf(http.StatusUnauthorized, "invalid, expired or revoked API token"))
		return
	}
	if !tok.Has(scope) {
		a.renderError(w, r, errorf(http.StatusForbidden, "API token %s lacks the %q scope", tok.ID, scope))
		return
	}
	s := &session{User: tok.User, Role: RoleViewer, Token: tok.ID}
	if err := h(w, r, ps, s); err != nil {
		a.renderError(w, r, err)
	}
}

func (a *App) wrap(h handler, needLogin bool) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		s, ok := a.currentSession(r)
		if needLogin && !ok {
			if isAPI(r) {
				w.Header().Set("Cache-Control", "no-store")
				writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "login required", "status": http.StatusUnauthorized})
				return
			}
			if stateChanging(r.Method) {
				a.renderError(w, r, errorf(http.StatusUnauthorized, "login required"))
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if needLogin && stateChanging(r.Method) {
			tok := r.Header.Get(csrfHeader)
			if tok == "" {
				r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
				tok = r.PostFormValue(csrfField)
			}
			if !a.sess.checkCSRF(s.Nonce, tok) {
				a.renderError(w, r, errorf(http.StatusForbidden, "CSRF token missing or invalid: reload the page and try again"))
				return
			}
		}
		if !ok {
			s = nil
		}
		if err := h(w, r, ps, s); err != nil {
			a.renderError(w, r, err)
		}
	}
}

// parseRunSys validates the :run and :sys parameters.
func parseRunSys(ps httprouter.Params) (int, string, error) {
	run, err := parseRun(ps.ByName("run"))
	if err != nil {
		return 0, "", err
	}
	sys := ps.ByName("sys")
	if !overwatch.ValidSubsystem(sys) {
		return 0, "", errorf(http.StatusBadRequest, "invalid subsystem %q: expected 2-8 upper-case letters or digits, such as EMC", sys)
	}
	return run, sys, nil
}

func parseRun(s string) (int, error) {
	n, err := overwatch.ParseRun(s)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "%v", err)
	}
	return n, nil
}

// runSubsystem loads a run and one of its subsystems, with 404 errors
// naming what exists.
func (a *App) runSubsystem(ctx context.Context, run int, sys string) (overwatch.RunInfo, overwatch.SubsystemInfo, error) {
	ri, err := a.store.RunInfo(ctx, run)
	if err != nil {
		if errors.Is(err, overwatch.ErrNotFound) {
			return ri, overwatch.SubsystemInfo{}, errorf(http.StatusNotFound, "run %d is not known", run)
		}
		return ri, overwatch.SubsystemInfo{}, err
	}
	si, ok := ri.Subsystem(sys)
	if !ok {
		names := make([]string, 0, len(ri.Subsystems))
		for _, s := range ri.Subsystems {
			names = append(names, s.Name)
		}
		return ri, si, errorf(http.StatusNotFound, "subsystem %s is not available in run %d (available: %s)", sys, run, strings.Join(names, ", "))
	}
	return ri, si, nil
}
