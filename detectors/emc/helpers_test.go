package emc_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/emc"
)

func TestSortSMsInPhysicalOrder(t *testing.T) {
	var names []string
	for i := 0; i < 12; i++ {
		names = append(names, fmt.Sprintf("EMCTRQA_histFastORL0_SM%d", i))
	}
	got := emc.SortSMsInPhysicalOrder(append([]string{"other"}, names...), "_SM")
	var nums []string
	for _, n := range got {
		nums = append(nums, strings.TrimPrefix(n, "EMCTRQA_histFastORL0_SM"))
	}
	assert.Equal(t, []string{"10", "11", "8", "9", "6", "7", "4", "5", "2", "3", "0", "1", "other"}, nums)

	dcal := []string{"a_SM12", "a_SM13", "a_SM14", "a_SM15", "a_SM16", "a_SM17", "a_SM18", "a_SM19"}
	assert.Equal(t, []string{"a_SM18", "a_SM19", "a_SM16", "a_SM17", "a_SM14", "a_SM15", "a_SM12", "a_SM13"},
		emc.SortSMsInPhysicalOrder(dcal, "_SM"))
	assert.Empty(t, emc.SortSMsInPhysicalOrder(nil, "_SM"))
}

func TestSignalOutliers(t *testing.T) {
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "", overwatch.NewAxis(10, 0, 10))
	for i := 1; i <= 10; i++ {
		h.Contents[i] = 10
	}
	h.Contents[3] = 100
	h.Contents[0] = 1e6 // underflow is not part of the sample
	o := emc.SignalOutliers(h)
	assert.Equal(t, 1, o.N)
	assert.InDelta(t, 19, o.Mean, 1e-12)
	assert.InDelta(t, 27, o.Sigma, 1e-12) // sqrt((81² + 9·9²)/10)
	assert.InDelta(t, 10, o.NewMean, 1e-12)
	assert.InDelta(t, 0, o.NewSigma, 1e-12)

	c := &overwatch.FuncContext{Name: "h", Hist: h, Display: &overwatch.Display{}, Options: overwatch.Values{}, NEvents: 1}
	require.NoError(t, emc.CheckForOutliers.Apply(c))
	require.Len(t, c.Display.Decorations, 1)
	assert.Contains(t, c.Display.Decorations[0].Text, "OUTLIER SIGNAL DETECTED IN 1 BINS!")
	q, _ := c.Quality()
	assert.Equal(t, overwatch.QualityMedium, q)

	flat := overwatch.MustNewHist(overwatch.ClassTH1F, "f", "", overwatch.NewAxis(4, 0, 4))
	c = &overwatch.FuncContext{Name: "f", Hist: flat, Display: &overwatch.Display{}, Options: overwatch.Values{}, NEvents: 1}
	require.NoError(t, emc.CheckForOutliers.Apply(c))
	assert.Empty(t, c.Display.Decorations)
	assert.Equal(t, 0, emc.SignalOutliers(flat).N)
	flat.Contents[2] = math.NaN()
	assert.Equal(t, 0, emc.SignalOutliers(flat).N)
}
