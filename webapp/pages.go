package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"html/template"
	"io"
	"math"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// pageSize is the number of runs per page of the run list.
const pageSize = 50

// cern is the time zone times are shown in (the receivers' wall time).
var cern = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Zurich"); err == nil {
		return l
	}
	return time.UTC
}()

var funcs = template.FuncMap{
	"static": staticURL,
	"cerntime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(cern).Format("Mon 2 Jan 2006 15:04:05 MST")
	},
	"unix":    func(t time.Time) int64 { return t.Unix() },
	"quality": func(q overwatch.Quality) string { return q.String() },
	"minutes": func(d time.Duration) string { return strconv.FormatFloat(math.Ceil(d.Minutes()*10)/10, 'f', -1, 64) },
	"pathesc": url.PathEscape,

	"unixtime": func(s int64) time.Time { return time.Unix(s, 0) },
	"groupURL": func(d *runPageData, title string) string {
		return permalink(d.Slice, d.Run.Number, d.Sys.Name, title, "")
	},
	"histURL": func(d *runPageData, name string) string {
		return permalink(d.Slice, d.Run.Number, d.Sys.Name, "", name)
	},
	"queryesc": url.QueryEscape,
	"list":     func(s ...string) []string { return s },
	"bytes": func(n int64) string {
		const u = 1024
		if n < u {
			return fmt.Sprintf("%d B", n)
		}
		div, exp := int64(u), 0
		for m := n / u; m >= u; m /= u {
			div *= u
			exp++
		}
		return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
	},
}

func parseTemplates() (map[string]*template.Template, error) {
	pages := []string{"error", "login", "runs", "run", "files", "trending", "status", "references", "compare"}
	m := make(map[string]*template.Template, len(pages))
	for _, p := range pages {
		t, err := template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("webapp: template %s: %w", p, err)
		}
		m[p] = t
	}
	return m, nil
}

// pageData is what every page template gets.
type pageData struct {
	Title  string
	Page   string
	User   string
	CSRF   string
	JSROOT bool
	// JSROOTBase is the versioned URL of JSROOT's directory (its modules
	// are under JSROOTBase/modules/), "" without JSROOT.
	JSROOTBase string
	// CanAck: the user may acknowledge and silence alarms (shows the
	// buttons).
	CanAck bool
	Error  string
	Code   int
	Data   any
}

