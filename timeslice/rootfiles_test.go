package timeslice_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// TestDiffOfSumOnROOTFiles runs the Diff(Sum(a, a), a) == a property on
// every histogram of the files written by real ROOT (when the shared data
// sits beside the repository): a snapshot that doubled is subtracted back.
func TestDiffOfSumOnROOTFiles(t *testing.T) {
	dir := "../../shared/data/root-files"
	paths, _ := filepath.Glob(filepath.Join(dir, "*.root"))
	if len(paths) == 0 {
		t.Skipf("no ROOT-written files in %s", dir)
	}
	checked := 0
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		f, err := ow.ReadFile(p)
		require.NoError(t, err, p)
		doubled, reps, err := timeslice.SumFiles(f, f)
		require.NoError(t, err)
		for _, r := range reps {
			assert.NotEqual(t, timeslice.Failed, r.Action, "%s %s: %v", p, r.Path, r.Err)
		}
		window, reps, err := timeslice.DiffFiles(doubled, f)
		require.NoError(t, err)
		for _, r := range reps {
			if r.Class == "" || !isHistClass(r.Class) {
				continue
			}
			require.Equal(t, timeslice.Subtracted, r.Action, "%s %s: %s", p, r.Path, r.Info.Reason)
			orig, got := f.Hist(r.Path), window.Hist(r.Path)
			require.NotNil(t, got)
			for i := range orig.Contents {
				tol := 1e-12 * (1 + math.Abs(orig.Contents[i]))
				require.InDelta(t, orig.Contents[i], got.Contents[i], tol, "%s %s cell %d", p, r.Path, i)
				require.InDelta(t, orig.BinError(i), got.BinError(i), 1e-9*(1+orig.BinError(i)), "%s %s error of cell %d", p, r.Path, i)
			}
			assert.InDelta(t, orig.Entries, got.Entries, 1e-9*(1+orig.Entries))
			assert.InDelta(t, orig.Mean(0), got.Mean(0), 1e-9*(1+math.Abs(orig.Mean(0))), "%s %s", p, r.Path)
			checked++
		}
	}
	assert.Greater(t, checked, 20)
}

func isHistClass(c string) bool { return ow.ClassDim(c) > 0 }
