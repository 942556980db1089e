package timeslice

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  Request
		ok   bool
	}{
		{"minutes", Request{Run: 1, Subsystem: "EMC", FromMinute: 0, ToMinute: 5}, true},
		{"unix", Request{Run: 1, Subsystem: "EMC", FromUnix: 10, ToUnix: 20}, true},
		{"bad subsystem", Request{Subsystem: "../x", ToMinute: 1}, false},
		{"negative from", Request{Subsystem: "EMC", FromMinute: -1, ToMinute: 1}, false},
		{"one minute", Request{Subsystem: "EMC", FromMinute: 2, ToMinute: 2}, true},
		{"reversed", Request{Subsystem: "EMC", FromMinute: 3, ToMinute: 2}, false},
		{"NaN", Request{Subsystem: "EMC", FromMinute: math.NaN(), ToMinute: 2}, false},
		{"Inf", Request{Subsystem: "EMC", ToMinute: math.Inf(1)}, false},
		{"unix reversed", Request{Subsystem: "EMC", FromUnix: 20, ToUnix: 10}, false},
		{"unknown option", Request{Subsystem: "EMC", ToMinute: 1, Options: map[string]string{"noSuchOption": "1"}}, false},
	} {
		_, err := tc.req.Validate()
		if tc.ok {
			require.NoError(t, err, tc.name)
			continue
		}
		assert.ErrorIs(t, err, ErrInvalidRequest, tc.name)
	}
}
