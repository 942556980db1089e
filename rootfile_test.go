package overwatch_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
	"github.com/overwatch-dqm/overwatch/internal/jsroottest"
	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
)

// sharedROOTFiles returns the shared ROOT-written files and those of
// go-hep's testdata (skipping when there are none).
func sharedROOTFiles(t testing.TB) []string {
	t.Helper()
	return rootfiles.All(t, nil, "hbook/rootcnv/testdata/*.root",
		"groot/testdata/dirs-6.14.00.root", "groot/testdata/tprofile.root", "groot/testdata/g4-hist.root",
		"groot/testdata/graphs.root", "groot/testdata/tdatime.root")
}

func floats(t *testing.T, fs []jsroottest.Float) []float64 { return jsroottest.Floats(fs) }

// assertMatchesJSROOT compares one decoded object with JSROOT's full
// summary of it.
func assertMatchesJSROOT(t *testing.T, s jsroottest.Summary, obj ow.Object) {
	t.Helper()
	require.Empty(t, s.Error, s.Path)
	require.NotNil(t, obj, "%s: JSROOT reads it, Overwatch does not", s.Path)
	assert.Equal(t, s.Class, obj.ClassName(), s.Path)
	switch o := obj.(type) {
	case *ow.Hist:
		assert.Equal(t, s.Name, o.Name, s.Path)
		assert.Equal(t, s.Title, o.Title, s.Path)
		assert.Equal(t, float64(s.Entries), o.Entries, s.Path)
		assertFloatsEqual(t, floats(t, s.Array), o.Contents, s.Path+" contents")
		assertFloatsEqual(t, floats(t, s.Sumw2), o.Sumw2, s.Path+" sumw2")
		assert.Equal(t, float64(s.Stats["fTsumw"]), o.Stats.Sumw, s.Path)
		assert.Equal(t, float64(s.Stats["fTsumwx2"]), o.Stats.Sumwx2, s.Path)
		axes := []*ow.Axis{&o.X, &o.Y, &o.Z}
		for i, a := range s.Axes {
			ours := axes[i]
			assert.Equal(t, a.NBins, ours.NBins, "%s axis %d", s.Path, i)
			assert.Equal(t, float64(a.Min), ours.Min, "%s axis %d", s.Path, i)
			assert.Equal(t, float64(a.Max), ours.Max, "%s axis %d", s.Path, i)
			assert.Equal(t, a.Title, ours.Title, "%s axis %d", s.Path, i)
			if len(a.Edges) > 0 {
				assertFloatsEqual(t, floats(t, a.Edges), ours.Edges, s.Path+" edges")
			}
			for _, l := range a.Labels {
				require.Less(t, l.Bin-1, len(ours.Labels), s.Path)
				assert.Equal(t, l.Label, ours.Labels[l.Bin-1], "%s label of bin %d", s.Path, l.Bin)
			}
			if len(a.Labels) == 0 {
				assert.Empty(t, ours.Labels, s.Path)
			}
		}
		assert.Equal(t, float64(s.Minimum), o.Minimum, s.Path)
		assert.Equal(t, float64(s.Maximum), o.Maximum, s.Path)
		assert.Equal(t, s.Option, o.Option, s.Path)
		assert.Equal(t, []float64{float64(o.Att.Line.Color), float64(o.Att.Line.Style), float64(o.Att.Line.Width)}, floats(t, s.Line), s.Path)
		if o.IsProfile() {
			assertFloatsEqual(t, floats(t, s.BinEntries), o.BinEntries, s.Path+" bin entries")
			assertFloatsEqual(t, floats(t, s.BinSumw2), o.BinSumw2, s.Path+" bin sumw2")
			assert.Equal(t, float64(s.PMin), o.PMin, s.Path)
			assert.Equal(t, float64(s.PMax), o.PMax, s.Path)
		}
	case *ow.Graph:
		assert.Equal(t, s.Name, o.Name, s.Path)
		assertFloatsEqual(t, floats(t, s.X), o.X, s.Path+" x")
		assertFloatsEqual(t, floats(t, s.Y), o.Y, s.Path+" y")
		assertFloatsEqual(t, floats(t, s.EX), o.EX, s.Path+" ex")
		assertFloatsEqual(t, floats(t, s.EYHigh), o.EYHigh, s.Path+" eyhigh")
		assert.Equal(t, s.XTitle, o.XTitle, s.Path)
		assert.Equal(t, s.YTitle, o.YTitle, s.Path)
		assert.Equal(t, s.XTime, o.XTime, s.Path)
	case *ow.Text:
		assert.Equal(t, s.String, o.Value, s.Path)
	}
}

func assertFloatsEqual(t *testing.T, want, got []float64, msg string) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	require.Len(t, got, len(want), msg)
	for i := range want {
		if want[i] != got[i] && !(math.IsNaN(want[i]) && math.IsNaN(got[i])) {
			assert.Equal(t, want[i], got[i], "%s [%d]", msg, i)
			return
		}
	}
}

// latestCycles keeps JSROOT's summary of the highest cycle of every path.
func latestCycles(sums []jsroottest.Summary) map[string]jsroottest.Summary {
	out := map[string]jsroottest.Summary{}
	for _, s := range sums {
		if o, ok := out[s.Path]; !ok || s.Cycle > o.Cycle {
			out[s.Path] = s
		}
	}
	return out
}

