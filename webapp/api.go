package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/trending"
)

// apiRun is the JSON form of a run.
type apiRunInfo struct {
	Number     int            `json:"number"`
	Mode       string         `json:"mode"`
	Start      int64          `json:"start"`
	End        int64          `json:"end"`
	Ongoing    bool           `json:"ongoing"`
	Subsystems []apiSubsystem `json:"subsystems"`
}

type apiSubsystem struct {
	Name      string `json:"name"`
	Source    string `json:"source"`
	Start     int64  `json:"start"`
	End       int64  `json:"end"`
	Snapshots int    `json:"snapshots"`
	Last      int64  `json:"last"`
	Page      string `json:"page"`
}

func (a *App) runJSON(ctx context.Context, ri overwatch.RunInfo) apiRunInfo {
	out := apiRunInfo{Number: ri.Number, Mode: string(ri.Mode), Start: ri.Start.Unix(), End: ri.End.Unix(), Ongoing: a.ongoing(ctx, ri),
		Subsystems: make([]apiSubsystem, len(ri.Subsystems))}
	for i, s := range ri.Subsystems {
		out.Subsystems[i] = apiSubsystem{Name: s.Name, Source: s.FilesFrom, Start: s.Start.Unix(), End: s.End.Unix(),
			Snapshots: s.Snapshots, Last: s.Last.Time.Unix(), Page: fmt.Sprintf("/run/%d/%s", ri.Number, s.Name)}
	}
	return out
}

