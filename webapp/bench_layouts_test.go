package webapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// benchLayouts is an app with n stored layouts of two tabs of 8 plots and
// a session cookie of the shifter.
func benchLayouts(b *testing.B, n int) (*testEnv, *http.Cookie) {
	e := layoutEnv(b, func(c *Config) { c.PollInterval = time.Hour; c.Logger = slog.New(slog.DiscardHandler) })
	e.seed(b, 1)
	l := twoTabLayout("bench")
	for i := 0; i < 6; i++ {
		l.Tabs[1].Plots = append(l.Tabs[1].Plots, overwatch.LayoutPlot{Subsystem: "HLT", Name: fmt.Sprintf("h%d", i)})
		l.Tabs[0].Plots = append(l.Tabs[0].Plots, overwatch.LayoutPlot{Subsystem: "EMC", Name: fmt.Sprintf("h%d", i)})
	}
	body, err := json.Marshal(l)
	require.NoError(b, err)
	for i := 0; i < n; i++ {
		_, err := e.store.PutDocument(b.Context(), overwatch.Document{Kind: overwatch.DocumentKindLayout, Name: fmt.Sprintf("layout-%03d", i), Author: expertUser, Body: body}, 0)
		require.NoError(b, err)
	}
	fp, _ := e.app.cfg.Users.fingerprint(testUser)
	ss := session{User: testUser, Expires: time.Now().Add(time.Hour), Nonce: "bench", Fingerprint: fp}
	require.NoError(b, e.app.cfg.Sessions.CreateSession(b.Context(), ss.Nonce, SessionRecord{User: testUser, Expires: ss.Expires}))
	return e, &http.Cookie{Name: sessionCookie, Value: e.app.sess.encode(ss)}
}

// BenchmarkLayoutPage: the page of a layout of 16 plots for the newest run
// (the layout read from the store, the newest run resolved).
func BenchmarkLayoutPage(b *testing.B) {
	e, c := benchLayouts(b, 1)
	benchGet(b, e.app, c, "/layouts/layout-000?run=latest")
}

// BenchmarkLayoutList: the layout list page over 100 layouts, and the API.
func BenchmarkLayoutList(b *testing.B) {
	e, c := benchLayouts(b, 100)
	b.Run("page", func(b *testing.B) { benchGet(b, e.app, c, "/layouts") })
	b.Run("api", func(b *testing.B) { benchGet(b, e.app, c, "/api/layouts") })
}

// BenchmarkKioskPage: the kiosk page of three layouts.
func BenchmarkKioskPage(b *testing.B) {
	e, c := benchLayouts(b, 3)
	benchGet(b, e.app, c, "/kiosk?layouts=layout-000,layout-001,layout-002&every=30")
}

// BenchmarkLayoutSave: saving a new version of a 16-plot layout (decode,
// Check, one document write with its conflict check).
func BenchmarkLayoutSave(b *testing.B) {
	e, _ := benchLayouts(b, 1)
	fp, _ := e.app.cfg.Users.fingerprint(expertUser)
	ss := session{User: expertUser, Expires: time.Now().Add(time.Hour), Nonce: "bench-expert", Fingerprint: fp}
	require.NoError(b, e.app.cfg.Sessions.CreateSession(b.Context(), ss.Nonce, SessionRecord{User: expertUser, Expires: ss.Expires}))
	cookie := &http.Cookie{Name: sessionCookie, Value: e.app.sess.encode(ss)}
	csrf := e.app.sess.csrfToken(ss.Nonce)
	d, err := e.store.Document(b.Context(), overwatch.DocumentKindLayout, "layout-000", 0)
	require.NoError(b, err)
	var l overwatch.Layout
	require.NoError(b, json.Unmarshal(d.Body, &l))
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body, _ := json.Marshal(layoutSave{Version: d.Version + int64(i), Comment: "bench", Layout: l})
		req := httptest.NewRequest("PUT", "/api/layouts/layout-000", bytes.NewReader(body))
		req.AddCookie(cookie)
		req.Header.Set("X-CSRF-Token", csrf)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.app.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body.String())
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
