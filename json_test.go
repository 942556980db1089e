package overwatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/jsroottest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata/json")

func encode(t testing.TB, obj overwatch.Object, compact bool) []byte {
	t.Helper()
	b, err := overwatch.AppendJSON(nil, obj, overwatch.JSONOptions{CompactArrays: compact})
	require.NoError(t, err)
	return b
}

// TestJSONGolden checks the encoder's output byte for byte against the
// golden files (made by this encoder and checked against JSROOT by the
// oracle tests below; rewrite them with -update).
func TestJSONGolden(t *testing.T) {
	for _, s := range jsonSamples() {
		for _, compact := range []bool{false, true} {
			b := encode(t, s.obj, compact)
			require.True(t, json.Valid(b), "%s: invalid JSON: %s", s.name, b)
			name := s.name
			if compact {
				name += ".compact"
			}
			path := filepath.Join("testdata", "json", name+".json")
			if *updateGolden {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
				continue
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "golden file missing: run go test -run TestJSONGolden -update")
			assert.Equal(t, string(bytes.TrimSpace(want)), string(b), path)
		}
	}
}

func TestJSONTopLevelKeys(t *testing.T) {
	th1 := []string{"_typename", "fUniqueID", "fBits", "fName", "fTitle", "fLineColor", "fLineStyle", "fLineWidth",
		"fFillColor", "fFillStyle", "fMarkerColor", "fMarkerStyle", "fMarkerSize", "fNcells", "fXaxis", "fYaxis", "fZaxis",
		"fBarOffset", "fBarWidth", "fEntries", "fTsumw", "fTsumw2", "fTsumwx", "fTsumwx2", "fMaximum", "fMinimum",
		"fNormFactor", "fContour", "fSumw2", "fOption", "fFunctions", "fBufferSize", "fBuffer", "fBinStatErrOpt", "fStatOverflows"}
	th2 := append(append([]string{}, th1...), "fScalefactor", "fTsumwy", "fTsumwy2", "fTsumwxy")
	th3 := append(append([]string{}, th1...), "fTsumwy", "fTsumwy2", "fTsumwxy", "fTsumwz", "fTsumwz2", "fTsumwxz", "fTsumwyz")
	graph := []string{"_typename", "fUniqueID", "fBits", "fName", "fTitle", "fLineColor", "fLineStyle", "fLineWidth",
		"fFillColor", "fFillStyle", "fMarkerColor", "fMarkerStyle", "fMarkerSize", "fNpoints", "fX", "fY", "fFunctions",
		"fHistogram", "fMinimum", "fMaximum", "fOption"}
	want := map[string][]string{
		"TH1": append(append([]string{}, th1...), "fArray"),
		"TH2": append(append([]string{}, th2...), "fArray"),
		"TH3": append(append([]string{}, th3...), "fArray"),
		"TProfile": append(append([]string{}, th1...), "fArray", "fBinEntries", "fErrorMode", "fYmin", "fYmax",
			"fTsumwy", "fTsumwy2", "fBinSumw2"),
		"TProfile2D": append(append([]string{}, th2...), "fArray", "fBinEntries", "fErrorMode", "fZmin", "fZmax",
			"fTsumwz", "fTsumwz2", "fBinSumw2"),
		"TGraph":            graph,
		"TGraphErrors":      append(append([]string{}, graph...), "fEX", "fEY"),
		"TGraphAsymmErrors": append(append([]string{}, graph...), "fEXlow", "fEXhigh", "fEYlow", "fEYhigh"),
		"TObjString":        {"_typename", "fUniqueID", "fBits", "fString"},
	}
	for _, s := range jsonSamples() {
		cl := s.obj.ClassName()
		key := cl
		if strings.HasPrefix(cl, "TH") {
			key = cl[:3]
		}
		obj := decodeOrdered(t, encode(t, s.obj, false)).(ordered)
		assert.Equal(t, want[key], obj.keys(), "%s (%s)", s.name, cl)
		assert.Equal(t, cl, obj.get("_typename"))
	}
}

