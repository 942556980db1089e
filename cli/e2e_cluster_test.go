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
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
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
func TestClusterOnPostgres(t *testing.T) { clusterE2E(t, false) }

// TestClusterOnPostgresS3 is TestClusterOnPostgres with the snapshots on
// an S3 bucket (a versitygw server started by the test) and no data
// directory shared between the processes: each process, as if on its own
// machine, has its own --data. Snapshots received on one "machine" are
// processed on another and read on a third; the snapshot part of the
// index equals a rebuild from the bucket alone; the outputs and journals
// are on the bucket too: views of the newest snapshots are read by another
// machine, a time slice of replica A is served by B, and the whole index
// equals a rebuild.
func TestClusterOnPostgresS3(t *testing.T) { clusterE2E(t, true) }

func clusterE2E(t *testing.T, onS3 bool) {
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
	storeArgs := []string{"--index", "postgres"}
	// dataOf is the data directory of one process: the shared one, or on
	// S3 one of its own.
	dataOf := func(string) string { return data }
	var bucket blob.Bucket
	if onS3 {
		srv := s3test.Start(t)
		name := srv.NewBucket(t)
		b, err := s3blob.New(s3blob.Config{Endpoint: srv.Endpoint, Bucket: name, Access: srv.Access, Secret: srv.Secret, Insecure: true})
		require.NoError(t, err)
		bucket = b
		env = append(env, config.EnvS3Access+"="+srv.Access, config.EnvS3Secret+"="+srv.Secret)
		storeArgs = append(storeArgs, "--blobs", "s3+http://"+srv.Endpoint+"/"+name)
		dataOf = func(machine string) string {
			d := filepath.Join(data, machine)
			require.NoError(t, os.MkdirAll(d, 0o755))
			return d
		}
	}
	const password = "e2e-cluster-password-0123456789"
	for _, d := range dedupe(dataOf("web-a"), dataOf("web-b")) {
		add := exec.Command(bin, "users", "add", "--data", d, "shifter")
		add.Stdin = strings.NewReader(password + "\n")
		out, err := add.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}

	g := newE2EProcs(t, bin, env)
	start, stop := g.start, g.stop

	subs := []string{"EMC", "TPC", "HLT"}
	eps := make([]string, len(subs))
	for i := range subs {
		eps[i] = "tcp://" + e2eFreeAddr(t)
	}
	start("sim", "sim", "--listen", strings.Join(eps, ","), "--speed", "60")
	webA, webB := e2eFreeAddr(t), e2eFreeAddr(t)
	with := func(args ...string) []string { return append(args, storeArgs...) }
	start("web A", with("web", "--data", dataOf("web-a"), "--listen", webA)...)
	start("web B", with("web", "--data", dataOf("web-b"), "--listen", webB)...)
	w1 := start("process w1", with("process", "--watch", "--data", dataOf("w1"), "--holder", "w1", "--lease-ttl", "2s", "--scan-interval", "2s")...)
	w2 := start("process w2", with("process", "--watch", "--data", dataOf("w2"), "--holder", "w2", "--lease-ttl", "2s", "--scan-interval", "2s")...)
	var receivers []*e2eProc
	for i, sys := range subs {
		receivers = append(receivers, start("receive hlt "+sys, with("receive", "hlt", "--in", "REQ>"+eps[i], "--subsystem", sys, "--data", dataOf("receive-"+sys), "--sleep", "1s")...))
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

	st, err := store.Open(dataOf("check"), store.Options{Index: dsn, Bucket: bucket, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	runs, err := st.Runs(ctx, overwatch.RunQuery{Limit: 3})
	require.NoError(t, err)
	require.NotEmpty(t, runs)
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

	if onS3 {
		// The snapshots went to the bucket, none to a receiver's
		// directory, and another machine reads them; the snapshot part
		// of the index equals a rebuild from the bucket alone.
		for _, sys := range subs {
			ents, err := os.ReadDir(dataOf("receive-" + sys))
			require.NoError(t, err)
			for _, e := range ents {
				assert.False(t, strings.HasPrefix(e.Name(), "Run"), "receiver %s wrote %s to its data directory", sys, e.Name())
			}
		}
		for _, r := range runs {
			for _, s := range r.Subsystems {
				if s.Borrows() {
					continue
				}
				rc, err := st.OpenSnapshot(ctx, s.Last)
				require.NoError(t, err, "run %d %s", r.Number, s.Name)
				head := make([]byte, 4)
				_, err = io.ReadFull(rc, head)
				rc.Close()
				require.NoError(t, err)
				assert.Equal(t, "root", string(head), "run %d %s", r.Number, s.Name)
			}
		}
		other := dataOf("rebuild")
		_, err := store.Rebuild(ctx, other, store.Options{Bucket: bucket, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		require.NoError(t, err)
		rs, err := store.Open(other, store.Options{Bucket: bucket, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		require.NoError(t, err)
		defer rs.Close()
		assert.Equal(t, snapshotLines(t, st), snapshotLines(t, rs), "the PostgreSQL index's runs and snapshots equal a rebuild from the bucket")
	}

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
	var view struct {
		Groups []struct {
			Hists []struct {
				Name string `json:"name"`
			} `json:"hists"`
		} `json:"groups"`
	}
	// Both replicas serve the processed views (on S3: processed on
	// another machine).
	for _, c := range []*e2eClient{a, b} {
		for _, r := range runs {
			for _, s := range r.Subsystems {
				if !s.Borrows() {
					require.NoError(t, c.getJSON(fmt.Sprintf("/api/runs/%d/%s", r.Number, s.Name), &view), "run %d %s on %s", r.Number, s.Name, c.base)
					assert.NotEmpty(t, view.Groups, "run %d %s on %s", r.Number, s.Name, c.base)
				}
			}
		}
	}

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
	t.Logf("cluster on PostgreSQL (S3: %v): %d runs, w1 killed, newest snapshots processed %v after the receivers stopped (%v after the kill); slice %s from A served by B",
		onS3, len(runs), took.Round(time.Millisecond), time.Since(killedAt).Round(time.Second), sub.Key)
}

// dedupe returns the distinct strings of list, in order.
func dedupe(list ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// snapshotLines returns the run and snapshot lines of a store's index
// dump (sources left out).
func snapshotLines(t *testing.T, st *store.Store) string {
	t.Helper()
	var buf strings.Builder
	require.NoError(t, st.DumpIndex(&buf, store.DumpOptions{NoSources: true}))
	var out []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(l, "runs ") || strings.HasPrefix(l, "run ") || strings.HasPrefix(l, "snap ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
