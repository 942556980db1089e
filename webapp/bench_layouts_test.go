package webapp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// benchLayouts is an app with n stored layouts of two tabs of 8 plots and
// a session cookie of the shifter.
func benchLayouts(b *testing.B, n int) (*testEnv, *http.Cookie) {
	e := layoutEnv(b, func(c *Config) { c.PollInterval = time.Hour })
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
