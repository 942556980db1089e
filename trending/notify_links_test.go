package trending

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/internal/smtptest"
)

func linkedBatch() []Notification {
	b := sampleBatch()
	b[0].RunURL = "https://overwatch.example.org/run/123/EMC"
	b[0].PlotURL = "https://overwatch.example.org/api/runs/123/EMC/png/EMCTRQA_histFastORL0"
	return b
}

// TestNotificationsCarryLinks: e-mail, Slack and webhook messages carry the
// run page and the plot image.
func TestNotificationsCarryLinks(t *testing.T) {
	srv := smtptest.Start(t)
	off := false
	require.NoError(t, (&SMTPNotifier{Config: SMTPConfig{Address: srv.Addr(), From: "ow@example.org", StartTLS: &off}}).Notify(context.Background(), linkedBatch()))
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0].Data, "Run page: https://overwatch.example.org/run/123/EMC\r\n")
	assert.Contains(t, msgs[0].Data, "Plot:     https://overwatch.example.org/api/runs/123/EMC/png/EMCTRQA_histFastORL0\r\n")

	var mu sync.Mutex
	var bodies []map[string]any
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		b, _ := io.ReadAll(r.Body)
		assert.NoError(t, json.Unmarshal(b, &v))
		mu.Lock()
		bodies = append(bodies, v)
		mu.Unlock()
	}))
	defer hs.Close()
	require.NoError(t, (&WebhookNotifier{Config: WebhookConfig{URL: hs.URL}}).Notify(context.Background(), linkedBatch()))
	require.NoError(t, (&SlackNotifier{Config: WebhookConfig{URL: hs.URL}}).Notify(context.Background(), linkedBatch()))
	require.Len(t, bodies, 2)
	n := bodies[0]["notifications"].([]any)[0].(map[string]any)
	assert.Equal(t, "https://overwatch.example.org/run/123/EMC", n["runURL"])
	assert.Equal(t, "https://overwatch.example.org/api/runs/123/EMC/png/EMCTRQA_histFastORL0", n["plotURL"])
	assert.Contains(t, bodies[1]["text"], "run page: https://overwatch.example.org/run/123/EMC")
	assert.Contains(t, bodies[1]["text"], "plot: https://overwatch.example.org/api/runs/123/EMC/png/")
}

// TestDispatcherFillsLinks: the dispatcher's link function runs on every
// notification before delivery, without changing the caller's batch.
func TestDispatcherFillsLinks(t *testing.T) {
	srv := smtptest.Start(t)
	off := false
	d := NewDispatcher([]Notifier{&SMTPNotifier{Config: SMTPConfig{Address: srv.Addr(), From: "ow@example.org", StartTLS: &off}}}, NotifyConfig{}, quietLog())
	defer d.Close()
	d.SetLinks(func(n *Notification) { n.RunURL = "https://ow.example/run/" + n.Subsystem })
	b := sampleBatch()
	d.Enqueue(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, d.Wait(ctx))
	assert.Empty(t, b[0].RunURL)
	require.Len(t, srv.Messages(), 1)
	assert.Contains(t, srv.Messages()[0].Data, "Run page: https://ow.example/run/EMC")
}

// TestSMTPImplicitTLS: submission over implicit TLS (port 465 style): the
// connection is TLS from the first byte, the certificate is verified, and
// authentication happens inside TLS.
func TestSMTPImplicitTLS(t *testing.T) {
	srv := smtptest.StartWith(t, smtptest.Options{ImplicitTLS: true})
	on := true
	cfg := SMTPConfig{Address: srv.Addr(), From: "ow@example.org", Username: "overwatch", Password: "pw", TLS: &on}
	require.NoError(t, (&SMTPNotifier{Config: cfg, RootCAs: srv.CertPool()}).Notify(context.Background(), linkedBatch()))
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.True(t, msgs[0].TLS)
	assert.Equal(t, "overwatch", msgs[0].User)
	assert.Contains(t, msgs[0].Data, "Run page: ")

	// An unverifiable certificate is refused before anything is sent.
	err := (&SMTPNotifier{Config: cfg}).Notify(context.Background(), linkedBatch())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TLS")
	assert.Len(t, srv.Messages(), 1)

	// Port 465 means implicit TLS unless configured otherwise.
	assert.True(t, SMTPConfig{Address: "smtp.example.org:465"}.ImplicitTLS())
	assert.False(t, SMTPConfig{Address: "smtp.example.org:587"}.ImplicitTLS())
	assert.False(t, SMTPConfig{Address: "smtp.example.org:465", TLS: new(bool)}.ImplicitTLS())
}

// TestSMTPStartTLS: with a user name, STARTTLS is required and verified.
func TestSMTPStartTLS(t *testing.T) {
	srv := smtptest.StartWith(t, smtptest.Options{StartTLS: true})
	cfg := SMTPConfig{Address: srv.Addr(), From: "ow@example.org", Username: "overwatch", Password: "pw"}
	require.NoError(t, (&SMTPNotifier{Config: cfg, RootCAs: srv.CertPool()}).Notify(context.Background(), linkedBatch()))
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.True(t, msgs[0].TLS)
	assert.Equal(t, "overwatch", msgs[0].User)
	require.Error(t, (&SMTPNotifier{Config: cfg}).Notify(context.Background(), linkedBatch()), "unknown certificate")
}