func (a *App) render(w http.ResponseWriter, r *http.Request, s *session, name, title string, data any) error {
	pd := pageData{Title: title, Page: name, JSROOT: a.jsroot != nil, JSROOTBase: a.jsrootBase, Data: data}
	if s != nil {
		pd.User = s.User
		pd.CSRF = a.sess.csrfToken(s.Nonce)
		pd.CanAck = s.Token == "" && s.Role.Can(PermAcknowledge)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return a.tmpl[name].ExecuteTemplate(w, "layout", pd)
}

func (a *App) home(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	if s != nil {
		http.Redirect(w, r, "/runs", http.StatusSeeOther)
	} else {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
	return nil
}

// safeNext keeps only local absolute paths as login redirect targets. It
// validates the path a browser would follow: the decoded, cleaned path
// (http.Redirect cleans it too), so "/x/../%5Cevil.com" cannot become
// "/\evil.com", which browsers resolve to another host. Backslashes,
// control characters, schemes, hosts and "//" are refused; the result is
// re-encoded from the cleaned path and the query.
func safeNext(next string) string {
	const fallback = "/runs"
	if next == "" || len(next) > 4096 || next[0] != '/' || badRedirectChars(next) {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || badRedirectChars(u.Path) {
		return fallback
	}
	clean := path.Clean(u.Path)
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return fallback
	}
	for _, p := range []string{"/login", "/logout"} {
		if clean == p || strings.HasPrefix(clean, p+"/") {
			return fallback
		}
	}
	return (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
}

// badRedirectChars reports backslashes and control characters.
func badRedirectChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

type loginData struct {
	Next    string
	Message string
	Token   string
}

// loginPage shows the login form. The form's CSRF token is bound to a
// random nonce kept in a short-lived cookie (login CSRF protection).
func (a *App) loginPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	next := safeNext(r.URL.Query().Get("next"))
	if s != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return a.showLogin(w, r, next, "", http.StatusOK)
}

func (a *App) showLogin(w http.ResponseWriter, r *http.Request, next, msg string, code int) error {
	nonce := randomToken()
	http.SetCookie(w, a.sess.cookie(r, loginCookie, nonce, 30*time.Minute))
	pd := pageData{Title: "Login", Page: "login", JSROOT: a.jsroot != nil, JSROOTBase: a.jsrootBase,
		Data: loginData{Next: next, Message: msg, Token: a.sess.csrfToken("login:" + nonce)}}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	return a.tmpl["login"].ExecuteTemplate(w, "layout", pd)
}

func (a *App) loginPost(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "invalid login form: %v", err)
	}
	next := safeNext(r.PostForm.Get("next"))
	c, err := r.Cookie(loginCookie)
	if err != nil || !a.sess.checkCSRF("login:"+c.Value, r.PostForm.Get(csrfField)) {
		return a.showLogin(w, r, next, "The login form expired or its CSRF token is invalid: please try again.", http.StatusForbidden)
	}
	user, pw := r.PostForm.Get("username"), r.PostForm.Get("password")
	addr := a.clientAddr(r)
	// The attempt is counted before the password is checked: of parallel
	// guesses at most LoginAttempts per (user, address) get checked, and
	// one address cannot spray more than addrFactor× that over all users.
	// Failures of a user from every address only slow its logins down,
	// so guesses from elsewhere never lock the real user out.
	uaKey, addrKey, userKey := "ua:"+user+"\x00"+addr, "addr:"+addr, "user:"+user
	if ok, wait := a.limit.take(uaKey); !ok {
		return a.tooManyLogins(w, r, next, wait)
	}
	if ok, wait := a.limitAddr.take(addrKey); !ok {
		a.limit.giveBack(uaKey)
		return a.tooManyLogins(w, r, next, wait)
	}
	if d := slowDown(a.slow.count(userKey), a.cfg.LoginAttempts); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return r.Context().Err()
		}
	}
	if !a.hashing.acquire(r.Context(), loginQueueWait) {
		if err := r.Context().Err(); err != nil {
			return err
		}
		a.limit.giveBack(uaKey)
		a.limitAddr.giveBack(addrKey)
		w.Header().Set("Retry-After", "5")
		return a.showLogin(w, r, next, "The server is busy checking other logins: try again in a few seconds.", http.StatusServiceUnavailable)
	}
	ok := ValidUserName(user) && a.cfg.Users.Verify(user, pw)
	a.hashing.release()
	if !ok {
		a.slow.record(userKey)
		return a.showLogin(w, r, next, "Login failed: invalid user name or password.", http.StatusUnauthorized)
	}
	a.limit.reset(uaKey)
	a.limitAddr.giveBack(addrKey)
	fp, _ := a.cfg.Users.fingerprint(user)
	ss := session{User: user, Expires: a.cfg.Now().Add(a.cfg.SessionTTL), Nonce: randomToken(), Fingerprint: fp}
	if err := a.cfg.Sessions.CreateSession(r.Context(), ss.Nonce, SessionRecord{User: user, Expires: ss.Expires}); err != nil {
		return err
	}
	http.SetCookie(w, a.sess.cookie(r, sessionCookie, a.sess.encode(ss), a.cfg.SessionTTL))
	http.SetCookie(w, a.sess.cookie(r, loginCookie, "", -1))
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// loginQueueWait bounds how long a login waits for a password-hashing slot.
const loginQueueWait = 10 * time.Second

func (a *App) tooManyLogins(w http.ResponseWriter, r *http.Request, next string, wait time.Duration) error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return a.showLogin(w, r, next, fmt.Sprintf("Too many failed logins: try again in %d s.", secs), http.StatusTooManyRequests)
}

