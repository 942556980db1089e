package webapp

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// TestEndToEnd runs the real pipeline behind the web app: ROOT snapshots
// stored, processed by the processing package, shown by the web app; a
// time slice computed by the real timeslice service, and its permalink
// after a restart of the web app and of the service.
func TestEndToEnd(t *testing.T) {
	e := newEnv(t)
	_, p := patchRun(t, e)
	app, svc := e.realSlices(t, p, timeslice.ServiceOptions{}, Config{})
	c, _ := loggedIn(t, e)

	resp, body := c.get("/run/500/EMC")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `data-json="/api/runs/500/EMC/json/hPatchMap"`)

	resp, full := c.get("/api/runs/500/EMC/json/hPatchMap")
	require.Equal(t, http.StatusOK, resp.StatusCode, full)
	var obj struct {
		Type    string  `json:"_typename"`
		Entries float64 `json:"fEntries"`
	}
	require.NoError(t, json.Unmarshal([]byte(full), &obj))
	assert.Equal(t, "TH2F", obj.Type)
	assert.Equal(t, 800.0, obj.Entries)
	resp, _ = c.get("/api/runs/500/EMC/hints/hPatchMap")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, png := c.get("/api/runs/500/EMC/png/hPatchMap")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(png, "\x89PNG"), "a PNG image")

	// A time slice from minute 4 to 10: snapshot at 9 min minus snapshot at 3 min.
	code, st, body := c.postSlice(c.csrf(), `{"run":500,"subsystem":"EMC","from":4,"to":10}`)
	require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, code, body)
	resp, sliced := c.get("/api/runs/500/EMC/json/hPatchMap?slice=" + st.Key)
	require.Equal(t, http.StatusOK, resp.StatusCode, sliced)
	require.NoError(t, json.Unmarshal([]byte(sliced), &obj))
	assert.Equal(t, 400.0, obj.Entries, "two fills per cell between minutes 3 and 9")

	// Restart the web app and the service: the permalink still works.
	app.Close()
	svc.Close()
	e.realSlices(t, p, timeslice.ServiceOptions{}, Config{Secret: app.cfg.Secret})
	c2, _ := loggedIn(t, e)
	resp, body = c2.get(st.URL)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `data-slice="`+st.Key+`"`)
	assert.Contains(t, body, "/api/runs/500/EMC/json/hPatchMap?slice="+st.Key)
}

// patchRun stores snapshots 0 to 3 of run 500 (putPatchSnapshot, from a
// start 20 minutes ago) and processes them with the real processing; it
// returns the start and the processor.
func patchRun(t testing.TB, e *testEnv) (time.Time, *processing.Processor) {
	t.Helper()
	start := time.Now().Add(-20 * time.Minute).Truncate(time.Second)
	var last overwatch.SnapshotInfo
	for k := 0; k < 4; k++ {
		last = putPatchSnapshot(t, e, start, k)
	}
	p := processing.New(e.store, processing.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, p.Process(t.Context(), last))
	return start, p
}

// realSlices replaces the web app of e by one whose time slices the real
// timeslice service computes with p: so and cfg are the service's and the
// app's options beyond the store, data directory, users and slices of e
// (both log nothing). Both are closed at the end of t.
func (e *testEnv) realSlices(t testing.TB, p *processing.Processor, so timeslice.ServiceOptions, cfg Config) (*App, *timeslice.Service) {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	so.Logger = quiet
	svc := timeslice.NewService(e.store, p, so)
	t.Cleanup(func() { svc.Close() })
	cfg.Store, cfg.Alarms, cfg.DataDir, cfg.Users, cfg.Slices, cfg.Logger = e.store, e.store, e.dir, e.app.cfg.Users, svc, quiet
	app, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { app.Close() })
	e.app = app
	return app, svc
}

// putPatchSnapshot stores snapshot k of run 500 (cumulative: k+1 fills
// per cell of a 20x10 TH2F).
func putPatchSnapshot(t testing.TB, e *testEnv, start time.Time, k int) overwatch.SnapshotInfo {
	t.Helper()
	h, err := overwatch.NewHist("TH2F", "hPatchMap", "patch map", overwatch.NewAxis(20, 0, 20), overwatch.NewAxis(10, 0, 10))
	require.NoError(t, err)
	for n := 0; n <= k; n++ {
		for x := 0; x < 20; x++ {
			for y := 0; y < 10; y++ {
				require.NoError(t, h.Fill(float64(1+(x+y)%5), float64(x)+0.5, float64(y)+0.5))
			}
		}
	}
	data, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "hPatchMap", Object: h}})
	require.NoError(t, err)
	info, err := e.store.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 500, Subsystem: "EMC", Mode: overwatch.ModeCompress,
		Time: start.Add(time.Duration(k) * 3 * time.Minute), Origin: "test"}, bytes.NewReader(data))
	require.NoError(t, err)
	return info
}
