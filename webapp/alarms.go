package webapp

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
)

// runAlarms returns the alarms of one run of a subsystem, from the alarm
// history: every alarm that fired in that run, as it was in that run
// (fired and resolved times, acknowledgement, last message). Its State is
// firing only if the alarm fires now and its current run is this run (only
// those get the acknowledge and silence buttons); otherwise resolved.
func (a *App) runAlarms(ctx context.Context, run int, sys string) ([]overwatch.AlarmRecord, error) {
	evs, err := a.alarms.AlarmEvents(ctx, overwatch.AlarmEventQuery{Subsystem: sys, Run: run})
	if err != nil {
		return nil, err
	}
	byID := map[string]*overwatch.AlarmRecord{}
	var order []string
	for _, ev := range evs {
		rec, ok := byID[ev.AlarmID]
		if !ok {
			if ev.Kind != overwatch.AlarmEventFired {
				continue // the alarm fired in an earlier run
			}
			rec = &overwatch.AlarmRecord{ID: ev.AlarmID, Subsystem: ev.Subsystem, Trend: ev.Trend, Alarm: ev.Alarm, Run: run,
				State: overwatch.AlarmResolved, FiredAt: ev.Time}
			byID[ev.AlarmID] = rec
			order = append(order, ev.AlarmID)
		}
		switch ev.Kind {
		case overwatch.AlarmEventFired:
			rec.Message, rec.LastSeen = ev.Message, ev.Time
			rec.ResolvedAt, rec.AckedBy, rec.AckedAt = time.Time{}, "", time.Time{}
		case overwatch.AlarmEventResolved:
			rec.ResolvedAt = ev.Time
		case overwatch.AlarmEventAcknowledged:
			rec.AckedBy, rec.AckedAt = ev.User, ev.Time
		case overwatch.AlarmEventSilenced:
			rec.SilencedUntil = ev.Until
		}
	}
	out := make([]overwatch.AlarmRecord, 0, len(order))
	for _, id := range order {
		rec := byID[id]
		cur, err := a.store.Alarm(ctx, id)
		switch {
		case err == nil:
			rec.Hist = cur.Hist
			if cur.State == overwatch.AlarmFiring && cur.Run == run {
				rec.State, rec.Message, rec.AckedBy, rec.AckedAt = cur.State, cur.Message, cur.AckedBy, cur.AckedAt
				rec.SilencedUntil, rec.LastSeen = cur.SilencedUntil, cur.LastSeen
			}
		case !errors.Is(err, overwatch.ErrNotFound):
			return nil, err
		}
		out = append(out, *rec)
	}
	return out, nil
}

// apiAlarmHistory returns alarm events (?alarm=ID, ?subsystem=, ?run=,
// ?limit= newest N, default 1000), oldest first.
func (a *App) apiAlarmHistory(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	v := r.URL.Query()
	q := overwatch.AlarmEventQuery{AlarmID: v.Get("alarm"), Subsystem: v.Get("subsystem"), Limit: 1000}
	if q.Subsystem != "" && !overwatch.ValidSubsystem(q.Subsystem) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", q.Subsystem)
	}
	if len(q.AlarmID) > 1024 {
		return errorf(http.StatusBadRequest, "alarm ID too long")
	}
	if s := v.Get("run"); s != "" {
		n, err := parseRun(s)
		if err != nil {
			return err
		}
		q.Run = n
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return errorf(http.StatusBadRequest, "invalid limit %q: expected 1..100000", s)
		}
		q.Limit = n
	}
	evs, err := a.alarms.AlarmEvents(r.Context(), q)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []overwatch.AlarmEvent{}
	}
	writeJSON(w, http.StatusOK, evs)
	return nil
}

// apiAdminUsers lists the users with their roles and the API tokens
// (never hashes or secrets): admins only.
func (a *App) apiAdminUsers(w http.ResponseWriter, _ *http.Request, _ httprouter.Params, s *session) error {
	if err := a.require(s, PermUsers); err != nil {
		return err
	}
	users, err := a.cfg.Users.List()
	if err != nil {
		return err
	}
	toks, err := a.cfg.Tokens.List()
	if err != nil {
		return err
	}
	type user struct {
		Name    string    `json:"name"`
		Role    Role      `json:"role"`
		Created time.Time `json:"created"`
	}
	type token struct {
		ID      string    `json:"id"`
		User    string    `json:"user"`
		Scopes  []Scope   `json:"scopes"`
		Created time.Time `json:"created"`
		Expires time.Time `json:"expires,omitzero"`
	}
	out := struct {
		Users  []user  `json:"users"`
		Tokens []token `json:"tokens"`
	}{Users: []user{}, Tokens: []token{}}
	for _, u := range users {
		out.Users = append(out.Users, user{u.Name, u.Role, u.Created})
	}
	for _, t := range toks {
		out.Tokens = append(out.Tokens, token{t.ID, t.User, t.Scopes, t.Created, t.Expires})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
