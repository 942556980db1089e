package dqm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/rootio"
	"github.com/overwatch-dqm/overwatch/store"
)

// upload posts data as the raw body and returns the status, the
// Retry-After header and the body.
func upload(t testing.TB, base, token string, ts int64, body io.Reader) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/rest/api/files", body)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("runNumber", "4242")
	req.Header.Set("timeStamp", strconv.FormatInt(ts, 10))
	req.Header.Set("amoreAgent", "EMC")
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
}

// TestConcurrentUploadsBounded: beyond MaxConcurrent uploads in progress
// the receiver answers 429 with Retry-After at once, before reading the
// body; once a slot is free uploads are accepted again.
func TestConcurrentUploadsBounded(t *testing.T) {
	fx := newFixtureWith(t, func(c *Config) { c.MaxConcurrent = 1 })
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	go func() {
		code, _, _ := upload(t, fx.srv.URL, fx.token, 1000, pr)
		first <- code
	}()
	// The first upload holds the slot while its body trickles in.
	_, err := pw.Write(testFile(t)[:10])
	require.NoError(t, err)
	var code int
	var retry, body string
	require.Eventually(t, func() bool {
		code, retry, body = upload(t, fx.srv.URL, fx.token, 2000, bytes.NewReader(testFile(t)))
		return code == http.StatusTooManyRequests
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, strconv.Itoa(retryAfter), retry)
	assert.Contains(t, body, "retry in")
	assert.Equal(t, uint64(1), fx.dqm.Stats().Busy)
	_, err = pw.Write(testFile(t)[10:])
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	assert.Equal(t, http.StatusOK, <-first)
	code, _, body = upload(t, fx.srv.URL, fx.token, 2000, bytes.NewReader(testFile(t)))
	assert.Equal(t, http.StatusOK, code, body)
}

// quarantineSize sums the files of the quarantine.
func quarantineSize(t *testing.T, dataDir string) (int64, int) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dataDir, "quarantine", "dqm"))
	require.NoError(t, err)
	var n int64
	files := 0
	for _, e := range ents {
		info, err := e.Info()
		require.NoError(t, err)
		n += info.Size()
		if !strings.HasSuffix(e.Name(), ".reason") {
			files++
		}
	}
	return n, files
}

// TestQuarantineBounded: six parallel garbage uploads (20 MB each by
// default, the red team's 200 MB with OVERWATCH_DQM_BIG=1) leave the
// quarantine within its bound, oldest evicted and counted; an upload older
// than the age bound is evicted when the receiver starts.
func TestQuarantineBounded(t *testing.T) {
	size, bound := int64(20<<20), int64(50<<20)
	if os.Getenv("OVERWATCH_DQM_BIG") == "1" {
		size, bound = 200<<20, 500<<20
	}
	fx := newFixtureWith(t, func(c *Config) { c.QuarantineMaxBytes = bound })
	garbage := make([]byte, size)
	_, _ = rand.Read(garbage[:1<<20])
	var wg sync.WaitGroup
	codes := make([]int, 6)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for { // more than MaxConcurrent: retry after 429
				code, _, _ := upload(t, fx.srv.URL, fx.token, int64(5000+i), bytes.NewReader(garbage))
				if code != http.StatusTooManyRequests {
					codes[i] = code
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	for i, c := range codes {
		assert.Equal(t, http.StatusBadRequest, c, "upload %d", i)
	}
	total, files := quarantineSize(t, fx.dir)
	st := fx.dqm.Stats()
	t.Logf("6 garbage uploads of %d MB: quarantine holds %d files, %d bytes (bound %d); %d evicted", size>>20, files, total, bound, st.QuarantineEvicted)
	assert.LessOrEqual(t, total, bound)
	assert.Equal(t, uint64(6), st.Quarantined)
	assert.Equal(t, uint64(6-files), st.QuarantineEvicted)
	assert.GreaterOrEqual(t, st.QuarantineEvicted, uint64(6-bound/size))
	assert.Equal(t, total, st.QuarantineBytes)
	tmp, _ := filepath.Glob(filepath.Join(fx.dir, "tmp", "*"))
	assert.Empty(t, tmp, "no temporary file left")

	// Age: an old entry is evicted when a receiver starts on the directory.
	old := filepath.Join(fx.dir, "quarantine", "dqm", time.Now().Add(-8*24*time.Hour).UTC().Format(quarantineTimeFormat)+"-EMChistos_1_DQM_2026_1_1_0_0_0.root")
	require.NoError(t, os.WriteFile(old, []byte("old"), 0o644))
	toks, err := OpenTokens(TokensPath(fx.dir))
	require.NoError(t, err)
	s2, err := New(Config{Store: fx.st, DataDir: fx.dir, Tokens: toks, Logger: quiet()})
	require.NoError(t, err)
	_, err = os.Stat(old)
	assert.True(t, os.IsNotExist(err), "entry older than 7 days evicted")
	assert.Equal(t, uint64(1), s2.Stats().QuarantineEvicted)
}

// TestDQMHelperProcess is the DQM receiver run in a child process by
// TestBombUploadsBoundedMemory (so that its peak memory can be measured);
// it does nothing in a normal run.
func TestDQMHelperProcess(t *testing.T) {
	dir := os.Getenv("OVERWATCH_DQM_HELPER_DIR")
	if dir == "" {
		return
	}
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	toks, err := OpenTokens(TokensPath(dir))
	require.NoError(t, err)
	// All five bombs decoded at once (the default bound, 4, would answer
	// one of them 429 when they overlap): the memory bound must hold for
	// the worst case the test states.
	s, err := New(Config{Store: st, DataDir: dir, Tokens: toks, MaxConcurrent: 5, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("ADDR %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	_ = srv.Close()
}

// vmHWM reads a process's peak resident memory (VmHWM) in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("cannot read the child's memory figures: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc status")
	return 0
}

// bombGolden holds the bomb, gzipped (the ROOT file is 400 kB of zlib
// blocks of zeros, which gzip shrinks to a few kB); encoding it takes ~15 s
// on a busy machine, so it is written once by
// OVERWATCH_UPDATE_BOMB=1 go test -run TestBombUploadsBoundedMemory ./receiver/dqm.
const bombGolden = "testdata/bomb-th1d-50M.root.gz"

// bombFile returns the bomb: an empty 50,000,000-bin TH1D written by
// overwatch.EncodeFile. It checks what the file holds without decoding it.
func bombFile(t *testing.T) []byte {
	t.Helper()
	if os.Getenv("OVERWATCH_UPDATE_BOMB") == "1" {
		h := overwatch.MustNewHist(overwatch.ClassTH1D, "bomb", "empty", overwatch.NewAxis(50_000_000, 0, 1))
		b, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "bomb", Object: h}})
		require.NoError(t, err)
		var gz bytes.Buffer
		zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		require.NoError(t, err)
		_, err = zw.Write(b)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(bombGolden, gz.Bytes(), 0o644))
	}
	gz, err := os.ReadFile(bombGolden)
	require.NoError(t, err, "write it with OVERWATCH_UPDATE_BOMB=1")
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	b, err := io.ReadAll(io.LimitReader(zr, 2<<20))
	require.NoError(t, err)
	require.Less(t, len(b), 1<<20)
	rd, err := rootio.NewReader(b)
	require.NoError(t, err)
	require.Len(t, rd.Keys, 1)
	assert.Equal(t, "TH1D", rd.Keys[0].Class)
	assert.Greater(t, rd.Keys[0].ObjLen, 400_000_000, "the key decompresses to 50,000,002 float64 bin contents and more")
	return b
}

