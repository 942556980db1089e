package emc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/emc"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

// fastORL0 simulates EMC data for d and returns the L0 FastOR map.
func fastORL0(t *testing.T, d time.Duration, hot bool) *overwatch.Hist {
	g := generator.New(generator.Config{Seed: 1, Subsystems: []string{"EMC"}, EventsPerSecond: 100})
	g.StartRun(123)
	if hot {
		require.NoError(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL0", 42, 0.5))
	}
	g.Advance(d)
	for _, e := range g.Snapshot("EMC") {
		if e.Key == "EMCTRQA_histFastORL0" {
			return e.Object.(*overwatch.Hist)
		}
	}
	t.Fatal("no FastOR L0 map")
	return nil
}

func TestFastORChecks(t *testing.T) {
	specs := emc.Detector{}.Checks(nil)
	s, err := quality.NewSuite(specs, nil, quality.Aggregator{})
	require.NoError(t, err)
	name := "EMCTRQA_histFastORL0"
	require.True(t, s.Applies(name))
	require.True(t, s.Applies("EMCTRQA_histFastORL1"))
	require.False(t, s.Applies("EMCTRQA_histFastORL0Amp"))

	byID := func(outs []quality.Outcome) map[string]quality.Outcome {
		m := map[string]quality.Outcome{}
		for _, o := range outs {
			m[o.ID] = o
		}
		return m
	}
	normal := byID(s.Run(name, fastORL0(t, 10*time.Minute, false), nil))
	assert.Equal(t, overwatch.QualityGood, normal["fastORHot"].Quality, normal["fastORHot"].Reason)
	assert.Equal(t, overwatch.QualityGood, normal["fastORDead"].Quality, normal["fastORDead"].Reason)
	judged, _ := normal["fastORDead"].Value("Judged")
	assert.Greater(t, judged, 4000.0, "after 10 minutes most of the 5000 FastORs have enough hits to judge")

	hot := byID(s.Run(name, fastORL0(t, time.Minute, true), nil))
	assert.Equal(t, overwatch.QualityMedium, hot["fastORHot"].Quality, hot["fastORHot"].Reason)
	assert.Equal(t, []int{43}, hot["fastORHot"].Bins, "FastOR 42 is bin 43")
	short := byID(s.Run(name, fastORL0(t, time.Minute, false), nil))
	judged, _ = short["fastORDead"].Value("Judged")
	assert.Less(t, judged, 100.0, "one minute: too few hits to judge FastORs")
	assert.Equal(t, overwatch.QualityGood, short["fastORDead"].Quality, short["fastORDead"].Reason)
}
