package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// qualityRoutes registers the reference, compare and quality-flag pages
// and API (issue 15). /api/runs/:run/quality is served by apiView's hook
// (httprouter cannot route a static segment beside :sys).
func (a *App) qualityRoutes(r *httprouter.Router, get func(string, httprouter.Handle)) {
	get("/references", a.page(a.referencesPage, true))
	r.POST("/references", a.page(a.referencesPost, true))
	get("/compare", a.page(a.comparePage, true))
	get("/api/references", a.api(ScopeRuns, a.apiReferences))
	get("/api/references/history", a.api(ScopeRuns, a.apiReferenceHistory))
	r.POST("/api/references", a.api(ScopeRuns, a.apiReferenceSet))
	r.POST("/api/references/delete", a.api(ScopeRuns, a.apiReferenceDelete))
	r.POST("/api/references/file", a.api(ScopeRuns, a.apiReferenceUpload))
	get("/api/references/file/:id/json", a.api(ScopeRuns, a.apiReferenceFileJSON))
	a.badChannelRoutes(r, get)
}

// references lists the live reference declarations (of sys when not "").
func (a *App) references(ctx context.Context, sys string) ([]quality.Reference, error) {
	docs, err := a.documents()
	if err != nil {
		return nil, err
	}
	list, err := docs.Documents(ctx, quality.ReferenceKind)
	if err != nil {
		return nil, err
	}
	refs, bad := quality.ReferencesFromDocuments(list)
	if bad != nil {
		a.log.Warn("undecodable reference declaration skipped", "err", bad)
	}
	out := make([]quality.Reference, 0, len(refs))
	for _, r := range refs {
		if sys == "" || r.Subsystem == sys {
			out = append(out, r)
		}
	}
	quality.SortReferences(out)
	return out, nil
}

// referenceRequest is the body of POST /api/references and
// /api/references/delete.
type referenceRequest struct {
	Subsystem string `json:"subsystem"`
	First     int    `json:"first"`
	Last      int    `json:"last"`
	Run       int    `json:"run"`
	// File is an uploaded reference file's ID (instead of Run).
	File     string `json:"file,omitempty"`
	FileName string `json:"fileName,omitempty"`
	Comment  string `json:"comment"`
	// Version is the version of the declaration the writer read (0 for a
	// new declaration).
	Version int64 `json:"version"`
}

// setReference writes a declaration (or removes it) as the session's user.
func (a *App) setReference(ctx context.Context, s *session, req referenceRequest, remove bool) (quality.Reference, error) {
	if err := a.require(s, PermReferences); err != nil {
		return quality.Reference{}, err
	}
	docs, err := a.documents()
	if err != nil {
		return quality.Reference{}, err
	}
	ref := quality.Reference{Subsystem: req.Subsystem, First: req.First, Last: req.Last, Run: req.Run, File: req.File, FileName: req.FileName,
		Comment: req.Comment, Author: s.User}
	if remove && ref.Run == 0 && ref.File == "" {
		ref.Run = 1 // a removal names only the range
	}
	if err := ref.Validate(); err != nil {
		return ref, errorf(http.StatusBadRequest, "%v", err)
	}
	if req.Version < 0 {
		return ref, errorf(http.StatusBadRequest, "version %d: expected the version read, 0 for a new declaration", req.Version)
	}
	var d overwatch.Document
	if remove {
		if req.Version == 0 {
			return ref, errorf(http.StatusBadRequest, "removing %s needs the version read", ref.Name())
		}
		d = overwatch.Document{Kind: quality.ReferenceKind, Name: ref.Name(), Author: s.User, Comment: req.Comment, Deleted: true}
	} else if ref.File != "" {
		rf, _, err := quality.ReadReferenceFile(ctx, docs, ref.File)
		if errors.Is(err, overwatch.ErrNotFound) {
			return ref, errorf(http.StatusBadRequest, "reference file %s is not stored: upload it first", ref.File)
		} else if err != nil {
			return ref, err
		}
		if rf.Subsystem != ref.Subsystem {
			return ref, errorf(http.StatusBadRequest, "reference file %s was uploaded for %s, not %s", ref.File, rf.Subsystem, ref.Subsystem)
		}
		if ref.FileName == "" {
			ref.FileName = rf.Name
		}
		if d, err = ref.Document(); err != nil {
			return ref, errorf(http.StatusBadRequest, "%v", err)
		}
	} else {
		if _, err := a.store.RunInfo(ctx, ref.Run); errors.Is(err, overwatch.ErrNotFound) {
			return ref, errorf(http.StatusBadRequest, "reference run %d is not known", ref.Run)
		} else if err != nil {
			return ref, err
		}
		if d, err = ref.Document(); err != nil {
			return ref, errorf(http.StatusBadRequest, "%v", err)
		}
	}
	stored, err := docs.PutDocument(ctx, d, req.Version)
	if errors.Is(err, overwatch.ErrVersionConflict) {
		cur, _ := docs.Document(ctx, quality.ReferenceKind, ref.Name(), 0)
		return ref, errorf(http.StatusConflict, "reference %s changed since version %d was read (now version %d by %s): reload and try again",
			ref.Name(), req.Version, cur.Version, cur.Author)
	}
	if err != nil {
		return ref, err
	}
	ref.Version, ref.Time = stored.Version, stored.Time
	a.log.Info("reference", "name", ref.Name(), "run", ref.Run, "removed", remove, "user", s.User, "version", stored.Version)
	return ref, nil
}

