package cli

import (
	"context"
	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/receiver"
	"github.com/overwatch-dqm/overwatch/receiver/monitor"
)

// TestSplitReceiverHeartbeatReachesTheDataDirectory: a receiver in
// drop-folder mode (`receive hlt --drop`, another process or machine)
// writes its heartbeat and data status into the drop folder; the
// deployment that ingests the folder forwards them to its data directory,
// where the status page and the monitor read them (main left them in the
// drop folder: the receiver looked dead).
func TestSplitReceiverHeartbeatReachesTheDataDirectory(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ep, simDone := startSimCommand(t, ctx, "--subsystems", "HLT", "--speed", "60", "--first-run", "4712", "--run-duration", "1000h")

	drop, data := t.TempDir(), t.TempDir()
	recvDone := make(chan int, 1)
	go func() {
		recvDone <- runMain(ctx, &env{stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, getenv: os.Getenv},
			[]string{"receive", "hlt", "--in", ep, "--subsystem", "HLT", "--data", drop, "--drop", "--select", "fHistTPC", "--sleep", "0.2", "--timeout", "5s"})
	}()

	cfg := config.Default()
	cfg.Data, cfg.Subsystems = data, []string{"HLT"}
	cfg.Processing.Enabled, cfg.Processing.Ingest = false, drop
	cfg.Web.Enabled, cfg.Monitor.Enabled = false, false
	d, err := newDeployment(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer d.Close()
	runDone := make(chan error, 1)
	go func() { runDone <- d.run(ctx) }()

	require.Eventually(t, func() bool {
		return webHeartbeats(data, nil, 0).Heartbeat("HLT", time.Now()).Alive
	}, 20*time.Second, 50*time.Millisecond, "the status page sees the split receiver alive")
	assert.Greater(t, heartbeat.Unix(data, "HLT"), int64(0), "the monitor reads it too")
	require.Eventually(t, func() bool {
		s, err := receiver.ReadDataStatus(monitor.DataStatusPath(data, "HLT"))
		return err == nil && s.Run == 4712
	}, 20*time.Second, 50*time.Millisecond, "data status forwarded")
	_, stale := monitor.NoData(data, "HLT", time.Now(), 0)
	assert.False(t, stale)

	cancel()
	assert.Equal(t, 0, <-recvDone)
	assert.Equal(t, 0, <-simDone)
	require.NoError(t, <-runDone)
	_, err = os.Stat(filepath.Join(drop, heartbeat.Name("HLT")))
	assert.NoError(t, err, "the receiver itself writes where it runs")
}
