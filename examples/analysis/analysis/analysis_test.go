package analysis

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

func TestWindowFiles(t *testing.T) {
	h2 := overwatch.MustNewHist(overwatch.ClassTH2F, "map", "", overwatch.NewAxis(4, 0, 4), overwatch.NewAxis(4, 0, 4))
	reset := overwatch.MustNewHist(overwatch.ClassTH1D, "r", "", overwatch.NewAxis(2, 0, 2))
	for i := 0; i < 10; i++ {
		require.NoError(t, h2.Fill(1, 0.5, 0.5))
		require.NoError(t, reset.Fill(1, 0.5))
	}
	earlier := &overwatch.File{Entries: []overwatch.Entry{{Key: "map", Object: h2.Clone()}, {Key: "r", Object: reset.Clone()}}}
	for i := 0; i < 30; i++ {
		require.NoError(t, h2.Fill(1, 2.5, 3.5))
	}
	reset2 := overwatch.MustNewHist(overwatch.ClassTH1D, "r", "", overwatch.NewAxis(2, 0, 2))
	require.NoError(t, reset2.Fill(1, 1.5))
	later := &overwatch.File{Entries: []overwatch.Entry{
		{Key: "map", Object: h2}, {Key: "r", Object: reset2},
		{Key: "s", Object: &overwatch.Text{Value: "x"}},
	}}
	stats, reports, err := WindowFiles(later, earlier)
	require.NoError(t, err)
	require.Len(t, stats, 2)
	assert.Equal(t, "map", stats[0].Path)
	assert.Equal(t, 30.0, stats[0].Entries)
	assert.InDeltaSlice(t, []float64{2.5, 3.5}, stats[0].Mean, 1e-9)
	assert.InDeltaSlice(t, []float64{0, 0}, stats[0].StdDev, 1e-9)
	assert.False(t, stats[0].Reset)
	assert.True(t, stats[1].Reset)
	assert.Equal(t, 1.0, stats[1].Entries)
	var actions []timeslice.Action
	for _, r := range reports {
		actions = append(actions, r.Action)
	}
	assert.Contains(t, actions, timeslice.KeptNew)

	var b strings.Builder
	require.NoError(t, Print(&b, stats))
	assert.Contains(t, b.String(), "x: 2.5 ± 0, y: 3.5 ± 0")
	assert.Contains(t, b.String(), "reset within the window")

	_, _, err = WindowFiles(nil, earlier)
	assert.Error(t, err)
}

func TestWindowMissingFile(t *testing.T) {
	_, _, err := Window(filepath.Join(t.TempDir(), "no.root"), filepath.Join(t.TempDir(), "no.root"))
	assert.Error(t, err)
}
