package timeslice_test

import (
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// TestDiffOfSumOnROOTFiles runs the Diff(Sum(a, a), a) == a property on
// every histogram of the files written by real ROOT (when the shared data
// sits beside the repository): a snapshot that doubled is subtracted back.
func TestDiffOfSumOnROOTFiles(t *testing.T) {
	paths := rootfiles.Shared(t)
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
				// Plain comparisons first: testify's formatting per cell is
				// slow on histograms of 16k bins.
				c, e := orig.Contents[i], orig.BinError(i)
				if math.Abs(c-got.Contents[i]) > 1e-12*(1+math.Abs(c)) || math.Abs(e-got.BinError(i)) > 1e-9*(1+e) {
					require.Failf(t, "cell differs", "%s %s cell %d: content %v vs %v, error %v vs %v",
						p, r.Path, i, c, got.Contents[i], e, got.BinError(i))
				}
			}
			assert.InDelta(t, orig.Entries, got.Entries, 1e-9*(1+orig.Entries))
			assert.InDelta(t, orig.Mean(0), got.Mean(0), 1e-9*(1+math.Abs(orig.Mean(0))), "%s %s", p, r.Path)
			checked++
		}
	}
	assert.Greater(t, checked, 20)
}

func isHistClass(c string) bool { return ow.ClassDim(c) > 0 }
