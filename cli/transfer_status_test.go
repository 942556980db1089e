package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/webapp"
)

// fakeDQMReceiver is a DQM receiver's upload API (POST /rest/api/files,
// GET /rest/api/files/NAME) keeping files in memory.
type fakeDQMReceiver struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (f *fakeDQMReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/rest/api/files":
		b, _ := io.ReadAll(r.Body)
		name := fmt.Sprintf("%s_%s_%s.root", r.Header.Get("amoreAgent"), r.Header.Get("runNumber"), r.Header.Get("timeStamp"))
		f.files[name] = b
		_ = json.NewEncoder(w).Encode(map[string]string{"message": "ok", "filename": name})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/rest/api/files/"):
		b, ok := f.files[strings.TrimPrefix(r.URL.Path, "/rest/api/files/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	default:
		http.Error(w, "no", http.StatusBadRequest)
	}
}

// TestWebStatusShowsTransferStatusFile runs `overwatch transfer` to a
// working and a failing destination until its status file tells both,
// then `overwatch web` on the same data directory: /api/status and the
// status page show, per destination, the pending count, lag, last error
// and last success the transfer job wrote.
func TestWebStatusShowsTransferStatusFile(t *testing.T) {
	data := t.TempDir()
	st, err := store.Open(data, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "h", overwatch.NewAxis(4, 0, 4))
	file, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "h", Object: h}})
	require.NoError(t, err)
	oldest := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := 0; i < 3; i++ {
		_, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 42, Subsystem: "EMC", Mode: overwatch.ModeDQM,
			Time: oldest.Add(time.Duration(i) * time.Second), Origin: "dqm"}, bytes.NewReader(file))
		require.NoError(t, err)
	}
	require.NoError(t, st.Close())

	good := &fakeDQMReceiver{files: map[string][]byte{}}
	goodSrv := httptest.NewServer(good)
	defer goodSrv.Close()
	badSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"disk full"}`, http.StatusServiceUnavailable)
	}))
	defer badSrv.Close()
	cfg := filepath.Join(t.TempDir(), "overwatch.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("data: "+data+"\nlog: {level: error}\ntransfer:\n  retryDelay: 10ms\n  destinations:\n"+
		"    - name: site-a\n      dqm: {url: \""+goodSrv.URL+"\"}\n"+
		"    - name: site-b\n      dqm: {url: \""+badSrv.URL+"\"}\n"), 0o600))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
			if strings.HasPrefix(k, "OVERWATCH_TRANSFER_") {
				return "token"
			}
			return ""
		}}, []string{"transfer", "--config", cfg})
	}()
	require.Eventually(t, func() bool {
		// The job rewrites its status file every 5 s.
		st, err := readTransferStatus(transferStatusPath(data))
		return err == nil && len(st.Destinations) == 2 && st.Destinations[0].Done == 3 && st.Destinations[1].LastError != ""
	}, 30*time.Second, 10*time.Millisecond, "progress: %s", &errb)
	cancel()
	require.Equal(t, 0, <-done, errb.String()) // writes the status file on the way out

	// The reader the web app gets, on the real file.
	now := time.Now()
	ts := webTransfers(data).TransferStatus(now)
	require.NotNil(t, ts)
	assert.Empty(t, ts.Error)
	assert.False(t, ts.Stale)
	assert.Less(t, ts.AgeSeconds, 20.0)
	require.Len(t, ts.Destinations, 2, "%+v", ts)
	a, b := ts.Destinations[0], ts.Destinations[1]
	assert.Equal(t, "site-a", a.Name)
	assert.Zero(t, a.Pending)
	assert.Zero(t, a.LagSeconds)
	assert.Empty(t, a.LastError)
	assert.WithinDuration(t, now, a.LastSuccess, 30*time.Second)
	assert.Equal(t, "site-b", b.Name)
	assert.Equal(t, 3, b.Pending)
	assert.InDelta(t, time.Since(oldest).Seconds(), b.LagSeconds, 30, "the lag is the age of the oldest pending snapshot")
	assert.Contains(t, b.LastError, "503")
	assert.True(t, b.LastSuccess.IsZero())
	assert.Positive(t, b.Failures)

	// Through `overwatch web`.
	code, _, errs := runUsersCmd(context.Background(), "a long password\n", "users", "add", "--data", data, "--role", "shifter", "sam")
	require.Equal(t, 0, code, errs)
	base, _ := startWeb(t, data)
	c := e2eLogin(t, base, "sam", "a long password")
	var status webapp.Status
	require.NoError(t, c.getJSON("/api/status", &status))
	require.NotNil(t, status.Transfer)
	require.Len(t, status.Transfer.Destinations, 2)
	assert.Equal(t, ts.Destinations[1].Pending, status.Transfer.Destinations[1].Pending)
	assert.Equal(t, ts.Destinations[1].LagSeconds, status.Transfer.Destinations[1].LagSeconds)
	assert.Equal(t, ts.Destinations[1].LastError, status.Transfer.Destinations[1].LastError)
	assert.True(t, ts.Destinations[0].LastSuccess.Equal(status.Transfer.Destinations[0].LastSuccess))
	code, page, err := c.get("/status")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(page), `data-destination="site-b"><td>site-b</td><td>3</td>`)
	assert.Contains(t, string(page), `data-destination="site-a"><td>site-a</td><td>0</td><td>0 s</td>`)
}

// TestWebTransfersFile: no status file is no transfer; a broken or
// oversized one is an error the page shows, never a panic; an old one is
// stale.
func TestWebTransfersFile(t *testing.T) {
	data := t.TempDir()
	r := webTransfers(data)
	now := time.Now()
	assert.Nil(t, r.TransferStatus(now))
	require.NoError(t, os.MkdirAll(filepath.Join(data, "transfer"), 0o755))
	path := transferStatusPath(data)
	require.NoError(t, os.WriteFile(path, []byte(`{"updated":`), 0o644))
	ts := r.TransferStatus(now)
	require.NotNil(t, ts)
	assert.Contains(t, ts.Error, "status.json")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte(" "), maxTransferStatus+1), 0o644))
	assert.Contains(t, r.TransferStatus(now).Error, "larger than")
	old := transferStatus{Updated: now.Add(-time.Minute), Destinations: []transferDestSt{{LagSeconds: 7}}}
	old.Destinations[0].Destination = "eos"
	b, err := json.Marshal(old)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	ts = r.TransferStatus(now)
	assert.True(t, ts.Stale)
	assert.InDelta(t, 60, ts.AgeSeconds, 1)
	assert.Equal(t, []webapp.TransferDestination{{Name: "eos", LagSeconds: 7}}, ts.Destinations)
}

// TestTransferCommandOnPostgres: `overwatch transfer` opens the index the
// configuration names (store.index: postgres, DSN from $OVERWATCH_PG_DSN),
// as every other process of a cluster does, and sends what it holds.
func TestTransferCommandOnPostgres(t *testing.T) {
	dsn := pgtest.Start(t)
	data := t.TempDir()
	st, err := store.Open(data, store.Options{Index: dsn, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "h", overwatch.NewAxis(4, 0, 4))
	file, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "h", Object: h}})
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		_, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 7, Subsystem: "TPC", Mode: overwatch.ModeDQM,
			Time: time.Date(2026, 12, 2, 5, 0, i, 0, time.UTC), Origin: "dqm"}, bytes.NewReader(file))
		require.NoError(t, err)
	}
	require.NoError(t, st.Close())
	recv := &fakeDQMReceiver{files: map[string][]byte{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "overwatch.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("data: "+data+"\nlog: {level: error}\nstore: {index: postgres}\ntransfer:\n  destinations:\n"+
		"    - name: site-a\n      dqm: {url: \""+srv.URL+"\"}\n"), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
			switch {
			case k == "OVERWATCH_PG_DSN":
				return dsn
			case strings.HasPrefix(k, "OVERWATCH_TRANSFER_"):
				return "token"
			}
			return ""
		}}, []string{"transfer", "--config", cfg})
	}()
	require.Eventually(t, func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return len(recv.files) == 2
	}, 20*time.Second, 10*time.Millisecond, "%s", &errb)
	cancel()
	assert.Equal(t, 0, <-done, errb.String())
	_, err = os.Stat(filepath.Join(data, "overwatch.db"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no SQLite index beside the PostgreSQL one")
}

// BenchmarkWebTransfers reads a transfer status file of 4 destinations, as
// every status page and /api/status request does.
func BenchmarkWebTransfers(b *testing.B) {
	data := b.TempDir()
	require.NoError(b, os.MkdirAll(filepath.Join(data, "transfer"), 0o755))
	st := transferStatus{Updated: time.Now()}
	for i := 0; i < 4; i++ {
		var d transferDestSt
		d.Destination, d.Pending, d.LagSeconds, d.LastError, d.LastSent = fmt.Sprintf("site-%d", i), 10*i, 42, "PUT: 503 Slow Down", time.Now()
		st.Destinations = append(st.Destinations, d)
	}
	js, err := json.Marshal(st)
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(transferStatusPath(data), js, 0o644))
	r := webTransfers(data)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ts := r.TransferStatus(now); ts == nil || len(ts.Destinations) != 4 {
			b.Fatal(ts)
		}
	}
}
