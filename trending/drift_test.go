package trending_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/smtptest"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/trending"
)

// driftDetector trends the mean signal time of the simulated "DRF"
// subsystem and raises an alarm when it moves by more than 0.3 ns between
// two snapshots.
type driftDetector struct{}

func (driftDetector) Subsystem() string { return "DRF" }
func (driftDetector) Trends() []overwatch.TrendDecl {
	return []overwatch.TrendDecl{{
		Name: "meanTime", Desc: "mean signal time (ns)", Hist: "DRF_histTime", Extractor: "mean",
		Alarms: []overwatch.AlarmSpec{{Name: "jump", Kind: "AbsolutePreviousValue", Text: "WARNING", Params: map[string]float64{"maxDelta": 0.3}}},
	}}
}

func init() { overwatch.RegisterDetector(driftDetector{}) }

// TestDriftFiresOnceAndResolves runs the real processing loop over a
// simulated run whose signal time drifts for ten minutes and then stays
// put: the trend gets one point per snapshot, the alarm fires once — one
// mail to a real SMTP server, one JSON message to a webhook — and resolves
// after the drift ends.
func TestDriftFiresOnceAndResolves(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end processing test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	smtpSrv := smtptest.Start(t)
	var hookMu sync.Mutex
	var hooks []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &v) == nil {
			hookMu.Lock()
			hooks = append(hooks, v)
			hookMu.Unlock()
		}
	}))
	defer hook.Close()

	st, err := store.Open(t.TempDir(), store.Options{Subsystems: []string{"DRF"}, Logger: quiet, NoSyncOutputs: true})
	require.NoError(t, err)
	defer st.Close()
	off := false
	ncfg := trending.NotifyConfig{
		SMTP:    &trending.SMTPConfig{Address: smtpSrv.Addr(), From: "overwatch@example.org", StartTLS: &off},
		Webhook: &trending.WebhookConfig{URL: hook.URL},
		Backoff: 10 * time.Millisecond,
	}
	disp := trending.NewDispatcher(trending.NewNotifiers(ncfg), ncfg, quiet)
	defer disp.Close()
	mgr, err := trending.NewManager(st, trending.Config{Recipients: []string{"shift@example.org"}}, disp, quiet)
	require.NoError(t, err)
	proc := processing.New(st, processing.Options{Logger: quiet, Observer: mgr, NoPNG: true, ScanInterval: -1})
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- proc.Run(runCtx) }()

	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	gen := generator.New(generator.Config{Seed: 7, Subsystems: []string{"DRF"}, EventsPerSecond: 1000, Start: start, Run: 4242})
	require.NoError(t, gen.SetDrift("DRF", "DRF_histTime", 0.02))
	const snapshots = 20
	for i := 1; i <= snapshots; i++ {
		if i == 11 {
			require.NoError(t, gen.SetDrift("DRF", "DRF_histTime", 0)) // the drift ends; the shift stays
		}
		gen.Advance(time.Minute)
		data, err := overwatch.EncodeFile(gen.Snapshot("DRF"))
		require.NoError(t, err)
		info, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 4242, Subsystem: "DRF", Mode: overwatch.ModeCompress, Time: gen.Now(), Origin: "test"}, bytes.NewReader(data))
		require.NoError(t, err)
		waitProcessed(ctx, t, st, info)
	}
	stopRun()
	<-done
	require.NoError(t, disp.Wait(ctx))
	mgr.WaitOutputs()

	pts, err := st.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "DRF", Trend: "meanTime"})
	require.NoError(t, err)
	assert.Len(t, pts, snapshots, "one trend point per snapshot")

	alarms, err := st.Alarms(ctx, overwatch.AlarmQuery{Subsystem: "DRF"})
	require.NoError(t, err)
	require.Len(t, alarms, 1)
	assert.Equal(t, overwatch.AlarmResolved, alarms[0].State, "the alarm resolves once the drift has ended")
	assert.True(t, alarms[0].ResolvedAt.After(start.Add(10*time.Minute)))

	msgs := smtpSrv.Messages()
	require.Len(t, msgs, 1, "exactly one mail")
	assert.Equal(t, []string{"shift@example.org"}, msgs[0].To)
	assert.Contains(t, msgs[0].Data, "DRF/meanTime")
	hookMu.Lock()
	defer hookMu.Unlock()
	require.Len(t, hooks, 1, "exactly one webhook message")
	ns := hooks[0]["notifications"].([]any)
	require.Len(t, ns, 1)
	assert.Equal(t, "firing", ns[0].(map[string]any)["state"])

	// The alarm text was on the histogram's information panel while firing
	// and is gone from the newest outputs.
	var hints overwatch.Hints
	b, err := bundle.NewOutputs(st).Output(ctx, overwatch.OutputRef{Run: 4242, Subsystem: "DRF", Name: "DRF_histTime", Kind: overwatch.OutputHints})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &hints))
	for _, it := range hints.Info {
		assert.NotEqual(t, "AlarmmeanTime", it.Label)
	}
}

// waitProcessed waits until the view of the snapshot's subsystem shows it.
func waitProcessed(ctx context.Context, t *testing.T, st *store.Store, info overwatch.SnapshotInfo) {
	t.Helper()
	for {
		b, err := bundle.NewOutputs(st).Output(ctx, overwatch.ViewRef(info.Run, info.Subsystem, ""))
		if err == nil {
			var v overwatch.ViewDoc
			if json.Unmarshal(b, &v) == nil && v.Complete && v.Snapshot.Time == info.Time.Unix() && v.Snapshot.Seq == info.Seq {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("snapshot %v not processed: %v", info.SnapshotRef, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