// bombMemoryBound is the peak resident memory allowed to a receiver
// process that gets five concurrent bomb uploads.
const bombMemoryBound = 64 << 20

// TestBombUploadsBoundedMemory: the red team's decompression bomb — a
// ~400 kB ROOT file holding one empty 50,000,000-bin TH1D (400 MB once
// decoded), written with our own encoder — uploaded five times at once to a
// receiver in a child process. Each is refused with 413 before the memory
// is allocated, and the child's peak resident memory (VmHWM) stays below
// bombMemoryBound (main peaked at 4.3 GB).
func TestBombUploadsBoundedMemory(t *testing.T) {
	dir := t.TempDir()
	toks, err := OpenTokens(TokensPath(dir))
	require.NoError(t, err)
	token, err := toks.Add("bomber", time.Now())
	require.NoError(t, err)

	bomb := bombFile(t)
	t.Logf("bomb: an empty 50,000,000-bin TH1D in a %d-byte ROOT file", len(bomb))

	cmd := exec.Command(os.Args[0], "-test.run=^TestDQMHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OVERWATCH_DQM_HELPER_DIR="+dir, "GOMAXPROCS=2")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	addr := ""
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			addr = a
			break
		}
	}
	require.NotEmpty(t, addr, "the helper did not start")
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	base := "http://" + addr
	before := vmHWM(t, cmd.Process.Pid)

	var wg sync.WaitGroup
	codes := make([]int, 5)
	bodies := make([]string, 5)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, bodies[i] = upload(t, base, token, int64(7000+i), bytes.NewReader(bomb))
		}()
	}
	wg.Wait()
	peak := vmHWM(t, cmd.Process.Pid)
	t.Logf("5 concurrent bomb uploads: child VmHWM %.1f MB (%.1f MB before the uploads; bound %d MB)", float64(peak)/(1<<20), float64(before)/(1<<20), bombMemoryBound>>20)
	for i, c := range codes {
		assert.Equal(t, http.StatusRequestEntityTooLarge, c, "bomb %d: %s", i, bodies[i])
		assert.Contains(t, bodies[i], "budget", "bomb %d", i)
	}
	assert.Less(t, peak, int64(bombMemoryBound), "peak resident memory of the receiver")
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil { // the child holds the store open: only check when it lets us
		defer st.Close()
		runs, _ := st.Runs(context.Background(), overwatch.RunQuery{})
		assert.Empty(t, runs)
	}
}
