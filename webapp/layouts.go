package webapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
)

// Layouts: pages of plots composed by experts in the browser (or declared
// in the configuration), kept as versioned documents of kind "layout" in
// Config.Documents; the kiosk mode cycles through their tabs on a
// control-room screen. The handlers are here, the drawing in
// static/layouts.js.

// layoutRoutes registers the layout pages and API.
func (a *App) layoutRoutes(r *httprouter.Router, get func(string, httprouter.Handle)) {
	a.parseLayoutTemplates()
	get("/layouts", a.page(a.layoutListPage, true))
	get("/layouts/:name", a.page(a.layoutViewPage, true))
	get("/layouts/:name/edit", a.page(a.layoutEditPage, true))
	get("/kiosk", a.page(a.kioskPage, true))

	get("/api/layouts", a.api(ScopeRuns, a.apiLayouts))
	get("/api/layouts/:name", a.api(ScopeRuns, a.apiLayout))
	get("/api/layouts/:name/history", a.api(ScopeRuns, a.apiLayoutHistory))
	r.PUT("/api/layouts/:name", a.api(ScopeRuns, a.apiLayoutSave))
	r.POST("/api/layouts/:name", a.api(ScopeRuns, a.apiLayoutSave))
	r.DELETE("/api/layouts/:name", a.api(ScopeRuns, a.apiLayoutDelete))
	r.POST("/api/layouts/:name/revert", a.api(ScopeRuns, a.apiLayoutRevert))
	r.POST("/api/layouts/:name/clone", a.api(ScopeRuns, a.apiLayoutClone))
	a.preferenceRoutes(r, get)
}