// apiReferences lists the declarations (?sys=), and with ?run= the one
// that applies to the run.
func (a *App) apiReferences(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	q := r.URL.Query()
	sys := q.Get("sys")
	if sys != "" && !overwatch.ValidSubsystem(sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", sys)
	}
	refs, err := a.references(r.Context(), sys)
	if err != nil {
		return err
	}
	out := map[string]any{"references": refs}
	if rs := q.Get("run"); rs != "" {
		if sys == "" {
			return errorf(http.StatusBadRequest, "run= needs sys=")
		}
		run, err := parseRun(rs)
		if err != nil {
			return err
		}
		if ref, ok := quality.ResolveReference(refs, sys, run); ok {
			out["applies"] = ref
		} else {
			out["applies"] = nil
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiReferenceHistory lists every version of one declaration
// (?sys=EMC&range=100-200).
func (a *App) apiReferenceHistory(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	q := r.URL.Query()
	sys := q.Get("sys")
	if !overwatch.ValidSubsystem(sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", sys)
	}
	first, last, err := quality.ParseRunRange(q.Get("range"))
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	docs, err := a.documents()
	if err != nil {
		return err
	}
	hist, err := docs.DocumentHistory(r.Context(), quality.ReferenceKind, quality.ReferenceName(sys, first, last))
	if err != nil {
		return err
	}
	if len(hist) == 0 {
		return errorf(http.StatusNotFound, "no reference %s was ever declared", quality.ReferenceName(sys, first, last))
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": hist})
	return nil
}

func decodeReferenceRequest(w http.ResponseWriter, r *http.Request) (referenceRequest, error) {
	var req referenceRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, errorf(http.StatusBadRequest, "invalid reference: expected JSON {subsystem, first, last, run or file, comment, version}: %v", err)
	}
	return req, nil
}

func (a *App) apiReferenceSet(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	req, err := decodeReferenceRequest(w, r)
	if err != nil {
		return err
	}
	ref, err := a.setReference(r.Context(), s, req, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ref)
	return nil
}

func (a *App) apiReferenceDelete(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	req, err := decodeReferenceRequest(w, r)
	if err != nil {
		return err
	}
	ref, err := a.setReference(r.Context(), s, req, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"removed": ref.Name(), "version": ref.Version})
	return nil
}

// --- the references page ---

type referencesData struct {
	Subsystems []string
	Sys        string
	Refs       []quality.Reference
	History    []overwatch.Document
	HistoryOf  string
	CanEdit    bool
	Message    string
}

func (a *App) referencesPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	return a.showReferences(w, r, s, "", http.StatusOK)
}

func (a *App) showReferences(w http.ResponseWriter, r *http.Request, s *session, msg string, code int) error {
	q := r.URL.Query()
	d := referencesData{Subsystems: a.knownSubsystems(), Sys: q.Get("sys"), Message: msg,
		CanEdit: s != nil && s.Token == "" && s.Role.Can(PermReferences)}
	if d.Sys != "" && !overwatch.ValidSubsystem(d.Sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", d.Sys)
	}
	var err error
	if d.Refs, err = a.references(r.Context(), d.Sys); err != nil {
		return err
	}
	if h := q.Get("history"); h != "" {
		sys, rng, _ := strings.Cut(h, "/")
		first, last, err := quality.ParseRunRange(rng)
		if err != nil || !overwatch.ValidSubsystem(sys) {
			return errorf(http.StatusBadRequest, "history=%q: expected SYS/first-last", h)
		}
		d.HistoryOf = quality.ReferenceName(sys, first, last)
		if d.History, err = a.cfg.Documents.DocumentHistory(r.Context(), quality.ReferenceKind, d.HistoryOf); err != nil {
			return err
		}
	}
	if code != http.StatusOK {
		w.WriteHeader(code)
	}
	return a.render(w, r, s, "references", "References", d)
}

// referencesPost handles the page's form (set or remove a declaration).
func (a *App) referencesPost(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "invalid form: %v", err)
	}
	f := r.PostForm
	num := func(k string) (int, error) { return intField(f, k) }
	var req referenceRequest
	var err error
	req.Subsystem, req.Comment = strings.TrimSpace(f.Get("subsystem")), f.Get("comment")
	if req.First, err = num("first"); err != nil {
		return err
	}
	if req.Last, err = num("last"); err != nil {
		return err
	}
	if req.Run, err = num("run"); err != nil {
		return err
	}
	v, err := num("version")
	if err != nil {
		return err
	}
	req.Version = int64(v)
	ref, err := a.setReference(r.Context(), s, req, f.Get("action") == "remove")
	if err != nil {
		var he *httpError
		if errors.As(err, &he) && he.code != http.StatusForbidden && he.code != http.StatusServiceUnavailable {
			return a.showReferences(w, r, s, he.msg, he.code)
		}
		return err
	}
	http.Redirect(w, r, "/references?sys="+url.QueryEscape(ref.Subsystem), http.StatusSeeOther)
	return nil
}