func TestReadFileMatchesJSROOT(t *testing.T) {
	files := sharedROOTFiles(t)
	env := jsroottest.New(t)
	sums, err := env.Summarize(context.Background(), true, files...)
	require.NoError(t, err)
	byFile := map[string][]jsroottest.Summary{}
	for _, s := range sums {
		byFile[s.File] = append(byFile[s.File], s)
	}
	checked := 0
	for _, path := range files {
		f, err := ow.ReadFile(path)
		require.NoError(t, err, path)
		for p, s := range latestCycles(byFile[path]) {
			if s.Error != "" {
				continue // JSROOT itself cannot read it
			}
			assertMatchesJSROOT(t, s, f.Get(p))
			checked++
		}
	}
	assert.Greater(t, checked, 50, "objects compared with JSROOT")
}

func TestReadFileKeepsHistogramDropsUndecodableFunctions(t *testing.T) {
	f, err := ow.ReadFile(rootfiles.File(t, "uproot-hepdata-example.root"))
	require.NoError(t, err)
	h := f.Hist("hpx")
	require.NotNil(t, h)
	assert.Equal(t, ow.ClassTH1F, h.Class)
	assert.Equal(t, 75000.0, h.Entries)
	require.NotEmpty(t, f.Problems)
	assert.Equal(t, ow.Problem{Path: "hpx", Class: "TPaveStats", Err: "dropped from the function list of the kept TH1F"}, f.Problems[0])
	assert.NotNil(t, f.Hist("hprof"))
	assert.NotNil(t, f.Hist("hpxpy"))
}

func TestRoundTripReadWriteReadIdentical(t *testing.T) {
	for _, path := range sharedROOTFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := ow.ReadFile(path)
			require.NoError(t, err)
			data, err := ow.EncodeFile(f.Entries)
			require.NoError(t, err)
			g, err := ow.DecodeFile(data)
			require.NoError(t, err)
			assert.Empty(t, g.Problems)
			require.Equal(t, len(f.Entries), len(g.Entries))
			for i := range f.Entries {
				assert.Equal(t, f.Entries[i], g.Entries[i], f.Entries[i].Path())
			}
		})
	}
}

func TestEncodeFileEveryClassRoundTrip(t *testing.T) {
	entries := histtest.ModelObjects(t)
	data, err := ow.EncodeFile(entries)
	require.NoError(t, err)
	f, err := ow.DecodeFile(data)
	require.NoError(t, err)
	assert.Empty(t, f.Problems)
	require.Len(t, f.Entries, len(entries))
	for i, e := range entries {
		got := f.Entries[i]
		assert.Equal(t, e.Dir, got.Dir)
		assert.Equal(t, e.Key, got.Key)
		want := e.Object
		if h, ok := want.(*ow.Hist); ok {
			want = histtest.Narrow(h)
		}
		assert.Equal(t, want, got.Object, e.Path())
	}
}

func TestEncodeFileReadByJSROOT(t *testing.T) {
	env := jsroottest.New(t)
	entries := histtest.ModelObjects(t)
	path := filepath.Join(t.TempDir(), "model.root")
	require.NoError(t, ow.WriteFile(path, entries))
	sums, err := env.Summarize(context.Background(), true, path)
	require.NoError(t, err)
	got := latestCycles(sums)
	require.Len(t, got, len(entries), "JSROOT sees every object")
	for _, e := range entries {
		s, ok := got[e.Path()]
		require.True(t, ok, e.Path())
		obj := e.Object
		if h, ok := obj.(*ow.Hist); ok {
			obj = histtest.Narrow(h)
		}
		assertMatchesJSROOT(t, s, obj)
	}
}

func TestDecodeFileCorrupt(t *testing.T) {
	data, err := ow.EncodeFile(histtest.ModelObjects(t))
	require.NoError(t, err)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not root", []byte("definitely not a ROOT file, just some text of some length.....")},
		{"header only", data[:100]},
		{"truncated half", data[:len(data)/2]},
		{"truncated end", data[:len(data)-5]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ow.DecodeFile(tc.data)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ow.ErrCorrupt), "%v", err)
		})
	}
	// Flipping any byte never panics; failures wrap ErrCorrupt, either as
	// the error or as per-object problems.
	for i := 0; i < len(data); i += 13 {
		d := bytes.Clone(data)
		d[i] ^= 0xA5
		f, err := ow.DecodeFile(d)
		if err != nil {
			assert.True(t, errors.Is(err, ow.ErrCorrupt), "flip at %d: %v", i, err)
			continue
		}
		require.NotNil(t, f)
	}
}

func TestReadFileMissing(t *testing.T) {
	_, err := ow.ReadFile(filepath.Join(t.TempDir(), "nope.root"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

func TestEncodeFileRejectsInvalid(t *testing.T) {
	h := ow.MustNewHist(ow.ClassTH1F, "h", "t", ow.NewAxis(3, 0, 1))
	h.Contents = h.Contents[:2]
	_, err := ow.EncodeFile([]ow.Entry{{Key: "h", Object: h}})
	require.Error(t, err)
	_, err = ow.EncodeFile([]ow.Entry{{Key: "", Object: &ow.Text{Value: "x"}}})
	require.Error(t, err)
	_, err = ow.EncodeFile([]ow.Entry{{Dir: "a//b", Key: "k", Object: &ow.Text{Value: "x"}}})
	require.Error(t, err)
}

func TestEncodeFileStableOrder(t *testing.T) {
	entries := histtest.ModelObjects(t)
	data, err := ow.EncodeFile(entries)
	require.NoError(t, err)
	f, err := ow.DecodeFile(data)
	require.NoError(t, err)
	var paths []string
	for _, e := range f.Entries {
		paths = append(paths, e.Path())
	}
	var want []string
	for _, e := range entries {
		want = append(want, e.Path())
	}
	assert.Equal(t, want, paths, "entries come back in the order written")
}
