package trending

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/smtptest"
)

func sampleBatch() []Notification {
	return []Notification{{
		AlarmID: "EMC/maxFastORL0/BetweenValues-ERROR#0", Subsystem: "EMC", Trend: "maxFastORL0", Hist: "EMCTRQA_histFastORL0",
		State: overwatch.AlarmFiring, Message: "[ERROR]: (BetweenValuesAlarm): value 400 not in [0, 300]", Run: 123,
		Time: time.Unix(1448384710, 0), Recipients: []string{"shift@example.org", "expert@example.org"},
	}}
}

func TestSMTPNotifierSendsOneMailPerBatch(t *testing.T) {
	srv := smtptest.Start(t)
	off := false
	n := &SMTPNotifier{Config: SMTPConfig{Address: srv.Addr(), From: "overwatch@example.org", StartTLS: &off}}
	b := sampleBatch()
	b = append(b, b[0])
	b[1].Trend = "meanFastORL0"
	require.NoError(t, n.Notify(context.Background(), b))
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "overwatch@example.org", msgs[0].From)
	assert.ElementsMatch(t, []string{"shift@example.org", "expert@example.org"}, msgs[0].To)
	assert.Contains(t, msgs[0].Data, "Subject: Overwatch alarm: 2 alarms")
	assert.Contains(t, msgs[0].Data, "value 400 not in [0, 300]")
	assert.Contains(t, msgs[0].Data, "EMC/meanFastORL0")
}

func TestSMTPNotifierRejectsHeaderInjection(t *testing.T) {
	n := &SMTPNotifier{Config: SMTPConfig{Address: "127.0.0.1:1", From: "a@b\r\nBcc: evil@x"}}
	require.Error(t, n.Notify(context.Background(), sampleBatch()))
}

func TestWebhookAndSlackNotifiers(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var v map[string]any
		b, _ := io.ReadAll(r.Body)
		require.NoError(t, json.Unmarshal(b, &v))
		mu.Lock()
		bodies = append(bodies, v)
		mu.Unlock()
	}))
	defer srv.Close()
	require.NoError(t, (&WebhookNotifier{Config: WebhookConfig{URL: srv.URL}}).Notify(context.Background(), sampleBatch()))
	require.NoError(t, (&SlackNotifier{Config: WebhookConfig{URL: srv.URL, Channel: "#alarms"}}).Notify(context.Background(), sampleBatch()))
	require.Len(t, bodies, 2)
	ns := bodies[0]["notifications"].([]any)
	require.Len(t, ns, 1)
	assert.Equal(t, "firing", ns[0].(map[string]any)["state"])
	assert.NotContains(t, ns[0].(map[string]any), "Recipients", "recipients are not published to webhooks")
	assert.Contains(t, bodies[1]["text"], "FIRING Run 123 EMC/maxFastORL0")
	assert.Equal(t, "#alarms", bodies[1]["channel"])
}

type flaky struct {
	fails atomic.Int32
	calls atomic.Int32
}

func (f *flaky) Name() string { return "flaky" }
func (f *flaky) Notify(ctx context.Context, b []Notification) error {
	f.calls.Add(1)
	if f.fails.Add(-1) >= 0 {
		return errors.New("temporary failure")
	}
	return nil
}

func TestDispatcherRetriesWithBackoffAndCounts(t *testing.T) {
	f := &flaky{}
	f.fails.Store(2)
	d := NewDispatcher([]Notifier{f}, NotifyConfig{Retries: 5, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}, quietLog())
	defer d.Close()
	d.Enqueue(sampleBatch())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, d.Wait(ctx))
	assert.EqualValues(t, 3, f.calls.Load())
	st := d.Stats()["flaky"]
	assert.EqualValues(t, 1, st.Sent)
	assert.EqualValues(t, 2, st.Retried)
	assert.EqualValues(t, 0, st.Failed)

	f.fails.Store(100)
	d.Enqueue(sampleBatch())
	require.NoError(t, d.Wait(ctx))
	assert.EqualValues(t, 1, d.Stats()["flaky"].Failed)
}

type blocking struct{ release chan struct{} }

func (b *blocking) Name() string { return "blocking" }
func (b *blocking) Notify(ctx context.Context, _ []Notification) error {
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return nil
}

func TestDispatcherNeverBlocksTheCaller(t *testing.T) {
	b := &blocking{release: make(chan struct{})}
	d := NewDispatcher([]Notifier{b}, NotifyConfig{}, quietLog())
	start := time.Now()
	for i := 0; i < 500; i++ {
		d.Enqueue(sampleBatch())
	}
	assert.Less(t, time.Since(start), time.Second, "Enqueue must not block on a stuck notifier")
	assert.Positive(t, d.Stats()["blocking"].Dropped, "a full queue drops the oldest batches")
	close(b.release)
	require.NoError(t, d.Close())
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
