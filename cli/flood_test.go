package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/receiver/dqm"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim"
)

// errExhausted says that the process ran out of file descriptors.
var errExhausted = errors.New("the process is out of file descriptors")

// procErr turns an error reading /proc into a skip (no /proc here) or
// errExhausted.
func procErr(t *testing.T, err error) error {
	t.Helper()
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return errExhausted
	}
	t.Skipf("cannot inspect file descriptors: %v", err)
	return err
}

// openFDs counts the file descriptors of this process.
func openFDs(t *testing.T) (int, error) {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, procErr(t, err)
	}
	return len(ents), nil
}

// serverSockets counts this process's descriptors that are the server
// side of connections to the given listeners: sockets in /proc/net/tcp
// whose local port is a listener's, other than the listening socket, whose
// inode is one of /proc/self/fd (connections still in the kernel's accept
// queue hold no descriptor and are not counted).
func serverSockets(t *testing.T, addrs ...net.Addr) (int, error) {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, procErr(t, err)
	}
	inodes := map[string]bool{}
	for _, e := range fds {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			if ino, ok := strings.CutPrefix(l, "socket:["); ok {
				inodes[strings.TrimSuffix(ino, "]")] = true
			}
		}
	}
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0, procErr(t, err)
	}
	ports := map[string]bool{}
	for _, a := range addrs {
		ports[fmt.Sprintf(":%04X", a.(*net.TCPAddr).Port)] = true
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] == "0A" || !inodes[f[9]] { // 0A: LISTEN
			continue
		}
		if i := strings.LastIndexByte(f[1], ':'); i >= 0 && ports[f[1][i:]] {
			n++
		}
	}
	return n, nil
}

// floodClient keeps one connection open against addr from src until
// ctx is done, re-dialling when the server closes it: idle (nothing
// sent), slow (a header byte every 300 ms) or keep-alive (one request,
// then idle).
var dialFailures atomic.Int64

