package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
)

// TestSharedDataDirEndToEnd runs the components as separate processes on
// one data directory, as a new user would: the simulator, three `receive
// hlt`, `receive dqm`, `process --watch` and `web` (each opens the store;
// with the bbolt index the second failed with "index is locked by another
// process"). For 30 s (OVERWATCH_E2E_SHARED=DURATION for longer) the
// receivers store snapshots; then every process still runs, processing
// has processed the newest snapshot of every receiver subsystem, the web
// app lists the run, its server-sent events carried snapshots stored by
// the receivers and outputs written by processing, and the index equals
// a rebuild.
func TestSharedDataDirEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs seven processes for 30 s")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is needed to build the binary")
	}
	dur := 30 * time.Second
	if v := os.Getenv("OVERWATCH_E2E_SHARED"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err)
		dur = d
	}
	bin := e2eBuild(t)
	data := t.TempDir()
	const password = "e2e-shared-password-0123456789"
	add := exec.Command(bin, "users", "add", "--data", data, "shifter")
	add.Stdin = strings.NewReader(password + "\n")
	out, err := add.CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(bin, "tokens", "add", "--data", data, "e2e").CombinedOutput()
	require.NoError(t, err, "%s", out)

	g := newE2EProcs(t, bin, nil)
	start, stop := g.start, g.stop
	var stopped []*e2eProc
	running := func() {
		t.Helper()
		g.running(stopped...)
	}

	subs := []string{"EMC", "TPC", "HLT"}
	eps := make([]string, len(subs))
	for i := range subs {
		eps[i] = "tcp://" + e2eFreeAddr(t)
	}
	start("sim", "sim", "--listen", strings.Join(eps, ","), "--speed", "60")
	webAddr, dqmAddr := e2eFreeAddr(t), e2eFreeAddr(t)
	start("web", "web", "--data", data, "--listen", webAddr)
	process := start("process", "process", "--watch", "--data", data, "--no-png")
	start("receive dqm", "receive", "dqm", "--data", data, "--listen", dqmAddr)
	var receivers []*e2eProc
	for i, sys := range subs {
		receivers = append(receivers, start("receive hlt "+sys, "receive", "hlt", "--in", "REQ>"+eps[i], "--subsystem", sys, "--data", data, "--sleep", "1s"))
	}

	base := "http://" + webAddr
	deadline := time.Now().Add(30 * time.Second)
	e2eEventually(t, deadline, "the web app", func() error {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	c := e2eLogin(t, base, "shifter", password)

	// Server-sent events, counted by type.
	var mu sync.Mutex
	events := map[string]int{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/events", nil)
	require.NoError(t, err)
	sse := &http.Client{Jar: c.c.Jar}
	resp, err := sse.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if typ, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				mu.Lock()
				events[typ]++
				mu.Unlock()
			}
		}
	}()

	time.Sleep(dur)
	running()
	for _, r := range receivers {
		stop(r)
		stopped = append(stopped, r)
	}

	// Every receiver subsystem's newest snapshot gets processed.
	st, err := store.Open(data, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err, "the test opens the store beside the running processes")
	defer st.Close()
	runs, err := st.Runs(context.Background(), overwatch.RunQuery{})
	require.NoError(t, err)
	require.NotEmpty(t, runs)
	total := 0
	var newest []string
	for _, r := range runs {
		for _, s := range r.Subsystems {
			if s.Borrows() {
				continue
			}
			snaps, err := st.Snapshots(context.Background(), r.Number, s.Name)
			require.NoError(t, err)
			total += len(snaps)
			newest = append(newest, fmt.Sprintf("snapshot=Run%d/%s@%d", r.Number, s.Name, s.Last.Time.Unix()))
		}
	}
	took := e2eEventually(t, time.Now().Add(2*time.Minute), "processing of the newest snapshots", func() error {
		for _, n := range newest {
			if !strings.Contains(process.log.String(), n) {
				return fmt.Errorf("%s not processed yet", n)
			}
		}
		return nil
	})
	running()
	var list struct {
		Runs []e2eRun `json:"runs"`
	}
	require.NoError(t, c.getJSON("/api/runs", &list))
	require.NotEmpty(t, list.Runs)
	assert.Equal(t, runs[0].Number, list.Runs[0].Number)
	code, page, err := c.get(fmt.Sprintf("/run/%d/EMC", runs[0].Number))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code, "%s", page)
	e2eEventually(t, time.Now().Add(10*time.Second), "live events", func() error {
		mu.Lock()
		defer mu.Unlock()
		if events["snapshot"] == 0 || events["update"] == 0 {
			b, _ := json.Marshal(events)
			return fmt.Errorf("events so far: %s", b)
		}
		return nil
	})
	for _, p := range g.procs {
		assert.NotContains(t, p.log.String(), "locked", p.name)
	}
	require.NoError(t, st.Verify(context.Background()))
	mu.Lock()
	t.Logf("%v with 7 processes on one data directory: %d runs, %d snapshots stored, newest processed %v after the receivers stopped; events %v",
		dur, len(runs), total, took.Round(time.Millisecond), events)
	mu.Unlock()
}
