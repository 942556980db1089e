package quality

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// deadMap is a 10 × 8 channel map of 100 counts with the given cells dead.
func deadMap(t *testing.T, dead ...int) *overwatch.Hist {
	h := overwatch.MustNewHist(overwatch.ClassTH2F, "map", "", overwatch.NewAxis(10, 0, 10), overwatch.NewAxis(8, 0, 8))
	for iy := 1; iy <= 8; iy++ {
		for ix := 1; ix <= 10; ix++ {
			h.Contents[ix+12*iy] = 100
		}
	}
	for _, c := range dead {
		h.Contents[c] = 0
	}
	h.Entries = 8000
	return h
}

func TestBadChannelsLifecycle(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	dead := []int{3 + 12*2, 4 + 12*2, 7 + 12*5} // (3,2), (4,2), (7,5)
	h := deadMap(t, dead...)
	suite, err := NewSuite([]overwatch.CheckSpec{
		{Hist: "map", Check: "DeadChannels", Params: map[string]any{"NBinsGreen": 0, "NBinsRed": 2}},
		{Hist: "map", Check: "EmptyBinsFraction", Params: map[string]any{"MaxFraction": 0.02}},
	}, nil, Aggregator{})
	require.NoError(t, err)
	outs := suite.Run("map", h, nil)
	require.Len(t, outs, 2)
	assert.Equal(t, overwatch.QualityBad, outs[0].Quality)
	assert.Equal(t, dead, outs[0].Bins)
	assert.Equal(t, overwatch.QualityBad, outs[1].Quality, "3 of 80 empty > 2 %%")

	// Detection proposes; proposing again changes nothing.
	b := &BadChannels{Subsystem: "EMC"}
	assert.True(t, b.Propose(h, outs[0].Result, 42, t0))
	assert.False(t, b.Propose(h, outs[0].Result, 43, t0.Add(time.Minute)))
	require.Len(t, b.Channels, 3)
	assert.Equal(t, Channel{Hist: "map", Cell: 3 + 12*2, X: 2.5, Y: 1.5, State: ChannelProposed, Check: "DeadChannels", Run: 42, Since: t0}, b.Channels[0])
	assert.Empty(t, b.Confirmed("map"))

	// An expert confirms two and removes one; only confirmed cells are excluded.
	require.NoError(t, b.Decide("map", dead[0], ChannelConfirmed, "eric", t0))
	require.NoError(t, b.Decide("map", dead[1], ChannelConfirmed, "eric", t0))
	require.NoError(t, b.Decide("map", dead[2], ChannelRemoved, "eric", t0))
	assert.ErrorIs(t, b.Decide("map", 5, ChannelConfirmed, "eric", t0), overwatch.ErrNotFound)
	assert.Error(t, b.Decide("map", dead[0], "maybe", "eric", t0))
	assert.Equal(t, dead[:2], b.Confirmed("map"))
	c, p := b.Count()
	assert.Equal(t, [2]int{2, 0}, [2]int{c, p})

	outs = suite.RunExcluding("map", h, nil, b.Confirmed("map"))
	assert.Equal(t, []int{dead[2]}, outs[0].Bins, "the confirmed channels are not reported")
	assert.Equal(t, overwatch.QualityMedium, outs[0].Quality)
	assert.Contains(t, outs[0].Reason, "2 known bad channels excluded")
	assert.Equal(t, overwatch.QualityBad, outs[1].Quality, "EmptyBinsFraction still counts the emptied masked cells (a documented limit)")
	assert.Equal(t, 0.0, h.Contents[dead[0]], "h is not modified")

	// Through a document.
	d, err := b.Document("eric", "confirmed")
	require.NoError(t, err)
	require.NoError(t, overwatch.CheckDocument(d))
	back, err := BadChannelsFromDocument(d)
	require.NoError(t, err)
	assert.Equal(t, b.Channels, back.Channels)
	d.Name = "HLT"
	_, err = BadChannelsFromDocument(d)
	assert.Error(t, err)
}
