package overwatch_test

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
)

// gohepTestdata returns go-hep's hbook/rootcnv/testdata directory, which
// holds histograms filled by real ROOT (make-root-h1.py, make-root-h2.py)
// together with the data they were filled with.
func gohepTestdata(t *testing.T) string {
	t.Helper()
	return filepath.Dir(rootfiles.GoHepFile(t, "hbook/rootcnv/testdata/gauss-h2.root"))
}

func readColumns(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var rows [][]float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		row := make([]float64, len(fields))
		for i, s := range fields {
			row[i], err = strconv.ParseFloat(s, 64)
			require.NoError(t, err)
		}
		rows = append(rows, row)
	}
	require.NoError(t, sc.Err())
	return rows
}

// compareWithROOT checks that our histogram, filled like ROOT filled want,
// holds the same cells, entries and statistics.
func compareWithROOT(t *testing.T, got, want *ow.Hist) {
	t.Helper()
	rel := 1e-12
	if strings.HasSuffix(want.Class, "F") {
		rel = 1e-6 // ROOT stored the cells as float32
	}
	require.Len(t, got.Contents, len(want.Contents))
	require.NotNil(t, want.Sumw2)
	for i := range want.Contents {
		assert.InDelta(t, want.Contents[i], got.Contents[i], rel*(1+math.Abs(want.Contents[i])), "%s cell %d", want.Name, i)
		assert.InDelta(t, want.Sumw2[i], got.Sumw2[i], 1e-9*(1+want.Sumw2[i]), "%s sumw2 %d", want.Name, i)
	}
	assert.Equal(t, want.Entries, got.Entries, want.Name)
	ws, gs := want.Stats, got.Stats
	for _, f := range [][3]any{
		{"sumw", ws.Sumw, gs.Sumw}, {"sumw2", ws.Sumw2, gs.Sumw2}, {"sumwx", ws.Sumwx, gs.Sumwx},
		{"sumwx2", ws.Sumwx2, gs.Sumwx2}, {"sumwy", ws.Sumwy, gs.Sumwy}, {"sumwy2", ws.Sumwy2, gs.Sumwy2},
		{"sumwxy", ws.Sumwxy, gs.Sumwxy},
	} {
		w, g := f[1].(float64), f[2].(float64)
		assert.InDelta(t, w, g, 1e-9*(1+math.Abs(w)), "%s %s", want.Name, f[0])
	}
	for axis := 0; axis < want.Dim(); axis++ {
		assert.InDelta(t, want.Mean(axis), got.Mean(axis), 1e-9, "%s mean %d", want.Name, axis)
		assert.InDelta(t, want.StdDev(axis), got.StdDev(axis), 1e-9, "%s stddev %d", want.Name, axis)
		assert.InDelta(t, want.MeanError(axis), got.MeanError(axis), 1e-9, "%s mean error %d", want.Name, axis)
	}
	assert.InDelta(t, want.EffectiveEntries(), got.EffectiveEntries(), 1e-6, want.Name)
	assert.Equal(t, want.MaximumBin(), got.MaximumBin(), want.Name)
}

