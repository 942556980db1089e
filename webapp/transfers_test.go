package webapp

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatusShowsTransfer: the status page and /api/status show, per
// transfer destination, its name, pending count, lag, last error and last
// success, as the TransferReader tells them; a stale report is flagged.
func TestStatusShowsTransfer(t *testing.T) {
	sent := time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)
	var asked time.Time
	stale := false
	e := newEnv(t, func(c *Config) {
		c.Transfers = TransferFunc(func(now time.Time) *TransferStatus {
			asked = now
			ts := &TransferStatus{Updated: now.Add(-4 * time.Second), AgeSeconds: 4, Destinations: []TransferDestination{
				{Name: "eos-cern", Pending: 12, LagSeconds: 340, LastSuccess: sent},
				{Name: "s3-backup", Pending: 3, LagSeconds: 95, LastError: "PUT snap.root: 503 Slow Down", Failures: 7},
			}}
			if stale {
				ts.Updated, ts.AgeSeconds, ts.Stale = now.Add(-time.Hour), 3600, true
			}
			return ts
		})
	})
	c, _ := loggedIn(t, e)
	resp, body := c.get("/status")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.False(t, asked.IsZero(), "the reader is asked at the app's clock")
	assert.Contains(t, body, "Transfer to other sites")
	assert.Contains(t, body, `<tr class="alive" data-destination="eos-cern"><td>eos-cern</td><td>12</td><td>340 s</td><td>Wed 2 Dec 2026 18:00:00 CET</td><td>none</td></tr>`)
	assert.Contains(t, body, `<tr class="dead" data-destination="s3-backup"><td>s3-backup</td><td>3</td><td>95 s</td><td>never</td><td>PUT snap.root: 503 Slow Down</td></tr>`)
	assert.NotContains(t, body, "stale")

	resp, body = c.get("/api/status")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st Status
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.NotNil(t, st.Transfer)
	require.Len(t, st.Transfer.Destinations, 2)
	assert.Equal(t, TransferDestination{Name: "eos-cern", Pending: 12, LagSeconds: 340, LastSuccess: sent}, st.Transfer.Destinations[0])
	assert.Equal(t, "PUT snap.root: 503 Slow Down", st.Transfer.Destinations[1].LastError)
	assert.True(t, st.Transfer.Destinations[1].LastSuccess.IsZero())
	assert.NotContains(t, body, `"lastSuccess":"0001`, "a zero last success is left out")

	stale = true
	_, body = c.get("/status")
	assert.Contains(t, body, "stale, the transfer job is not running")
	_, body = c.get("/api/status")
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.True(t, st.Transfer.Stale)
}

// TestStatusWithoutTransfer: no reader, or a reader with no report, shows
// no transfer section and no "transfer" key.
func TestStatusWithoutTransfer(t *testing.T) {
	for name, r := range map[string]TransferReader{"nil": nil, "none": TransferFunc(func(time.Time) *TransferStatus { return nil })} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Transfers = r })
			c, _ := loggedIn(t, e)
			_, body := c.get("/status")
			assert.NotContains(t, body, "Transfer to other sites")
			_, body = c.get("/api/status")
			assert.NotContains(t, body, `"transfer"`)
		})
	}
}

// TestStatusTransferUnreadable: a report that cannot be read shows why.
func TestStatusTransferUnreadable(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Transfers = TransferFunc(func(time.Time) *TransferStatus {
			return &TransferStatus{Error: "status.json: unexpected end of JSON input"}
		})
	})
	c, _ := loggedIn(t, e)
	resp, body := c.get("/status")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "The transfer status cannot be read: status.json: unexpected end of JSON input")
	assert.NotContains(t, body, `id="transfer"`)
}
