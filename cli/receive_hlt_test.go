package cli

import (
	"context"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/store"
)

// TestSimAndReceiveHLT runs "overwatch sim" and "overwatch receive hlt
// --drop" against each other and checks the receiver's files and heartbeat.
func TestSimAndReceiveHLT(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ep, simDone := startSimCommand(t, ctx, "--subsystems", "EMC,HLT", "--speed", "600",
		"--first-run", "4711", "--run-duration", "1000h", "--mode", "C", "--hot", "EMC:EMCTRQA_histFastORL0:123:0.5", "--dead", "1h-2h")
	require.True(t, strings.HasPrefix(ep, "REQ>tcp://127.0.0.1:"), ep)

	dir := t.TempDir()
	rctx, rcancel := context.WithCancel(ctx)
	recvDone := make(chan int, 1)
	go func() {
		recvDone <- runMain(rctx, &env{stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, getenv: os.Getenv},
			[]string{"receive", "hlt", "--in", ep, "--subsystem", "HLT", "--data", dir, "--drop",
				"--select", "fHistTPC", "--sleep", "0.05", "--timeout", "5s"})
	}()
	var files []string
	require.Eventually(t, func() bool {
		files, _ = filepath.Glob(filepath.Join(dir, "HLThistos_4711_C_*.root"))
		return len(files) >= 2
	}, 20*time.Second, 20*time.Millisecond)
	rcancel()
	assert.Equal(t, 0, <-recvDone)
	cancel()
	assert.Equal(t, 0, <-simDone)

	for _, f := range files {
		n, err := store.ParseReceiverName(filepath.Base(f))
		require.NoError(t, err)
		assert.Equal(t, 4711, n.Run)
	}
	b, err := os.ReadFile(filepath.Join(dir, "heartbeat.HLTReceiver"))
	require.NoError(t, err)
	assert.NotContains(t, string(b), "\n")
}

// startSimCommand runs `overwatch sim --listen tcp://127.0.0.1:0 ARGS...`
// until ctx is done and returns the HLT merger's endpoint and the channel
// that gets the command's exit code.
func startSimCommand(t *testing.T, ctx context.Context, args ...string) (string, <-chan int) {
	t.Helper()
	simOut := &syncbuf.Buffer{}
	simDone := make(chan int, 1)
	go func() {
		simDone <- runMain(ctx, &env{stdout: simOut, stderr: &syncbuf.Buffer{}, getenv: os.Getenv},
			append([]string{"sim", "--listen", "tcp://127.0.0.1:0"}, args...))
	}()
	var ep string
	require.Eventually(t, func() bool {
		for _, l := range strings.Split(simOut.String(), "\n") {
			if rest, ok := strings.CutPrefix(l, "HLT merger: "); ok {
				ep = rest
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	return ep, simDone
}

func TestReceiveHLTUsage(t *testing.T) {
	for _, args := range [][]string{
		{"receive", "hlt"},
		{"receive", "hlt", "--in", "SUB>tcp://a:1", "--subsystem", "EMC"},
		{"receive", "hlt", "--in", "REQ>tcp://a:1", "--subsystem", "EMC", "--sleep", "soon"},
		{"receive", "hlt", "--in", "REQ>tcp://a:1", "--subsystem", "EMC", "extra"},
		{"sim", "--listen", "inproc://x"},
		{"sim", "--hot", "EMC:x"},
		{"sim", "--dead", "2h-1h"},
		{"sim", "--drift", "EMC"},
		{"sim", "--subsystems", "emc"},
	} {
		var stderr syncbuf.Buffer
		code := runMain(context.Background(), &env{stdout: &syncbuf.Buffer{}, stderr: &stderr, getenv: os.Getenv}, args)
		assert.Equal(t, 2, code, "%q: %s", args, stderr.String())
	}
}

func TestHLTSecondsFlag(t *testing.T) {
	var d time.Duration
	f := hltSecondsFlag{&d}
	for in, want := range map[string]time.Duration{"60": time.Minute, "0.5": 500 * time.Millisecond, "1m30s": 90 * time.Second} {
		require.NoError(t, f.Set(in))
		assert.Equal(t, want, d, in)
	}
	require.Error(t, f.Set("-1"))
	require.Error(t, f.Set("-1s"))
	require.Error(t, f.Set("x"))
	require.NoError(t, f.Set("90"))
	assert.Equal(t, "1m30s", f.String())
}