// logout ends the session: its server-side record is deleted, so a copy
// of the cookie stops working at once (on every replica).
func (a *App) logout(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	if s != nil && !strings.HasPrefix(s.Nonce, "proxy:") {
		if err := a.cfg.Sessions.DeleteSession(r.Context(), s.Nonce); err != nil && !errors.Is(err, overwatch.ErrNotFound) {
			return err
		}
	}
	http.SetCookie(w, a.sess.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// --- run list ---

type runRow struct {
	overwatch.RunInfo
	Ongoing bool
	// Quality is the badge of each subsystem with stored quality flags.
	Quality map[string]string
	// HTML is the row of the run list and Jump its drawer link (rendered
	// once per run state and cached: old runs do not change).
	HTML template.HTML
	Jump template.HTML
}

type cachedRow struct {
	row, jump template.HTML
}

// rowKey identifies the rendered state of a run-list row.
type rowKey struct {
	run      int
	end      int64
	ongoing  bool
	nsys     int
	mode     overwatch.HLTMode
	lastSeen int64
	badges   string
}

// rowHTML renders (or returns the cached) run-list row of a run.
func (a *App) rowHTML(r runRow) (cachedRow, error) {
	var last int64
	for _, s := range r.Subsystems {
		last = max(last, s.End.Unix())
	}
	k := rowKey{run: r.Number, end: r.End.Unix(), ongoing: r.Ongoing, nsys: len(r.Subsystems), mode: r.Mode, lastSeen: last, badges: badgeKeyString(r.Quality)}
	a.rowsMu.Lock()
	c, ok := a.rows[k]
	a.rowsMu.Unlock()
	if ok {
		return c, nil
	}
	var b, j strings.Builder
	if err := a.tmpl["runs"].ExecuteTemplate(&b, "runrow", r); err != nil {
		return c, err
	}
	if err := a.tmpl["runs"].ExecuteTemplate(&j, "jump", r); err != nil {
		return c, err
	}
	c = cachedRow{row: template.HTML(b.String()), jump: template.HTML(j.String())}
	a.rowsMu.Lock()
	if len(a.rows) > 20000 {
		clear(a.rows)
	}
	a.rows[k] = c
	a.rowsMu.Unlock()
	return c, nil
}

type runsData struct {
	Runs      []runRow
	Rows      template.HTML // the table rows, from the cached row HTML
	Jumps     template.HTML // the drawer's links to every 5th run
	Total     int
	Before    int
	NextFrom  int // Before of the next (older) page, 0 when none
	Newest    bool
	Ongoing   *runRow
	JumpError string
	// Months are the bookmarks of the months of the runs shown.
	Months []monthLink
	// Filter is the run filter of the page (runfilter.go).
	Filtered   bool
	FilterDesc string
	Filter     url.Values
	FilterQS   string // the filter's query string, for paging links
	// NewestURL and OlderURL are the paging links (keeping the filter).
	NewestURL, OlderURL string
	Scanned             int
	Partial             bool
}

// monthLink is a bookmark of the run list: a month's first row.
type monthLink struct {
	ID, Title string
}

func (a *App) runList(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	q := r.URL.Query()
	if j := strings.TrimSpace(q.Get("jump")); j != "" {
		n, err := parseRun(j)
		if err != nil {
			return err
		}
		if _, err := a.store.RunInfo(r.Context(), n); err != nil {
			if errors.Is(err, overwatch.ErrNotFound) {
				return errorf(http.StatusNotFound, "run %d is not known", n)
			}
			return err
		}
		http.Redirect(w, r, fmt.Sprintf("/runs?before=%d#Run%d", n+1, n), http.StatusSeeOther)
		return nil
	}
	before := 0
	if b := q.Get("before"); b != "" {
		n, err := parseRun(b)
		if err != nil {
			return err
		}
		before = n
	}
	f, err := parseRunFilter(q)
	if err != nil {
		return err
	}
	var d *runsData
	if f.active() {
		d, err = a.listFilteredRuns(r.Context(), f, before)
	} else {
		d, err = a.listRuns(r.Context(), before)
	}
	if err != nil {
		return err
	}
	d.Filter = f.Params
	d.NewestURL, d.OlderURL = "/runs", ""
	if d.FilterQS != "" {
		d.NewestURL += "?" + d.FilterQS
	}
	if d.NextFrom != 0 {
		pq := url.Values{}
		for k, v := range f.Params {
			pq[k] = v
		}
		pq.Set("before", strconv.Itoa(d.NextFrom))
		d.OlderURL = "/runs?" + pq.Encode()
	}
	return a.render(w, r, s, "runs", "Runs", d)
}

// runListTTL bounds how long a listing of runs is reused; new snapshots
// seen by the live-update hub invalidate it at once.
const runListTTL = time.Second

type runListing struct {
	at    time.Time
	runs  []overwatch.RunInfo
	total int
}

// cachedRuns lists a page of runs and the total, reusing a listing younger
// than runListTTL.
func (a *App) cachedRuns(ctx context.Context, before int) ([]overwatch.RunInfo, int, error) {
	now := time.Now()
	a.listMu.Lock()
	l, ok := a.listings[before]
	a.listMu.Unlock()
	if ok && now.Sub(l.at) < runListTTL {
		return l.runs, l.total, nil
	}
	runs, err := a.store.Runs(ctx, overwatch.RunQuery{Limit: pageSize + 1, Before: before})
	if err != nil {
		return nil, 0, err
	}
	total, err := a.store.CountRuns(ctx)
	if err != nil {
		return nil, 0, err
	}
	a.listMu.Lock()
	if len(a.listings) > 1000 {
		clear(a.listings)
	}
	a.listings[before] = runListing{at: now, runs: runs, total: total}
	a.listMu.Unlock()
	return runs, total, nil
}

// invalidateRuns drops the cached run listings (a snapshot arrived).
func (a *App) invalidateRuns() {
	a.listMu.Lock()
	clear(a.listings)
	a.listMu.Unlock()
}

func (a *App) listRuns(ctx context.Context, before int) (*runsData, error) {
	runs, total, err := a.cachedRuns(ctx, before)
	if err != nil {
		return nil, err
	}
	d := &runsData{Total: total, Before: before, Newest: before == 0}
	if len(runs) > pageSize {
		runs = runs[:pageSize:pageSize]
		d.NextFrom = runs[pageSize-1].Number
	}
	if err := a.buildRows(ctx, d, runs); err != nil {
		return nil, err
	}
	if before == 0 && len(d.Runs) > 0 && d.Runs[0].Ongoing {
		d.Ongoing = &d.Runs[0]
	}
	return d, nil
}

// buildRows renders the rows of the run list, with a bookmark row at the
// first run of each month (CERN time of the run's start).
func (a *App) buildRows(ctx context.Context, d *runsData, runs []overwatch.RunInfo) error {
	d.Runs = make([]runRow, len(runs))
	var rows, jumps strings.Builder
	seen := map[string]bool{}
	newest := a.newestRun(ctx)
	now := a.cfg.Now()
	for i, ri := range runs {
		d.Runs[i] = runRow{RunInfo: ri, Ongoing: isOngoing(ri, newest, now)}
		d.Runs[i].Quality = a.badges(ctx, ri, d.Runs[i].Ongoing)
		c, err := a.rowHTML(d.Runs[i])
		if err != nil {
			return err
		}
		d.Runs[i].HTML, d.Runs[i].Jump = c.row, c.jump
		if id, title := monthOf(ri.Start); !ri.Start.IsZero() && !seen[id] {
			seen[id] = true
			d.Months = append(d.Months, monthLink{ID: id, Title: title})
			fmt.Fprintf(&rows, "<tr class=\"month\" id=\"m-%s\"><th colspan=\"4\">%s</th></tr>\n", id, template.HTMLEscapeString(title))
		}
		rows.WriteString(string(c.row))
		if i%5 == 0 {
			jumps.WriteString(string(c.jump))
		}
	}
	d.Rows, d.Jumps = template.HTML(rows.String()), template.HTML(jumps.String())
	return nil
}

// listFilteredRuns is a page of the runs matching a filter (not cached:
// the scan is bounded by maxRunScan).
func (a *App) listFilteredRuns(ctx context.Context, f runFilter, before int) (*runsData, error) {
	fr, err := a.filterRuns(ctx, f, before, pageSize)
	if err != nil {
		return nil, err
	}
	total, err := a.store.CountRuns(ctx)
	if err != nil {
		return nil, err
	}
	d := &runsData{Total: total, Before: before, Newest: before == 0, NextFrom: fr.Next, Filtered: true,
		FilterDesc: f.describe(), FilterQS: f.query(), Scanned: fr.Scanned, Partial: fr.Partial}
	if err := a.buildRows(ctx, d, fr.Runs); err != nil {
		return nil, err
	}
	return d, nil
}

// --- run page ---

type plotBlock struct {
	Name     string
	Pretty   string
	Class    string
	Quality  string
	Reasons  []string
	Info     []overwatch.InfoItem
	Alarms   []overwatch.AlarmRecord
	JSONURL  string
	HintsURL string
	PNGURL   string
	Updated  time.Time
	// Channels are the histogram's entries in the bad-channel list, Masked
	// the confirmed cells as a JSON array (drawn masked).
	Channels []quality.Channel
	Masked   string
	// Placeholder marks the plots of the first viewport: their
	// server-rendered image is in the page, shown while JSROOT loads.
	Placeholder bool
}

// shortRun is the run length under which the slice form offers a window
// in seconds by default.
const shortRun = 5 * time.Minute

// Plots of the first viewport (a column of plots; a grid shows more),
// whose server-rendered image the run page shows at once while JSROOT
// loads.
const (
	placeholderPlots     = 3
	placeholderGridPlots = 9
)

type optionField struct {
	overwatch.OptionSpec
	Value string
}

// thresholdField is a check threshold of the slice form: Key is its name in
// requests ("<check>.<parameter>"), Value the slice's (or the default),
// Overridden whether the slice overrides it.
type thresholdField struct {
	overwatch.OptionSpec
	Key, Value string
	Overridden bool
}

// thresholdFields lists the subsystem's check thresholds for the slice
// form (none without Config.Thresholds).
func (a *App) thresholdFields(sys string, req *timeslice.Request) []thresholdField {
	if a.cfg.Thresholds == nil {
		return nil
	}
	specs, err := a.cfg.Thresholds.ThresholdOptions(sys)
	if err != nil {
		a.log.Warn("check thresholds not offered", "subsystem", sys, "err", err)
		return nil
	}
	out := make([]thresholdField, 0, len(specs))
	for _, sp := range specs {
		f := thresholdField{OptionSpec: sp, Key: strings.TrimPrefix(sp.Name, quality.OptionPrefix), Value: fmt.Sprint(sp.Default)}
		if req != nil {
			if v, ok := req.Thresholds[f.Key]; ok {
				f.Value, f.Overridden = v, true
			}
		}
		out = append(out, f)
	}
	return out
}

type runPageData struct {
	Run        overwatch.RunInfo
	Sys        overwatch.SubsystemInfo
	Ongoing    bool
	View       *overwatch.ViewDoc
	Group      *overwatch.ViewGroup
	Hist       string
	Plots      []plotBlock
	Alarms     []overwatch.AlarmRecord
	RunLength  float64 // minutes
	Options    []optionField
	Slice      *timeslice.Request
	SliceState *timeslice.Status
	// SliceWindow is the slice's window as the form gives it, SliceResult
	// what its record says of the result; Thresholds are the check
	// thresholds the form offers to override.
	SliceWindow sliceWindow
	SliceResult sliceResult
	Thresholds  []thresholdField
	SliceError  string
	SliceOn     bool
	Permalink   string
	Stale       bool
	// Flags are the run's stored quality flags (nil when none).
	Flags *quality.RunFlags
	// BadChannelsVersion is the version of the subsystem's bad-channel
	// list the page shows; CanBadChannels: the user may decide.
	BadChannelsVersion int64
	CanBadChannels     bool
}

// sliceFromQuery reads a time-slice request from a page URL: by (minutes
// when absent, seconds, events or lastEvents), from and to in that unit
// (or last: the number of last events), options as o.<name> and check
// thresholds as t.<check>.<parameter>. It returns nil when the URL asks for
// the full run.
func sliceFromQuery(q url.Values, run int, sys string) (*timeslice.Request, error) {
	if q.Get("from") == "" && q.Get("to") == "" && q.Get("last") == "" && q.Get("by") == "" {
		return nil, nil
	}
	w := sliceWindow{By: q.Get("by")}
	var err error
	for _, p := range []struct {
		name string
		to   *float64
	}{{"from", &w.From}, {"to", &w.To}, {"last", &w.Last}} {
		if s := q.Get(p.name); s != "" {
			if *p.to, err = parseNumber(s, p.name); err != nil {
				return nil, err
			}
		}
	}
	req, err := w.request(run, sys)
	if err != nil {
		return nil, err
	}
	for k, v := range q {
		if name, ok := strings.CutPrefix(k, "o."); ok && len(v) > 0 {
			req.Options[name] = v[0]
		}
		if name, ok := strings.CutPrefix(k, "t."); ok && len(v) > 0 {
			if req.Thresholds == nil {
				req.Thresholds = map[string]string{}
			}
			req.Thresholds[name] = v[0]
		}
	}
	return req, validateSlice(req)
}

// sliceWindow is a slice window as the page URL and the API give it: by
// (timeslice.ByMinutes when empty, BySeconds, ByEvents, ByLastEvents),
// from and to in its unit, last for ByLastEvents.
type sliceWindow struct {
	By   string  `json:"by,omitempty"`
	From float64 `json:"from"`
	To   float64 `json:"to"`
	Last float64 `json:"last,omitempty"`
}

// request returns the time-slice request of the window (no options).
func (w sliceWindow) request(run int, sys string) (*timeslice.Request, error) {
	req := &timeslice.Request{Run: run, Subsystem: sys, By: w.By, Options: map[string]string{}}
	if w.By != timeslice.ByLastEvents && w.Last != 0 {
		return nil, errorf(http.StatusBadRequest, "time slice: last=%g is for by=%s only", w.Last, timeslice.ByLastEvents)
	}
	switch w.By {
	case "", timeslice.ByMinutes:
		req.By, req.FromMinute, req.ToMinute = timeslice.ByMinutes, w.From, w.To
	case timeslice.BySeconds:
		req.FromSecond, req.ToSecond = w.From, w.To
	case timeslice.ByEvents:
		req.FromEvent, req.ToEvent = w.From, w.To
	case timeslice.ByLastEvents:
		if w.From != 0 || w.To != 0 {
			return nil, errorf(http.StatusBadRequest, "time slice: by=%s takes last (the number of events), not from and to", timeslice.ByLastEvents)
		}
		req.LastEvents = w.Last
	default:
		return nil, errorf(http.StatusBadRequest, "time slice: by=%q: want %s, %s, %s or %s", w.By, timeslice.ByMinutes, timeslice.BySeconds, timeslice.ByEvents, timeslice.ByLastEvents)
	}
	return req, nil
}

// windowOf is the inverse of sliceWindow.request.
func windowOf(req *timeslice.Request) sliceWindow {
	by, _ := req.Window()
	switch by {
	case timeslice.BySeconds:
		return sliceWindow{By: by, From: req.FromSecond, To: req.ToSecond}
	case timeslice.ByEvents:
		return sliceWindow{By: by, From: req.FromEvent, To: req.ToEvent}
	case timeslice.ByLastEvents:
		return sliceWindow{By: by, Last: req.LastEvents}
	}
	return sliceWindow{By: timeslice.ByMinutes, From: req.FromMinute, To: req.ToMinute}
}

func parseNumber(s, what string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errorf(http.StatusBadRequest, "time slice: %s=%q is not a number", what, s)
	}
	return f, nil
}

// validateSlice checks what a request says by itself with the time-slice
// service's own rules (timeslice.Request.Validate), as a 400.
func validateSlice(req *timeslice.Request) error {
	if _, err := req.Validate(); err != nil {
		return errorf(http.StatusBadRequest, "time slice: %v", err)
	}
	return nil
}

// permalink returns the canonical URL of a run page view.
func permalink(req *timeslice.Request, run int, sys, group, hist string) string {
	q := url.Values{}
	if group != "" {
		q.Set("group", group)
	}
	if hist != "" {
		q.Set("hist", hist)
	}
	if req != nil {
		w := windowOf(req)
		num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
		if w.By != timeslice.ByMinutes {
			q.Set("by", w.By)
		}
		if w.By == timeslice.ByLastEvents {
			q.Set("last", num(w.Last))
		} else {
			q.Set("from", num(w.From))
			q.Set("to", num(w.To))
		}
		for k, v := range req.Options {
			q.Set("o."+k, v)
		}
		for k, v := range req.Thresholds {
			q.Set("t."+k, v)
		}
	}
	u := fmt.Sprintf("/run/%d/%s", run, sys)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (a *App) runPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	run, sys, err := parseRunSys(ps)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ri, si, err := a.runSubsystem(ctx, run, sys)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := &runPageData{Run: ri, Sys: si, Ongoing: a.ongoing(ctx, ri), SliceOn: a.cfg.Slices != nil,
		RunLength: math.Max(0.5, math.Ceil(si.End.Sub(si.Start).Minutes()*10)/10)}
	d.Slice, err = sliceFromQuery(q, run, sys)
	if err != nil {
		return err
	}
	specs := overwatch.DetectorOptions(sys)
	for _, sp := range specs {
		v := fmt.Sprint(sp.Default)
		if d.Slice != nil {
			if x, ok := d.Slice.Options[sp.Name]; ok {
				v = x
			}
		}
		d.Options = append(d.Options, optionField{OptionSpec: sp, Value: v})
	}
	if d.Slice != nil {
		d.SliceWindow = windowOf(d.Slice)
	} else if secs := si.End.Sub(si.Start).Seconds(); secs > 0 && secs < shortRun.Seconds() {
		// A short run (the demo's last seconds): a window in whole minutes
		// cannot cut it, one in seconds can.
		d.SliceWindow = sliceWindow{By: timeslice.BySeconds, To: math.Max(1, math.Ceil(secs))}
	} else {
		d.SliceWindow = sliceWindow{By: timeslice.ByMinutes, To: d.RunLength}
	}
	d.Thresholds = a.thresholdFields(sys, d.Slice)
	group, hist := q.Get("group"), q.Get("hist")
	d.Permalink = permalink(d.Slice, run, sys, group, hist)
	if d.Alarms, err = a.runAlarms(ctx, run, sys); err != nil {
		return err
	}
	if d.Flags, err = a.runFlags(ctx, run, sys); err != nil {
		a.log.Warn("quality flags unreadable", "run", run, "subsystem", sys, "err", err)
	}
	sliceKey := ""
	if d.Slice != nil {
		if a.cfg.Slices == nil {
			return errorf(http.StatusServiceUnavailable, "time slices are not enabled on this server")
		}
		st, rec, err := a.submitSlice(ctx, *d.Slice)
		if err != nil {
			if errors.Is(err, timeslice.ErrInvalidRequest) || errors.Is(err, overwatch.ErrNotFound) {
				return errorf(http.StatusBadRequest, "%v", err)
			}
			return err
		}
		d.SliceState, d.SliceResult = &st, resultOf(rec)
		if st.State != timeslice.StateDone {
			if st.State == timeslice.StateFailed {
				d.SliceError = st.Error
			}
			return a.render(w, r, s, "run", fmt.Sprintf("Run %d %s (time slice)", run, sys), d)
		}
		sliceKey = st.Key
	}
	view, vmod, err := a.views.get(ctx, run, sys, sliceKey)
	switch {
	case errors.Is(err, overwatch.ErrNotFound):
		return a.render(w, r, s, "run", fmt.Sprintf("Run %d %s", run, sys), d) // no outputs yet
	case err != nil:
		return err
	}
	d.View = view
	d.Stale = sliceKey == "" && si.Last.Time.Unix() > view.Snapshot.Time
	if hist != "" {
		h, g, ok := view.Hist(hist)
		if !ok {
			return errorf(http.StatusNotFound, "histogram %q is not in run %d %s", hist, run, sys)
		}
		d.Group, d.Hist = g, h.Name
	} else if group != "" {
		g, ok := view.Group(group)
		if !ok {
			titles := make([]string, len(view.Groups))
			for i, g := range view.Groups {
				titles[i] = g.Title
			}
			return errorf(http.StatusNotFound, "group %q is not in run %d %s (groups: %s)", group, run, sys, strings.Join(titles, ", "))
		}
		d.Group = g
	} else if len(view.Groups) > 0 {
		d.Group = &view.Groups[0]
	}
	if d.Group != nil {
		first := placeholderPlots
		if d.Group.Grid {
			first = placeholderGridPlots
		}
		for _, h := range d.Group.Hists {
			if d.Hist != "" && h.Name != d.Hist {
				continue
			}
			p := a.plot(ctx, run, sys, sliceKey, vmod, h, d.Alarms)
			p.Placeholder = len(d.Plots) < first
			d.Plots = append(d.Plots, p)
		}
	}
	a.attachBadChannels(ctx, s, d)
	return a.render(w, r, s, "run", fmt.Sprintf("Run %d %s", run, sys), d)
}

// outputURL is the API URL of one output of a histogram.
func outputURL(run int, sys, slice, kind, name string) string {
	q := url.Values{}
	if slice != "" {
		q.Set("slice", slice)
	}
	return nameURL(fmt.Sprintf("/api/runs/%d/%s/%s", run, sys, kind), name, q)
}

// plot is the block of one histogram of a run page whose view was written
// at vmod (its hints are read through the output cache, as the browser
// asks them next).
func (a *App) plot(ctx context.Context, run int, sys, slice string, vmod time.Time, h overwatch.ViewHist, alarms []overwatch.AlarmRecord) plotBlock {
	p := plotBlock{Name: h.Name, Pretty: h.PrettyName, Class: h.Class, Quality: h.Quality.String(),
		JSONURL:  outputURL(run, sys, slice, "json", h.Name),
		HintsURL: outputURL(run, sys, slice, "hints", h.Name),
		PNGURL:   outputURL(run, sys, slice, "png", h.Name)}
	if p.Pretty == "" {
		p.Pretty = h.Name
	}
	ref := overwatch.OutputRef{Run: run, Subsystem: sys, Slice: slice, Name: h.Name, Kind: overwatch.OutputHints}
	if out, err := a.output(ctx, ref, vmod); err == nil {
		var hi overwatch.Hints
		if json.Unmarshal(out.data, &hi) == nil {
			p.Info, p.Reasons = hi.Info, hi.QualityReasons
			if hi.PrettyName != "" {
				p.Pretty = hi.PrettyName
			}
		}
	}
	if t, err := a.bundles.OutputTime(ctx, overwatch.OutputRef{Run: run, Subsystem: sys, Slice: slice, Name: h.Name, Kind: overwatch.OutputJSON}); err == nil {
		p.Updated = t
	}
	for _, al := range alarms {
		if al.Hist == h.Name {
			p.Alarms = append(p.Alarms, al)
		}
	}
	return p
}

// --- ROOT files ---

type filesData struct {
	Run   overwatch.RunInfo
	Sys   overwatch.SubsystemInfo
	Files []fileRow
}

type fileRow struct {
	overwatch.SnapshotInfo
	Base string
}

func (a *App) snapshots(ctx context.Context, run int, sys string) (overwatch.RunInfo, overwatch.SubsystemInfo, []fileRow, error) {
	ri, si, err := a.runSubsystem(ctx, run, sys)
	if err != nil {
		return ri, si, nil, err
	}
	snaps, err := a.store.Snapshots(ctx, run, si.FilesFrom)
	if err != nil {
		return ri, si, nil, err
	}
	rows := make([]fileRow, len(snaps))
	for i, sn := range snaps {
		rows[i] = fileRow{SnapshotInfo: sn, Base: path.Base(sn.Path)}
	}
	return ri, si, rows, nil
}

func (a *App) filesPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	run, sys, err := parseRunSys(ps)
	if err != nil {
		return err
	}
	ri, si, rows, err := a.snapshots(r.Context(), run, sys)
	if err != nil {
		return err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[j].SnapshotRef.Before(rows[i].SnapshotRef) })
	return a.render(w, r, s, "files", fmt.Sprintf("Run %d %s ROOT files", run, sys), filesData{Run: ri, Sys: si, Files: rows})
}

