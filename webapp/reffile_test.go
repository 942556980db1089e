package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
)

// referenceROOT is a ROOT file with the reference of hist: 4 bins.
func referenceROOT(t *testing.T, hist string, contents ...float64) []byte {
	t.Helper()
	h := overwatch.MustNewHist("TH1F", hist, "reference", overwatch.NewAxis(len(contents), 0, float64(len(contents))))
	for i, c := range contents {
		h.Contents[i+1] = c
		h.Entries += c
	}
	b, err := overwatch.EncodeFile([]overwatch.Entry{{Key: hist, Object: h}})
	require.NoError(t, err)
	return b
}

// TestReferenceFileUpload: an expert uploads a ROOT file as a subsystem's
// reference for a run range (the CSRF header and the expert role as for
// every expert action); it is recorded with who and when, served to the
// overlay, and given to the checks like a reference run's histogram. A bad
// file is a 400 and stores nothing; others are refused.
func TestReferenceFileUpload(t *testing.T) {
	e, docs := qualityEnv(t)
	srv := e.server(t)
	ctx := context.Background()
	good := referenceROOT(t, "hAmp", 10, 20, 30, 40)
	upload := func(c *client, query string, data []byte, csrf bool) (*http.Response, string) {
		hdr := map[string]string{"Content-Type": "application/octet-stream"}
		if csrf {
			hdr["X-CSRF-Token"] = c.csrf()
		}
		return c.do("POST", "/api/references/file?"+query, strings.NewReader(string(data)), hdr)
	}
	stored := func() int {
		list, err := docs.Documents(ctx, quality.ReferenceFileKind)
		require.NoError(t, err)
		refs, err := docs.Documents(ctx, quality.ReferenceKind)
		require.NoError(t, err)
		return len(list) + len(refs)
	}
	const q = "sys=EMC&first=100&last=200&name=emc-2026.root&comment=test+beam"

	// Refused: not logged in, not an expert, no CSRF header.
	anon := newClient(t, srv.URL)
	resp, _ := anon.do("POST", "/api/references/file?"+q, strings.NewReader(string(good)), nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	shifter := loginQuality(t, srv.URL, testUser)
	resp, msg := upload(shifter, q, good, true)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, msg)
	assert.Contains(t, msg, "expert")
	expert := loginQuality(t, srv.URL, "eric")
	resp, msg = upload(expert, q, good, false)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, msg)
	assert.Contains(t, msg, "CSRF")
	assert.Zero(t, stored())

	// Bad files and ranges: 400 with the reason, nothing stored.
	truncated := good[:len(good)/2]
	noHists, err := overwatch.EncodeFile(nil)
	require.NoError(t, err)
	for _, c := range []struct {
		query string
		data  []byte
		msg   string
	}{
		{q, []byte("not a ROOT file at all, just some text"), "not a ROOT file"},
		{q, nil, "not a ROOT file"},
		{q, truncated, "not a ROOT file"},
		{q, noHists, "holds no histogram"},
		{"sys=emc&first=100", good, "subsystem"},
		{"sys=EMC&first=200&last=100", good, "last run"},
		{"sys=EMC&first=x", good, "is not a number"},
	} {
		resp, msg := upload(expert, c.query, c.data, true)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", c.query, msg)
		assert.Contains(t, msg, c.msg, c.query)
	}
	assert.Zero(t, stored(), "nothing stored by the refused uploads")

	// The good file.
	resp, msg = upload(expert, q, good, true)
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	var out struct {
		Reference quality.Reference     `json:"reference"`
		File      quality.ReferenceFile `json:"file"`
	}
	require.NoError(t, json.Unmarshal([]byte(msg), &out))
	id := quality.ReferenceFileID(good)
	assert.Equal(t, id, out.File.ID)
	assert.Equal(t, 1, out.File.Hists)
	assert.Equal(t, id, out.Reference.File)
	assert.Equal(t, "emc-2026.root", out.Reference.FileName)
	assert.Equal(t, "eric", out.Reference.Author)
	assert.False(t, out.Reference.Time.IsZero())

	// Resolved for the range, shown on the references page.
	resp, msg = expert.get("/api/references?sys=EMC&run=150")
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	assert.Contains(t, msg, `"file":"`+id+`"`)
	resp, page := expert.get("/references?sys=EMC")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "file emc-2026.root")
	assert.Contains(t, page, `id="reference-upload"`)

	// The overlay reads its histograms as JSROOT JSON.
	resp, js := expert.get("/api/references/file/" + id + "/json?name=hAmp")
	require.Equal(t, http.StatusOK, resp.StatusCode, js)
	h, err := overwatch.DecodeJSONHist([]byte(js))
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 10, 20, 30, 40, 0}, h.Contents)
	resp, _ = expert.get("/api/references/file/" + id + "/json?name=noSuch")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = expert.get("/api/references/file/" + strings.Repeat("a", 64) + "/json?name=hAmp")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = expert.get("/api/references/file/xyz/json?name=hAmp")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// The checks compare with it as with a reference run's histogram.
	checks, err := observe.New(observe.Options{References: observe.NewStoreReferences(docs, e.store, 0),
		Configs: map[string]quality.Config{"EMC": {Checks: []overwatch.CheckSpec{{Name: "vsRef", Hist: "hAmp", Check: "Chi2Test"}}}}})
	require.NoError(t, err)
	same := overwatch.MustNewHist("TH1F", "hAmp", "", overwatch.NewAxis(4, 0, 4))
	other := overwatch.MustNewHist("TH1F", "hAmp", "", overwatch.NewAxis(4, 0, 4))
	for i, c := range []float64{100, 200, 300, 400} {
		same.Contents[i+1], other.Contents[i+1] = c, 1000-c
	}
	same.Entries, other.Entries = 1000, 3000
	info, q1, _, err := checks.CheckSlice(ctx, "EMC", 150, map[string]*overwatch.Hist{"hAmp": same}, nil)
	require.NoError(t, err)
	assert.Equal(t, overwatch.QualityGood, q1, "%v", info)
	assert.Contains(t, info["hAmp"][0].Value, "file emc-2026.root")
	_, q2, reason, err := checks.CheckSlice(ctx, "EMC", 150, map[string]*overwatch.Hist{"hAmp": other}, nil)
	require.NoError(t, err)
	assert.Equal(t, overwatch.QualityBad, q2, reason)

	// Uploading the same bytes again stores no new file part.
	n := stored()
	resp, msg = upload(expert, "sys=EMC&first=300&name=again.root", good, true)
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	assert.Equal(t, n+1, stored(), "one more declaration, no new file")
}
