package generator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeadRegion(t *testing.T) {
	g := New(Config{Seed: 3, Subsystems: []string{"EMC"}, EventsPerSecond: 100})
	g.StartRun(1)
	const name = "EMCTRQA_histFastORL0Amp"
	require.NoError(t, g.SetDeadRegion(DeadRegion{Subsystem: "EMC", Hist: name, From: 30 * time.Second, X1: 10, X2: 12, Y1: 40, Y2: 41}))
	g.Advance(30 * time.Second)
	before := g.Hist("EMC", name)
	g.Advance(60 * time.Second)
	after := g.Hist("EMC", name)
	dead := after.Bin(11, 40, 0)
	alive := after.Bin(14, 40, 0)
	assert.Greater(t, before.Contents[dead], 0.0, "filled before the region died")
	assert.Equal(t, before.Contents[dead], after.Contents[dead], "frozen after")
	assert.Greater(t, after.Contents[alive], before.Contents[alive], "its neighbours keep filling")
	assert.Error(t, g.SetDeadRegion(DeadRegion{Subsystem: "EMC", Hist: name, X1: 0, X2: 3, Y1: 1, Y2: 1}))
	assert.Error(t, g.SetDeadRegion(DeadRegion{Subsystem: "EMC", Hist: "nope", X1: 1, X2: 3, Y1: 1, Y2: 1}))
	assert.Error(t, g.SetDeadRegion(DeadRegion{Subsystem: "XX", Hist: name, X1: 1, X2: 3, Y1: 1, Y2: 1}))
}