// downloadSnapshot serves a received snapshot file, found by its base
// name among the snapshots the index knows for the run and subsystem; any
// other name (including traversal attempts) is 404.
func (a *App) downloadSnapshot(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
	run, sys, err := parseRunSys(ps)
	if err != nil {
		return err
	}
	_, _, rows, err := a.snapshots(r.Context(), run, sys)
	if err != nil {
		return err
	}
	name := ps.ByName("file")
	for _, row := range rows {
		if row.Base != name {
			continue
		}
		rc, err := a.store.OpenSnapshot(r.Context(), row.SnapshotRef)
		if err != nil {
			return err
		}
		defer rc.Close()
		// Large files to slow clients may outlast the server's write timeout.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(10 * time.Minute))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		if row.Size > 0 {
			w.Header().Set("Content-Length", strconv.FormatInt(row.Size, 10))
		}
		_, err = io.Copy(w, rc)
		if err != nil {
			a.log.Warn("snapshot download interrupted", "file", row.Path, "err", err)
		}
		return nil
	}
	return errorf(http.StatusNotFound, "no snapshot %q in run %d %s", name, run, sys)
}

// --- trending ---

type trendingData struct {
	Subsystems []string
	Sys        string
	Trends     []trendBlock
	Selected   string
}

type trendBlock struct {
	Name      string
	Desc      string
	Hist      string
	Extractor string // the kind of quantity: trends of one extractor may be overlaid
	URL       string
	Alarms    []overwatch.AlarmRecord
}

