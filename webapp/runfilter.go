package webapp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// runFilter selects runs of the run list and /api/runs: a run range, a
// date range (CERN calendar days of the run's start), a month (shortcut
// for the date range of one month), an HLT mode and "an alarm fired in
// the run". The zero filter selects every run.
type runFilter struct {
	RunFrom, RunTo int
	From, To       time.Time // run start in [From, To)
	Mode           overwatch.HLTMode
	Alarm          bool
	// The parameters as given, to fill the form and the paging links.
	Params url.Values
}

// Bounds of a filtered listing: at most maxRunScan runs of the index are
// looked at per request (the answer then says where to continue), read
// runScanBatch at a time.
var (
	maxRunScan   = 5000
	runScanBatch = 250
)

// runFilterKeys are the query parameters of a run filter.
var runFilterKeys = []string{"runFrom", "runTo", "dateFrom", "dateTo", "month", "mode", "alarm"}

// parseRunFilter reads a run filter from query parameters; bad input is a
// 400 naming the parameter.
func parseRunFilter(q url.Values) (runFilter, error) {
	f := runFilter{Params: url.Values{}}
	for _, k := range runFilterKeys {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			if len(v) > 32 {
				return f, errorf(http.StatusBadRequest, "invalid %s: too long", k)
			}
			f.Params.Set(k, v)
		}
	}
	p := f.Params
	for key, dst := range map[string]*int{"runFrom": &f.RunFrom, "runTo": &f.RunTo} {
		if s := p.Get(key); s != "" {
			n, err := overwatch.ParseRun(s)
			if err != nil {
				return f, errorf(http.StatusBadRequest, "invalid %s=%q: %v", key, s, err)
			}
			*dst = n
		}
	}
	if f.RunFrom != 0 && f.RunTo != 0 && f.RunFrom > f.RunTo {
		return f, errorf(http.StatusBadRequest, "invalid run range %d–%d: runFrom must not be above runTo", f.RunFrom, f.RunTo)
	}
	day := func(key string) (time.Time, error) {
		s := p.Get(key)
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation("2006-01-02", s, cern)
		if err != nil || t.Year() < 2000 || t.Year() > 2200 {
			return time.Time{}, errorf(http.StatusBadRequest, "invalid %s=%q: expected a date YYYY-MM-DD (CERN time) from 2000 to 2200", key, s)
		}
		return t, nil
	}
	var err error
	if f.From, err = day("dateFrom"); err != nil {
		return f, err
	}
	if f.To, err = day("dateTo"); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the whole last day
	}
	if m := p.Get("month"); m != "" {
		if p.Get("dateFrom") != "" || p.Get("dateTo") != "" {
			return f, errorf(http.StatusBadRequest, "month and dateFrom/dateTo exclude each other")
		}
		t, err := time.ParseInLocation("2006-01", m, cern)
		if err != nil || t.Year() < 2000 || t.Year() > 2200 {
			return f, errorf(http.StatusBadRequest, "invalid month=%q: expected YYYY-MM from 2000 to 2200", m)
		}
		f.From, f.To = t, t.AddDate(0, 1, 0)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, errorf(http.StatusBadRequest, "invalid date range: dateFrom is after dateTo")
	}
	if s := p.Get("mode"); s != "" {
		if f.Mode, err = overwatch.ParseHLTMode(s); err != nil {
			return f, errorf(http.StatusBadRequest, "invalid mode=%q: expected A, B, C, E, U or DQM", s)
		}
	}
	switch s := p.Get("alarm"); s {
	case "", "0", "false":
		p.Del("alarm")
	case "1", "true", "on":
		f.Alarm = true
		p.Set("alarm", "1")
	default:
		return f, errorf(http.StatusBadRequest, "invalid alarm=%q: expected 1 (runs with an alarm) or 0", s)
	}
	return f, nil
}

// active reports whether the filter restricts anything.
func (f runFilter) active() bool {
	return f.RunFrom != 0 || f.RunTo != 0 || !f.From.IsZero() || !f.To.IsZero() || f.Mode != "" || f.Alarm
}