// intField reads an integer form or query field (0 when empty; a 400
// when it is not a number).
func intField(v url.Values, k string) (int, error) {
	s := strings.TrimSpace(v.Get(k))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "%s=%q is not a number", k, s)
	}
	return n, nil
}

// --- quality flags ---

// runFlags reads the stored flags of a run's subsystem (nil when none).
func (a *App) runFlags(ctx context.Context, run int, sys string) (*quality.RunFlags, error) {
	if a.cfg.Documents == nil {
		return nil, nil
	}
	d, err := a.cfg.Documents.Document(ctx, quality.FlagsKind, quality.FlagsName(run, sys), 0)
	if errors.Is(err, overwatch.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if d.Deleted {
		return nil, nil
	}
	return quality.RunFlagsFromDocument(d)
}

// badgeCache keeps the run-list badge of each run's subsystem for a
// while: long for finished runs, briefly for ongoing ones.
type badgeCache struct {
	mu sync.Mutex
	m  map[badgeKey]badgeEntry
}

type badgeKey struct {
	run int
	sys string
}

type badgeEntry struct {
	q  string
	at time.Time
}

const (
	badgeTTLOngoing = 5 * time.Second
	badgeTTL        = 5 * time.Minute
)

// badges returns the quality badge of every subsystem of a run that has
// stored flags ("good", "medium", "bad", "null").
func (a *App) badges(ctx context.Context, ri overwatch.RunInfo, ongoing bool) map[string]string {
	if a.cfg.Documents == nil {
		return nil
	}
	now := time.Now()
	ttl := badgeTTL
	if ongoing {
		ttl = badgeTTLOngoing
	}
	var out map[string]string
	for _, s := range ri.Subsystems {
		k := badgeKey{ri.Number, s.Name}
		a.badgesCache.mu.Lock()
		e, ok := a.badgesCache.m[k]
		a.badgesCache.mu.Unlock()
		if !ok || now.Sub(e.at) > ttl {
			e = badgeEntry{at: now}
			f, err := a.runFlags(ctx, ri.Number, s.Name)
			if err != nil {
				a.log.Warn("quality flags unreadable", "run", ri.Number, "subsystem", s.Name, "err", err)
				continue
			}
			if f != nil {
				e.q = f.Quality.String()
			}
			a.badgesCache.mu.Lock()
			if a.badgesCache.m == nil || len(a.badgesCache.m) > 50000 {
				a.badgesCache.m = map[badgeKey]badgeEntry{}
			}
			a.badgesCache.m[k] = e
			a.badgesCache.mu.Unlock()
		}
		if e.q != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[s.Name] = e.q
		}
	}
	return out
}

// badgeKeyString is the badges' part of a run-list row's cache key.
func badgeKeyString(b map[string]string) string {
	if len(b) == 0 {
		return ""
	}
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var s strings.Builder
	for _, k := range keys {
		s.WriteString(k + "=" + b[k] + ";")
	}
	return s.String()
}

