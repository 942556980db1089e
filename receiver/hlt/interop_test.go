package hlt

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
	"github.com/overwatch-dqm/overwatch/store"
)

const python = "/usr/bin/python3"

// requirePyZMQ skips the test when Debian's python3-zmq (the libzmq peer)
// is not installed; `make setup` installs it.
func requirePyZMQ(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import zmq").Run(); err != nil {
		t.Skipf("libzmq peer unavailable (%s with python3-zmq; run make setup-system): %v", python, err)
	}
}

// requireCodec skips the test while the root package's TMessage/ROOT file
// codec is not wired in (it is implemented in parallel by internal/rootio).
func requireCodec(t testing.TB) {
	t.Helper()
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "", overwatch.NewAxis(1, 0, 1))
	if _, err := hltwire.EncodeTMessage(h, hltwire.TMessageOptions{}); err != nil && strings.Contains(err.Error(), "not wired") {
		t.Skipf("ROOT I/O codec not available yet: %v", err)
	}
}

func workedExampleTH1F(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../hltwire/testdata/worked_example_th1f.tmsg.hex")
	require.NoError(t, err)
	msg, err := hex.DecodeString(strings.Join(strings.Fields(string(b)), ""))
	require.NoError(t, err)
	return msg
}

// startPyMerger runs testdata/merger.py and returns its endpoint and the
// path of the JSON file it writes the received requests to.
func startPyMerger(t *testing.T, mode string, n int) (string, string, *exec.Cmd) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "requests.json")
	cmd := exec.Command(python, "testdata/merger.py", mode, strconv.Itoa(n), "../hltwire/testdata/worked_example_th1f.tmsg.hex", out)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(line), out, cmd
}

// TestInteropPythonMerger: a libzmq REP and a libzmq ROUTER merger serve
// the spec's worked example to our receiver, which writes a receiver-named
// ROOT file holding hTest, and whose requests the libzmq side saw as the
// 4-frame CONFIG message.
func TestInteropPythonMerger(t *testing.T) {
	requirePyZMQ(t)
	requireCodec(t)
	for _, mode := range []string{"REP", "ROUTER"} {
		t.Run(mode, func(t *testing.T) {
			ep, reqFile, cmd := startPyMerger(t, mode, 2)
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := New(Config{Endpoint: "REQ>" + ep, Subsystem: "EMC", DataDir: dir, Select: "hTest",
				Sleep: 20 * time.Millisecond, Timeout: 5 * time.Second, KeepDuplicates: true, Logger: quietLogger()},
				DropSink{Dir: dir})
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			require.Eventually(t, func() bool { return r.Stats().Written >= 2 }, 20*time.Second, 10*time.Millisecond)
			require.NoError(t, cmd.Wait(), "the python merger exits after 2 requests")
			cancel()
			require.NoError(t, <-done)

			var reqs [][]string
			b, err := os.ReadFile(reqFile)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &reqs))
			require.Len(t, reqs, 2)
			for i, q := range reqs {
				require.Len(t, q, 4, "request %d", i)
				assert.Equal(t, hex.EncodeToString(hltwire.ConfigTopic().Marshal()), q[0])
				assert.Equal(t, hex.EncodeToString(hltwire.EmptyTopic().Marshal()), q[2])
				assert.Empty(t, q[3])
			}
			opt0, _ := hex.DecodeString(reqs[0][1])
			opt1, _ := hex.DecodeString(reqs[1][1])
			assert.Equal(t, " -select=hTest -SchemaOnRequest", string(opt0))
			assert.Equal(t, " -select=hTest", string(opt1))

			ents, err := os.ReadDir(dir)
			require.NoError(t, err)
			var files []string
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".root") {
					files = append(files, e.Name())
				}
			}
			require.Len(t, files, 2, "two replies, two files (KeepDuplicates)")
			for _, name := range files {
				n, err := store.ParseReceiverName(name)
				require.NoError(t, err, name)
				assert.Equal(t, 290222, n.Run)
				assert.Equal(t, overwatch.ModeNoCompress, n.Mode)
				assert.Equal(t, "EMC", n.Subsystem)
				f, err := overwatch.ReadFile(filepath.Join(dir, name))
				require.NoError(t, err)
				require.Len(t, f.Entries, 1)
				h := f.Hist("hTest")
				require.NotNil(t, h)
				assert.Equal(t, overwatch.ClassTH1F, h.Class)
				assert.Equal(t, 4.0, h.Entries)
				assert.Equal(t, []float64{0, 1, 2, 1, 0, 0}, h.Contents)
			}
		})
	}
}
