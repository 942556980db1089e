package jsroottest

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sharedFile returns a ROOT-written file of the shared test data, skipping
// the test when the shared directory is absent.
func sharedFile(t *testing.T, name string) string {
	t.Helper()
	return rootfiles.File(t, name)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestFloatUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  bool
	}{
		{"1.5", 1.5, false},
		{"-3", -3, false},
		{"2e308", math.Inf(1), false},
		{"-2e308", math.Inf(-1), false},
		{`"NaN"`, math.NaN(), false},
		{"null", math.NaN(), false},
		{`"+Inf"`, math.Inf(1), false},
		{`"-Inf"`, math.Inf(-1), false},
		{`"x"`, 0, true},
		{`[]`, 0, true},
	} {
		var f Float
		err := json.Unmarshal([]byte(tc.in), &f)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		if math.IsNaN(tc.want) {
			assert.True(t, math.IsNaN(float64(f)), tc.in)
		} else {
			assert.Equal(t, tc.want, float64(f), tc.in)
		}
	}
	assert.Nil(t, Floats(nil))
	assert.Equal(t, []float64{1, 2}, Floats([]Float{1, 2}))
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "go.mod"))
	assert.DirExists(t, filepath.Join(root, "tools", "jsroot"))
}

func TestSummarizeROOTWrittenFiles(t *testing.T) {
	e := New(t)
	hep := sharedFile(t, "uproot-hepdata-example.root")
	cut := sharedFile(t, "uproot-issue33.root")
	dirs := sharedFile(t, "uproot-issue-861.root")
	sums, err := e.Summarize(ctx(t), false, hep, cut, dirs)
	require.NoError(t, err)
	byPath := map[string]Summary{}
	for _, s := range sums {
		require.Empty(t, s.Error, s.Path)
		byPath[s.Path] = s
	}
	hpx := byPath["hpx"]
	assert.Equal(t, "TH1F", hpx.Class)
	assert.Equal(t, []int{100}, hpx.NBins)
	assert.Equal(t, 75000.0, float64(hpx.Entries))
	hpxpy := byPath["hpxpy"]
	assert.Equal(t, "TH2F", hpxpy.Class)
	assert.Equal(t, []int{40, 40}, hpxpy.NBins)
	assert.Equal(t, "TProfile", byPath["hprof"].Class)
	assert.Equal(t, "TH1F", byPath["cutflow"].Class)
	// Keys in sub-directories, with '@' in their names.
	e861 := byPath["Energy/_F_EnergyCH0@DT5725S_14295"]
	assert.Equal(t, "Energy", e861.Dir)
	assert.Equal(t, "TH1D", e861.Class)
	// The TNtuple of the hepdata file is not histogram-like.
	for _, s := range sums {
		assert.NotEqual(t, "TNtuple", s.Class)
	}
}

func TestSummarizeFull(t *testing.T) {
	e := New(t)
	cut := sharedFile(t, "uproot-issue33.root")
	prof2 := sharedFile(t, "uproot-issue-227a.root")
	sums, err := e.Summarize(ctx(t), true, cut, prof2)
	require.NoError(t, err)
	require.Len(t, sums, 2)
	c := sums[0]
	require.Len(t, c.Axes, 3)
	assert.Equal(t, "yaxis", c.Axes[1].Name)
	require.Len(t, c.Axes[0].Labels, 7)
	assert.Equal(t, Label{Bin: 1, Label: "Dijet"}, c.Axes[0].Labels[0])
	require.Len(t, c.Array, 9)
	var sum float64
	for _, v := range c.Array[1:8] {
		sum += float64(v)
	}
	assert.Equal(t, sum, float64(c.Sum))
	require.Len(t, c.Sumw2, 9)
	p := sums[1]
	assert.Equal(t, "TProfile2D", p.Class)
	assert.Equal(t, []int{2, 3}, p.NBins)
	assert.Len(t, p.BinEntries, 4*5)
	assert.Contains(t, p.Stats, "fTsumwz")
}

func TestSummarizeUnreadableFile(t *testing.T) {
	e := New(t)
	bad := filepath.Join(t.TempDir(), "bad.root")
	require.NoError(t, os.WriteFile(bad, []byte("this is not a ROOT file at all, just some text"), 0o644))
	_, err := e.Summarize(ctx(t), false, bad)
	assert.Error(t, err)
}