func floodClient(ctx context.Context, src, addr, kind string, open *atomic.Int64) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: time.Second}
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			dialFailures.Add(1)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		open.Add(1)
		done := make(chan struct{})
		go func() {
			select {
			case <-ctx.Done():
				_ = c.Close()
			case <-done:
			}
		}()
		switch kind {
		case "slow":
			for _, b := range []byte("GET / HTTP/1.1\r\nHost: flood\r\nX-Slow: ") {
				if _, err := c.Write([]byte{b}); err != nil {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(300 * time.Millisecond):
				}
			}
			_, _ = io.Copy(io.Discard, c)
		case "keepalive":
			_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: flood\r\n\r\n")
			_, _ = io.Copy(io.Discard, c)
		default:
			_, _ = io.Copy(io.Discard, c)
		}
		close(done)
		_ = c.Close()
		open.Add(-1)
		// A refused client comes back soon, as an attacker would (every
		// 500 ms, so that the test itself does not eat the shared CPUs).
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// TestFloodedListenersKeepServing is the red team's connection flood, on
// loopback and bounded: thousands of idle, slow and keep-alive connections
// from one address (127.0.0.2) against the DQM and web ports of one
// deployment while the HLT simulator feeds its receivers. The web app keeps
// answering another client, a DQM upload from another client succeeds, no
// HLT snapshot is lost (every reply with new content is in the store) and
// the process's descriptors stay within the listeners' bounds. The file
// descriptor limit is set to what the flood's own client sockets need plus
// a margin smaller than the flood, so that a server without bounds runs out
// of descriptors as the red team's did.
//
// OVERWATCH_FLOOD_CONNS (default 2000) and OVERWATCH_FLOOD_SECONDS
// (default 12) make a longer run.
func TestFloodedListenersKeepServing(t *testing.T) {
	if testing.Short() {
		t.Skip("opens thousands of loopback connections for ~12 s")
	}
	conns, secs := 2000, 12
	if v, err := strconv.Atoi(os.Getenv("OVERWATCH_FLOOD_CONNS")); err == nil && v > 0 {
		conns = v
	}
	if v, err := strconv.Atoi(os.Getenv("OVERWATCH_FLOOD_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	if l, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("127.0.0.2 is not usable as a loopback source here: %v", err)
	} else {
		l.Close()
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	subs := []string{"EMC", "HLT"}
	listens, err := hltsim.ParseListen("tcp://127.0.0.1:0", len(subs))
	require.NoError(t, err)
	sim, err := hltsim.New(hltsim.Config{Listen: listens, Subsystems: subs, Speed: 60, Seed: 1,
		FirstRun: 500, RunDuration: 1000 * time.Hour, Logger: log})
	require.NoError(t, err)
	require.NoError(t, sim.Listen(ctx))
	simDone := make(chan error, 1)
	go func() { simDone <- sim.Serve(ctx) }()

	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Subsystems = subs
	cfg.Log.Level = "error"
	cfg.Processing.Enabled = false
	cfg.Monitor.Enabled = false
	cfg.Web.Listen, cfg.DQM.Enabled, cfg.DQM.Listen = "127.0.0.1:0", true, "127.0.0.1:0"
	cfg.Web.Limits.MaxConns, cfg.Web.Limits.MaxConnsPerIP = 256, 64
	cfg.DQM.Limits.MaxConns, cfg.DQM.Limits.MaxConnsPerIP = 128, 32
	cfg.Web.Limits.ReadHeaderTimeout, cfg.Web.Limits.IdleTimeout = 2*time.Second, 2*time.Second
	cfg.DQM.Limits.ReadHeaderTimeout, cfg.DQM.Limits.IdleTimeout = 2*time.Second, 2*time.Second
	for _, sys := range subs {
		cfg.HLT.Receivers = append(cfg.HLT.Receivers, config.HLTReceiver{Subsystem: sys, In: "REQ>" + sim.Endpoints()[sys],
			Select: "fHistTPC|EMCTRQA_histFastORL0$", Sleep: 150 * time.Millisecond, Timeout: 5 * time.Second})
	}
	toks, err := dqm.OpenTokens(dqm.TokensPath(cfg.Data))
	require.NoError(t, err)
	token, err := toks.Add("flood-test", time.Now())
	require.NoError(t, err)
	d, err := newDeployment(cfg, log)
	require.NoError(t, err)
	defer d.Close()
	runDone := make(chan error, 1)
	go func() { runDone <- d.run(ctx) }()
	webURL, dqmAddr := d.webURL(), d.dqmLn.Addr().String()
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	require.Eventually(t, func() bool {
		resp, err := client.Get(webURL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond)

	// The descriptor budget: what the process holds now, the flood's own
	// client sockets, the listeners' bounds and a margin for the store and
	// the receivers — less than a server without bounds would take.
	base, err := openFDs(t)
	require.NoError(t, err)
	bound := cfg.Web.Limits.MaxConns + cfg.DQM.Limits.MaxConns
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	want := uint64(base + conns + bound + 300)
	require.LessOrEqual(t, want, lim.Max, "hard descriptor limit too low for %d connections", conns)
	orig := lim
	lim.Cur = want
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	defer func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) }()

	fctx, fcancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second)
	defer fcancel()
	var open atomic.Int64
	var wg sync.WaitGroup
	kinds := []string{"idle", "slow", "keepalive"}
	for i := range conns {
		addr := dqmAddr
		if i%2 == 1 {
			addr = d.webLn.Addr().String()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			floodClient(fctx, "127.0.0.2", addr, kinds[i%3], &open)
		}()
	}

	// While the flood lasts: the web app answers another client, a DQM
	// client uploads, and the server side holds bounded descriptors.
	var webOK, webFail, maxServerFDs, maxFDs, exhausted int
	var slowest time.Duration
	ticks := 0
	uploads := 0
	stamp0 := time.Now().Unix() // uploads get distinct, decreasing time stamps (names)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for fctx.Err() == nil {
		select {
		case <-fctx.Done():
			continue
		case <-tick.C:
		}
		n, err := serverSockets(t, d.webLn.Addr(), d.dqmLn.Addr())
		if err != nil {
			exhausted++
		} else if n > maxServerFDs {
			maxServerFDs = n
		}
		if n, err := openFDs(t); err != nil {
			exhausted++
		} else if n > maxFDs {
			maxFDs = n
		}
		start := time.Now()
		resp, err := client.Get(webURL + "/healthz")
		if err == nil && resp.StatusCode == http.StatusOK {
			webOK++
		} else {
			webFail++
			if err == nil {
				t.Logf("web: %s", resp.Status)
			} else {
				t.Logf("web: %v", err)
			}
		}
		if resp != nil {
			resp.Body.Close()
		}
		slowest = max(slowest, time.Since(start))
		if ticks++; ticks%6 == 3 {
			req, err := http.NewRequest(http.MethodPost, "http://"+dqmAddr+"/rest/api/files", bytes.NewReader(floodTestFile(t)))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("runNumber", "777")
			req.Header.Set("timeStamp", strconv.FormatInt(stamp0-int64(uploads), 10))
			req.Header.Set("amoreAgent", "EMC")
			resp, err := client.Do(req)
			if assert.NoError(t, err, "DQM upload during the flood") {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Equal(t, http.StatusOK, resp.StatusCode, "DQM upload during the flood: %s", body)
				uploads++
			}
		}
	}
	wg.Wait()
	refusedWeb, refusedDQM := d.webSrv.Stats(), d.dqmSrv.Stats()
	cancel()
	require.NoError(t, <-runDone)
	<-simDone

	t.Logf("flood: %d connections for %d s; web answered %d/%d probes (slowest %v); %d DQM uploads; server-side connections at most %d (bound %d); process descriptors at most %d (limit %d); web refused %d+%d, dqm refused %d+%d connections",
		conns, secs, webOK, webOK+webFail, slowest.Round(time.Millisecond), uploads, maxServerFDs, bound, maxFDs, want,
		refusedWeb.RefusedFull, refusedWeb.RefusedPerIP, refusedDQM.RefusedFull, refusedDQM.RefusedPerIP)
	assert.Zero(t, exhausted, "the process ran out of file descriptors")
	assert.Zero(t, webFail, "the web app kept answering")
	assert.GreaterOrEqual(t, webOK, 5)
	assert.Greater(t, uploads, 0)
	assert.LessOrEqual(t, maxServerFDs, bound, "server-side connections bounded by the listeners' limits")
	assert.Greater(t, refusedWeb.RefusedPerIP+refusedDQM.RefusedPerIP, uint64(0), "the flood hit the per-address bound")

	// No snapshot lost: every stored snapshot was counted by its receiver,
	// none was given up.
	var written int64
	for _, r := range d.hlt {
		st := r.Stats()
		assert.Zero(t, st.SinkErrors, "snapshots lost")
		assert.Greater(t, st.Written, int64(2))
		written += st.Written
	}
	runs, err := d.st.Runs(context.Background(), overwatch.RunQuery{})
	require.NoError(t, err)
	var stored int64
	for _, ri := range runs {
		if ri.Number != 500 {
			continue
		}
		for _, sys := range subs {
			snaps, err := d.st.Snapshots(context.Background(), 500, sys)
			require.NoError(t, err, sys)
			stored += int64(len(snaps))
		}
	}
	assert.Equal(t, written, stored, "stored snapshots = written snapshots")
}

func floodTestFile(t *testing.T) []byte {
	t.Helper()
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "flood", "flood", overwatch.NewAxis(10, 0, 10))
	require.NoError(t, h.Fill(1, 0.5))
	b, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "flood", Object: h}})
	require.NoError(t, err)
	return b
}
