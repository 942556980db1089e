package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// qualityDocs is an in-memory overwatch.DocumentStore for the web app's
// tests (the real one is the store, tested in its own package and through
// cli): versions 1, 2, … with ErrVersionConflict when prev is not the
// newest, tombstones, history oldest first.
type qualityDocs struct {
	mu   sync.Mutex
	docs map[[2]string][]overwatch.Document
	now  func() time.Time
}

func newQualityDocs() *qualityDocs {
	return &qualityDocs{docs: map[[2]string][]overwatch.Document{}, now: time.Now}
}

func (m *qualityDocs) PutDocument(_ context.Context, d overwatch.Document, prev int64) (overwatch.Document, error) {
	if err := overwatch.CheckDocument(d); err != nil {
		return overwatch.Document{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{d.Kind, d.Name}
	vs := m.docs[k]
	if int64(len(vs)) != prev {
		return overwatch.Document{}, fmt.Errorf("%s/%s: newest version %d, not %d: %w", d.Kind, d.Name, len(vs), prev, overwatch.ErrVersionConflict)
	}
	d.Version = prev + 1
	d.Time = m.now().UTC()
	d.Body = append(json.RawMessage(nil), d.Body...)
	m.docs[k] = append(vs, d)
	return d, nil
}

func (m *qualityDocs) Document(_ context.Context, kind, name string, v int64) (overwatch.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := m.docs[[2]string{kind, name}]
	switch {
	case len(vs) == 0 || v < 0 || v > int64(len(vs)):
		return overwatch.Document{}, fmt.Errorf("document %s/%s version %d: %w", kind, name, v, overwatch.ErrNotFound)
	case v == 0:
		return vs[len(vs)-1], nil
	}
	return vs[v-1], nil
}

func (m *qualityDocs) Documents(_ context.Context, kind string) ([]overwatch.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []overwatch.Document
	for k, vs := range m.docs {
		if k[0] == kind && !vs[len(vs)-1].Deleted {
			out = append(out, vs[len(vs)-1])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (m *qualityDocs) DocumentHistory(_ context.Context, kind, name string) ([]overwatch.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]overwatch.Document(nil), m.docs[[2]string{kind, name}]...), nil
}

func TestQualityDocsConflicts(t *testing.T) {
	ctx := context.Background()
	m := newQualityDocs()
	d := overwatch.Document{Kind: "reference", Name: "EMC/1-2", Body: json.RawMessage(`{}`)}
	_, err := m.PutDocument(ctx, d, 0)
	require.NoError(t, err)
	_, err = m.PutDocument(ctx, d, 0)
	assert.ErrorIs(t, err, overwatch.ErrVersionConflict)
	_, err = m.PutDocument(ctx, d, 2)
	assert.ErrorIs(t, err, overwatch.ErrVersionConflict)
	_, err = m.PutDocument(ctx, overwatch.Document{Kind: "reference", Name: "EMC/1-2", Deleted: true}, 1)
	require.NoError(t, err)
	list, _ := m.Documents(ctx, "reference")
	assert.Empty(t, list, "tombstoned")
	h, _ := m.DocumentHistory(ctx, "reference", "EMC/1-2")
	assert.Len(t, h, 2)
}

// qualityEnv is a test env with documents and users of every role.
func qualityEnv(t *testing.T) (*testEnv, *qualityDocs) {
	docs := newQualityDocs()
	e := newEnv(t, func(c *Config) { c.Documents = docs })
	for _, u := range []struct {
		name string
		role Role
	}{{"vera", RoleViewer}, {"eric", RoleExpert}} {
		require.NoError(t, e.app.cfg.Users.Add(u.name, testPassword, u.role))
	}
	return e, docs
}

func loginQuality(t *testing.T, srvURL, user string) *client {
	c := newClient(t, srvURL)
	resp := c.login(user, testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return c
}

func TestReferenceAPIPermissions(t *testing.T) {
	e, docs := qualityEnv(t)
	e.seed(t, 3) // runs 100..102
	srv := e.server(t)
	body := `{"subsystem":"EMC","first":100,"last":200,"run":100,"comment":"good run"}`
	post := func(c *client, path, body string, csrf bool, extra map[string]string) (*http.Response, string) {
		hdr := map[string]string{"Content-Type": "application/json"}
		if csrf {
			hdr["X-CSRF-Token"] = c.csrf()
		}
		for k, v := range extra {
			hdr[k] = v
		}
		return c.do("POST", path, strings.NewReader(body), hdr)
	}

	anon := newClient(t, srv.URL)
	resp, _ := anon.do("POST", "/api/references", strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	viewer := loginQuality(t, srv.URL, "vera")
	resp, msg := post(viewer, "/api/references", body, true, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, msg)
	assert.Contains(t, msg, "expert")
	shifter := loginQuality(t, srv.URL, testUser)
	resp, _ = post(shifter, "/api/references", body, true, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	expert := loginQuality(t, srv.URL, "eric")
	resp, msg = post(expert, "/api/references", body, false, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	assert.Contains(t, msg, "CSRF")

	// An API token (even of an expert) is read-only.
	secret, _, err := e.app.cfg.Tokens.Add("eric", []Scope{ScopeRuns}, time.Hour)
	require.NoError(t, err)
	tokc := newClient(t, srv.URL)
	resp, _ = tokc.do("POST", "/api/references", strings.NewReader(body), map[string]string{"Authorization": "Bearer " + secret, "Content-Type": "application/json"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	list, _ := docs.Documents(context.Background(), quality.ReferenceKind)
	assert.Empty(t, list, "nothing written by the refused requests")

	resp, msg = post(expert, "/api/references", body, true, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	var ref quality.Reference
	require.NoError(t, json.Unmarshal([]byte(msg), &ref))
	assert.Equal(t, "eric", ref.Author)
	assert.Equal(t, int64(1), ref.Version)

	// The token reads.
	resp, msg = tokc.do("GET", "/api/references?sys=EMC&run=150", nil, map[string]string{"Authorization": "Bearer " + secret})
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	var got struct {
		References []quality.Reference `json:"references"`
		Applies    *quality.Reference  `json:"applies"`
	}
	require.NoError(t, json.Unmarshal([]byte(msg), &got))
	require.Len(t, got.References, 1)
	require.NotNil(t, got.Applies)
	assert.Equal(t, 100, got.Applies.Run)
	_, msg = viewer.get("/api/references?sys=EMC&run=99")
	assert.Contains(t, msg, `"applies":null`)

	// A narrower range wins; the version protocol; removal; history.
	resp, msg = post(expert, "/api/references", `{"subsystem":"EMC","first":101,"last":102,"run":101}`, true, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	_, msg = viewer.get("/api/references?sys=EMC&run=101")
	assert.Contains(t, msg, `"applies":{"subsystem":"EMC","first":101,"last":102,"run":101`)
	resp, msg = post(expert, "/api/references", `{"subsystem":"EMC","first":101,"last":102,"run":102}`, true, nil)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "version 0 but the range exists: %s", msg)
	resp, msg = post(expert, "/api/references", `{"subsystem":"EMC","first":101,"last":102,"run":102,"version":1}`, true, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	resp, msg = post(expert, "/api/references/delete", `{"subsystem":"EMC","first":101,"last":102,"version":2,"comment":"not needed"}`, true, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	_, msg = viewer.get("/api/references?sys=EMC&run=101")
	assert.Contains(t, msg, `"applies":{"subsystem":"EMC","first":100,"last":200,"run":100`)
	resp, msg = viewer.get("/api/references/history?sys=EMC&range=101-102")
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	var hist struct{ History []overwatch.Document }
	require.NoError(t, json.Unmarshal([]byte(msg), &hist))
	require.Len(t, hist.History, 3)
	assert.True(t, hist.History[2].Deleted)
	assert.Equal(t, "not needed", hist.History[2].Comment)
	assert.Equal(t, "eric", hist.History[0].Author)
}

func TestReferenceAPIValidation(t *testing.T) {
	e, _ := qualityEnv(t)
	e.seed(t, 1)
	srv := e.server(t)
	expert := loginQuality(t, srv.URL, "eric")
	tok := expert.csrf()
	for _, c := range []struct {
		path, body string
		code       int
	}{
		{"/api/references", `not json`, http.StatusBadRequest},
		{"/api/references", `{"subsystem":"EMC","first":100,"run":100,"extra":1}`, http.StatusBadRequest},
		{"/api/references", `{"subsystem":"emc","first":100,"run":100}`, http.StatusBadRequest},
		{"/api/references", `{"subsystem":"EMC","first":200,"last":100,"run":100}`, http.StatusBadRequest},
		{"/api/references", `{"subsystem":"EMC","first":0,"run":100}`, http.StatusBadRequest},
		{"/api/references", `{"subsystem":"EMC","first":1,"run":0}`, http.StatusBadRequest},
		{"/api/references", `{"subsystem":"EMC","first":1,"run":5555}`, http.StatusBadRequest}, // unknown run
		{"/api/references", `{"subsystem":"EMC","first":1,"run":100,"version":-1}`, http.StatusBadRequest},
		{"/api/references", `{"subsystem":"EMC","first":1,"run":100,"version":7}`, http.StatusConflict},
		{"/api/references", `{"subsystem":"EMC","first":1,"run":100,"comment":"` + strings.Repeat("x", 5000) + `"}`, http.StatusBadRequest},
		{"/api/references", `{"subsystem":"EMC","first":1,"run":100,"comment":"` + strings.Repeat("x", 20000) + `"}`, http.StatusBadRequest},
		{"/api/references/delete", `{"subsystem":"EMC","first":1}`, http.StatusBadRequest},           // no version
		{"/api/references/delete", `{"subsystem":"EMC","first":1,"version":1}`, http.StatusConflict}, // never declared
		{"/api/references", `{"subsystem":"EMC","first":1,"run":100}`, http.StatusOK},
	} {
		resp, msg := expert.do("POST", c.path, strings.NewReader(c.body), map[string]string{"Content-Type": "application/json", "X-CSRF-Token": tok})
		assert.Equal(t, c.code, resp.StatusCode, "%.80s: %s", c.body, msg)
	}
	for _, c := range []struct {
		path string
		code int
	}{
		{"/api/references?sys=emc", http.StatusBadRequest},
		{"/api/references?sys=EMC&run=x", http.StatusBadRequest},
		{"/api/references?run=5", http.StatusBadRequest},
		{"/api/references/history?sys=EMC&range=x", http.StatusBadRequest},
		{"/api/references/history?sys=EMC&range=5-9", http.StatusNotFound},
		{"/api/references/history?sys=EMC&range=1-", http.StatusOK},
	} {
		resp, msg := expert.get(c.path)
		assert.Equal(t, c.code, resp.StatusCode, "%s: %s", c.path, msg)
	}

	// Without a document store: 503, clearly.
	e2 := newEnv(t)
	c2, _ := loggedIn(t, e2)
	resp, msg := c2.get("/api/references")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, msg, "without a document store")
}

func TestReferencesPageForm(t *testing.T) {
	e, docs := qualityEnv(t)
	e.seed(t, 2)
	srv := e.server(t)
	viewer := loginQuality(t, srv.URL, "vera")
	_, page := viewer.get("/references")
	assert.NotContains(t, page, `id="reference-form"`, "no form for a viewer")
	assert.Contains(t, page, "needs the expert role")
	form := url.Values{"csrf_token": {viewer.csrf()}, "subsystem": {"EMC"}, "first": {"100"}, "run": {"100"}}
	resp, _ := viewer.do("POST", "/references", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	expert := loginQuality(t, srv.URL, "eric")
	_, page = expert.get("/references")
	assert.Contains(t, page, `id="reference-form"`)
	form = url.Values{"subsystem": {"EMC"}, "first": {"100"}, "last": {""}, "run": {"100"}, "comment": {"from the form"}, "version": {"0"}}
	resp, _ = expert.do("POST", "/references", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	form.Set("csrf_token", expert.csrf())
	resp, _ = expert.do("POST", "/references", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	d, err := docs.Document(context.Background(), quality.ReferenceKind, "EMC/100-", 0)
	require.NoError(t, err)
	assert.Equal(t, "eric", d.Author)
	assert.Equal(t, "from the form", d.Comment)
	form.Set("first", "x")
	resp, page = expert.do("POST", "/references", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, page, "is not a number")
	form.Set("first", "100")
	resp, page = expert.do("POST", "/references", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, page, `id="reference-error"`)
	_, page = expert.get("/references?sys=EMC&history=EMC/100-")
	assert.Contains(t, page, `id="reference-history"`)
	assert.Contains(t, page, "from the form")
}

// putFlags stores quality flags for a run's subsystem as the observer does.
func putFlags(t *testing.T, docs *qualityDocs, f *quality.RunFlags) {
	d, err := f.Document()
	require.NoError(t, err)
	prev := int64(0)
	if cur, err := docs.Document(context.Background(), quality.FlagsKind, d.Name, 0); err == nil {
		prev = cur.Version
	}
	_, err = docs.PutDocument(context.Background(), d, prev)
	require.NoError(t, err)
}

func TestRunQualityExportAndBadges(t *testing.T) {
	e, docs := qualityEnv(t)
	e.seed(t, 2) // runs 100, 101 with EMC and HLT
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	f := &quality.RunFlags{Run: 100, Subsystem: "EMC"}
	f.Add(t0, overwatch.QualityGood, "ok")
	f.Add(t0.Add(4*time.Minute), overwatch.QualityGood, "ok")
	f.Add(t0.Add(8*time.Minute), overwatch.QualityBad, "dead region, 12 towers")
	putFlags(t, docs, f)
	g := &quality.RunFlags{Run: 100, Subsystem: "HLT"}
	g.Add(t0, overwatch.QualityGood, "ok")
	g.Add(t0.Add(5*time.Minute), overwatch.QualityGood, "ok")
	putFlags(t, docs, g)
	c, _ := loggedIn(t, e)

	resp, csv := c.get("/api/runs/100/quality?format=csv")
	require.Equal(t, http.StatusOK, resp.StatusCode, csv)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "run,subsystem,start,end,quality,reasons\n"+
		"100,EMC,2026-12-02T10:00:00Z,2026-12-02T10:04:00Z,good,ok\n"+
		"100,EMC,2026-12-02T10:04:00Z,2026-12-02T10:08:00Z,bad,\"dead region, 12 towers\"\n"+
		"100,HLT,2026-12-02T10:00:00Z,2026-12-02T10:05:00Z,good,ok\n", csv)
	_, csv = c.get("/api/runs/100/quality?format=csv&sys=HLT")
	assert.Equal(t, "run,subsystem,start,end,quality,reasons\n100,HLT,2026-12-02T10:00:00Z,2026-12-02T10:05:00Z,good,ok\n", csv)

	resp, js := c.get("/api/runs/100/quality")
	require.Equal(t, http.StatusOK, resp.StatusCode, js)
	var got struct {
		Run        int                 `json:"run"`
		Subsystems []*quality.RunFlags `json:"subsystems"`
	}
	require.NoError(t, json.Unmarshal([]byte(js), &got))
	require.Len(t, got.Subsystems, 2)
	assert.Equal(t, overwatch.QualityBad, got.Subsystems[0].Quality)
	assert.Equal(t, f.Flags, got.Subsystems[0].Flags)
	_, js = c.get("/api/runs/101/quality")
	assert.Contains(t, js, `"subsystems":[]`)

	for path, code := range map[string]int{
		"/api/runs/100/quality?format=xml": http.StatusBadRequest,
		"/api/runs/100/quality?sys=emc":    http.StatusBadRequest,
		"/api/runs/100/quality?sys=ZZZ":    http.StatusNotFound,
		"/api/runs/999/quality":            http.StatusNotFound,
		"/api/runs/abc/quality":            http.StatusBadRequest,
	} {
		resp, msg := c.get(path)
		assert.Equal(t, code, resp.StatusCode, "%s: %s", path, msg)
	}

	// Badges on the run list and the run page.
	_, page := c.get("/runs")
	assert.Contains(t, page, `<span class="badge qbadge q-bad" data-sys="EMC"`)
	assert.Contains(t, page, `<span class="badge qbadge q-good" data-sys="HLT"`)
	assert.Equal(t, 2, strings.Count(page, "qbadge"), "run 101 has no flags")
	_, page = c.get("/run/100/EMC")
	assert.Contains(t, page, `id="quality-badge" title="quality flags of the run">bad</span>`)
	assert.Contains(t, page, `id="quality-flags"`)
	assert.Contains(t, page, "dead region, 12 towers")
}

func TestComparePage(t *testing.T) {
	e, _ := qualityEnv(t)
	e.seed(t, 2)
	c, _ := loggedIn(t, e)
	resp, page := c.get("/compare?sys=EMC&a=100&b=101")
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, `data-json="/api/runs/100/EMC/json/EMCTRQA/hEMCalPatchMap" data-png="/api/runs/100/EMC/png/EMCTRQA/hEMCalPatchMap" data-hints="/api/runs/100/EMC/hints/EMCTRQA/hEMCalPatchMap" data-ref-json="/api/runs/101/EMC/json/EMCTRQA/hEMCalPatchMap"`)
	_, page = c.get("/compare?sys=EMC&a=100&b=101&group=Spectra")
	assert.Equal(t, 2, strings.Count(page, "data-ref-json="), "two TH1 in the Spectra group")
	resp, _ = c.get("/compare")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	for path, code := range map[string]int{
		"/compare?sys=EMC&a=100&b=999":            http.StatusNotFound,
		"/compare?sys=EMC&a=100&b=x":              http.StatusBadRequest,
		"/compare?sys=emc&a=100&b=101":            http.StatusBadRequest,
		"/compare?sys=EMC&a=100&b=101&group=Nope": http.StatusNotFound,
		"/compare?sys=HLT&a=100&b=101":            http.StatusNotFound, // no outputs
	} {
		resp, msg := c.get(path)
		assert.Equal(t, code, resp.StatusCode, "%s: %.200s", path, msg)
	}
}