// apiRunQuality exports the stored quality flags of a run, of every
// subsystem or of ?sys=, as JSON or (?format=csv) CSV for a run registry.
func (a *App) apiRunQuality(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
	run, err := parseRun(ps.ByName("run"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return errorf(http.StatusBadRequest, "format=%q: expected json or csv", format)
	}
	only := q.Get("sys")
	if only != "" && !overwatch.ValidSubsystem(only) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", only)
	}
	if _, err := a.documents(); err != nil {
		return err
	}
	ri, err := a.store.RunInfo(r.Context(), run)
	if errors.Is(err, overwatch.ErrNotFound) {
		return errorf(http.StatusNotFound, "run %d is not known", run)
	}
	if err != nil {
		return err
	}
	if only != "" {
		if _, ok := ri.Subsystem(only); !ok {
			return errorf(http.StatusNotFound, "subsystem %s is not in run %d", only, run)
		}
	}
	flags := []*quality.RunFlags{}
	for _, s := range ri.Subsystems {
		if only != "" && s.Name != only {
			continue
		}
		f, err := a.runFlags(r.Context(), run, s.Name)
		if err != nil {
			return err
		}
		if f != nil {
			flags = append(flags, f)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "csv" {
		var b strings.Builder
		b.WriteString(quality.CSVHeader + "\n")
		for _, f := range flags {
			b.WriteString(strings.TrimPrefix(string(f.CSV()), quality.CSVHeader+"\n"))
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"run%d-quality.csv\"", run))
		_, _ = w.Write([]byte(b.String()))
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": run, "subsystems": flags})
	return nil
}

// --- the compare page ---

type comparePlot struct {
	Name, Pretty, Class string
	AJSON, BJSON        string
	APNG, BPNG          string
	AHints, BHints      string
}

type compareData struct {
	Sys        string
	A, B       int
	Groups     []string
	Group      string
	Plots      []comparePlot
	Subsystems []string
	Message    string
}

// comparePage puts the histograms of two runs of a subsystem side by side
// (/compare?sys=EMC&a=RUN&b=RUN&group=TITLE), run b overlaid on run a
// normalised to the same integral, with the ratio on demand
// (static/reference.js).
func (a *App) comparePage(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	q := r.URL.Query()
	d := compareData{Sys: q.Get("sys"), Subsystems: a.knownSubsystems()}
	if d.Sys == "" && q.Get("a") == "" && q.Get("b") == "" {
		return a.render(w, r, s, "compare", "Compare runs", d)
	}
	if !overwatch.ValidSubsystem(d.Sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q: expected 2-8 upper-case letters or digits, such as EMC", d.Sys)
	}
	var err error
	if d.A, err = parseRun(q.Get("a")); err != nil {
		return err
	}
	if d.B, err = parseRun(q.Get("b")); err != nil {
		return err
	}
	ctx := r.Context()
	va, err := a.compareView(ctx, d.A, d.Sys)
	if err != nil {
		return err
	}
	vb, err := a.compareView(ctx, d.B, d.Sys)
	if err != nil {
		return err
	}
	inB := map[string]bool{}
	for _, g := range vb.Groups {
		for _, h := range g.Hists {
			inB[h.Name] = true
		}
	}
	d.Group = q.Get("group")
	var group *overwatch.ViewGroup
	for i := range va.Groups {
		d.Groups = append(d.Groups, va.Groups[i].Title)
		if group == nil && (d.Group == "" || va.Groups[i].Title == d.Group) {
			group = &va.Groups[i]
		}
	}
	if group == nil && d.Group != "" {
		return errorf(http.StatusNotFound, "group %q is not in run %d %s", d.Group, d.A, d.Sys)
	}
	if group != nil {
		d.Group = group.Title
		for _, h := range group.Hists {
			if !inB[h.Name] {
				continue
			}
			p := comparePlot{Name: h.Name, Pretty: h.PrettyName, Class: h.Class,
				AJSON: outputURL(d.A, d.Sys, "", "json", h.Name), BJSON: outputURL(d.B, d.Sys, "", "json", h.Name),
				APNG: outputURL(d.A, d.Sys, "", "png", h.Name), BPNG: outputURL(d.B, d.Sys, "", "png", h.Name),
				AHints: outputURL(d.A, d.Sys, "", "hints", h.Name), BHints: outputURL(d.B, d.Sys, "", "hints", h.Name)}
			if p.Pretty == "" {
				p.Pretty = h.Name
			}
			d.Plots = append(d.Plots, p)
		}
	}
	if len(d.Plots) == 0 {
		d.Message = fmt.Sprintf("Runs %d and %d of %s have no histogram in common in this group.", d.A, d.B, d.Sys)
	}
	return a.render(w, r, s, "compare", fmt.Sprintf("Compare %s runs %d and %d", d.Sys, d.A, d.B), d)
}

func (a *App) compareView(ctx context.Context, run int, sys string) (*overwatch.ViewDoc, error) {
	if _, _, err := a.runSubsystem(ctx, run, sys); err != nil {
		return nil, err
	}
	v, _, err := a.views.get(ctx, run, sys, "")
	if errors.Is(err, overwatch.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "run %d %s has no processed outputs yet", run, sys)
	}
	return v, err
}
