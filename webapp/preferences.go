package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
)

// documentKindPreferences is the Document.Kind of a user's preferences
// (the document's name is the user name).
const documentKindPreferences = "preferences"

// preferencesBody is a user's preferences: the theme, the default draw
// option of layout plots, and whether plots are drawn by JSROOT or shown
// as the server's PNGs.
type preferencesBody struct {
	// Theme is "auto" (follow the browser), "light" or "dark".
	Theme string `json:"theme"`
	// DrawOption is the JSROOT draw option of layout plots that set none.
	DrawOption string `json:"drawOption,omitempty"`
	// Render is "jsroot" or "png".
	Render string `json:"render"`
}

func defaultPreferences() preferencesBody { return preferencesBody{Theme: "auto", Render: "jsroot"} }

func (p *preferencesBody) check() error {
	if p.Theme == "" {
		p.Theme = "auto"
	}
	if p.Render == "" {
		p.Render = "jsroot"
	}
	if p.Theme != "auto" && p.Theme != "light" && p.Theme != "dark" {
		return errorf(http.StatusBadRequest, "preferences: theme %q, expected auto, light or dark", p.Theme)
	}
	if p.Render != "jsroot" && p.Render != "png" {
		return errorf(http.StatusBadRequest, "preferences: render %q, expected jsroot or png", p.Render)
	}
	probe := overwatch.Layout{Title: "p", Tabs: []overwatch.LayoutTab{{Title: "p", Plots: []overwatch.LayoutPlot{{Subsystem: "EMC", Name: "p", Options: overwatch.PlotOptions{DrawOption: p.DrawOption}}}}}}
	if err := probe.Check(); err != nil {
		return errorf(http.StatusBadRequest, "preferences: drawOption %q: only letters, digits, ',', ';', '_' and spaces, at most %d bytes", p.DrawOption, overwatch.MaxDrawOption)
	}
	return nil
}

func (a *App) preferenceRoutes(r *httprouter.Router, get func(string, httprouter.Handle)) {
	get("/api/preferences", a.api(ScopeRuns, a.apiPreferences))
	r.PUT("/api/preferences", a.api(ScopeRuns, a.apiPreferencesSave))
}

// userPrefs returns the session user's preferences (the defaults when none
// are stored or the store is unavailable).
func (a *App) userPrefs(ctx context.Context, s *session) *preferencesBody {
	p := defaultPreferences()
	if s == nil || a.cfg.Documents == nil || !overwatch.ValidDocumentName(s.User) {
		return &p
	}
	d, err := a.cfg.Documents.Document(ctx, documentKindPreferences, s.User, 0)
	if err == nil && !d.Deleted {
		var stored preferencesBody
		if json.Unmarshal(d.Body, &stored) == nil && stored.check() == nil {
			p = stored
		}
	}
	return &p
}

func (a *App) apiPreferences(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	if err := a.require(s, PermView); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.userPrefs(r.Context(), s))
	return nil
}

// apiPreferencesSave replaces the session user's preferences. Any
// logged-in user may keep their own; API tokens are read-only.
func (a *App) apiPreferencesSave(w http.ResponseWriter, r *http.Request, _ httprouter.Params, s *session) error {
	if err := a.require(s, PermView); err != nil {
		return err
	}
	if s.Token != "" {
		return errorf(http.StatusForbidden, "API tokens are read-only")
	}
	ds, err := a.documents()
	if err != nil {
		return err
	}
	var p preferencesBody
	if err := decodeStrict(w, r, 4<<10, &p, "preferences: expected JSON {theme, drawOption, render}"); err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return err
	}
	if !overwatch.ValidDocumentName(s.User) {
		return errorf(http.StatusBadRequest, "preferences: user name %q cannot name a document", s.User)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	// One user's own document: read the newest version and write the
	// next; a concurrent save from another tab is a 409.
	var prev int64
	cur, err := ds.Document(r.Context(), documentKindPreferences, s.User, 0)
	switch {
	case err == nil:
		prev = cur.Version
	case !errors.Is(err, overwatch.ErrNotFound):
		return err
	}
	_, err = ds.PutDocument(r.Context(), overwatch.Document{Kind: documentKindPreferences, Name: s.User, Author: s.User, Body: body}, prev)
	if errors.Is(err, overwatch.ErrVersionConflict) {
		return errorf(http.StatusConflict, "preferences changed meanwhile (another window?): try again")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
