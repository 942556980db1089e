package quality_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

func TestRegistry(t *testing.T) {
	var names []string
	for _, d := range quality.Definitions() {
		names = append(names, d.Name)
		assert.NotEmpty(t, d.Help, d.Name)
		for _, p := range d.Params {
			assert.NotEmpty(t, p.Help, "%s.%s", d.Name, p.Name)
		}
	}
	assert.Equal(t, []string{"BinByBin", "Bins_Diff_FromAvg", "Chi2Test", "DeadChannels", "EmptyBinsFraction",
		"HotChannels", "KolmogorovTest", "MeanInRange", "MinEntries", "StdDevInRange"}, names)
	d, ok := quality.Lookup("Chi2Test")
	require.True(t, ok)
	assert.True(t, d.Reference)
	assert.Panics(t, func() { quality.Register(*d) }, "duplicate")
	assert.Panics(t, func() { quality.Register(quality.Definition{Name: "x"}) }, "no New")
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec ow.CheckSpec
		err  string // "" valid
	}{
		{"ok", ow.CheckSpec{Hist: "EMC*", Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": 5}}, ""},
		{"ok defaults", ow.CheckSpec{Hist: "h", Check: "Chi2Test"}, ""},
		{"ok string number", ow.CheckSpec{Hist: "h", Check: "MinEntries", Params: map[string]any{"Min": "100"}}, ""},
		{"ok int from float", ow.CheckSpec{Hist: "h", Check: "DeadChannels", Params: map[string]any{"Radius": 3.0}}, ""},
		{"unknown check", ow.CheckSpec{Hist: "h", Check: "Chi3Test"}, `unknown check "Chi3Test" (known: BinByBin, `},
		{"unknown param", ow.CheckSpec{Hist: "h", Check: "Chi2Test", Params: map[string]any{"Pvalue": 0.1}}, `check Chi2Test (Chi2Test): quality: invalid check configuration: unknown parameter "Pvalue" (parameters: Option, MinStat, PValueBad, PValueMedium)`},
		{"missing required", ow.CheckSpec{Name: "avg", Hist: "h", Check: "Bins_Diff_FromAvg"}, "check avg (Bins_Diff_FromAvg): quality: invalid check configuration: parameter NSigma is required"},
		{"bad type", ow.CheckSpec{Hist: "h", Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": "five"}}, `"five" is not a finite number`},
		{"bad bool", ow.CheckSpec{Hist: "h", Check: "Bins_Diff_FromAvg", Params: map[string]any{"NSigma": 3, "GreaterThan": 2}}, "must be of type bool"},
		{"bad int", ow.CheckSpec{Hist: "h", Check: "DeadChannels", Params: map[string]any{"Radius": 1.5}}, "must be of type int"},
		{"out of range", ow.CheckSpec{Hist: "h", Check: "DeadChannels", Params: map[string]any{"Radius": 50}}, "outside [1, 10]"},
		{"pvalue order", ow.CheckSpec{Hist: "h", Check: "KolmogorovTest", Params: map[string]any{"PValueBad": 0.5, "PValueMedium": 0.1}}, "PValueBad 0.5 is above PValueMedium 0.1"},
		{"nbins order", ow.CheckSpec{Hist: "h", Check: "HotChannels", Params: map[string]any{"NBinsGreen": 3, "NBinsRed": 2}}, "NBinsGreen 3 must be below NBinsRed 2"},
		{"no tolerance", ow.CheckSpec{Hist: "h", Check: "BinByBin"}, "set at least one of"},
		{"min max", ow.CheckSpec{Hist: "h", Check: "MeanInRange", Params: map[string]any{"Min": 2, "Max": 1}}, "Min 2 is above Max 1"},
		{"no hist", ow.CheckSpec{Check: "MinEntries", Params: map[string]any{"Min": 1}}, "hist (a histogram name or pattern) is required"},
		{"bad pattern", ow.CheckSpec{Hist: "EMC[", Check: "MinEntries", Params: map[string]any{"Min": 1}}, `hist "EMC["`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := quality.Validate(tc.spec)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, quality.ErrConfig)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestCheckSpecMatches(t *testing.T) {
	s := ow.CheckSpec{Hist: "EMC*Amp"}
	assert.True(t, s.Matches("EMCRawAmp"))
	assert.False(t, s.Matches("TPCRawAmp"))
	assert.True(t, ow.CheckSpec{Hist: "exact[name"}.Matches("exact[name"), "malformed pattern still matches its own name")
	assert.False(t, ow.CheckSpec{Hist: "exact[name"}.Matches("exactname"))
	assert.Equal(t, "MinEntries", ow.CheckSpec{Check: "MinEntries"}.ID())
	assert.Equal(t, "entries", ow.CheckSpec{Name: "entries", Check: "MinEntries"}.ID())
}

func TestAggregate(t *testing.T) {
	G, M, B, N := ow.QualityGood, ow.QualityMedium, ow.QualityBad, ow.QualityNull
	for _, tc := range []struct {
		name string
		agg  quality.Aggregator
		in   []ow.Quality
		want ow.Quality
	}{
		{"worst empty", quality.Aggregator{}, nil, N},
		{"worst all null", quality.Aggregator{}, []ow.Quality{N, N}, N},
		{"worst ignores null", quality.Aggregator{}, []ow.Quality{N, G, G}, G},
		{"worst bad wins", quality.Aggregator{Rule: quality.WorstCase}, []ow.Quality{G, M, B, G}, B},
		{"worst medium", quality.Aggregator{}, []ow.Quality{G, M, N}, M},
		{"fraction good", quality.Aggregator{Rule: quality.Fraction, BadFraction: 0.2, MediumFraction: 0.4}, []ow.Quality{G, G, G, G, B}, G},
		{"fraction medium", quality.Aggregator{Rule: quality.Fraction, BadFraction: 0.2, MediumFraction: 0.3}, []ow.Quality{G, G, M, M, B}, M},
		{"fraction bad", quality.Aggregator{Rule: quality.Fraction, BadFraction: 0.2, MediumFraction: 0.4}, []ow.Quality{G, G, B, B, N}, B},
		{"fraction all null", quality.Aggregator{Rule: quality.Fraction}, []ow.Quality{N}, N},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.agg.Validate())
			got, why := tc.agg.Aggregate(tc.in)
			assert.Equal(t, tc.want, got, why)
			assert.NotEmpty(t, why)
		})
	}
	assert.ErrorIs(t, quality.Aggregator{Rule: "Average"}.Validate(), quality.ErrConfig)
	assert.ErrorIs(t, quality.Aggregator{Rule: quality.Fraction, BadFraction: 2}.Validate(), quality.ErrConfig)
	q, _ := quality.Aggregator{}.AggregateResults([]quality.Result{{Quality: G}, {Quality: B}})
	assert.Equal(t, B, q)
}