// matches checks everything but the alarm condition (which needs the
// alarm history).
func (f runFilter) matches(ri overwatch.RunInfo) bool {
	switch {
	case f.RunFrom != 0 && ri.Number < f.RunFrom, f.RunTo != 0 && ri.Number > f.RunTo:
		return false
	case !f.From.IsZero() && ri.Start.Before(f.From), !f.To.IsZero() && !ri.Start.Before(f.To):
		return false
	case f.Mode != "" && ri.Mode != f.Mode:
		return false
	}
	return true
}

// query is the filter's query string ("" for none), for links that keep it.
func (f runFilter) query() string { return f.Params.Encode() }

// filteredRuns is one page of a filtered listing.
type filteredRuns struct {
	Runs []overwatch.RunInfo
	// Next is the "before" of the next page (0: none).
	Next int
	// Scanned is how many runs of the index were looked at; Partial is set
	// when the scan stopped at maxRunScan before filling the page (Next
	// then continues the scan).
	Scanned int
	Partial bool
}

// filterRuns lists up to limit runs matching f, newest first, below
// before (0: from the newest), scanning at most maxRunScan runs.
func (a *App) filterRuns(ctx context.Context, f runFilter, before, limit int) (filteredRuns, error) {
	var out filteredRuns
	start := before
	if f.RunTo != 0 && (start == 0 || start > f.RunTo+1) {
		start = f.RunTo + 1
	}
	for {
		batch, err := a.store.Runs(ctx, overwatch.RunQuery{Limit: runScanBatch, Before: start})
		if err != nil {
			return out, err
		}
		for _, ri := range batch {
			if f.RunFrom != 0 && ri.Number < f.RunFrom {
				return out, nil // runs are listed newest first: no more
			}
			if out.Scanned == maxRunScan {
				out.Partial, out.Next = true, start
				return out, nil
			}
			out.Scanned++
			start = ri.Number
			ok := f.matches(ri)
			if ok && f.Alarm {
				if ok, err = a.runHasAlarm(ctx, ri.Number); err != nil {
					return out, err
				}
			}
			if !ok {
				continue
			}
			if len(out.Runs) == limit {
				out.Next = out.Runs[limit-1].Number
				return out, nil
			}
			out.Runs = append(out.Runs, ri)
		}
		if len(batch) < runScanBatch {
			return out, nil // the oldest run was reached
		}
	}
}

// runHasAlarm reports whether an alarm fired in a run (any subsystem).
func (a *App) runHasAlarm(ctx context.Context, run int) (bool, error) {
	evs, err := a.alarms.AlarmEvents(ctx, overwatch.AlarmEventQuery{Run: run, Limit: 1000})
	if err != nil {
		return false, err
	}
	for _, ev := range evs {
		if ev.Kind == overwatch.AlarmEventFired {
			return true, nil
		}
	}
	return false, nil
}

// monthOf is the CERN-time month of a run's start, as a bookmark id and
// a title.
func monthOf(t time.Time) (id, title string) {
	c := t.In(cern)
	return c.Format("2006-01"), c.Format("January 2006")
}

// describe says what the filter selects, for the page.
func (f runFilter) describe() string {
	var parts []string
	switch {
	case f.RunFrom != 0 && f.RunTo != 0:
		parts = append(parts, fmt.Sprintf("runs %d–%d", f.RunFrom, f.RunTo))
	case f.RunFrom != 0:
		parts = append(parts, fmt.Sprintf("runs from %d", f.RunFrom))
	case f.RunTo != 0:
		parts = append(parts, fmt.Sprintf("runs up to %d", f.RunTo))
	}
	if !f.From.IsZero() || !f.To.IsZero() {
		from, to := "…", "…"
		if !f.From.IsZero() {
			from = f.From.Format("2006-01-02")
		}
		if !f.To.IsZero() {
			to = f.To.AddDate(0, 0, -1).Format("2006-01-02")
		}
		parts = append(parts, fmt.Sprintf("started %s to %s (CERN time)", from, to))
	}
	if f.Mode != "" {
		parts = append(parts, "HLT mode "+string(f.Mode))
	}
	if f.Alarm {
		parts = append(parts, "with an alarm")
	}
	return strings.Join(parts, ", ")
}
