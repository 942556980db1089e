package webapp

import (
	"encoding/json"
	"github.com/overwatch-dqm/overwatch/heartbeat"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/receiver"
)

// TestStatusShowsNoDataWhileRunOngoing: the status page and /api/status
// flag a live receiver that has stored no new data for NoDataAfter while
// its source reports an ongoing run.
func TestStatusShowsNoDataWhileRunOngoing(t *testing.T) {
	e := newEnv(t)
	c, _ := loggedIn(t, e)
	now := time.Now()
	require.NoError(t, heartbeat.Write(e.dir, "EMC", now))
	require.NoError(t, receiver.WriteDataStatus(e.dir, "EMC", receiver.DataStatus{Run: 290000, LastData: now.Add(-15 * time.Minute)}))
	require.NoError(t, heartbeat.Write(e.dir, "HLT", now))
	require.NoError(t, receiver.WriteDataStatus(e.dir, "HLT", receiver.DataStatus{Run: 290000, LastData: now.Add(-time.Minute)}))
	resp, body := c.get("/status")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "alive, but no new data for 10 minutes while run 290000 is ongoing")
	assert.Contains(t, body, `class="nodata"`)
	resp, body = c.get("/api/status")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st Status
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	flags := map[string]bool{}
	for _, hb := range st.Heartbeats {
		flags[hb.Subsystem] = hb.NoData
	}
	assert.Equal(t, map[string]bool{"EMC": true, "HLT": false, "TPC": false}, flags)
}