// TestFillMatchesROOT fills histograms with the data ROOT filled go-hep's
// reference histograms with (weighted fills, Sumw2, StatOverflows(true),
// fixed and variable bins, fills in every under/overflow region) and
// requires the same contents, Sumw2, entries and statistics.
func TestFillMatchesROOT(t *testing.T) {
	dir := gohepTestdata(t)

	f1, err := ow.ReadFile(filepath.Join(dir, "gauss-h1.root"))
	require.NoError(t, err)
	data1 := readColumns(t, filepath.Join(dir, "gauss-1d-data.dat"))
	edges := []float64{-4.0, -3.2, -2.4, -1.6, -0.8, 0, +0.8, +1.6, +2.4, +3.2, +4.0}
	for _, name := range []string{"h1d", "h1f", "h1d-var", "h1f-var"} {
		want := f1.Hist(name)
		require.NotNil(t, want, name)
		ax := ow.NewAxis(10, -4, 4)
		if strings.HasSuffix(name, "-var") {
			ax, err = ow.NewAxisEdges(edges)
			require.NoError(t, err)
		}
		got := ow.MustNewHist(want.Class, name, name, ax)
		got.StatOverflows = 1
		got.EnableSumw2()
		for _, r := range data1 {
			require.NoError(t, got.Fill(r[1], r[0]))
		}
		compareWithROOT(t, got, want)
	}

	f2, err := ow.ReadFile(filepath.Join(dir, "gauss-h2.root"))
	require.NoError(t, err)
	data2 := readColumns(t, filepath.Join(dir, "gauss-2d-data.dat"))
	extra := [][3]float64{{5, 5, 101}, {0, 5, 102}, {-5, 5, 103}, {-5, 0, 104}, {-5, -5, 105}, {0, -5, 106}, {5, -5, 107}, {5, 0, 108}}
	for _, name := range []string{"h2f", "h2d", "h2f-var", "h2d-var"} {
		want := f2.Hist(name)
		require.NotNil(t, want, name)
		ax, ay := ow.NewAxis(3, 0, 3), ow.NewAxis(3, 0, 3)
		if strings.HasSuffix(name, "-var") {
			ax, err = ow.NewAxisEdges([]float64{0, 1.5, 2, 3})
			require.NoError(t, err)
			ay = ax
		}
		got := ow.MustNewHist(want.Class, name, name, ax, ay)
		got.StatOverflows = 1
		got.EnableSumw2()
		for _, r := range data2 {
			require.NoError(t, got.Fill(r[2], r[0], r[1]))
		}
		for _, e := range extra {
			require.NoError(t, got.Fill(e[2], e[0], e[1]))
		}
		compareWithROOT(t, got, want)

		// Projections of ROOT's histogram: every cell accounted for.
		px, err := want.ProjectionX("")
		require.NoError(t, err)
		var all, proj float64
		for _, c := range want.Contents {
			all += c
		}
		for _, c := range px.Contents {
			proj += c
		}
		assert.InDelta(t, all, proj, 1e-9*math.Abs(all), name)
	}
}

// TestProfilesMatchROOT uses go-hep's groot/testdata/tprofile.root, where
// ROOT filled p1d (TProfile, 100 bins on [-4,4], pz in [0,20]) and p2d
// (TProfile2D, 40x40 bins) with the same (px, py, pz) for every event.
// Profiling p2d along x over every py bin (flows included) and merging
// bins by 2 must give p1d merged by 5: both are 20 bins of 0.4 holding the
// same pz sums, sums of squares and bin entries.
func TestProfilesMatchROOT(t *testing.T) {
	// hbook/rootcnv/testdata -> groot/testdata of the same go-hep module.
	dir := filepath.Join(gohepTestdata(t), "..", "..", "..", "groot", "testdata")
	f, err := ow.ReadFile(filepath.Join(dir, "tprofile.root"))
	if err != nil {
		t.Skipf("groot testdata not readable: %v", err)
	}
	p1, p2 := f.Hist("p1d"), f.Hist("p2d")
	require.NotNil(t, p1)
	require.NotNil(t, p2)
	a, err := p1.Rebin(5, 0, 0)
	require.NoError(t, err)
	px, err := p2.ProfileX("", 0, p2.Y.NBins+1)
	require.NoError(t, err)
	b, err := px.Rebin(2, 0, 0)
	require.NoError(t, err)
	require.Equal(t, a.X.NBins, b.X.NBins)
	for i := range a.Contents {
		assert.InDelta(t, a.BinEntries[i], b.BinEntries[i], 1e-9, "entries of cell %d", i)
		assert.InDelta(t, a.Contents[i], b.Contents[i], 1e-9*(1+math.Abs(a.Contents[i])), "sum of pz of cell %d", i)
		assert.InDelta(t, a.Sumw2[i], b.Sumw2[i], 1e-9*(1+a.Sumw2[i]), "sum of pz² of cell %d", i)
		assert.InDelta(t, a.BinContent(i), b.BinContent(i), 1e-9, "mean pz of cell %d", i)
		assert.InDelta(t, a.BinError(i), b.BinError(i), 1e-9, "error of cell %d", i)
	}
	// Rebinning by exact divisors keeps ROOT's statistics.
	assert.Equal(t, p1.Stats, a.Stats)
	assert.Equal(t, p1.Mean(1), a.Mean(1))
}
