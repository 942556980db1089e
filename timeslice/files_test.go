package timeslice_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

func h1(name string, counts ...float64) *ow.Hist {
	h := ow.MustNewHist(ow.ClassTH1F, name, "", ow.NewAxis(len(counts), 0, float64(len(counts))))
	var n float64
	for i, c := range counts {
		h.Contents[i+1] = c
		n += c
	}
	h.Entries = n
	return h
}

func TestDiffFiles(t *testing.T) {
	g := ow.NewGraphErrors("trend", "")
	g.AddPoint(1, 2, 0, 0)
	gl := g.Clone()
	gl.AddPoint(2, 3, 0, 0)
	earlier := &ow.File{Entries: []ow.Entry{
		{Dir: "EMC", Key: "a", Object: h1("a", 1, 2)},
		{Key: "gone", Object: h1("gone", 5)},
		{Key: "reset", Object: h1("reset", 10, 10)},
		{Key: "rebinned", Object: h1("rebinned", 1, 1)},
		{Key: "trend", Object: g},
		{Key: "kind", Object: h1("kind", 1)},
	}}
	later := &ow.File{
		Entries: []ow.Entry{
			{Dir: "EMC", Key: "a", Object: h1("a", 4, 2)},
			{Key: "fresh", Object: h1("fresh", 3)},
			{Key: "reset", Object: h1("reset", 1, 0)},
			{Key: "rebinned", Object: h1("rebinned", 1, 1, 1)},
			{Key: "trend", Object: gl},
			{Key: "kind", Object: &ow.Text{Value: "kind"}},
		},
		Problems: []ow.Problem{{Path: "broken", Class: "TH2F", Err: "truncated"}},
	}
	out, reps, err := timeslice.DiffFiles(later, earlier)
	require.NoError(t, err)
	byPath := map[string]timeslice.ObjectReport{}
	for _, r := range reps {
		byPath[r.Path] = r
	}
	assert.Len(t, reps, 7)
	assert.Equal(t, timeslice.Subtracted, byPath["EMC/a"].Action)
	assert.Equal(t, timeslice.KeptNew, byPath["fresh"].Action)
	assert.Equal(t, timeslice.ResetDetected, byPath["reset"].Action)
	assert.True(t, byPath["reset"].Info.Reset)
	assert.Equal(t, timeslice.Failed, byPath["rebinned"].Action)
	assert.ErrorIs(t, byPath["rebinned"].Err, ow.ErrIncompatible)
	assert.Equal(t, timeslice.KeptLatest, byPath["trend"].Action)
	assert.Equal(t, timeslice.Failed, byPath["kind"].Action)
	assert.Equal(t, timeslice.Dropped, byPath["gone"].Action)
	assert.Equal(t, "gone", reps[len(reps)-1].Path, "dropped objects come last")
	assert.Equal(t, "gone (TH1F): dropped", byPath["gone"].String())
	assert.Equal(t, "reset (TH1F): reset (content of cell 1 went down from 10 to 1)", byPath["reset"].String())
	assert.Contains(t, byPath["rebinned"].String(), "rebinned (TH1F): failed (")

	assert.Equal(t, []float64{0, 3, 0, 0}, out.Hist("EMC/a").Contents)
	assert.Equal(t, 3.0, out.Hist("EMC/a").Entries)
	assert.Equal(t, []float64{0, 3, 0}, out.Hist("fresh").Contents)
	assert.Equal(t, []float64{0, 1, 0, 0}, out.Hist("reset").Contents)
	assert.Nil(t, out.Get("rebinned"))
	assert.Nil(t, out.Get("gone"))
	assert.Nil(t, out.Get("kind"))
	assert.Equal(t, 2, out.Get("trend").(*ow.Graph).Len())
	assert.Equal(t, later.Problems, out.Problems)
	var order []string
	for _, e := range out.Entries {
		order = append(order, e.Path())
	}
	assert.Equal(t, []string{"EMC/a", "fresh", "reset", "trend"}, order)

	// Results never alias the inputs.
	out.Hist("fresh").Contents[1] = 99
	assert.Equal(t, 3.0, later.Entries[1].Object.(*ow.Hist).Contents[1])

	_, _, err = timeslice.DiffFiles(nil, earlier)
	assert.ErrorIs(t, err, timeslice.ErrNoFile)
}

func TestSumFiles(t *testing.T) {
	f1 := &ow.File{Entries: []ow.Entry{
		{Key: "a", Object: h1("a", 1, 2)},
		{Key: "txt", Object: &ow.Text{Value: "one"}},
	}}
	f2 := &ow.File{Entries: []ow.Entry{
		{Key: "b", Object: h1("b", 7)},
		{Key: "a", Object: h1("a", 3, 4)},
		{Key: "txt", Object: &ow.Text{Value: "two"}},
	}, Problems: []ow.Problem{{Path: "x"}}}
	f3 := &ow.File{Entries: []ow.Entry{
		{Key: "a", Object: h1("a", 1, 1, 1)}, // other binning
		{Key: "b", Object: h1("b", 1)},
	}}
	out, reps, err := timeslice.SumFiles(f1, f2)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 4, 6, 0}, out.Hist("a").Contents)
	assert.Equal(t, 10.0, out.Hist("a").Entries)
	assert.Equal(t, []float64{0, 7, 0}, out.Hist("b").Contents)
	assert.Equal(t, "two", out.Get("txt").(*ow.Text).Value)
	assert.Len(t, out.Problems, 1)
	require.Len(t, reps, 3)
	assert.Equal(t, timeslice.Summed, reps[0].Action)
	assert.Equal(t, timeslice.KeptLatest, reps[1].Action)
	assert.Equal(t, 1.0, f1.Entries[0].Object.(*ow.Hist).Contents[1], "inputs untouched")

	out, reps, err = timeslice.SumFiles(f1, f2, f3)
	require.NoError(t, err)
	assert.Nil(t, out.Get("a"))
	assert.Equal(t, timeslice.Failed, reps[0].Action)
	assert.ErrorIs(t, reps[0].Err, ow.ErrIncompatible)
	assert.Equal(t, []float64{0, 8, 0}, out.Hist("b").Contents)

	_, _, err = timeslice.SumFiles()
	assert.ErrorIs(t, err, timeslice.ErrNoFile)
	_, _, err = timeslice.SumFiles(f1, nil)
	assert.ErrorIs(t, err, timeslice.ErrNoFile)
}