func TestJSONValues(t *testing.T) {
	samples := map[string]overwatch.Object{}
	for _, s := range jsonSamples() {
		samples[s.name] = s.obj
	}
	get := func(name string) ordered {
		return decodeOrdered(t, encode(t, samples[name], false)).(ordered)
	}
	// TH1F narrows to float32 and keeps whole numbers integral.
	h1f := get("h1F")
	assert.Equal(t, "x [cm]", h1f.get("fXaxis").(ordered).get("fTitle"))
	assert.Equal(t, 0.005, h1f.get("fXaxis").(ordered).get("fLabelOffset"))
	assert.Equal(t, 500.0, h1f.get("fEntries"))
	assert.Equal(t, []any{}, h1f.get("fSumw2"), "no Sumw2 for unit weights")
	// Labels: a THashList of TObjString with fUniqueID = bin, empty ones left out.
	lab := get("labels").get("fXaxis").(ordered).get("fLabels").(ordered)
	assert.Equal(t, "THashList", lab.get("_typename"))
	arr := lab.get("arr").([]any)
	require.Len(t, arr, 3)
	assert.Equal(t, 3.0, arr[1].(ordered).get("fUniqueID"))
	assert.Equal(t, `TPC "quoted"`, arr[1].(ordered).get("fString"))
	assert.Equal(t, "HLT/é", arr[2].(ordered).get("fString"))
	assert.Len(t, lab.get("opt"), 3)
	// Variable bins.
	assert.Equal(t, []any{0.0, 0.1, 0.25, 0.5, 1.0}, get("weighted").get("fXaxis").(ordered).get("fXbins"))
	// Profile error mode "s" is kERRORSPREAD.
	assert.Equal(t, 1.0, get("prof2d").get("fErrorMode"))
	// Graph frame with time axis and titles.
	frame := get("trend").get("fHistogram").(ordered)
	assert.Equal(t, "TH1F", frame.get("_typename"))
	fx := frame.get("fXaxis").(ordered)
	assert.Equal(t, true, fx.get("fTimeDisplay"))
	assert.Equal(t, "time", fx.get("fTitle"))
	assert.Equal(t, "mean", frame.get("fYaxis").(ordered).get("fTitle"))
	assert.Less(t, fx.get("fXmin").(float64), 1448384710.0-30)
	assert.Greater(t, fx.get("fXmax").(float64), 1448384710.0+240+30)
	assert.Nil(t, get("graph").get("fHistogram"))
	// Plain arrays holding only infinities stay plain, with ±2e308.
	raw := string(encode(t, samples["infonly"], false))
	assert.Contains(t, raw, `"fArray":[0,2,2e308,1,0]`)
	assert.Contains(t, raw, `"fMaximum":null`)
	// An array holding NaN is written in base64 form.
	assert.Contains(t, string(encode(t, samples["nonfinite"], false)), `"fArray":{"$arr":"Float64","len":8,"b":"`)
}

func TestJSONIntegerStorage(t *testing.T) {
	for _, tc := range []struct {
		class string
		in    float64
		want  string
	}{
		{overwatch.ClassTH1C, 300, "127"},
		{overwatch.ClassTH1C, -300, "-128"},
		{overwatch.ClassTH1S, 40000, "32767"},
		{overwatch.ClassTH1I, 2.7, "2"},
		{overwatch.ClassTH1I, -2.7, "-2"},
		{overwatch.ClassTH1I, 1e12, "2147483647"},
		{overwatch.ClassTH1I, math.NaN(), "0"},
		{overwatch.ClassTH1F, 0.1, "0.1"},
		{overwatch.ClassTH1D, 0.1, "0.1"},
		{overwatch.ClassTH1F, 1.0 / 3, "0.33333334"},
		{overwatch.ClassTH1D, 1.0 / 3, "0.3333333333333333"},
		{overwatch.ClassTH1D, 1e300, "1e+300"},
		{overwatch.ClassTH1D, math.Inf(-1), "-2e308"},
	} {
		h := overwatch.MustNewHist(tc.class, "h", "", overwatch.NewAxis(1, 0, 1))
		h.Contents[1] = tc.in
		got := decodeOrdered(t, encode(t, h, false)).(ordered)
		raw := string(encode(t, h, false))
		i := strings.Index(raw, `"fArray":[`)
		require.GreaterOrEqual(t, i, 0)
		rest := raw[i+len(`"fArray":[`):]
		vals := strings.Split(rest[:strings.IndexByte(rest, ']')], ",")
		assert.Equal(t, tc.want, vals[1], "%s %v", tc.class, tc.in)
		assert.Equal(t, tc.class, got.get("_typename"))
	}
}

func TestJSONErrors(t *testing.T) {
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "", overwatch.NewAxis(3, 0, 1))
	short := *h
	short.Contents = short.Contents[:2]
	badSumw2 := *h
	badSumw2.Sumw2 = []float64{1}
	badEdges := *h
	badEdges.X.Edges = []float64{0, 1}
	badLabels := *h
	badLabels.X.Labels = []string{"a", "b", "c", "d"}
	unknown := *h
	unknown.Class = "TH4F"
	prof := overwatch.MustNewHist(overwatch.ClassTProfile, "p", "", overwatch.NewAxis(3, 0, 1))
	prof.BinEntries = nil
	g := overwatch.NewGraphErrors("g", "")
	g.X = []float64{1}
	var nilHist *overwatch.Hist
	for name, obj := range map[string]overwatch.Object{
		"short contents": &short, "sumw2": &badSumw2, "edges": &badEdges, "labels": &badLabels,
		"class": &unknown, "profile": prof, "graph": g, "nil": nil, "nil hist": nilHist, "other": otherObject{},
	} {
		dst := []byte("prefix")
		out, err := overwatch.AppendJSON(dst, obj, overwatch.JSONOptions{})
		require.Error(t, err, name)
		assert.ErrorIs(t, err, overwatch.ErrUnsupportedObject, name)
		assert.Equal(t, "prefix", string(out), name)
	}
}

