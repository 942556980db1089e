package alarmsets

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrends(t *testing.T) {
	got := Trends("fHist", []string{"A", "B"})
	require.Len(t, got, 6)
	assert.Equal(t, "maxA", got[0].Name)
	assert.Equal(t, "max: Maximum of A", got[0].Desc)
	assert.Equal(t, "fHistA", got[0].Hist)
	assert.Equal(t, "max", got[0].Extractor)
	assert.Equal(t, Max(), got[0].Alarms)
	assert.Equal(t, "stdDevB", got[5].Name)
	assert.Equal(t, "stdDev", got[5].Extractor)
	assert.Equal(t, StdDev(), got[5].Alarms)
	assert.Equal(t, "meanA", got[2].Name)
	assert.Equal(t, Mean(), got[2].Alarms)
}
