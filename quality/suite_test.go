package quality_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

func TestSuiteAndOptions(t *testing.T) {
	specs := []ow.CheckSpec{
		{Name: "avg", Hist: "EMC*", Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": 5}},
		{Hist: "EMCRawAmp", Check: "MinEntries", Params: map[string]any{"Min": 100}},
		{Hist: "TPC*", Check: "Chi2Test"},
	}
	h := with(flat(t, "EMCRawAmp", 10, 100), 3, 140) // 4 σ above the average
	s, err := quality.NewSuite(specs, nil, quality.Aggregator{})
	require.NoError(t, err)
	assert.Equal(t, 3, s.Len())
	assert.True(t, s.Applies("EMCRawAmp"))
	assert.False(t, s.Applies("HLTStuff"))
	outs := s.Run("EMCRawAmp", h, nil)
	require.Len(t, outs, 2)
	assert.Equal(t, "avg", outs[0].ID)
	assert.Equal(t, ow.QualityGood, outs[0].Quality, outs[0].Reason)
	assert.Equal(t, "MinEntries", outs[1].ID)
	q, why := s.Summary(outs)
	assert.Equal(t, ow.QualityGood, q, why)

	// The thresholds are processing options: a time slice re-runs with
	// NSigma 3 and the bin offends.
	opts, err := quality.Options(specs)
	require.NoError(t, err)
	var names []string
	for _, o := range opts {
		names = append(names, o.Name)
		if o.Name == "quality.avg.NSigma" {
			assert.Equal(t, 5.0, num(o.Default))
		}
	}
	assert.Contains(t, names, "quality.avg.NSigma")
	assert.Contains(t, names, "quality.MinEntries.Min")
	assert.Contains(t, names, "quality.Chi2Test.PValueBad")
	vals, err := ow.ParseValues(opts, map[string]string{"quality.avg.NSigma": "3"})
	require.NoError(t, err)
	s3, err := quality.NewSuite(specs, vals, quality.Aggregator{})
	require.NoError(t, err)
	outs = s3.Run("EMCRawAmp", h, nil)
	assert.Equal(t, ow.QualityBad, outs[0].Quality, outs[0].Reason)
	assert.Equal(t, []int{3}, outs[0].Bins)
	q, reasons := quality.Worst(outs)
	assert.Equal(t, ow.QualityBad, q)
	assert.Contains(t, reasons[0], "avg: bad")

	// A check error (reference with other binning) is a Null outcome.
	outs = s.Run("TPCclusters", flat(t, "TPCclusters", 10, 5), flat(t, "ref", 12, 5))
	require.Len(t, outs, 1)
	assert.Equal(t, ow.QualityNull, outs[0].Quality)
	assert.Contains(t, outs[0].Reason, "incompatible")

	_, err = quality.NewSuite(append(specs, specs[0]), nil, quality.Aggregator{})
	assert.ErrorIs(t, err, quality.ErrConfig)
	_, err = quality.NewSuite(specs, ow.Values{"quality.avg.NSigma": "x"}, quality.Aggregator{})
	assert.ErrorIs(t, err, quality.ErrConfig)
	_, err = quality.NewSuite(specs, nil, quality.Aggregator{Rule: "Mean"})
	assert.ErrorIs(t, err, quality.ErrConfig)
}

func num(v any) float64 { return ow.Values{"v": v}.Float("v") }

func TestConfigValidate(t *testing.T) {
	ok := quality.Config{Checks: []ow.CheckSpec{{Hist: "a", Check: "MinEntries", Params: map[string]any{"Min": 1}}}}
	require.NoError(t, ok.Validate())
	bad := quality.Config{
		Checks: []ow.CheckSpec{
			{Hist: "a", Check: "MinEntries", Params: map[string]any{"Min": 1}},
			{Hist: "b", Check: "MinEntries", Params: map[string]any{"Min": 2}},
			{Hist: "c", Check: "Nope"},
		},
		Aggregation: quality.Aggregator{Rule: "x"},
	}
	err := bad.Validate()
	require.ErrorIs(t, err, quality.ErrConfig)
	assert.Contains(t, err.Error(), "checks[1]")
	assert.Contains(t, err.Error(), "declared twice")
	assert.Contains(t, err.Error(), `checks[2]`)
	assert.Contains(t, err.Error(), `unknown check "Nope"`)
	assert.Contains(t, err.Error(), "aggregation")
}
