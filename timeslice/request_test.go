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
		// Seconds: exact bounds.
		{"seconds", Request{Subsystem: "EMC", FromSecond: 12.5, ToSecond: 30}, true},
		{"seconds from 0", Request{Subsystem: "EMC", By: BySeconds, ToSecond: 30}, true},
		{"seconds, one instant", Request{Subsystem: "EMC", FromSecond: 30, ToSecond: 30}, true},
		{"seconds reversed", Request{Subsystem: "EMC", FromSecond: 30, ToSecond: 29.999}, false},
		{"seconds negative", Request{Subsystem: "EMC", FromSecond: -0.001, ToSecond: 1}, false},
		{"seconds NaN", Request{Subsystem: "EMC", FromSecond: math.NaN(), ToSecond: 1}, false},
		// Events N to M: M must be after N.
		{"events", Request{Subsystem: "EMC", FromEvent: 1000, ToEvent: 5000}, true},
		{"events from 0", Request{Subsystem: "EMC", By: ByEvents, ToEvent: 1}, true},
		{"events, M = N", Request{Subsystem: "EMC", FromEvent: 1000, ToEvent: 1000}, false},
		{"events, M < N", Request{Subsystem: "EMC", FromEvent: 1000, ToEvent: 999}, false},
		{"events negative", Request{Subsystem: "EMC", FromEvent: -1, ToEvent: 10}, false},
		{"events by, none given", Request{Subsystem: "EMC", By: ByEvents}, false},
		{"events Inf", Request{Subsystem: "EMC", ToEvent: math.Inf(1)}, false},
		// The last N events: N > 0.
		{"last events", Request{Subsystem: "EMC", LastEvents: 1}, true},
		{"last 0 events", Request{Subsystem: "EMC", By: ByLastEvents}, false},
		{"last -5 events", Request{Subsystem: "EMC", LastEvents: -5}, false},
		{"last NaN events", Request{Subsystem: "EMC", LastEvents: math.NaN()}, false},
		// One window only, of a known kind.
		{"two windows", Request{Subsystem: "EMC", ToMinute: 2, ToSecond: 30}, false},
		{"by and other fields", Request{Subsystem: "EMC", By: BySeconds, ToEvent: 30}, false},
		{"unknown by", Request{Subsystem: "EMC", By: "hours", ToMinute: 1}, false},
		{"by minutes, from 0 to 0", Request{Subsystem: "EMC", By: ByMinutes}, true},
		// Thresholds: <check>.<parameter> with a value.
		{"threshold", Request{Subsystem: "EMC", ToMinute: 1, Thresholds: map[string]string{"dead.fraction.DeadFraction": "0.9"}}, true},
		{"threshold without parameter", Request{Subsystem: "EMC", ToMinute: 1, Thresholds: map[string]string{"dead.": "0.9"}}, false},
		{"threshold without check", Request{Subsystem: "EMC", ToMinute: 1, Thresholds: map[string]string{"DeadFraction": "0.9"}}, false},
		{"threshold empty", Request{Subsystem: "EMC", ToMinute: 1, Thresholds: map[string]string{"dead.DeadFraction": " "}}, false},
	} {
		_, err := tc.req.Validate()
		if tc.ok {
			require.NoError(t, err, tc.name)
			continue
		}
		assert.ErrorIs(t, err, ErrInvalidRequest, tc.name)
	}
}

func TestRequestWindow(t *testing.T) {
	for _, tc := range []struct {
		req Request
		by  string
	}{
		{Request{}, ByMinutes},
		{Request{ToMinute: 3}, ByMinutes},
		{Request{ToSecond: 3}, BySeconds},
		{Request{FromEvent: 3, ToEvent: 4}, ByEvents},
		{Request{LastEvents: 3}, ByLastEvents},
		{Request{ToUnix: 3}, ByUnix},
		{Request{By: BySeconds}, BySeconds},
	} {
		by, err := tc.req.Window()
		require.NoError(t, err)
		assert.Equal(t, tc.by, by, "%+v", tc.req)
	}
}
