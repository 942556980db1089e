package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
	"github.com/overwatch-dqm/overwatch/store"
)

// TestTransferCommand runs `overwatch transfer`, and `overwatch serve`
// with a transfer section, against a real XRootD server until the status
// file says every snapshot is there.
func TestTransferCommand(t *testing.T) {
	srv := xrdtest.Start(t)
	t.Run("transfer", func(t *testing.T) { testTransferCommand(t, srv, "transfer", "") })
	t.Run("serve", func(t *testing.T) {
		testTransferCommand(t, srv, "serve", "web: {enabled: false}\nprocessing: {enabled: false}\nmonitor: {enabled: false}\n")
	})
}

func testTransferCommand(t *testing.T, srv *xrdtest.Server, command, extra string) {
	root := srv.NewDir(t)
	data := t.TempDir()
	st, err := store.Open(data, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "h", overwatch.NewAxis(4, 0, 4))
	file, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "h", Object: h}})
	require.NoError(t, err)
	var paths []string
	for i := 0; i < 3; i++ {
		info, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 42, Subsystem: "EMC", Mode: overwatch.ModeDQM,
			Time: time.Date(2026, 12, 2, 5, 0, i, 0, time.UTC), Origin: "dqm"}, bytes.NewReader(file))
		require.NoError(t, err)
		paths = append(paths, info.Path)
	}
	require.NoError(t, st.Close())
	cfg := filepath.Join(t.TempDir(), "overwatch.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(extra+"data: "+data+"\nlog: {level: warn}\ntransfer:\n  destinations:\n    - name: EOS\n      xrootd: {addr: \""+srv.Addr+"\", root: "+root+"}\n"), 0o600))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, []string{command, "--config", cfg})
	}()
	// The progress log says when every snapshot is there; the status
	// file is written at the end (and every 5 s).
	progress := filepath.Join(data, "transfer", "EOS.log")
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(progress)
		return err == nil && bytes.Count(b, []byte("\n")) == 3
	}, 20*time.Second, 10*time.Millisecond, "progress log: %s", &errb)
	cancel()
	assert.Equal(t, 0, <-done, errb.String())
	b, err := os.ReadFile(filepath.Join(data, "transfer", "status.json"))
	require.NoError(t, err)
	var status struct {
		Destinations []struct {
			Destination string
			Done        int
			Sent        int
			Pending     int
		}
	}
	require.NoError(t, json.Unmarshal(b, &status), "%s", b)
	require.Len(t, status.Destinations, 1)
	assert.Equal(t, "EOS", status.Destinations[0].Destination)
	assert.Equal(t, 3, status.Destinations[0].Done)
	assert.Equal(t, 3, status.Destinations[0].Sent)
	assert.Zero(t, status.Destinations[0].Pending)
	for _, p := range paths {
		got, err := os.ReadFile(filepath.Join(srv.Local, root, p))
		require.NoError(t, err)
		assert.Equal(t, file, got, p)
	}
}

func TestTransferCommandNeedsSecretsFromTheEnvironment(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "overwatch.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("data: "+t.TempDir()+"\ntransfer:\n  destinations:\n    - name: site-b\n      s3: {endpoint: \"127.0.0.1:1\", bucket: b}\n"), 0o600))
	code, _, errs := runCommand(t, "transfer", "--config", cfg)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "OVERWATCH_TRANSFER_SITE_B_ACCESS_KEY is not set")
}

func TestConfigCheckValidatesTransfer(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(p, []byte("transfer:\n  destinations:\n    - name: a b\n      xrootd: {addr: h, root: rel}\n      s3: {endpoint: e, bucket: b}\n    - name: x\n      dqm: {url: \"ftp://x\"}\n"), 0o600))
	code, _, errs := runCommand(t, "config", "check", "--config", p)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `"a b" is not a destination name`)
	assert.Contains(t, errs, "exactly one of xrootd, s3 and dqm")
	assert.Contains(t, errs, `"rel" must be an absolute path`)
	assert.Contains(t, errs, `"ftp://x" is not an http(s) URL`)
}
