package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// badChannelRoutes registers the bad-channel API (called by
// qualityRoutes).
func (a *App) badChannelRoutes(r *httprouter.Router, get func(string, httprouter.Handle)) {
	get("/api/badchannels", a.api(ScopeRuns, a.apiBadChannels))
	get("/api/badchannels/history", a.api(ScopeRuns, a.apiBadChannelHistory))
	r.POST("/api/badchannels", a.api(ScopeRuns, a.apiBadChannelDecide))
}

// badChannels reads a subsystem's list and its version (empty, 0, when
// there is none).
func (a *App) badChannels(ctx context.Context, sys string) (*quality.BadChannels, int64, error) {
	docs, err := a.documents()
	if err != nil {
		return nil, 0, err
	}
	d, err := docs.Document(ctx, quality.BadChannelsKind, sys, 0)
	if errors.Is(err, overwatch.ErrNotFound) {
		return &quality.BadChannels{Subsystem: sys, Channels: []quality.Channel{}}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	b, err := quality.BadChannelsFromDocument(d)
	if err != nil {
		return nil, 0, err
	}
	if b.Channels == nil {
		b.Channels = []quality.Channel{}
	}
	return b, d.Version, nil
}

type badChannelsJSON struct {
	Subsystem string            `json:"subsystem"`
	Version   int64             `json:"version"`
	Confirmed int               `json:"confirmed"`
	Proposed  int               `json:"proposed"`
	Channels  []quality.Channel `json:"channels"`
}

// apiBadChannels lists a subsystem's bad channels (?sys=, optionally of
// one histogram ?hist=).
func (a *App) apiBadChannels(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	q := r.URL.Query()
	sys := q.Get("sys")
	if !overwatch.ValidSubsystem(sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q: expected sys=EMC", sys)
	}
	b, v, err := a.badChannels(r.Context(), sys)
	if err != nil {
		return err
	}
	out := badChannelsJSON{Subsystem: sys, Version: v, Channels: b.Channels}
	out.Confirmed, out.Proposed = b.Count()
	if h := q.Get("hist"); h != "" {
		out.Channels = b.Of(h)
		if out.Channels == nil {
			out.Channels = []quality.Channel{}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *App) apiBadChannelHistory(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	sys := r.URL.Query().Get("sys")
	if !overwatch.ValidSubsystem(sys) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q: expected sys=EMC", sys)
	}
	docs, err := a.documents()
	if err != nil {
		return err
	}
	hist, err := docs.DocumentHistory(r.Context(), quality.BadChannelsKind, sys)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": hist})
	return nil
}

// badChannelDecision is the body of POST /api/badchannels.
type badChannelDecision struct {
	Subsystem string `json:"subsystem"`
	Hist      string `json:"hist"`
	Cell      int    `json:"cell"`
	State     string `json:"state"` // confirmed or removed
	Comment   string `json:"comment"`
	Version   int64  `json:"version"` // the version of the list read
}

// apiBadChannelDecide confirms or removes a listed channel (expert).
func (a *App) apiBadChannelDecide(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	var req badChannelDecision
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return errorf(http.StatusBadRequest, "invalid decision: expected JSON {subsystem, hist, cell, state, comment, version}: %v", err)
	}
	if err := a.require(s, PermBadChannels); err != nil {
		return err
	}
	if !overwatch.ValidSubsystem(req.Subsystem) {
		return errorf(http.StatusBadRequest, "invalid subsystem %q", req.Subsystem)
	}
	if req.State != quality.ChannelConfirmed && req.State != quality.ChannelRemoved {
		return errorf(http.StatusBadRequest, "state %q: expected confirmed or removed", req.State)
	}
	if len(req.Comment) > 4096 {
		return errorf(http.StatusBadRequest, "comment of %d bytes, at most 4096", len(req.Comment))
	}
	b, v, err := a.badChannels(r.Context(), req.Subsystem)
	if err != nil {
		return err
	}
	if v != req.Version {
		return errorf(http.StatusConflict, "the %s bad-channel list changed since version %d was read (now %d): reload and try again", req.Subsystem, req.Version, v)
	}
	if err := b.Decide(req.Hist, req.Cell, req.State, s.User, a.cfg.Now()); err != nil {
		if errors.Is(err, overwatch.ErrNotFound) {
			return errorf(http.StatusNotFound, "%v", err)
		}
		return errorf(http.StatusBadRequest, "%v", err)
	}
	d, err := b.Document(s.User, req.Comment)
	if err != nil {
		return err
	}
	stored, err := a.cfg.Documents.PutDocument(r.Context(), d, v)
	if errors.Is(err, overwatch.ErrVersionConflict) {
		return errorf(http.StatusConflict, "the %s bad-channel list changed meanwhile: reload and try again", req.Subsystem)
	}
	if err != nil {
		return err
	}
	a.log.Info("bad channel", "subsystem", req.Subsystem, "hist", req.Hist, "cell", req.Cell, "state", req.State, "user", s.User, "version", stored.Version)
	out := badChannelsJSON{Subsystem: req.Subsystem, Version: stored.Version, Channels: b.Of(req.Hist)}
	out.Confirmed, out.Proposed = b.Count()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// attachBadChannels gives each plot of a run page its listed channels,
// the confirmed cells to draw masked, and the list's version.
func (a *App) attachBadChannels(ctx context.Context, s *session, d *runPageData) {
	if a.cfg.Documents == nil || len(d.Plots) == 0 {
		return
	}
	b, v, err := a.badChannels(ctx, d.Sys.Name)
	if err != nil {
		a.log.Warn("bad-channel list unreadable", "subsystem", d.Sys.Name, "err", err)
		return
	}
	d.BadChannelsVersion = v
	d.CanBadChannels = s != nil && s.Token == "" && s.Role.Can(PermBadChannels)
	for i := range d.Plots {
		p := &d.Plots[i]
		p.Channels = b.Of(p.Name)
		if cells := b.Confirmed(p.Name); len(cells) > 0 {
			js, _ := json.Marshal(cells)
			p.Masked = string(js)
		}
	}
}
