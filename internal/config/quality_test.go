package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/quality"
)

func TestQualitySection(t *testing.T) {
	c := Default()
	require.NoError(t, Parse([]byte(`
quality:
  EMC:
    aggregation: {rule: Fraction, badFraction: 0.2, mediumFraction: 0.5}
    checks:
      - {name: towers, hist: "EMC*Amp*", check: Bins_Diff_FromAvg, params: {NSigma: 5, MinStat: 100, GreaterThan: 1}}
      - {hist: EMCTRQA_histFastORL0, check: DeadChannels, params: {Radius: 1}}
`), &c))
	require.NoError(t, c.Validate())
	emc := c.Quality["EMC"]
	require.Len(t, emc.Checks, 2)
	assert.Equal(t, "towers", emc.Checks[0].ID())
	assert.Equal(t, 5, emc.Checks[0].Params["NSigma"])
	assert.Equal(t, quality.Fraction, emc.Aggregation.Rule)

	for _, tc := range []struct{ yaml, want string }{
		{"quality:\n  EMC:\n    checks:\n      - {hist: a, check: Chi3Test}\n", `quality.EMC: checks[0]: quality: invalid check configuration: unknown check "Chi3Test"`},
		{"quality:\n  EMC:\n    checks:\n      - {hist: a, check: Bins_Diff_FromAvg, params: {Nsigma: 5}}\n", `unknown parameter "Nsigma"`},
		{"quality:\n  EMC:\n    checks:\n      - {hist: a, check: Bins_Diff_FromAvg, params: {NSigma: high}}\n", `option NSigma: "high" is not a finite number`},
		{"quality:\n  EMC:\n    checks:\n      - {hist: a, check: Bins_Diff_FromAvg}\n", "parameter NSigma is required"},
		{"quality:\n  emc:\n    checks: []\n", `quality: "emc" is not a subsystem name`},
		{"quality:\n  EMC:\n    aggregation: {rule: Average}\n", `unknown aggregation rule "Average"`},
	} {
		c := Default()
		require.NoError(t, Parse([]byte(tc.yaml), &c))
		err := c.Validate()
		require.Error(t, err, tc.yaml)
		assert.Contains(t, err.Error(), tc.want)
	}
	c = Default()
	assert.Error(t, Parse([]byte("quality:\n  EMC:\n    checks:\n      - {hist: a, check: MinEntries, threshold: 3}\n"), &c), "unknown key")
}
