package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
)

// TestClusterOnPostgres runs a cluster's processes on a PostgreSQL index
// (a private server started by the test) and one data directory, as
// deploy/cluster describes: the simulator, three `receive hlt`, two
// `process --watch` workers sharing the work by leases, and two `web`
// replicas. One worker is SIGKILLed while the runs go on: the other takes
// its work over; in the end the newest snapshot of every receiver
// subsystem is processed, both replicas list the same runs, a time slice
// asked of replica A is served by replica B (its record and outputs are in
// the store), and the index equals a rebuild of the files.
func TestClusterOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, starts PostgreSQL and eight processes")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is needed to build the binary")
	}
	dsn := pgtest.Start(t)
	bin := e2eBuild(t)
	data := t.TempDir()
	env := append(os.Environ(), store.EnvPostgresDSN+"="+dsn)
	const password = "e2e-cluster-password-0123456789"
	add := exec.Command(bin, "users", "add", "--data", data, "shifter")
	add.Stdin = strings.NewReader(password + "\n")
	out, err := add.CombinedOutput()
	require.NoError(t, err, "%s", out)

	g := newE2EProcs(t, bin, env)
	start, stop := g.start, g.stop

	subs := []string{"EMC", "TPC", "HLT"}
	eps := make([]string, len(subs))
	for i := range subs {
		eps[i] = "tcp://" + e2eFreeAddr(t)
	}
	start("sim", "sim", "--listen", strings.Join(eps, ","), "--speed", "60")
	webA, webB := e2eFreeAddr(t), e2eFreeAddr(t)
	start("web A", "web", "--index", "postgres", "--data", data, "--listen", webA)
	start("web B", "web", "--index", "postgres", "--data", data, "--listen", webB)
	w1 := start("process w1", "process", "--watch", "--index", "postgres", "--data", data, "--holder", "w1", "--lease-ttl", "2s", "--scan-interval", "2s")
	w2 := start("process w2", "process", "--watch", "--index", "postgres", "--data", data, "--holder", "w2", "--lease-ttl", "2s", "--scan-interval", "2s")
	var receivers []*e2eProc
	for i, sys := range subs {
		receivers = append(receivers, start("receive hlt "+sys, "receive", "hlt", "--index", "postgres", "--in", "REQ>"+eps[i], "--subsystem", sys, "--data", data, "--sleep", "1s"))
	}
	for _, base := range []string{webA, webB} {
		e2eEventually(t, time.Now().Add(60*time.Second), "web "+base, func() error {
			resp, err := http.Get("http://" + base + "/healthz")
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		})
	}
	// Worker w1 is killed once it has processed something.
	e2eEventually(t, time.Now().Add(90*time.Second), "worker w1 at work", func() error {
		if !strings.Contains(w1.log.String(), "snapshot processed") {
			return fmt.Errorf("w1 has processed nothing yet")
		}
		return nil
	})
	require.NoError(t, w1.cmd.Process.Signal(syscall.SIGKILL))
	<-w1.done
	killedAt := time.Now()
	time.Sleep(12 * time.Second) // the runs go on; w2 takes w1's work over
	g.running(w1)
	for _, r := range receivers {
		stop(r)
	}

	st, err := store.Open(data, store.Options{Index: dsn, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	runs, err := st.Runs(ctx, overwatch.RunQuery{Limit: 3})
	require.NoError(t, err)
	require.NotEmpty(t, runs)
	outs := bundle.NewOutputs(st)
	took := e2eEventually(t, time.Now().Add(2*time.Minute), "every receiver subsystem processed from its newest snapshot", func() error {
		for _, r := range runs {
			for _, s := range r.Subsystems {
				if s.Borrows() {
					continue
				}
				b, err := outs.Output(ctx, overwatch.ViewRef(r.Number, s.Name, ""))
				if err != nil {
					return fmt.Errorf("run %d %s: %w", r.Number, s.Name, err)
				}
				var v overwatch.ViewDoc
				if err := json.Unmarshal(b, &v); err != nil {
					return err
				}
				if !v.Complete || v.Snapshot.Time != s.Last.Time.Unix() || v.Snapshot.Seq != s.Last.Seq {
					return fmt.Errorf("run %d %s: view of %d.%d, newest %d.%d", r.Number, s.Name, v.Snapshot.Time, v.Snapshot.Seq, s.Last.Time.Unix(), s.Last.Seq)
				}
			}
		}
		return nil
	})
	assert.Contains(t, w2.log.String(), "snapshot processed", "w2 worked")
	if strings.Contains(w2.log.String(), "level=ERROR") {
		t.Errorf("w2 logged an error:\n%s", e2eTail(w2.log.String(), 20))
	}

	// Both replicas list the same runs.
	a := e2eLogin(t, "http://"+webA, "shifter", password)
	b := e2eLogin(t, "http://"+webB, "shifter", password)
	var la, lb struct {
		Runs []e2eRun `json:"runs"`
	}
	require.NoError(t, a.getJSON("/api/runs", &la))
	require.NoError(t, b.getJSON("/api/runs", &lb))
	require.NotEmpty(t, la.Runs)
	assert.Equal(t, la.Runs, lb.Runs, "both replicas list the same runs")

	// A time slice asked of A is served by B.
	run := runs[0].Number
	code, body := a.layoutReq(http.MethodPost, "/api/slices", map[string]any{"run": run, "subsystem": "HLT", "from": 0, "to": 600})
	require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, code, body)
	var sub struct {
		Key string `json:"key"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &sub))
	require.NotEmpty(t, sub.Key)
	var status struct {
		State string `json:"state"`
		Error string `json:"error"`
	}
	e2eEventually(t, time.Now().Add(60*time.Second), "the slice done on replica B", func() error {
		if err := b.getJSON(fmt.Sprintf("/api/slices/%d/HLT/%s", run, sub.Key), &status); err != nil {
			return err
		}
		if status.State != "done" {
			return fmt.Errorf("slice %s on B: %s %s", sub.Key, status.State, status.Error)
		}
		return nil
	})
	var view struct {
		Groups []struct {
			Hists []struct {
				Name string `json:"name"`
			} `json:"hists"`
		} `json:"groups"`
	}
	require.NoError(t, b.getJSON(fmt.Sprintf("/api/runs/%d/HLT?slice=%s", run, sub.Key), &view))
	require.NotEmpty(t, view.Groups)
	require.NotEmpty(t, view.Groups[0].Hists)
	name := view.Groups[0].Hists[0].Name
	segs := strings.Split(name, "/")
	for i := range segs {
		segs[i] = url.PathEscape(segs[i])
	}
	var obj map[string]any
	require.NoError(t, b.getJSON(fmt.Sprintf("/api/runs/%d/HLT/json/%s?slice=%s", run, strings.Join(segs, "/"), sub.Key), &obj))
	assert.Equal(t, name, obj["fName"])

	require.NoError(t, st.Verify(ctx))
	t.Logf("cluster on PostgreSQL: %d runs, w1 killed, newest snapshots processed %v after the receivers stopped (%v after the kill); slice %s from A served by B",
		len(runs), took.Round(time.Millisecond), time.Since(killedAt).Round(time.Second), sub.Key)
}
