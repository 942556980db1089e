package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/trending"
)

func TestNotificationLinks(t *testing.T) {
	cfg := config.Default()
	cfg.Notifications.BaseURL = "https://overwatch.example.org/"
	link := notificationLinks(cfg)
	n := trending.Notification{Run: 290002, Subsystem: "HLT", Hist: "fHistTPCTrackPt"}
	link(&n)
	assert.Equal(t, "https://overwatch.example.org/run/290002/HLT", n.RunURL)
	assert.Equal(t, "https://overwatch.example.org/api/runs/290002/HLT/png/fHistTPCTrackPt", n.PlotURL)
	hb := trending.Notification{Subsystem: "EMC", Hist: "heartbeat.EMCReceiver"}
	link(&hb)
	assert.Equal(t, "https://overwatch.example.org/status", hb.RunURL)
	assert.Empty(t, hb.PlotURL)

	cfg.Notifications.BaseURL = ""
	n = trending.Notification{Run: 1, Subsystem: "EMC", Hist: "a/b c"}
	notificationLinks(cfg)(&n)
	assert.Equal(t, "http://127.0.0.1:8080/run/1/EMC", n.RunURL)
	assert.Equal(t, "http://127.0.0.1:8080/api/runs/1/EMC/png/a/b%20c", n.PlotURL)
}

func TestConfigCheckNotifications(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	for _, tc := range []struct{ yaml, want string }{
		{"notifications: {baseURL: 'ftp://x'}\n", "notifications.baseURL"},
		{"notifications: {baseURL: 'https://x/?a=1'}\n", "notifications.baseURL"},
		{"notifications: {smtp: {address: 'smtp.example.org:465', from: a@b, starttls: true}}\n", "exclude each other"},
	} {
		require.NoError(t, os.WriteFile(p, []byte(tc.yaml), 0o600))
		code, _, errs := runCommand(t, "config", "check", "--config", p)
		assert.Equal(t, 1, code, tc.yaml)
		assert.Contains(t, errs, tc.want, tc.yaml)
	}
	require.NoError(t, os.WriteFile(p, []byte("notifications: {baseURL: 'https://ow.example.org', smtp: {address: 'smtp.example.org:465', from: a@b, username: ow}}\n"), 0o600))
	code, out, errs := runCommand(t, "config", "check", "--config", p)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "baseURL: https://ow.example.org")
}
