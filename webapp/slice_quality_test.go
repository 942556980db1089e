package webapp

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// putEventsSnapshot stores snapshot k of run 510 EMC (a short run: 20 s
// apart): hAmp with 100(k+1) entries, hEvents counting 1000(k+1) events.
func putEventsSnapshot(t *testing.T, e *testEnv, start time.Time, k int) {
	t.Helper()
	amp := overwatch.MustNewHist("TH1F", "hAmp", "amplitude", overwatch.NewAxis(10, 0, 10))
	for i := 0; i < 100*(k+1); i++ {
		require.NoError(t, amp.Fill(1, float64(i%10)+0.5))
	}
	ev := overwatch.MustNewHist("TH1F", "hEvents", "events", overwatch.NewAxis(1, 0, 1))
	ev.Contents[1], ev.Entries = float64(1000*(k+1)), float64(1000*(k+1))
	data, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "hAmp", Object: amp}, {Key: "hEvents", Object: ev}})
	require.NoError(t, err)
	_, err = e.store.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 510, Subsystem: "EMC", Mode: overwatch.ModeCompress,
		Time: start.Add(time.Duration(20*k) * time.Second), Origin: "test"}, bytes.NewReader(data))
	require.NoError(t, err)
}

// TestSliceAPIEventsAndThresholds: the slice API with windows by events and
// seconds and check-threshold overrides, on the real processing, slice
// service and checks: other thresholds are another slice with another
// quality, shown on its page; bad requests are 400s that say why.
func TestSliceAPIEventsAndThresholds(t *testing.T) {
	e := newEnv(t)
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	for k := 0; k < 4; k++ {
		putEventsSnapshot(t, e, start, k)
	}
	checks, err := observe.New(observe.Options{Configs: map[string]quality.Config{"EMC": {Checks: []overwatch.CheckSpec{
		{Name: "enough", Hist: "hAmp", Check: "MinEntries", Params: map[string]any{"Min": 50}},
	}}}})
	require.NoError(t, err)
	p := processing.New(e.store, processing.Options{Logger: slog.New(slog.DiscardHandler), NoPNG: true, SliceChecks: checks})
	e.realSlices(t, p, timeslice.ServiceOptions{Checks: checks}, Config{Thresholds: checks})
	c, _ := loggedIn(t, e)
	tok := c.csrf()

	// The last 2000 events: snapshot 3 − snapshot 1, 200 entries of hAmp.
	code, def, body := c.postSlice(tok, `{"run":510,"subsystem":"EMC","by":"lastEvents","last":2000}`)
	require.Less(t, code, 300, body)
	assert.Equal(t, &[2]float64{2000, 4000}, def.Events)
	assert.Equal(t, "good", def.Quality, "200 entries ≥ 50")
	assert.Empty(t, def.Thresholds)
	assert.Contains(t, def.URL, "by=lastEvents")
	assert.Contains(t, def.URL, "last=2000")

	// The same window with a higher minimum: another slice, Bad.
	code, high, body := c.postSlice(tok, `{"run":510,"subsystem":"EMC","by":"lastEvents","last":2000,"thresholds":{"enough.Min":"500"}}`)
	require.Less(t, code, 300, body)
	assert.NotEqual(t, def.Key, high.Key, "other thresholds, other result")
	assert.Equal(t, "bad", high.Quality)
	assert.Contains(t, high.QualityReason, "200 entries, fewer than 500")
	assert.Equal(t, `{"quality.enough.Min":500}`, high.Thresholds)
	assert.Contains(t, high.URL, "t.enough.Min=500")

	// Its permalink shows the thresholds and the quality.
	resp, page := c.get(high.URL)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, `id="slice-thresholds"`)
	assert.Contains(t, page, "quality.enough.Min")
	assert.Contains(t, page, `q-bad`)
	assert.Contains(t, page, "the last 2000 events")
	assert.Contains(t, page, `data-thr="enough.Min"`, "the form offers the thresholds")
	resp, hints := c.get("/api/runs/510/EMC/hints/hAmp?slice=" + high.Key)
	require.Equal(t, http.StatusOK, resp.StatusCode, hints)
	assert.Contains(t, hints, "Quality enough")
	assert.Contains(t, hints, "enough.Min = 500")

	// Events 1000 to 3000 and seconds 10 to 45 select the same snapshots
	// (2 − 0): one result.
	code, ev, body := c.postSlice(tok, `{"run":510,"subsystem":"EMC","by":"events","from":1000,"to":3000}`)
	require.Less(t, code, 300, body)
	assert.Equal(t, &[2]float64{1000, 3000}, ev.Events)
	code, sec, body := c.postSlice(tok, `{"run":510,"subsystem":"EMC","by":"seconds","from":10,"to":45}`)
	require.Less(t, code, 300, body)
	assert.Equal(t, ev.Key, sec.Key)
	resp, page = c.get(sec.URL)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "seconds 10 – 45")

	// The form of this 60-second run offers a window in seconds.
	resp, page = c.get("/run/510/EMC")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `<option value="seconds" selected>`)

	// Bad requests: 400 with the reason, nothing computed.
	for body, want := range map[string]string{
		`{"run":510,"subsystem":"EMC","by":"lastEvents","last":0}`:                           "positive number",
		`{"run":510,"subsystem":"EMC","by":"lastEvents","last":-3}`:                          "positive number",
		`{"run":510,"subsystem":"EMC","by":"events","from":3000,"to":1000}`:                  "the last event must be after the first",
		`{"run":510,"subsystem":"EMC","by":"events","from":5000,"to":9000}`:                  "the run's 4 snapshots hold 1000 to 4000 events",
		`{"run":510,"subsystem":"EMC","by":"seconds","from":61,"to":70}`:                     "span 60 s",
		`{"run":510,"subsystem":"EMC","by":"hours","from":1,"to":2}`:                         `by=\"hours\"`,
		`{"run":510,"subsystem":"EMC","from":1,"to":2,"last":5}`:                             "last=5 is for by=lastEvents only",
		`{"run":510,"subsystem":"EMC","to":1,"thresholds":{"enough.Nope":"1"}}`:              `no check threshold \"enough.Nope\"`,
		`{"run":510,"subsystem":"EMC","to":1,"thresholds":{"nosuch.Min":"1"}}`:               "thresholds: enough.Min",
		`{"run":510,"subsystem":"EMC","to":1,"thresholds":{"enough.Min":"many"}}`:            "enough.Min",
		`{"run":510,"subsystem":"EMC","by":"lastEvents","last":10,"thresholds":{"Min":"1"}}`: `\u003ccheck name\u003e.\u003cparameter\u003e`,
	} {
		code, _, b := c.postSlice(tok, body)
		assert.Equal(t, http.StatusBadRequest, code, "%s: %s", body, b)
		assert.Contains(t, b, want, body)
	}
}