func (a *App) apiRuns(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	q := r.URL.Query()
	before, limit := 0, pageSize
	var err error
	if b := q.Get("before"); b != "" {
		if before, err = parseRun(b); err != nil {
			return err
		}
	}
	if l := q.Get("limit"); l != "" {
		limit, err = strconv.Atoi(l)
		if err != nil || limit < 1 || limit > 500 {
			return errorf(http.StatusBadRequest, "invalid limit %q: expected 1..500", l)
		}
	}
	f, err := parseRunFilter(q)
	if err != nil {
		return err
	}
	resp := struct {
		Runs    []apiRunInfo `json:"runs"`
		Total   int          `json:"total"`
		Next    string       `json:"next,omitempty"`
		Scanned int          `json:"scanned,omitempty"`
		Partial bool         `json:"partial,omitempty"`
	}{Runs: []apiRunInfo{}}
	var runs []overwatch.RunInfo
	next := 0
	if f.active() {
		fr, err := a.filterRuns(r.Context(), f, before, limit)
		if err != nil {
			return err
		}
		runs, next, resp.Scanned, resp.Partial = fr.Runs, fr.Next, fr.Scanned, fr.Partial
	} else {
		if runs, err = a.store.Runs(r.Context(), overwatch.RunQuery{Limit: limit + 1, Before: before}); err != nil {
			return err
		}
		if len(runs) > limit {
			runs = runs[:limit]
			next = runs[limit-1].Number
		}
	}
	if resp.Total, err = a.store.CountRuns(r.Context()); err != nil {
		return err
	}
	if next != 0 {
		nq := url.Values{}
		for k, v := range f.Params {
			nq[k] = v
		}
		nq.Set("before", strconv.Itoa(next))
		nq.Set("limit", strconv.Itoa(limit))
		resp.Next = "/api/runs?" + nq.Encode()
	}
	for _, ri := range runs {
		resp.Runs = append(resp.Runs, a.runJSON(r.Context(), ri))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *App) apiRun(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
	run, err := parseRun(ps.ByName("run"))
	if err != nil {
		return err
	}
	ri, err := a.store.RunInfo(r.Context(), run)
	if err != nil {
		if errors.Is(err, overwatch.ErrNotFound) {
			return errorf(http.StatusNotFound, "run %d is not known", run)
		}
		return err
	}
	writeJSON(w, http.StatusOK, a.runJSON(r.Context(), ri))
	return nil
}

// sliceParam validates the optional ?slice= key of output requests.
func sliceParam(r *http.Request) (string, error) {
	k := r.URL.Query().Get("slice")
	if len(k) > 128 || strings.ContainsAny(k, "/\\.\x00") {
		return "", errorf(http.StatusBadRequest, "invalid slice key %q", k)
	}
	return k, nil
}

// apiView returns the subsystem's view document (groups and histograms).
func (a *App) apiView(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	if ps.ByName("sys") == "quality" { // /api/runs/:run/quality (quality.go)
		return a.apiRunQuality(w, r, ps, s)
	}
	run, sys, err := parseRunSys(ps)
	if err != nil {
		return err
	}
	slice, err := sliceParam(r)
	if err != nil {
		return err
	}
	if _, _, err := a.runSubsystem(r.Context(), run, sys); err != nil {
		return err
	}
	v, mod, err := a.views.get(r.Context(), run, sys, slice)
	if errors.Is(err, overwatch.ErrNotFound) {
		return errorf(http.StatusNotFound, "run %d %s has no processed outputs yet", run, sys)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *App) apiFiles(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
	run, sys, err := parseRunSys(ps)
	if err != nil {
		return err
	}
	_, _, rows, err := a.snapshots(r.Context(), run, sys)
	if err != nil {
		return err
	}
	type file struct {
		Name string `json:"name"`
		Time int64  `json:"time"`
		Seq  int    `json:"seq,omitempty"`
		Mode string `json:"mode"`
		Size int64  `json:"size"`
		URL  string `json:"url"`
	}
	out := make([]file, len(rows))
	for i, f := range rows {
		out[i] = file{Name: f.Base, Time: f.Time.Unix(), Seq: f.Seq, Mode: string(f.Mode), Size: f.Size,
			URL: fmt.Sprintf("/run/%d/%s/files/%s", run, sys, f.Base)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

var contentTypes = map[overwatch.OutputKind]string{
	overwatch.OutputJSON:  "application/json",
	overwatch.OutputHints: "application/json",
	overwatch.OutputPNG:   "image/png",
}

// apiOutput serves one output of a histogram listed in the view of the
// run/subsystem (or of the time slice given by ?slice=). Names not in the
// view are 404: only the artifacts processing published are served. JSON
// and hints are members of the run's bundle, read without reading the
// whole bundle; a PNG is the bundle's own (images rendered eagerly) or
// rendered from the bundle's JSON when first asked and cached. The
// response carries a strong ETag, the content's hash, for cheap
// revalidation (304 on If-None-Match).
func (a *App) apiOutput(kind overwatch.OutputKind) handler {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
		run, sys, err := parseRunSys(ps)
		if err != nil {
			return err
		}
		slice, err := sliceParam(r)
		if err != nil {
			return err
		}
		name := nameParam(r, ps)
		ctx := r.Context()
		v, vmod, err := a.views.get(ctx, run, sys, slice)
		if errors.Is(err, overwatch.ErrNotFound) {
			return errorf(http.StatusNotFound, "run %d %s has no processed outputs", run, sys)
		}
		if err != nil {
			return err
		}
		if _, _, ok := v.Hist(name); !ok {
			return errorf(http.StatusNotFound, "histogram %q is not in run %d %s", name, run, sys)
		}
		ref := overwatch.OutputRef{Run: run, Subsystem: sys, Slice: slice, Name: name, Kind: kind}
		var out cachedOutput
		if kind == overwatch.OutputPNG { // images have their own cache
			out, err = a.images.image(ctx, ref)
		} else {
			out, err = a.output(ctx, ref, vmod)
		}
		if errors.Is(err, overwatch.ErrNotFound) {
			return errorf(http.StatusNotFound, "histogram %q of run %d %s has no %s output", name, run, sys, kind)
		}
		if err != nil {
			return err
		}
		mod, data := out.mod, out.data
		h := w.Header()
		h.Set("ETag", out.etag)
		h.Set("Cache-Control", "private, no-cache")
		h.Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
		h.Set("X-Output-Time", strconv.FormatInt(mod.Unix(), 10))
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == out.etag {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		h.Set("Content-Type", contentTypes[kind])
		if kind != overwatch.OutputPNG {
			h.Set("Vary", "Accept-Encoding")
			if len(data) >= gzipMin && acceptsGzip(r) {
				data = a.gz.get(ref, mod, data)
				h.Set("Content-Encoding", "gzip")
			}
		}
		h.Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(data)
		return nil
	}
}

// output reads a JSON or hints output listed in the view written at vmod,
// through the output cache.
func (a *App) output(ctx context.Context, ref overwatch.OutputRef, vmod time.Time) (cachedOutput, error) {
	if out, ok := a.outs.get(ref, vmod); ok {
		return out, nil
	}
	c, err := a.bundles.Read(ctx, ref)
	if err != nil {
		return cachedOutput{}, err
	}
	out := cachedOutput{view: vmod, mod: c.Time, etag: c.ETag, data: c.Data}
	a.outs.put(ref, out)
	return out, nil
}

func (a *App) apiOptions(w http.ResponseWriter, _ *http.Request, ps httprouter.Params, _ *session) error {
	sys := ps.ByName("sys")
	if !overwatch.ValidSubsystem(sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", sys)
	}
	specs := overwatch.DetectorOptions(sys)
	if specs == nil {
		specs = []overwatch.OptionSpec{}
	}
	writeJSON(w, http.StatusOK, specs)
	return nil
}

// sliceResponse is the answer of the time-slice endpoints.
type sliceResponse struct {
	timeslice.Status
	// URL is the permalink of the slice's run page (it carries the request,
	// so it works after a restart).
	URL string `json:"url,omitempty"`
	// StatusURL is where the job's progress is polled.
	StatusURL string `json:"statusUrl"`
	sliceResult
}

// submitSlice submits a request and returns the job's status (without the
// service's record) and the record.
func (a *App) submitSlice(ctx context.Context, req timeslice.Request) (timeslice.Status, *timeslice.Record, error) {
	key, err := a.cfg.Slices.Submit(ctx, req)
	if err != nil {
		return timeslice.Status{}, nil, err
	}
	st, err := a.cfg.Slices.Status(ctx, req.Run, req.Subsystem, key)
	rec := st.Record
	st.Record = nil
	return st, rec, err
}

// sliceResult is what a slice's response says of its result beyond its
// status: the events selected (windows by events), the check thresholds
// overridden and the subsystem's quality over the slice by its checks.
type sliceResult struct {
	Events        *[2]float64 `json:"events,omitempty"`
	Thresholds    string      `json:"thresholds,omitempty"`
	Quality       string      `json:"quality,omitempty"`
	QualityReason string      `json:"qualityReason,omitempty"`
}

func resultOf(rec *timeslice.Record) sliceResult {
	if rec == nil {
		return sliceResult{}
	}
	r := sliceResult{Events: rec.Events, Thresholds: rec.Thresholds, QualityReason: rec.QualityReason}
	if rec.State == timeslice.StateDone {
		r.Quality = rec.Quality.String()
	}
	return r
}

func sliceStatusURL(run int, sys, key string) string {
	return fmt.Sprintf("/api/slices/%d/%s/%s", run, sys, url.PathEscape(key))
}

func (a *App) apiSliceSubmit(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	if a.cfg.Slices == nil {
		return errorf(http.StatusServiceUnavailable, "time slices are not enabled on this server")
	}
	// The API's body: the window by minutes (the default), seconds or
	// events since the start of the run, or the last N events.
	var body struct {
		Run       int    `json:"run"`
		Subsystem string `json:"subsystem"`
		sliceWindow
		Options    map[string]string `json:"options,omitempty"`
		Thresholds map[string]string `json:"thresholds,omitempty"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return errorf(http.StatusBadRequest, "invalid time-slice request: expected JSON {run, subsystem, by, from, to, last, options, thresholds}: %v", err)
	}
	req, err := body.sliceWindow.request(body.Run, body.Subsystem)
	if err != nil {
		return err
	}
	if body.Options != nil {
		req.Options = body.Options
	}
	req.Thresholds = body.Thresholds
	if !overwatch.ValidSubsystem(req.Subsystem) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", req.Subsystem)
	}
	if _, _, err := a.runSubsystem(r.Context(), req.Run, req.Subsystem); err != nil {
		return err
	}
	if err := validateSlice(req); err != nil {
		return err
	}
	st, rec, err := a.submitSlice(r.Context(), *req)
	if err != nil {
		if errors.Is(err, overwatch.ErrNotFound) {
			return errorf(http.StatusBadRequest, "%v", err)
		}
		return err
	}
	code := http.StatusAccepted
	if st.State == timeslice.StateDone {
		code = http.StatusOK
	}
	writeJSON(w, code, sliceResponse{Status: st, URL: permalink(req, req.Run, req.Subsystem, "", ""),
		StatusURL: sliceStatusURL(req.Run, req.Subsystem, st.Key), sliceResult: resultOf(rec)})
	return nil
}

func (a *App) apiSliceStatus(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
	if a.cfg.Slices == nil {
		return errorf(http.StatusServiceUnavailable, "time slices are not enabled on this server")
	}
	run, sys, err := parseRunSys(ps)
	if err != nil {
		return err
	}
	key := ps.ByName("key")
	if len(key) > 128 || strings.ContainsAny(key, "/\\.\x00") {
		return errorf(http.StatusBadRequest, "invalid slice key %q", key)
	}
	st, err := a.cfg.Slices.Status(r.Context(), run, sys, key)
	if errors.Is(err, overwatch.ErrNotFound) {
		return errorf(http.StatusNotFound, "no time slice %q", key)
	}
	if err != nil {
		return err
	}
	res := resultOf(st.Record)
	st.Record = nil // the service's bookkeeping
	writeJSON(w, http.StatusOK, sliceResponse{Status: st, StatusURL: sliceStatusURL(run, sys, st.Key), sliceResult: res})
	return nil
}

func (a *App) apiTrends(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
	sys := ps.ByName("sys")
	if !overwatch.ValidSubsystem(sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", sys)
	}
	names, err := a.store.Trends(r.Context(), sys)
	if err != nil {
		return err
	}
	decls := trendDecls(sys)
	type trend struct {
		Name string `json:"name"`
		Desc string `json:"desc,omitempty"`
		Hist string `json:"hist,omitempty"`
		URL  string `json:"url"`
	}
	out := make([]trend, 0, len(names))
	for _, n := range names {
		out = append(out, trend{Name: n, Desc: decls[n].Desc, Hist: decls[n].Hist, URL: nameURL("/api/trends/"+sys, n, nil)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// sliceEnd is the "to" minute that includes a snapshot taken d after the
// start of the run (rounded up to 0.1 min so the snapshot is inside).
func sliceEnd(d time.Duration) float64 {
	m := d.Minutes()
	t := float64(int64(m*10)+1) / 10
	if t <= 0 {
		t = 0.1
	}
	return t
}

func (a *App) apiAlarms(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	q := overwatch.AlarmQuery{Subsystem: r.URL.Query().Get("subsystem"), Trend: r.URL.Query().Get("trend"),
		State: overwatch.AlarmState(r.URL.Query().Get("state"))}
	if q.Subsystem != "" && !overwatch.ValidSubsystem(q.Subsystem) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", q.Subsystem)
	}
	if q.State != "" && q.State != overwatch.AlarmFiring && q.State != overwatch.AlarmResolved {
		return errorf(http.StatusBadRequest, "invalid state %q: expected firing or resolved", q.State)
	}
	al, err := a.store.Alarms(r.Context(), q)
	if err != nil {
		return err
	}
	if al == nil {
		al = []overwatch.AlarmRecord{}
	}
	writeJSON(w, http.StatusOK, al)
	return nil
}

// alarmAction is the body of POST /api/alarms/action.
type alarmAction struct {
	ID      string `json:"id"`
	Action  string `json:"action"`            // "ack", "silence" or "unsilence"
	Minutes int    `json:"minutes,omitempty"` // silence duration (default 60)
}

// apiAlarmAction acknowledges an alarm, or silences its notifications for a
// while, on behalf of the logged-in user.
func (a *App) apiAlarmAction(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	var req alarmAction
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return errorf(http.StatusBadRequest, "invalid alarm action: expected JSON {id, action, minutes}: %v", err)
	}
	if err := a.require(s, PermAcknowledge); err != nil {
		return err
	}
	// Each action is one atomic update of the alarm (trending.Acknowledge,
	// SilenceAlarm): processing refreshing the alarm at that moment never
	// loses it.
	now := a.cfg.Now()
	var rec overwatch.AlarmRecord
	var err error
	switch req.Action {
	case "ack":
		rec, err = trending.Acknowledge(r.Context(), a.alarms, req.ID, s.User, now)
		if errors.Is(err, trending.ErrNotFiring) {
			return errorf(http.StatusConflict, "%v", err)
		}
	case "silence":
		if req.Minutes == 0 {
			req.Minutes = 60
		}
		if req.Minutes < 1 || req.Minutes > 7*24*60 {
			return errorf(http.StatusBadRequest, "minutes must be within 1..10080, got %d", req.Minutes)
		}
		rec, err = trending.SilenceAlarm(r.Context(), a.alarms, req.ID, s.User, now, now.Add(time.Duration(req.Minutes)*time.Minute))
	case "unsilence":
		rec, err = trending.SilenceAlarm(r.Context(), a.alarms, req.ID, s.User, now, time.Time{})
	default:
		return errorf(http.StatusBadRequest, "unknown alarm action %q: expected ack, silence or unsilence", req.Action)
	}
	if errors.Is(err, overwatch.ErrNotFound) {
		return errorf(http.StatusNotFound, "no alarm %q", req.ID)
	}
	if err != nil {
		return err
	}
	a.log.Info("alarm action", "alarm", req.ID, "action", req.Action, "user", s.User)
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func (a *App) apiStatus(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	st, err := a.status(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
