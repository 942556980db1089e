package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func searchAPI(t *testing.T, c *client, run, q string) (int, searchResult, string) {
	t.Helper()
	resp, body := c.get("/api/runs/" + run + "/search?" + q)
	var res searchResult
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal([]byte(body), &res), body)
	}
	return resp.StatusCode, res, body
}

// TestSearch: histograms by part of the name or title, across the
// subsystems of the run, and trends; best matches first; bounded; bad
// input 400, unknown run 404.
func TestSearch(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 2) // runs 100, 101: EMC outputs
	e.publish(t, 101, "HLT", "", time.Now(), nil)
	addTrend(t, e, 101, "maxPatch", 3)
	c, _ := loggedIn(t, e)

	code, res, body := searchAPI(t, c, "101", "q=patch")
	require.Equal(t, http.StatusOK, code, body)
	var got []string
	for _, h := range res.Hits {
		got = append(got, h.Kind+":"+h.Subsystem+":"+h.Name)
	}
	assert.ElementsMatch(t, []string{"hist:EMC:EMCTRQA/hEMCalPatchMap", "hist:HLT:EMCTRQA/hEMCalPatchMap", "trend:EMC:maxPatch"}, got)
	h := res.Hits[0]
	if h.Kind == "hist" {
		assert.Equal(t, "EMCal patch map", h.Title)
		assert.Equal(t, "Patch maps", h.Group)
		assert.Equal(t, "/run/101/"+h.Subsystem+"?hist=EMCTRQA%2FhEMCalPatchMap", h.Page)
		resp, _ := c.get(h.JSON)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "the hit's JSON draws it in place")
	}

	// Part of the title, several words, any case.
	_, res, _ = searchAPI(t, c, "101", "q="+url.QueryEscape("SPECTRUM a"))
	require.Len(t, res.Hits, 2)
	assert.Equal(t, "hSpec_a", res.Hits[0].Name)
	assert.Equal(t, "Spectrum A", res.Hits[0].Title)
	// By group title.
	_, res, _ = searchAPI(t, c, "101", "q=spectra")
	assert.Equal(t, 4, res.Total, "hEvents and hSpec_a of EMC and HLT")
	// Ranking: the whole name first.
	_, res, _ = searchAPI(t, c, "101", "q=hevents")
	require.NotEmpty(t, res.Hits)
	assert.Equal(t, "hEvents", res.Hits[0].Name)
	// Limit.
	_, res, _ = searchAPI(t, c, "101", "q=h&limit=2")
	assert.Len(t, res.Hits, 2)
	assert.True(t, res.Truncated)
	assert.Greater(t, res.Total, 2)
	// No match.
	_, res, _ = searchAPI(t, c, "101", "q=nothing-like-this")
	assert.Empty(t, res.Hits)
	// Trend hit links.
	_, res, _ = searchAPI(t, c, "101", "q=maxpatch")
	require.Len(t, res.Hits, 1)
	assert.Equal(t, "/trending/EMC?trend=maxPatch", res.Hits[0].Page)
	assert.Equal(t, "/api/trends/EMC/maxPatch?run=101", res.Hits[0].Points)
	// The view route is still served.
	resp, _ := c.get("/api/runs/101/EMC")
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	for _, q := range []string{"", "q=", "q=%20%20", "q=" + strings.Repeat("x", 101), "q=a%00b", "q=a&limit=0", "q=a&limit=101",
		"q=a&limit=x", "q=" + url.QueryEscape("a b c d e f g h i")} {
		code, _, body := searchAPI(t, c, "101", q)
		assert.Equal(t, http.StatusBadRequest, code, "%q: %s", q, body)
	}
	code, _, _ = searchAPI(t, c, "999", "q=a")
	assert.Equal(t, http.StatusNotFound, code)
	code, _, _ = searchAPI(t, c, "0", "q=a")
	assert.Equal(t, http.StatusBadRequest, code)
}

// TestMatchScore is the table of the search's matching and ranking.
func TestMatchScore(t *testing.T) {
	for _, tc := range []struct {
		words              []string
		name, title, group string
		want               int
	}{
		{[]string{"hevents"}, "hEvents", "Events", "", 8},
		{[]string{"events"}, "hEvents", "Events", "", 8},
		{[]string{"hev"}, "dir/hEvents", "Events", "", 4},
		{[]string{"vent"}, "hEvents", "Events", "", 2},
		{[]string{"spectra"}, "hSpec_a", "Spectrum A", "Spectra", 1},
		{[]string{"spec", "a"}, "hSpec_a", "Spectrum A", "", 4 + 2},
		{[]string{"spec", "zzz"}, "hSpec_a", "Spectrum A", "", 0},
		{[]string{"x"}, "hEvents", "Events", "", 0},
	} {
		assert.Equal(t, tc.want, matchScore(tc.words, tc.name, tc.title, tc.group), "%v in %s", tc.words, tc.name)
	}
}

// bigView publishes a view of n histograms in 10 groups for (run, sys).
func bigView(t testing.TB, e *testEnv, run int, sys string, n int, snap time.Time) {
	t.Helper()
	view := overwatch.ViewDoc{Run: run, Subsystem: sys, Source: sys, Snapshot: overwatch.SnapshotDoc{Time: snap.Unix()}, Complete: true}
	for g := 0; g < 10; g++ {
		grp := overwatch.ViewGroup{Title: fmt.Sprintf("Group %d", g)}
		for i := g; i < n; i += 10 {
			grp.Hists = append(grp.Hists, overwatch.ViewHist{Name: fmt.Sprintf("%sQA/hCell%03dEnergy", sys, i),
				PrettyName: fmt.Sprintf("Cell %d energy (supermodule %d)", i, i%20), Class: "TH1F"})
		}
		view.Groups = append(view.Groups, grp)
	}
	data, err := json.Marshal(view)
	require.NoError(t, err)
	require.NoError(t, e.store.PutOutput(context.Background(), overwatch.ViewRef(run, sys, ""), data))
}

// BenchmarkSearch: a search over a run of two subsystems of 500
// histograms each (the views cached, as in a running server).
func BenchmarkSearch(b *testing.B) {
	e := newEnv(b)
	now := time.Now()
	for _, sys := range []string{"EMC", "HLT"} {
		e.addSnapshot(b, 900, sys, now)
		bigView(b, e, 900, sys, 500, now)
	}
	ctx := context.Background()
	ri, err := e.store.RunInfo(ctx, 900)
	require.NoError(b, err)
	for _, bc := range []struct {
		name, q string
		total   int
	}{{"one", "cell 123", 2}, {"every", "energy", 1000}} {
		b.Run(bc.name, func(b *testing.B) {
			words, err := searchWords(bc.q)
			require.NoError(b, err)
			res, err := e.app.searchRun(ctx, ri, words, defSearchResults)
			require.NoError(b, err)
			require.Equal(b, bc.total, res.Total)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.app.searchRun(ctx, ri, words, defSearchResults); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