func TestObjectJSONAndRender(t *testing.T) {
	e := New(t)
	hep := sharedFile(t, "uproot-hepdata-example.root")
	objs, err := e.ObjectJSON(ctx(t), hep, "hpx", "hpxpy", "hprof")
	require.NoError(t, err)
	require.Len(t, objs, 3)
	var h struct {
		Typename string    `json:"_typename"`
		Array    []float64 `json:"fArray"`
	}
	require.NoError(t, json.Unmarshal(objs["hpxpy"], &h))
	assert.Equal(t, "TH2F", h.Typename)
	assert.Len(t, h.Array, 42*42)

	_, err = e.ObjectJSON(ctx(t), hep, "no-such-object")
	assert.Error(t, err)

	res, err := e.Render(ctx(t),
		RenderJob{ID: "hpx", JSON: objs["hpx"], Option: "hist"},
		RenderJob{ID: "hpxpy", JSON: objs["hpxpy"], Option: "colz", WantSVG: true},
		RenderJob{ID: "hprof", JSON: objs["hprof"]},
		RenderJob{ID: "text", JSON: json.RawMessage(`{"_typename":"TObjString","fUniqueID":0,"fBits":0,"fString":"a<b"}`)},
		RenderJob{ID: "broken", JSON: json.RawMessage(`{"_typename":"TH1F"}`)},
		RenderJob{ID: "invalid", JSON: json.RawMessage(`{"_typename":`)},
	)
	require.NoError(t, err)
	require.Len(t, res, 6)
	for _, r := range res[:4] {
		assert.True(t, r.OK, "%s: %s", r.ID, r.Error)
		assert.Greater(t, r.SVGBytes, 50, r.ID)
	}
	assert.Equal(t, "TH2F", res[1].Typename)
	assert.Contains(t, res[1].SVG, "<svg")
	assert.Empty(t, res[0].SVG, "SVG only when asked")
	assert.False(t, res[4].OK)
	assert.NotEmpty(t, res[4].Error)
	assert.False(t, res[5].OK)
}

func TestParse(t *testing.T) {
	e := New(t)
	res, err := e.Parse(ctx(t),
		ParseJob{ID: "arr", JSON: `{"_typename":"TObject","a":{"$arr":"Float64","len":5,"p":1,"v":[1,2],"p1":4,"v1":7}}`},
		ParseJob{ID: "b64", JSON: `{"a":{"$arr":"Float64","len":1,"b":"AAAAAAAA+H8="}}`},
		ParseJob{ID: "bad", JSON: `{`},
	)
	require.NoError(t, err)
	require.Len(t, res, 3)
	var v struct {
		A []Float `json:"a"`
	}
	require.NoError(t, json.Unmarshal(res[0].Obj, &v))
	assert.Equal(t, []float64{0, 1, 2, 0, 7}, Floats(v.A))
	require.NoError(t, json.Unmarshal(res[1].Obj, &v))
	require.Len(t, v.A, 1)
	assert.True(t, math.IsNaN(float64(v.A[0])))
	assert.NotEmpty(t, res[2].Error)
}

func TestAllObjectJSON(t *testing.T) {
	e := New(t)
	cut := sharedFile(t, "uproot-issue33.root")
	p2 := sharedFile(t, "uproot-issue-227a.root")
	all, err := e.AllObjectJSON(ctx(t), cut, p2)
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Contains(t, all[cut], "cutflow")
	assert.Contains(t, all[p2], "hprof2d")
}

func TestRenderSingleFile(t *testing.T) {
	e := New(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(`{"_typename":"TGraph","fUniqueID":0,"fBits":0,"fName":"g","fTitle":"g",`+
		`"fLineColor":1,"fLineStyle":1,"fLineWidth":1,"fFillColor":0,"fFillStyle":1001,"fMarkerColor":1,"fMarkerStyle":20,"fMarkerSize":1,`+
		`"fNpoints":3,"fX":[1,2,3],"fY":[3,1,2],"fFunctions":{"_typename":"TList","name":"","arr":[],"opt":[]},"fHistogram":null,"fMinimum":-1111,"fMaximum":-1111}`), 0o644))
	out, err := e.Run(ctx(t), nil, "render.mjs", good, "AP")
	require.NoError(t, err)
	assert.Contains(t, string(out), "TGraph: svg")
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"_typename":"TH2F"}`), 0o644))
	_, err = e.Run(ctx(t), nil, "render.mjs", bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "render failed")
}
