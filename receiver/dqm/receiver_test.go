package dqm

import (
	"context"
	"github.com/overwatch-dqm/overwatch/internal/httpserve"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReceiverRunServesUploads runs the server through overwatch.Receiver
// on a real listener: an upload lands in the store, and Run returns when
// its context ends.
func TestReceiverRunServesUploads(t *testing.T) {
	f := newFixture(t, 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv, err := httpserve.New(ln, f.dqm, httpserve.Options{Name: "dqm", Limits: httpserve.DQMDefaults(), Logger: quiet()})
	require.NoError(t, err)
	go func() { done <- (&Receiver{HTTP: srv}).Run(ctx) }()

	body, ct := multipartBody(t, "file", testFile(t))
	req, err := http.NewRequest("POST", "http://"+ln.Addr().String()+"/rest/api/files", body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", ct)
	for k, v := range uploadHeaders(f.token) {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	snaps, err := f.st.Snapshots(t.Context(), 123456, "EMC")
	require.NoError(t, err)
	assert.Len(t, snaps, 1)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	assert.Error(t, (&Receiver{}).Run(context.Background()), "no server")
}
