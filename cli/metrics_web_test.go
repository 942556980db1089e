package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/internal/config"
)

// /metrics is not public on the web port unless metrics.onWebPort says so.
func TestMetricsNotOnWebPortByDefault(t *testing.T) {
	for _, on := range []bool{false, true} {
		cfg := config.Default()
		cfg.Data = t.TempDir()
		cfg.Web.Listen = "127.0.0.1:0"
		cfg.Processing.Enabled = false
		cfg.Metrics.OnWebPort = on
		d, err := newDeployment(cfg, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.run(ctx) }()
		base := d.webURL()
		var resp *http.Response
		for i := 0; i < 100; i++ {
			if resp, err = http.Get(base + "/metrics"); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if on {
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.True(t, strings.Contains(string(body), "# TYPE"), "Prometheus text")
		} else {
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "no public /metrics on the web port")
		}
		cancel()
		require.NoError(t, <-done)
		d.Close()
	}
}
