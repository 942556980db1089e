package webapp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// trendPoint is one point of a trend in the API, with the link to the
// source histogram as it was in that snapshot (a time slice from the start
// of the run to the point's time, cumulative data).
type trendPoint struct {
	Run   int     `json:"run"`
	Time  int64   `json:"time"`
	Seq   int     `json:"seq,omitempty"`
	Value float64 `json:"value"`
	Error float64 `json:"error"`
	Link  string  `json:"link,omitempty"`
}

// trendRun is one run of a trend's points: where its boundaries are drawn
// (the subsystem's first and last snapshot of the run) and its quality
// flag when one is known.
type trendRun struct {
	Run     int    `json:"run"`
	Start   int64  `json:"start"`
	End     int64  `json:"end"`
	Quality string `json:"quality,omitempty"`
}

// Bounds of the trend range parameters.
const (
	maxTrendLimit = 100000
	maxTrendLast  = 366 * 24 * time.Hour
	minTrendLast  = time.Minute
)

// RunFlagReader is the optional interface of a Store that knows the
// quality flag of runs (good, medium, bad): trend points are then coloured
// by their run's flag. Nothing implements it on main yet — run quality
// flags are the quality engineer's "flags" documents — so trends come
// without flags until a store (or a wrapper of it) provides them.
type RunFlagReader interface {
	// RunFlags returns the known flags of the given runs of a subsystem;
	// runs without a flag are absent from the map.
	RunFlags(ctx context.Context, subsystem string, runs []int) (map[int]overwatch.Quality, error)
}

// trendQuery reads the range parameters of a trend request: run (one
// run), runFrom and runTo (an inclusive run range), from and to (Unix
// seconds), last (a duration back from now, 1m to 366 days, instead of
// from) and limit (newest N points, 1..100000, default 5000). Bad input
// is a 400 naming the parameter.
func trendQuery(vals url.Values, sys, name string, now time.Time) (overwatch.TrendQuery, error) {
	q := overwatch.TrendQuery{Subsystem: sys, Trend: name, Limit: 5000}
	var err error
	for key, dst := range map[string]*int{"run": &q.Run, "runFrom": &q.RunFrom, "runTo": &q.RunTo} {
		if s := strings.TrimSpace(vals.Get(key)); s != "" {
			n, err := overwatch.ParseRun(s)
			if err != nil {
				return q, errorf(http.StatusBadRequest, "invalid %s=%q: %v", key, s, err)
			}
			*dst = n
		}
	}
	if q.Run != 0 && (q.RunFrom != 0 || q.RunTo != 0) {
		return q, errorf(http.StatusBadRequest, "run and runFrom/runTo exclude each other: give one run or a range")
	}
	if q.RunFrom != 0 && q.RunTo != 0 && q.RunFrom > q.RunTo {
		return q, errorf(http.StatusBadRequest, "invalid run range %d–%d: runFrom must not be above runTo", q.RunFrom, q.RunTo)
	}
	for key, dst := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if s := vals.Get(key); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 || n > 1<<40 {
				return q, errorf(http.StatusBadRequest, "invalid %s=%q: expected Unix seconds", key, s)
			}
			*dst = time.Unix(n, 0)
		}
	}
	if s := vals.Get("last"); s != "" {
		if !q.From.IsZero() {
			return q, errorf(http.StatusBadRequest, "last and from exclude each other")
		}
		d, perr := time.ParseDuration(s)
		if perr != nil || d < minTrendLast || d > maxTrendLast {
			return q, errorf(http.StatusBadRequest, "invalid last=%q: expected a duration from 1m to 8784h, such as 1h or 24h", s)
		}
		q.From = now.Add(-d)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		return q, errorf(http.StatusBadRequest, "invalid time range: from is after to")
	}
	if s := vals.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 || q.Limit > maxTrendLimit {
			return q, errorf(http.StatusBadRequest, "invalid limit %q: expected 1..%d", s, maxTrendLimit)
		}
	}
	return q, nil
}

// apiTrend returns a trend's points in the range the parameters select
// (trendQuery), with the runs they belong to (boundaries, quality flags).
func (a *App) apiTrend(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
	sys := ps.ByName("sys")
	if !overwatch.ValidSubsystem(sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", sys)
	}
	name := nameParam(r, ps)
	ctx := r.Context()
	q, err := trendQuery(r.URL.Query(), sys, name, a.cfg.Now())
	if err != nil {
		return err
	}
	names, err := a.store.Trends(ctx, sys)
	if err != nil {
		return err
	}
	if !contains(names, name) {
		return errorf(http.StatusNotFound, "subsystem %s has no trend %q", sys, name)
	}
	pts, err := a.store.TrendPoints(ctx, q)
	if err != nil {
		return err
	}
	decl := trendDecls(sys)[name]
	out := struct {
		Subsystem string       `json:"subsystem"`
		Name      string       `json:"name"`
		Desc      string       `json:"desc,omitempty"`
		Hist      string       `json:"hist,omitempty"`
		Extractor string       `json:"extractor,omitempty"`
		Points    []trendPoint `json:"points"`
		Runs      []trendRun   `json:"runs"`
	}{Subsystem: sys, Name: name, Desc: decl.Desc, Hist: decl.Hist, Extractor: decl.Extractor,
		Points: make([]trendPoint, 0, len(pts)), Runs: []trendRun{}}
	runs := map[int]*trendRun{}
	for _, p := range pts {
		tp := trendPoint{Run: p.Run, Time: p.Time.Unix(), Seq: p.Seq, Value: p.Value, Error: p.Error}
		if p.Run > 0 {
			tr, ok := runs[p.Run]
			if !ok {
				tr = &trendRun{Run: p.Run}
				if ri, err := a.store.RunInfo(ctx, p.Run); err == nil {
					if si, ok := ri.Subsystem(sys); ok {
						tr.Start, tr.End = si.Start.Unix(), si.End.Unix()
					}
				}
				runs[p.Run] = tr
			}
			if tr.Start != 0 {
				req := &timeslice.Request{FromMinute: 0, ToMinute: sliceEnd(p.Time.Sub(time.Unix(tr.Start, 0))), Options: map[string]string{}}
				tp.Link = permalink(req, p.Run, sys, "", decl.Hist)
			} else {
				tp.Link = fmt.Sprintf("/run/%d/%s", p.Run, sys)
			}
		}
		out.Points = append(out.Points, tp)
	}
	nums := make([]int, 0, len(runs))
	for n := range runs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var flags map[int]overwatch.Quality
	if fr, ok := a.store.(RunFlagReader); ok && len(nums) > 0 {
		if flags, err = fr.RunFlags(ctx, sys, nums); err != nil {
			return err
		}
	}
	for _, n := range nums {
		tr := runs[n]
		if f, ok := flags[n]; ok {
			tr.Quality = f.String()
		}
		out.Runs = append(out.Runs, *tr)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
