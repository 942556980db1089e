package webapp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
)

// Bounds of a search.
const (
	maxSearchQuery   = 100 // bytes
	maxSearchResults = 100
	defSearchResults = 20
)

// searchHit is one result of a search in a run: a histogram of one of its
// subsystems (with the URLs to draw it in place) or a trend.
type searchHit struct {
	Kind      string `json:"kind"` // "hist" or "trend"
	Subsystem string `json:"subsystem"`
	Name      string `json:"name"`
	Title     string `json:"title"`
	Group     string `json:"group,omitempty"`
	Class     string `json:"class,omitempty"`
	Quality   string `json:"quality,omitempty"`
	// Page opens the histogram on its run page (or the trend on the
	// trending page); JSON, Hints and PNG draw it in place.
	Page  string `json:"page"`
	JSON  string `json:"json,omitempty"`
	Hints string `json:"hints,omitempty"`
	PNG   string `json:"png,omitempty"`
	// Points is the trend's points URL (the run's points).
	Points string `json:"points,omitempty"`
	score  int
}

// searchResult is the answer of /api/runs/:run/search.
type searchResult struct {
	Run       int         `json:"run"`
	Query     string      `json:"q"`
	Hits      []searchHit `json:"hits"`
	Total     int         `json:"total"`     // matches before the limit
	Truncated bool        `json:"truncated"` // Total > len(Hits)
}

// matchScore scores how well every word of the query (lower-case) is
// found in the fields, ignoring case: 0 means no match; a word that is the
// whole base name (after the last '/') or title scores most, one at its
// start more than one found inside, one found in the group least.
func matchScore(words []string, name, title, group string) int {
	base := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		base = name[i+1:]
	}
	score := 0
	for _, w := range words {
		switch {
		case strings.EqualFold(base, w) || strings.EqualFold(title, w):
			score += 8
		case hasPrefixFold(base, w) || hasPrefixFold(title, w):
			score += 4
		case containsFold(name, w) || containsFold(title, w):
			score += 2
		case containsFold(group, w):
			score++
		default:
			return 0
		}
	}
	return score
}

// hasPrefixFold reports whether s starts with the lower-case prefix p,
// ignoring case, without allocating.
func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}

// containsFold reports whether s contains the lower-case word w, ignoring
// case; ASCII text is compared without allocating.
func containsFold(s, w string) bool {
	if len(w) == 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), w)
		}
	}
	for i := 0; i+len(w) <= len(s); i++ {
		if lower(s[i]) == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// searchWords splits and lower-cases a query; bad queries are 400.
func searchWords(q string) ([]string, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, errorf(http.StatusBadRequest, "empty search: give q, part of a histogram's or trend's name or title")
	}
	if len(q) > maxSearchQuery || !utf8.ValidString(q) || strings.ContainsFunc(q, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, errorf(http.StatusBadRequest, "invalid search q: at most %d bytes of text", maxSearchQuery)
	}
	words := strings.Fields(strings.ToLower(q))
	if len(words) > 8 {
		return nil, errorf(http.StatusBadRequest, "invalid search q: at most 8 words")
	}
	return words, nil
}

// searchRun finds histograms (by name, title or group) and trends (by
// name or description) of every subsystem of a run whose outputs exist,
// best first, at most limit of them.
func (a *App) searchRun(ctx context.Context, ri overwatch.RunInfo, words []string, limit int) (searchResult, error) {
	res := searchResult{Run: ri.Number, Query: strings.Join(words, " "), Hits: []searchHit{}}
	var hits []searchHit
	for _, si := range ri.Subsystems {
		sys := si.Name
		view, _, err := a.views.get(ctx, ri.Number, sys, "")
		switch {
		case errors.Is(err, overwatch.ErrNotFound):
		case err != nil:
			return res, err
		default:
			for _, g := range view.Groups {
				for _, h := range g.Hists {
					title := h.PrettyName
					if title == "" {
						title = h.Name
					}
					s := matchScore(words, h.Name, title, g.Title)
					if s == 0 {
						continue
					}
					hits = append(hits, searchHit{Kind: "hist", Subsystem: sys, Name: h.Name, Title: title, Group: g.Title,
						Class: h.Class, Quality: h.Quality.String(), score: s})
				}
			}
		}
		names, err := a.store.Trends(ctx, sys)
		if err != nil {
			return res, err
		}
		decls := trendDecls(sys)
		for _, n := range names {
			title := decls[n].Desc
			if title == "" {
				title = n
			}
			s := matchScore(words, n, title, decls[n].Hist)
			if s == 0 {
				continue
			}
			hits = append(hits, searchHit{Kind: "trend", Subsystem: sys, Name: n, Title: title, Group: decls[n].Hist, score: s})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		if hits[i].Subsystem != hits[j].Subsystem {
			return hits[i].Subsystem < hits[j].Subsystem
		}
		return hits[i].Name < hits[j].Name
	})
	res.Total = len(hits)
	if len(hits) > limit {
		hits, res.Truncated = hits[:limit], true
	}
	// The links of the hits kept only (a short query matches everything).
	for i := range hits {
		h, sys := &hits[i], hits[i].Subsystem
		if h.Kind == "trend" {
			h.Page = "/trending/" + sys + "?trend=" + url.QueryEscape(h.Name)
			h.Points = nameURL("/api/trends/"+sys, h.Name, url.Values{"run": {strconv.Itoa(ri.Number)}})
			continue
		}
		h.Page = permalink(nil, ri.Number, sys, "", h.Name)
		h.JSON = outputURL(ri.Number, sys, "", "json", h.Name)
		h.Hints = outputURL(ri.Number, sys, "", "hints", h.Name)
		h.PNG = outputURL(ri.Number, sys, "", "png", h.Name)
	}
	res.Hits = append(res.Hits, hits...)
	return res, nil
}

// apiSearch answers GET /api/runs/:run/search?q=&limit= (default 20, at
// most 100).
func (a *App) apiSearch(w http.ResponseWriter, r *http.Request, ps httprouter.Params, _ *session) error {
	run, err := parseRun(ps.ByName("run"))
	if err != nil {
		return err
	}
	v := r.URL.Query()
	words, err := searchWords(v.Get("q"))
	if err != nil {
		return err
	}
	limit := defSearchResults
	if s := v.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > maxSearchResults {
			return errorf(http.StatusBadRequest, "invalid limit %q: expected 1..%d", s, maxSearchResults)
		}
	}
	ri, err := a.store.RunInfo(r.Context(), run)
	if errors.Is(err, overwatch.ErrNotFound) {
		return errorf(http.StatusNotFound, "run %d is not known", run)
	}
	if err != nil {
		return err
	}
	res, err := a.searchRun(r.Context(), ri, words, limit)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "private, no-cache")
	writeJSON(w, http.StatusOK, res)
	return nil
}

// apiViewOrSearch serves /api/runs/:run/:sys: the search of the run when
// :sys is "search" (the router cannot have both routes; "search" is not a
// valid subsystem name), else the subsystem's view.
func (a *App) apiViewOrSearch(w http.ResponseWriter, r *http.Request, ps httprouter.Params, s *session) error {
	if ps.ByName("sys") == "search" {
		return a.apiSearch(w, r, ps, s)
	}
	return a.apiView(w, r, ps, s)
}