// parseLayoutTemplates adds the layout pages to the app's templates. They
// are embedded: a parse error is a programming error every test catches.
func (a *App) parseLayoutTemplates() {
	for _, p := range []string{"layouts", "layoutview", "layoutedit"} {
		a.tmpl[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
	}
	// The kiosk is its own document: no toolbar, no drawer.
	a.tmpl["kiosk"] = template.Must(template.New("kiosk").Funcs(funcs).ParseFS(templateFS, "templates/kiosk.html"))
}

// layoutSource tells where a layout comes from.
const (
	sourceStore  = "store"
	sourceConfig = "config"
)

// layoutDoc is a layout as the API returns it: the layout and its version.
type layoutDoc struct {
	Name    string    `json:"name"`
	Version int64     `json:"version"`
	Author  string    `json:"author,omitempty"`
	Time    time.Time `json:"time,omitzero"`
	Comment string    `json:"comment,omitempty"`
	// Source is "store" (edited in the browser) or "config" (declared in
	// the configuration: read-only).
	Source   string           `json:"source"`
	ReadOnly bool             `json:"readOnly,omitempty"`
	Layout   overwatch.Layout `json:"layout"`
}

// layoutSummary is one entry of the layout list.
type layoutSummary struct {
	Name     string    `json:"name"`
	Title    string    `json:"title"`
	Official bool      `json:"official,omitempty"`
	Tabs     int       `json:"tabs"`
	Plots    int       `json:"plots"`
	Version  int64     `json:"version"`
	Author   string    `json:"author,omitempty"`
	Time     time.Time `json:"time,omitzero"`
	Source   string    `json:"source"`
	ReadOnly bool      `json:"readOnly,omitempty"`
}

// layoutVersion is one entry of a layout's history.
type layoutVersion struct {
	Version int64     `json:"version"`
	Author  string    `json:"author,omitempty"`
	Time    time.Time `json:"time"`
	Comment string    `json:"comment,omitempty"`
	Deleted bool      `json:"deleted,omitempty"`
	Title   string    `json:"title,omitempty"`
}

// documents returns the document store (layouts, references, quality
// flags, bad channels, preferences), or a 503 saying it is not configured.
func (a *App) documents() (overwatch.DocumentStore, error) {
	if a.cfg.Documents == nil {
		return nil, errorf(http.StatusServiceUnavailable, "not available: this server was started without a document store (layouts, references, quality flags, bad channels and preferences need one)")
	}
	return a.cfg.Documents, nil
}

// configLayout returns the layout of that name declared in the
// configuration.
func (a *App) configLayout(name string) (overwatch.Layout, bool) {
	l, ok := a.cfg.Layouts[name]
	return l, ok
}

func layoutName(ps httprouter.Params) (string, error) {
	name := ps.ByName("name")
	if err := overwatch.CheckLayoutName(name); err != nil {
		return "", errorf(http.StatusBadRequest, "%v", err)
	}
	return name, nil
}

// decodeLayoutBody reads a stored layout document's body.
func decodeLayoutBody(d overwatch.Document) (overwatch.Layout, error) {
	var l overwatch.Layout
	if err := json.Unmarshal(d.Body, &l); err != nil {
		return l, fmt.Errorf("layout %s version %d: stored body: %w", d.Name, d.Version, err)
	}
	l.Normalize()
	return l, nil
}

func docToLayout(d overwatch.Document) (layoutDoc, error) {
	l, err := decodeLayoutBody(d)
	if err != nil {
		return layoutDoc{}, err
	}
	return layoutDoc{Name: d.Name, Version: d.Version, Author: d.Author, Time: d.Time, Comment: d.Comment, Source: sourceStore, Layout: l}, nil
}

// loadLayout returns version v (0 = newest) of a layout: the
// configuration's declaration first (read-only, version 0), else the store's.
func (a *App) loadLayout(ctx context.Context, name string, v int64) (layoutDoc, error) {
	if l, ok := a.configLayout(name); ok {
		if v != 0 {
			return layoutDoc{}, errorf(http.StatusNotFound, "layout %s is declared in the configuration: it has no versions", name)
		}
		return layoutDoc{Name: name, Source: sourceConfig, ReadOnly: true, Author: "config", Layout: l}, nil
	}
	ds, err := a.documents()
	if err != nil {
		return layoutDoc{}, err
	}
	d, err := ds.Document(ctx, overwatch.DocumentKindLayout, name, v)
	if errors.Is(err, overwatch.ErrNotFound) {
		if v != 0 {
			return layoutDoc{}, errorf(http.StatusNotFound, "layout %s has no version %d", name, v)
		}
		return layoutDoc{}, errorf(http.StatusNotFound, "no layout %q", name)
	}
	if err != nil {
		return layoutDoc{}, err
	}
	if d.Deleted {
		return layoutDoc{}, errorf(http.StatusNotFound, "layout %s was deleted by %s (version %d); its history keeps the earlier versions", name, d.Author, d.Version)
	}
	return docToLayout(d)
}

// listLayouts returns every layout, official first, then by title.
func (a *App) listLayouts(ctx context.Context) ([]layoutSummary, error) {
	var out []layoutSummary
	for name, l := range a.cfg.Layouts {
		out = append(out, summarize(layoutDoc{Name: name, Source: sourceConfig, ReadOnly: true, Author: "config", Layout: l}))
	}
	if a.cfg.Documents != nil {
		docs, err := a.cfg.Documents.Documents(ctx, overwatch.DocumentKindLayout)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			if _, ok := a.cfg.Layouts[d.Name]; ok {
				continue // the configuration's declaration wins
			}
			ld, err := docToLayout(d)
			if err != nil {
				a.log.Warn("layout list: skipping an unreadable layout", "err", err)
				continue
			}
			out = append(out, summarize(ld))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Official != out[j].Official {
			return out[i].Official
		}
		if out[i].Title != out[j].Title {
			return out[i].Title < out[j].Title
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func summarize(d layoutDoc) layoutSummary {
	s := layoutSummary{Name: d.Name, Title: d.Layout.Title, Official: d.Layout.Official, Tabs: len(d.Layout.Tabs),
		Version: d.Version, Author: d.Author, Time: d.Time, Source: d.Source, ReadOnly: d.ReadOnly}
	for _, t := range d.Layout.Tabs {
		s.Plots += len(t.Plots)
	}
	return s
}

// --- JSON API ---

func (a *App) apiLayouts(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	if err := a.require(s, PermView); err != nil {
		return err
	}
	list, err := a.listLayouts(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []layoutSummary{}
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func versionParam(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("version")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, errorf(http.StatusBadRequest, "invalid version %q: expected a positive integer", v)
	}
	return n, nil
}

func (a *App) apiLayout(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	if err := a.require(s, PermView); err != nil {
		return err
	}
	name, err := layoutName(ps)
	if err != nil {
		return err
	}
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	d, err := a.loadLayout(r.Context(), name, v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *App) apiLayoutHistory(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	if err := a.require(s, PermView); err != nil {
		return err
	}
	name, err := layoutName(ps)
	if err != nil {
		return err
	}
	if _, ok := a.configLayout(name); ok {
		writeJSON(w, http.StatusOK, []layoutVersion{})
		return nil
	}
	hist, err := a.layoutHistory(r.Context(), name)
	if err != nil {
		return err
	}
	if len(hist) == 0 {
		return errorf(http.StatusNotFound, "no layout %q", name)
	}
	writeJSON(w, http.StatusOK, hist)
	return nil
}

func (a *App) layoutHistory(ctx context.Context, name string) ([]layoutVersion, error) {
	ds, err := a.documents()
	if err != nil {
		return nil, err
	}
	docs, err := ds.DocumentHistory(ctx, overwatch.DocumentKindLayout, name)
	if err != nil {
		return nil, err
	}
	out := make([]layoutVersion, 0, len(docs))
	for _, d := range docs {
		v := layoutVersion{Version: d.Version, Author: d.Author, Time: d.Time, Comment: d.Comment, Deleted: d.Deleted}
		if !d.Deleted {
			if l, err := decodeLayoutBody(d); err == nil {
				v.Title = l.Title
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// layoutSave is the body of PUT/POST /api/layouts/:name.
type layoutSave struct {
	// Version is the version the editor read (0 for a new layout).
	Version int64            `json:"version"`
	Comment string           `json:"comment,omitempty"`
	Layout  overwatch.Layout `json:"layout"`
}

// maxCommentLen bounds a version's comment (the store allows 4096).
const maxCommentLen = 500

// decodeStrict decodes one JSON value of at most limit bytes into v,
// refusing unknown fields and trailing data, as a 400.
func decodeStrict(w http.ResponseWriter, r *http.Request, limit int64, v any, what string) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "%s: the body exceeds %d bytes", what, limit)
		}
		return errorf(http.StatusBadRequest, "invalid %s: %v", what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, "invalid %s: data after the JSON value", what)
	}
	return nil
}

// writeLayout stores version prev+1 of a layout, mapping conflicts to 409.
func (a *App) writeLayout(ctx context.Context, name string, l *overwatch.Layout, prev int64, author, comment string) (layoutDoc, error) {
	if _, ok := a.configLayout(name); ok {
		return layoutDoc{}, errorf(http.StatusForbidden, "layout %s is declared in the configuration and is read-only here: clone it to change it", name)
	}
	if len(comment) > maxCommentLen || hasControlChars(comment) {
		return layoutDoc{}, errorf(http.StatusBadRequest, "comment: at most %d bytes without control characters", maxCommentLen)
	}
	if prev < 0 {
		return layoutDoc{}, errorf(http.StatusBadRequest, "version %d: expected the version read, 0 for a new layout", prev)
	}
	if err := l.Check(); err != nil {
		return layoutDoc{}, errorf(http.StatusBadRequest, "%v", err)
	}
	ds, err := a.documents()
	if err != nil {
		return layoutDoc{}, err
	}
	body, err := json.Marshal(l)
	if err != nil {
		return layoutDoc{}, err
	}
	if len(body) > overwatch.MaxDocumentBody {
		return layoutDoc{}, errorf(http.StatusRequestEntityTooLarge, "layout %s: %d bytes of JSON, at most %d", name, len(body), overwatch.MaxDocumentBody)
	}
	d, err := ds.PutDocument(ctx, overwatch.Document{Kind: overwatch.DocumentKindLayout, Name: name, Author: author, Comment: comment, Body: body}, prev)
	if errors.Is(err, overwatch.ErrVersionConflict) {
		cur, _ := ds.Document(ctx, overwatch.DocumentKindLayout, name, 0)
		if cur.Version == 0 {
			return layoutDoc{}, errorf(http.StatusConflict, "layout %s: version %d is not the newest: reload it and apply your change again", name, prev)
		}
		return layoutDoc{}, errorf(http.StatusConflict, "layout %s changed since you read version %d: version %d was saved by %s at %s; reload it and apply your change again",
			name, prev, cur.Version, cur.Author, cur.Time.In(cern).Format("15:04:05 MST"))
	}
	if err != nil {
		return layoutDoc{}, err
	}
	a.log.Info("layout saved", "layout", name, "version", d.Version, "user", author)
	return docToLayout(d)
}

func hasControlChars(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// layoutWriter checks that the session may write layouts (expert, not an
// API token) and that the server keeps documents.
func (a *App) layoutWriter(s *session) error {
	if err := a.require(s, PermLayouts); err != nil {
		return err
	}
	_, err := a.documents()
	return err
}

func (a *App) apiLayoutSave(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	if err := a.layoutWriter(s); err != nil {
		return err
	}
	name, err := layoutName(ps)
	if err != nil {
		return err
	}
	var req layoutSave
	if err := decodeStrict(w, r, overwatch.MaxDocumentBody, &req, "layout: expected JSON {version, comment, layout: {title, tabs: [{title, columns, plots: [...]}]}}"); err != nil {
		return err
	}
	d, err := a.writeLayout(r.Context(), name, &req.Layout, req.Version, s.User, req.Comment)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if req.Version == 0 {
		code = http.StatusCreated
	}
	writeJSON(w, code, d)
	return nil
}

// layoutRevert is the body of POST /api/layouts/:name/revert.
type layoutRevert struct {
	Version int64  `json:"version"` // the newest version, as read
	To      int64  `json:"to"`      // the version whose content comes back
	Comment string `json:"comment,omitempty"`
}

func (a *App) apiLayoutRevert(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	if err := a.layoutWriter(s); err != nil {
		return err
	}
	name, err := layoutName(ps)
	if err != nil {
		return err
	}
	var req layoutRevert
	if err := decodeStrict(w, r, 8<<10, &req, "revert: expected JSON {version, to, comment}"); err != nil {
		return err
	}
	if req.To < 1 || req.Version < 1 {
		return errorf(http.StatusBadRequest, "revert: version and to must be positive versions")
	}
	if _, ok := a.configLayout(name); ok {
		return errorf(http.StatusForbidden, "layout %s is declared in the configuration and is read-only here", name)
	}
	ds, err := a.documents()
	if err != nil {
		return err
	}
	old, err := ds.Document(r.Context(), overwatch.DocumentKindLayout, name, req.To)
	if errors.Is(err, overwatch.ErrNotFound) {
		return errorf(http.StatusNotFound, "layout %s has no version %d", name, req.To)
	}
	if err != nil {
		return err
	}
	if old.Deleted {
		return errorf(http.StatusBadRequest, "version %d of layout %s is a deletion: revert to a version before it", req.To, name)
	}
	l, err := decodeLayoutBody(old)
	if err != nil {
		return err
	}
	if req.Comment == "" {
		req.Comment = fmt.Sprintf("revert to version %d", req.To)
	}
	d, err := a.writeLayout(r.Context(), name, &l, req.Version, s.User, req.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// layoutClone is the body of POST /api/layouts/:name/clone.
type layoutClone struct {
	To      string `json:"to"`                // the new layout's name
	Title   string `json:"title,omitempty"`   // default: "<title> (copy)"
	Version int64  `json:"version,omitempty"` // the version cloned, 0 = newest
}

func (a *App) apiLayoutClone(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	if err := a.layoutWriter(s); err != nil {
		return err
	}
	name, err := layoutName(ps)
	if err != nil {
		return err
	}
	var req layoutClone
	if err := decodeStrict(w, r, 8<<10, &req, "clone: expected JSON {to, title, version}"); err != nil {
		return err
	}
	if err := overwatch.CheckLayoutName(req.To); err != nil {
		return errorf(http.StatusBadRequest, "clone to: %v", err)
	}
	if req.Version < 0 {
		return errorf(http.StatusBadRequest, "clone: invalid version %d", req.Version)
	}
	src, err := a.loadLayout(r.Context(), name, req.Version)
	if err != nil {
		return err
	}
	l := src.Layout
	l.Official = false // a copy is nobody's official page until an expert says so
	l.Title = req.Title
	if l.Title == "" {
		l.Title = src.Layout.Title + " (copy)"
		if len(l.Title) > overwatch.MaxLayoutTitle {
			l.Title = src.Layout.Title
		}
	}
	comment := fmt.Sprintf("cloned from %s", name)
	if src.Version > 0 {
		comment += fmt.Sprintf(" version %d", src.Version)
	}
	// A new name: prev 0, so an existing layout of that name is a 409.
	d, err := a.writeLayout(r.Context(), req.To, &l, 0, s.User, comment)
	var he *httpError
	if errors.As(err, &he) && he.code == http.StatusConflict {
		return errorf(http.StatusConflict, "a layout named %s exists already: choose another name", req.To)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (a *App) apiLayoutDelete(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	if err := a.layoutWriter(s); err != nil {
		return err
	}
	name, err := layoutName(ps)
	if err != nil {
		return err
	}
	if _, ok := a.configLayout(name); ok {
		return errorf(http.StatusForbidden, "layout %s is declared in the configuration and is read-only here", name)
	}
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	if v == 0 {
		return errorf(http.StatusBadRequest, "delete: ?version= (the version read) is required")
	}
	ds, err := a.documents()
	if err != nil {
		return err
	}
	cur, err := ds.Document(r.Context(), overwatch.DocumentKindLayout, name, 0)
	if errors.Is(err, overwatch.ErrNotFound) || err == nil && cur.Deleted {
		return errorf(http.StatusNotFound, "no layout %q", name)
	}
	if err != nil {
		return err
	}
	d, err := ds.PutDocument(r.Context(), overwatch.Document{Kind: overwatch.DocumentKindLayout, Name: name, Author: s.User, Comment: "deleted", Deleted: true}, v)
	if errors.Is(err, overwatch.ErrVersionConflict) {
		return errorf(http.StatusConflict, "layout %s changed since you read version %d: reload it first", name, v)
	}
	if err != nil {
		return err
	}
	a.log.Info("layout deleted", "layout", name, "version", d.Version, "user", s.User)
	writeJSON(w, http.StatusOK, layoutVersion{Version: d.Version, Author: d.Author, Time: d.Time, Comment: d.Comment, Deleted: true})
	return nil
}

// --- pages ---

// layoutPageData is what the layout view, editor and kiosk pages get.
type layoutPageData struct {
	Doc *layoutDoc
	// Name of the layout (also for a new one in the editor).
	Name string
	// Run is the run shown (0: no run yet); RunParam is "latest" or the
	// number, as in the permalink.
	Run      int
	RunParam string
	Tab      int
	// JSON is the data layouts.js builds the page from.
	JSON      string
	CanEdit   bool
	Permalink string
	Layouts   []layoutSummary
	Kiosk     []layoutDoc
	Every     int
	Slice     *layoutSliceRef
	// OfficialKiosk lists the official layouts for the list page's kiosk link.
	OfficialKiosk string
}

// runParam reads ?run=latest|N and returns the run to show (the newest for
// "latest"; 0 when there are no runs yet).
func (a *App) runParam(ctx context.Context, r *http.Request) (int, string, error) {
	p := r.URL.Query().Get("run")
	if p == "" || p == "latest" {
		runs, err := a.store.Runs(ctx, overwatch.RunQuery{Limit: 1})
		if err != nil {
			return 0, "", err
		}
		if len(runs) == 0 {
			return 0, "latest", nil
		}
		return runs[0].Number, "latest", nil
	}
	n, err := parseRun(p)
	if err != nil {
		return 0, "", errorf(http.StatusBadRequest, "invalid run %q: expected latest or a run number", p)
	}
	return n, strconv.Itoa(n), nil
}

// pageJSON is the data the layout pages hand to layouts.js.
type pageJSON struct {
	Name     string           `json:"name"`
	Run      int              `json:"run"`
	RunParam string           `json:"runParam"`
	Tab      int              `json:"tab"`
	Doc      *layoutDoc       `json:"doc,omitempty"`
	Kiosk    []layoutDoc      `json:"kiosk,omitempty"`
	Every    int              `json:"every,omitempty"`
	CanEdit  bool             `json:"canEdit,omitempty"`
	Limits   map[string]int   `json:"limits,omitempty"`
	Prefs    *preferencesBody `json:"prefs,omitempty"`
	// Slice is the time slice of the permalink (minutes since the start
	// of the run); the page asks the time-slice service for it per
	// subsystem. Slices tells whether the server computes them.
	Slice  *layoutSliceRef `json:"slice,omitempty"`
	Slices bool            `json:"slices,omitempty"`
	// Pinned is the version the URL asked for (0: the newest).
	Pinned int64 `json:"pinned,omitempty"`
}

// layoutSliceRef is the time slice a layout permalink refers to.
type layoutSliceRef struct {
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

// maxSliceMinutes bounds the minutes of a layout's time slice (a week).
const maxSliceMinutes = 7 * 24 * 60

// layoutSlice reads ?from=&to= (minutes since the start of the run; both
// or neither).
func layoutSlice(r *http.Request) (*layoutSliceRef, error) {
	q := r.URL.Query()
	if q.Get("from") == "" && q.Get("to") == "" {
		return nil, nil
	}
	from, err := parseNumber(q.Get("from"), "from")
	if err != nil {
		return nil, err
	}
	to, err := parseNumber(q.Get("to"), "to")
	if err != nil {
		return nil, err
	}
	if from < 0 || to <= from || to > maxSliceMinutes {
		return nil, errorf(http.StatusBadRequest, "time slice: want 0 ≤ from < to ≤ %d minutes, got from=%g to=%g", maxSliceMinutes, from, to)
	}
	return &layoutSliceRef{From: from, To: to}, nil
}

func (a *App) canEditLayouts(s *session) bool {
	return s != nil && s.Token == "" && s.Role.Can(PermLayouts) && a.cfg.Documents != nil
}

func marshalPage(p pageJSON) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(p); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

func (a *App) layoutListPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	list, err := a.listLayouts(r.Context())
	if err != nil {
		return err
	}
	d := layoutPageData{Layouts: list, CanEdit: a.canEditLayouts(s)}
	var official []string
	for _, l := range list {
		if l.Official && len(official) < kioskMaxLayouts {
			official = append(official, l.Name)
		}
	}
	d.OfficialKiosk = strings.Join(official, ",")
	if a.cfg.Documents == nil && len(a.cfg.Layouts) == 0 {
		return errorf(http.StatusServiceUnavailable, "layouts are not available: this server was started without a document store")
	}
	return a.render(w, r, s, "layouts", "Layouts", d)
}

func tabParam(r *http.Request, tabs int) (int, error) {
	t := r.URL.Query().Get("tab")
	if t == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > max(tabs, 1) {
		return 0, errorf(http.StatusBadRequest, "invalid tab %q: expected 1–%d", t, tabs)
	}
	return n - 1, nil
}

func (a *App) layoutViewPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	name, err := layoutName(ps)
	if err != nil {
		return err
	}
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	doc, err := a.loadLayout(r.Context(), name, v)
	if err != nil {
		return err
	}
	run, runParam, err := a.runParam(r.Context(), r)
	if err != nil {
		return err
	}
	tab, err := tabParam(r, len(doc.Layout.Tabs))
	if err != nil {
		return err
	}
	slice, err := layoutSlice(r)
	if err != nil {
		return err
	}
	pj := pageJSON{Name: name, Run: run, RunParam: runParam, Tab: tab, Doc: &doc, CanEdit: a.canEditLayouts(s) && !doc.ReadOnly,
		Prefs: a.userPrefs(r.Context(), s), Slice: slice, Slices: a.cfg.Slices != nil, Pinned: v}
	js, err := marshalPage(pj)
	if err != nil {
		return err
	}
	link := fmt.Sprintf("/layouts/%s?run=%s&tab=%d", name, runParam, tab+1)
	if v > 0 {
		link += fmt.Sprintf("&version=%d", v)
	}
	if slice != nil {
		link += "&from=" + strconv.FormatFloat(slice.From, 'g', -1, 64) + "&to=" + strconv.FormatFloat(slice.To, 'g', -1, 64)
	}
	d := layoutPageData{Doc: &doc, Name: name, Run: run, RunParam: runParam, Tab: tab, JSON: js, CanEdit: pj.CanEdit,
		Permalink: link, Slice: slice}
	return a.render(w, r, s, "layoutview", doc.Layout.Title, d)
}

func (a *App) layoutEditPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	name, err := layoutName(ps)
	if err != nil {
		return err
	}
	if err := a.require(s, PermLayouts); err != nil {
		return err
	}
	if _, ok := a.configLayout(name); ok {
		return errorf(http.StatusForbidden, "layout %s is declared in the configuration and is read-only here: clone it from the layout list to change it", name)
	}
	if _, err := a.documents(); err != nil {
		return err
	}
	doc, err := a.loadLayout(r.Context(), name, 0)
	var he *httpError
	if errors.As(err, &he) && he.code == http.StatusNotFound {
		// A new layout (or one deleted: saving brings it back).
		doc = layoutDoc{Name: name, Source: sourceStore, Layout: overwatch.Layout{Title: name, Tabs: []overwatch.LayoutTab{{Title: "Tab 1", Columns: overwatch.DefaultLayoutColumns, Plots: []overwatch.LayoutPlot{}}}}}
		if cur, err := a.cfg.Documents.Document(r.Context(), overwatch.DocumentKindLayout, name, 0); err == nil {
			doc.Version = cur.Version // a tombstone: the next save follows it
		}
	} else if err != nil {
		return err
	}
	run, runParam, err := a.runParam(r.Context(), r)
	if err != nil {
		return err
	}
	pj := pageJSON{Name: name, Run: run, RunParam: runParam, Doc: &doc, CanEdit: true,
		Limits: map[string]int{"tabs": overwatch.MaxLayoutTabs, "plots": overwatch.MaxLayoutPlots, "columns": overwatch.MaxLayoutColumns,
			"rows": overwatch.MaxLayoutRows, "title": overwatch.MaxLayoutTitle}}
	js, err := marshalPage(pj)
	if err != nil {
		return err
	}
	d := layoutPageData{Doc: &doc, Name: name, Run: run, RunParam: runParam, JSON: js, CanEdit: true}
	return a.render(w, r, s, "layoutedit", "Edit layout "+name, d)
}

// Kiosk cycling bounds (seconds).
const (
	kioskMinEvery     = 2
	kioskMaxEvery     = 3600
	kioskDefaultEvery = 30
	kioskMaxLayouts   = 20
)

func (a *App) kioskPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	q := r.URL.Query()
	every := kioskDefaultEvery
	if e := q.Get("every"); e != "" {
		n, err := strconv.Atoi(e)
		if err != nil || n < kioskMinEvery || n > kioskMaxEvery {
			return errorf(http.StatusBadRequest, "invalid every=%q: expected %d–%d seconds", e, kioskMinEvery, kioskMaxEvery)
		}
		every = n
	}
	var names []string
	for _, n := range strings.Split(q.Get("layouts"), ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return errorf(http.StatusBadRequest, "kiosk: name the layouts to cycle through, e.g. /kiosk?layouts=shift,emc&every=30")
	}
	if len(names) > kioskMaxLayouts {
		return errorf(http.StatusBadRequest, "kiosk: at most %d layouts", kioskMaxLayouts)
	}
	docs := make([]layoutDoc, 0, len(names))
	for _, n := range names {
		if err := overwatch.CheckLayoutName(n); err != nil {
			return errorf(http.StatusBadRequest, "kiosk: %v", err)
		}
		d, err := a.loadLayout(r.Context(), n, 0)
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	if t := q.Get("tabs"); t != "" {
		if err := kioskTabs(&docs, t); err != nil {
			return err
		}
	}
	run, runParam, err := a.runParam(r.Context(), r)
	if err != nil {
		return err
	}
	js, err := marshalPage(pageJSON{Run: run, RunParam: runParam, Kiosk: docs, Every: every, Prefs: a.userPrefs(r.Context(), s)})
	if err != nil {
		return err
	}
	return a.render(w, r, s, "kiosk", "Kiosk", layoutPageData{Run: run, RunParam: runParam, JSON: js, Kiosk: docs, Every: every})
}

// kioskTabs keeps the tabs listed in ?tabs=1,3 (1-based) of the one layout
// of a kiosk, in that order.
func kioskTabs(docs *[]layoutDoc, list string) error {
	if len(*docs) != 1 {
		return errorf(http.StatusBadRequest, "kiosk: tabs= selects tabs of one layout; name one layout or leave tabs out")
	}
	d := &(*docs)[0]
	var keep []overwatch.LayoutTab
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > len(d.Layout.Tabs) {
			return errorf(http.StatusBadRequest, "kiosk: tabs=%q: expected tab numbers 1–%d separated by commas", list, len(d.Layout.Tabs))
		}
		if len(keep) >= overwatch.MaxLayoutTabs {
			return errorf(http.StatusBadRequest, "kiosk: at most %d tabs", overwatch.MaxLayoutTabs)
		}
		keep = append(keep, d.Layout.Tabs[n-1])
	}
	d.Layout.Tabs = keep
	return nil
}
