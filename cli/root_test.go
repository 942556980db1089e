package cli

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runMain(context.Background(), &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

// snapshotPair writes two cumulative snapshot files and returns their
// paths and the later histograms.
func snapshotPair(t *testing.T) (later, earlier string) {
	t.Helper()
	dir := t.TempDir()
	mk := func(n int, resetTPC bool) []overwatch.Entry {
		h1 := overwatch.MustNewHist(overwatch.ClassTH1F, "hE", "energy", overwatch.NewAxis(10, 0, 10))
		h2 := overwatch.MustNewHist(overwatch.ClassTH2D, "hMap", "map", overwatch.NewAxis(4, 0, 4), overwatch.NewAxis(3, 0, 3))
		tpc := overwatch.MustNewHist(overwatch.ClassTH1D, "hTPC", "tpc", overwatch.NewAxis(200, 0, 5))
		for i := 0; i < n; i++ {
			require.NoError(t, h1.Fill(1, float64(i%10)+0.5))
			require.NoError(t, h2.Fill(1, float64(i%4)+0.5, float64(i%3)+0.5))
		}
		m := n
		if resetTPC {
			m = 1
		}
		for i := 0; i < m; i++ {
			require.NoError(t, tpc.Fill(1, 2.5))
		}
		return []overwatch.Entry{
			{Dir: "EMC", Key: "hE", Object: h1},
			{Dir: "EMC", Key: "hMap", Object: h2},
			{Key: "TPCQA/hTPC", Object: tpc},
		}
	}
	e1 := mk(100, false)
	g := overwatch.NewGraphErrors("trend", "trend")
	g.AddPoint(1, 2, 0, 0.1)
	e1 = append(e1, overwatch.Entry{Key: "gone", Object: overwatch.MustNewHist(overwatch.ClassTH1D, "gone", "", overwatch.NewAxis(2, 0, 1))},
		overwatch.Entry{Key: "trend", Object: g})
	e2 := mk(300, true)
	e2 = append(e2,
		overwatch.Entry{Key: "fresh", Object: overwatch.MustNewHist(overwatch.ClassTH1D, "fresh", "", overwatch.NewAxis(2, 0, 1))},
		overwatch.Entry{Key: "trend", Object: g},
		overwatch.Entry{Key: "note", Object: &overwatch.Text{Value: "run 42"}})
	earlier = filepath.Join(dir, "earlier.root")
	later = filepath.Join(dir, "later.root")
	require.NoError(t, overwatch.WriteFile(earlier, e1))
	require.NoError(t, overwatch.WriteFile(later, e2))
	return later, earlier
}

func TestRootLs(t *testing.T) {
	later, _ := snapshotPair(t)
	code, out, errs := runCmd("root", "ls", later)
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6)
	assert.Equal(t, "EMC/hE\tTH1F\tentries=300\tbins=10\tsum=300\t\"energy\"", lines[0])
	assert.Contains(t, lines[1], "EMC/hMap\tTH2D\tentries=300\tbins=4x3")
	assert.Contains(t, lines[2], "TPCQA/hTPC\tTH1D\tentries=1")
	assert.Equal(t, "note\tTObjString\t\"run 42\"", lines[5])

	// Flags may follow the file.
	code, out, errs = runCmd("root", "ls", later, "--json")
	require.Equal(t, 0, code, errs)
	var recs []struct {
		Path    string  `json:"path"`
		Class   string  `json:"class"`
		Entries float64 `json:"entries"`
		NBins   []int   `json:"nbins"`
		Sum     float64 `json:"sum"`
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec struct {
			Path    string  `json:"path"`
			Class   string  `json:"class"`
			Entries float64 `json:"entries"`
			NBins   []int   `json:"nbins"`
			Sum     float64 `json:"sum"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &rec), l)
		recs = append(recs, rec)
	}
	require.Len(t, recs, 6)
	assert.Equal(t, "EMC/hMap", recs[1].Path)
	assert.Equal(t, []int{4, 3}, recs[1].NBins)
	assert.Equal(t, 300.0, recs[1].Sum)
	assert.Equal(t, "TGraphErrors", recs[4].Class)
	assert.Equal(t, []int{1}, recs[4].NBins)
	assert.Equal(t, []int{}, recs[5].NBins)
}

func TestRootLsErrors(t *testing.T) {
	code, _, errs := runCmd("root", "ls")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "want one ROOT file")
	bad := filepath.Join(t.TempDir(), "bad.root")
	require.NoError(t, os.WriteFile(bad, []byte("root\x00\x00 not really a ROOT file, just bytes"), 0o644))
	code, _, errs = runCmd("root", "ls", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "read "+bad)
	code, _, errs = runCmd("root", "ls", "--nope", bad)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "flag provided but not defined")
}

func TestRootJSON(t *testing.T) {
	later, _ := snapshotPair(t)
	code, out, errs := runCmd("root", "json", later, "EMC/hMap")
	require.Equal(t, 0, code, errs)
	var h struct {
		Typename string    `json:"_typename"`
		Name     string    `json:"fName"`
		Array    []float64 `json:"fArray"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &h))
	assert.Equal(t, "TH2D", h.Typename)
	assert.Equal(t, "hMap", h.Name)
	assert.Len(t, h.Array, 6*5)

	// A key holding '/' is one key, not a directory.
	code, out, _ = runCmd("root", "json", "--compact", later, "TPCQA/hTPC")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `"fArray":{"$arr":"Float64"`)
	assert.True(t, json.Valid([]byte(out)))

	code, _, errs = runCmd("root", "json", later, "EMC/nothing")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `no object "EMC/nothing"`)
	code, _, _ = runCmd("root", "json", later)
	assert.Equal(t, 2, code)
}

