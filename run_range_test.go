package overwatch

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 1, true},
		{"290000", 290000, true},
		{"999999999", MaxRun, true},
		{"1000000000", 0, false},
		{"1000000000000000000", 0, false},
		{"0", 0, false},
		{"-1", 0, false},
		{"+5", 0, false},
		{"007", 0, false},
		{" 5", 0, false},
		{"", 0, false},
		{"12a", 0, false},
	} {
		n, err := ParseRun(tc.in)
		if tc.ok {
			assert.NoError(t, err, tc.in)
			assert.Equal(t, tc.want, n, tc.in)
			assert.True(t, ValidRun(n), tc.in)
		} else {
			assert.Error(t, err, tc.in)
			assert.Contains(t, err.Error(), "1 to 999999999", tc.in)
		}
	}
	assert.False(t, ValidRun(0))
	assert.False(t, ValidRun(MaxRun+1))
	assert.False(t, ValidRun(-3))
}