type otherObject struct{}

func (otherObject) ObjectName() string { return "x" }
func (otherObject) ClassName() string  { return "TTree" }

func TestJSONAppendsToDst(t *testing.T) {
	h := overwatch.MustNewHist(overwatch.ClassTH1D, "h", "t", overwatch.NewAxis(2, 0, 1))
	b, err := overwatch.AppendJSON([]byte("["), h, overwatch.JSONOptions{})
	require.NoError(t, err)
	b = append(b, ']')
	require.True(t, json.Valid(b))
	m, err := overwatch.MarshalJSON(h)
	require.NoError(t, err)
	assert.Equal(t, "["+string(m)+"]", string(b))
}

func TestJSONAllocations(t *testing.T) {
	h := overwatch.MustNewHist(overwatch.ClassTH2F, "h2", "t", overwatch.NewAxis(100, 0, 1), overwatch.NewAxis(100, 0, 1))
	fillDet(h, 20000, 1)
	for _, compact := range []bool{false, true} {
		opts := overwatch.JSONOptions{CompactArrays: compact}
		buf := make([]byte, 0, 1<<20)
		allocs := testing.AllocsPerRun(20, func() {
			var err error
			buf, err = overwatch.AppendJSON(buf[:0], h, opts)
			if err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, "compact=%v", compact)
	}
}

func oracleCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// TestJSONDrawnByJSROOT draws the JSON of every class with JSROOT's parse +
// makeSVG.
func TestJSONDrawnByJSROOT(t *testing.T) {
	t.Parallel()
	e := jsroottest.New(t)
	var jobs []jsroottest.RenderJob
	// Every sample plain; a representative subset also compact (the compact
	// forms of every sample are checked value by value by
	// TestJSONParsedByJSROOT).
	compactToo := map[string]bool{"nonfinite": true, "h2F": true, "h3D": true, "prof2d": true, "trend": true, "labels": true}
	for _, s := range jsonSamples() {
		for _, compact := range []bool{false, true} {
			if compact && !compactToo[s.name] {
				continue
			}
			id := s.name
			if compact {
				id += ".compact"
			}
			jobs = append(jobs, jsroottest.RenderJob{ID: id, JSON: encode(t, s.obj, compact), Option: s.option})
		}
	}
	res, err := e.Render(oracleCtx(t), jobs...)
	require.NoError(t, err)
	require.Len(t, res, len(jobs))
	classes := map[string]bool{}
	for i, r := range res {
		assert.True(t, r.OK, "%s: %s", r.ID, r.Error)
		assert.Equal(t, jobs[i].ID, r.ID)
		classes[r.Typename] = true
	}
	for _, cl := range []string{"TH1C", "TH1S", "TH1I", "TH1F", "TH1D", "TH2C", "TH2S", "TH2I", "TH2F", "TH2D",
		"TH3C", "TH3S", "TH3I", "TH3F", "TH3D", "TProfile", "TProfile2D", "TGraph", "TGraphErrors", "TGraphAsymmErrors", "TObjString"} {
		assert.True(t, classes[cl], "class %s not drawn", cl)
	}
}

// TestJSONParsedByJSROOT checks that JSROOT's parse gives back exactly the
// encoded arrays, NaN and infinities included, in plain and compact form.
func TestJSONParsedByJSROOT(t *testing.T) {
	t.Parallel()
	e := jsroottest.New(t)
	var jobs []jsroottest.ParseJob
	var hists []*overwatch.Hist
	for _, s := range jsonSamples() {
		h, ok := s.obj.(*overwatch.Hist)
		if !ok {
			continue
		}
		for _, compact := range []bool{false, true} {
			jobs = append(jobs, jsroottest.ParseJob{ID: s.name, JSON: string(encode(t, h, compact))})
			hists = append(hists, h)
		}
	}
	// Arrays exercising every run-length case.
	rl := overwatch.MustNewHist(overwatch.ClassTH1D, "runs", "", overwatch.NewAxis(200, 0, 1))
	copy(rl.Contents, []float64{0, 0, 5, 5, 5, 5, 5, 1, 2, 0, 3, 0, 0, 7, 7, 7, 8, 9, 9, 9, 9, 9, 9, 0, 0, 0, 1.5, 0, 4})
	for i := 100; i < 180; i++ {
		rl.Contents[i] = 2.25
	}
	rl.Contents[201] = 6
	hists = append(hists, rl)
	jobs = append(jobs, jsroottest.ParseJob{ID: "runs", JSON: string(encode(t, rl, true))})
	require.Contains(t, jobs[len(jobs)-1].JSON, `"n"`, "run-length form expected")

	// Random arrays of every storage type: zeros, runs, negative, large and
	// fractional values, in both forms.
	x := uint64(99)
	rnd := func() uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
	for k, class := range []string{overwatch.ClassTH1C, overwatch.ClassTH1S, overwatch.ClassTH1I, overwatch.ClassTH1F, overwatch.ClassTH1D} {
		for rep := 0; rep < 3; rep++ {
			h := overwatch.MustNewHist(class, fmt.Sprintf("rand%d_%d", k, rep), "", overwatch.NewAxis(200, 0, 1))
			for i := 0; i < len(h.Contents); {
				run := 1 + int(rnd()%7)
				var v float64
				switch rnd() % 5 {
				case 0, 1:
					v = 0
				case 2:
					v = float64(int64(rnd()%200) - 100)
				case 3:
					v = float64(rnd()%1000000) / 7
				default:
					v = -float64(rnd()%1e9) * 1e3
				}
				for j := 0; j < run && i < len(h.Contents); j++ {
					h.Contents[i] = v
					i++
				}
			}
			for _, compact := range []bool{false, true} {
				hists = append(hists, h)
				jobs = append(jobs, jsroottest.ParseJob{ID: h.Name, JSON: string(encode(t, h, compact))})
			}
		}
	}

	forms := map[string]bool{}
	for _, j := range jobs {
		forms["b64"] = forms["b64"] || strings.Contains(j.JSON, `"b":"`)
		forms["runs"] = forms["runs"] || strings.Contains(j.JSON, `,"n":`)
		forms["plain"] = forms["plain"] || strings.Contains(j.JSON, `"fArray":[`)
	}
	require.Equal(t, map[string]bool{"b64": true, "runs": true, "plain": true}, forms, "every array form must be exercised")

	res, err := e.Parse(oracleCtx(t), jobs...)
	require.NoError(t, err)
	require.Len(t, res, len(jobs))
	for i, r := range res {
		require.Empty(t, r.Error, r.ID)
		var got struct {
			Array      []jsroottest.Float `json:"fArray"`
			Sumw2      []jsroottest.Float `json:"fSumw2"`
			BinEntries []jsroottest.Float `json:"fBinEntries"`
		}
		require.NoError(t, json.Unmarshal(r.Obj, &got), r.ID)
		h := hists[i]
		want, gotArr := narrowed(h), jsroottest.Floats(got.Array)
		if strings.HasSuffix(h.Class, "F") {
			// Plain JSON holds the shortest decimal that reads back as the
			// same float32; JavaScript reads it as a double.
			for i := range gotArr {
				gotArr[i] = float64(float32(gotArr[i]))
			}
		}
		assertSameFloats(t, want, gotArr, r.ID+" fArray")
		if h.Sumw2 != nil {
			assertSameFloats(t, h.Sumw2, jsroottest.Floats(got.Sumw2), r.ID+" fSumw2")
		}
		if h.IsProfile() {
			assertSameFloats(t, h.BinEntries, jsroottest.Floats(got.BinEntries), r.ID+" fBinEntries")
		}
	}
}

// narrowed returns h's contents narrowed to the class's storage type:
// float32 rounding, or truncation saturated at the integer type's limits.
func narrowed(h *overwatch.Hist) []float64 {
	out := make([]float64, len(h.Contents))
	for i, v := range h.Contents {
		lim := 0.0
		switch h.Class[len(h.Class)-1] {
		case 'F':
			v = float64(float32(v))
		case 'I':
			lim = math.MaxInt32
		case 'S':
			lim = math.MaxInt16
		case 'C':
			lim = math.MaxInt8
		}
		if lim > 0 {
			v = math.Max(-lim-1, math.Min(lim, math.Trunc(v)))
		}
		out[i] = v
	}
	return out
}

func assertSameFloats(t *testing.T, want, got []float64, msg string) {
	t.Helper()
	if !assert.Len(t, got, len(want), msg) {
		return
	}
	for i := range want {
		w, g := want[i], got[i]
		if math.IsNaN(w) {
			assert.True(t, math.IsNaN(g), "%s[%d]: want NaN, got %v", msg, i, g)
			continue
		}
		assert.Equal(t, w, g, "%s[%d]", msg, i)
	}
}