func TestRootDiff(t *testing.T) {
	later, earlier := snapshotPair(t)
	out := filepath.Join(t.TempDir(), "diff.root")
	code, stdout, errs := runCmd("root", "diff", later, earlier, "-o", out)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, "reset\tTPCQA/hTPC\tTH1D")
	assert.Contains(t, stdout, "skipped\tgone\tTH1D: only in EARLIER")
	assert.Contains(t, stdout, "skipped\tfresh\tTH1D: only in LATER")
	assert.Contains(t, stdout, "skipped\ttrend\tTGraphErrors: not a histogram")
	assert.Contains(t, stdout, "wrote "+out+": 3 objects (2 subtracted, 1 reset")

	f, err := overwatch.ReadFile(out)
	require.NoError(t, err)
	require.Len(t, f.Entries, 3)
	hE := f.Hist("EMC/hE")
	require.NotNil(t, hE)
	assert.Equal(t, overwatch.ClassTH1F, hE.Class)
	assert.Equal(t, 200.0, hE.Entries)
	assert.Equal(t, 200.0, hE.Integral())
	assert.Equal(t, 20.0, hE.Contents[1])
	hMap := f.Hist("EMC/hMap")
	require.NotNil(t, hMap)
	assert.Equal(t, 200.0, hMap.Integral())
	// The reset histogram is the later one unchanged.
	assert.Equal(t, 1.0, f.Hist("TPCQA/hTPC").Entries)

	// --keep-new also writes the objects only in LATER and the non-histograms.
	code, stdout, _ = runCmd("root", "diff", "--keep-new", later, earlier, "-o", out)
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "copied\tfresh")
	f, err = overwatch.ReadFile(out)
	require.NoError(t, err)
	assert.Len(t, f.Entries, 6)

	code, _, errs = runCmd("root", "diff", later, earlier)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "-o OUT.root is required")
	// Nothing in common.
	other := filepath.Join(t.TempDir(), "other.root")
	require.NoError(t, overwatch.WriteFile(other, []overwatch.Entry{{Key: "x", Object: &overwatch.Text{Value: "x"}}}))
	code, _, errs = runCmd("root", "diff", later, other, "-o", out)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "nothing to write")
}

// TestRootLsMatchesJSROOT compares "root ls --json" on ROOT-written files
// with what JSROOT reads from them.
func TestRootLsMatchesJSROOT(t *testing.T) {
	e := jsroottest.New(t)
	files := rootfiles.Shared(t, "uproot-hepdata-example.root", "uproot-issue33.root", "uproot-issue-227a.root", "uproot-issue66.root", "uproot-issue-861.root")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sums, err := e.Summarize(ctx, false, files...)
	require.NoError(t, err)
	want := map[string]jsroottest.Summary{}
	for _, s := range sums {
		want[s.File+"|"+s.Path] = s
	}
	compared := 0
	for _, file := range files {
		code, out, errs := runCmd("root", "ls", "--json", file)
		require.Equal(t, 0, code, errs)
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var rec struct {
				Path    string  `json:"path"`
				Class   string  `json:"class"`
				Entries float64 `json:"entries"`
				NBins   []int   `json:"nbins"`
				Sum     float64 `json:"sum"`
			}
			require.NoError(t, json.Unmarshal([]byte(l), &rec), l)
			s, ok := want[file+"|"+rec.Path]
			if !assert.True(t, ok, "%s: %s not listed by JSROOT", file, rec.Path) {
				continue
			}
			assert.Equal(t, s.Class, rec.Class, rec.Path)
			assert.Equal(t, float64(s.Entries), rec.Entries, rec.Path)
			assert.Equal(t, s.NBins, rec.NBins, rec.Path)
			assert.InDelta(t, float64(s.Sum), rec.Sum, 1e-9*math.Max(1, math.Abs(rec.Sum)), rec.Path)
			compared++
		}
	}
	assert.Greater(t, compared, 3)
}

// The sum covers every in-range bin even when the file sets a displayed
// axis range (fFirst/fLast), which Hist.Integral honours.
func TestRootLsSumIgnoresDisplayRange(t *testing.T) {
	h := overwatch.MustNewHist(overwatch.ClassTH1D, "h", "", overwatch.NewAxis(4, 0, 4))
	for i, v := range []float64{1, 2, 3, 4} {
		h.Contents[i+1] = v
	}
	h.Contents[0], h.Contents[5] = 100, 100
	h.X.First, h.X.Last = 2, 3
	path := filepath.Join(t.TempDir(), "r.root")
	require.NoError(t, overwatch.WriteFile(path, []overwatch.Entry{{Key: "h", Object: h}}))
	code, out, errs := runCmd("root", "ls", "--json", path)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"sum":10}`)
}
