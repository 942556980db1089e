package cli

import (
	"strings"

	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/trending"
	"github.com/overwatch-dqm/overwatch/webapp"
)

// notificationBase returns the web app's base URL for the links of
// notifications: notifications.baseURL, or else the web listener's
// address (which recipients elsewhere may not reach: set baseURL).
func notificationBase(cfg config.Config) string {
	if b := cfg.Notifications.BaseURL; b != "" {
		return strings.TrimRight(b, "/")
	}
	scheme := "http"
	if cfg.Web.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + cfg.Web.Listen
}

// notificationLinks fills a notification's links to the web app: the run
// page and the plot of its histogram, or the status page for notifications
// without a run (receiver heartbeats).
func notificationLinks(cfg config.Config) func(*trending.Notification) {
	base := notificationBase(cfg)
	return func(n *trending.Notification) {
		if n.Run <= 0 {
			n.RunURL, n.PlotURL = base+webapp.StatusPath, ""
			return
		}
		n.RunURL = base + webapp.RunPath(n.Run, n.Subsystem)
		n.PlotURL = ""
		if n.Hist != "" {
			n.PlotURL = base + webapp.PlotPath(n.Run, n.Subsystem, n.Hist)
		}
	}
}