// trendedSubsystems lists the configured and registered subsystems.
func (a *App) knownSubsystems() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a.cfg.Subsystems...), overwatch.Detectors()...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func trendDecls(sys string) map[string]overwatch.TrendDecl {
	m := map[string]overwatch.TrendDecl{}
	if td, ok := overwatch.DetectorFor(sys).(overwatch.TrendDeclarer); ok {
		for _, t := range td.Trends() {
			m[t.Name] = t
		}
	}
	return m
}

func (a *App) trendingPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	ctx := r.Context()
	d := trendingData{Subsystems: a.knownSubsystems(), Sys: ps.ByName("sys"), Selected: r.URL.Query().Get("trend")}
	if d.Sys == "" {
		for _, sys := range d.Subsystems {
			if names, err := a.store.Trends(ctx, sys); err == nil && len(names) > 0 {
				http.Redirect(w, r, "/trending/"+sys, http.StatusSeeOther)
				return nil
			}
		}
		return a.render(w, r, s, "trending", "Trending", d)
	}
	if !overwatch.ValidSubsystem(d.Sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", d.Sys)
	}
	names, err := a.store.Trends(ctx, d.Sys)
	if err != nil {
		return err
	}
	if len(names) == 0 && !contains(d.Subsystems, d.Sys) {
		return errorf(http.StatusNotFound, "unknown subsystem %s (known: %s)", d.Sys, strings.Join(d.Subsystems, ", "))
	}
	if d.Selected != "" && !contains(names, d.Selected) {
		return errorf(http.StatusNotFound, "subsystem %s has no trend %q", d.Sys, d.Selected)
	}
	decls := trendDecls(d.Sys)
	alarms, err := a.store.Alarms(ctx, overwatch.AlarmQuery{Subsystem: d.Sys})
	if err != nil {
		return err
	}
	for _, n := range names {
		if d.Selected != "" && n != d.Selected {
			continue
		}
		tb := trendBlock{Name: n, Desc: decls[n].Desc, Hist: decls[n].Hist, Extractor: decls[n].Extractor, URL: nameURL("/api/trends/"+d.Sys, n, nil)}
		if tb.Desc == "" {
			tb.Desc = n
		}
		for _, al := range alarms {
			if al.Trend == n {
				tb.Alarms = append(tb.Alarms, al)
			}
		}
		d.Trends = append(d.Trends, tb)
	}
	return a.render(w, r, s, "trending", "Trending "+d.Sys, d)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// statusPageData is the status page: the status and the alarms firing now.
type statusPageData struct {
	*Status
	Alarms []overwatch.AlarmRecord
}

func (a *App) statusPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	st, err := a.status(r.Context())
	if err != nil {
		return err
	}
	firing, err := a.store.Alarms(r.Context(), overwatch.AlarmQuery{State: overwatch.AlarmFiring})
	if err != nil {
		return err
	}
	return a.render(w, r, s, "status", "Status", statusPageData{Status: st, Alarms: firing})
}
