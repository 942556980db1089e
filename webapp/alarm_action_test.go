package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func TestAlarmActions(t *testing.T) {
	e := newEnv(t)
	now := e.seed(t, 1)
	ctx := context.Background()
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/high", Subsystem: "EMC", Trend: "maxPatch", Alarm: "high",
		Hist: "hEvents", State: overwatch.AlarmFiring, Message: "is high", Run: 100, FiredAt: now})
	putAlarm(t, e, overwatch.AlarmRecord{ID: "EMC/maxPatch/old", Subsystem: "EMC", Trend: "maxPatch", Alarm: "old",
		State: overwatch.AlarmResolved, Message: "was high", Run: 100, FiredAt: now, ResolvedAt: now})
	c, _ := loggedIn(t, e)
	post := func(body string, csrf bool) (*http.Response, string) {
		hdr := map[string]string{"Content-Type": "application/json"}
		if csrf {
			hdr["X-CSRF-Token"] = c.csrf()
		}
		return c.do("POST", "/api/alarms/action", strings.NewReader(body), hdr)
	}

	_, page := c.get("/run/100/EMC")
	assert.Contains(t, page, `data-action="ack"`, "the run page offers to acknowledge a firing alarm")

	resp, _ := post(`{"id":"EMC/maxPatch/high","action":"ack"}`, false)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")

	resp, body := post(`{"id":"EMC/maxPatch/high","action":"ack"}`, true)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var rec overwatch.AlarmRecord
	require.NoError(t, json.Unmarshal([]byte(body), &rec))
	assert.Equal(t, testUser, rec.AckedBy)

	resp, body = post(`{"id":"EMC/maxPatch/high","action":"silence","minutes":30}`, true)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	stored, err := e.store.Alarm(ctx, "EMC/maxPatch/high")
	require.NoError(t, err)
	assert.True(t, stored.SilencedUntil.After(stored.FiredAt))
	assert.Equal(t, testUser, stored.AckedBy)

	resp, _ = post(`{"id":"EMC/maxPatch/high","action":"unsilence"}`, true)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	stored, err = e.store.Alarm(ctx, "EMC/maxPatch/high")
	require.NoError(t, err)
	assert.True(t, stored.SilencedUntil.IsZero())

	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"id":"EMC/maxPatch/old","action":"ack"}`, http.StatusConflict},
		{`{"id":"EMC/nope/x","action":"ack"}`, http.StatusNotFound},
		{`{"id":"EMC/maxPatch/high","action":"delete"}`, http.StatusBadRequest},
		{`{"id":"EMC/maxPatch/high","action":"silence","minutes":-5}`, http.StatusBadRequest},
		{`{"id":"EMC/maxPatch/high","action":"silence","minutes":999999}`, http.StatusBadRequest},
		{`{"id":"EMC/maxPatch/high","extra":1}`, http.StatusBadRequest},
		{`not json`, http.StatusBadRequest},
	} {
		resp, body := post(tc.body, true)
		assert.Equal(t, tc.code, resp.StatusCode, "%s: %s", tc.body, body)
	}
}
