package cli

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/store/storetest"
)

// TestClusterOnPostgres runs a cluster's processes on a PostgreSQL index
// (a private server started by the test) and one data directory, as
// deploy/cluster describes: the simulator, three `receive hlt`, two
// `process --watch` workers sharing the work by leases, and two `web`
// replicas. Worker w1 is SIGKILLed three times while it holds a lease and
// restarted after the first two: w2 never does leased work before the
// lease expires and takes the last one over within the lease time; every
// snapshot a receiver stored is in the index and reads whole; in the end
// the newest snapshot of every receiver subsystem is processed, both
// replicas list the same runs and serve the views, the live updates of a
// page open on replica A announce views built by each worker, a time
// slice asked of replica A is served by replica B (its record and outputs
// are in the store), and the index verifies against the files.
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
	// The workers log at debug level: their lease grants, with tokens.
	worker := func(holder string) []string {
		return with("process", "--watch", "-v", "--data", dataOf(holder), "--holder", holder, "--lease-ttl", "2s", "--scan-interval", "2s")
	}
	w1 := start("process w1", worker("w1")...)
	w2 := start("process w2", worker("w2")...)
	var receivers []*e2eProc
	for i, sys := range subs {
		receivers = append(receivers, start("receive hlt "+sys, with("receive", "hlt", "--in", "REQ>"+eps[i], "--subsystem", sys, "--data", dataOf("receive-"+sys), "--sleep", "1s")...))
	}
	mon := start("monitor", with("monitor", "--data", dataOf("monitor"), "--subsystems", strings.Join(subs, ","), "--initial-delay", "3s", "--interval", "1s")...)
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
	// A page open on replica A listens to its live updates from the
	// start: every update it hears of is recorded with the time it came.
	a := e2eLogin(t, "http://"+webA, "shifter", password)
	updates := e2eListen(t, a)

	// Worker w1 is SIGKILLed several times mid-work — once it has
	// processed something in this life, the moment the index shows it
	// holding a lease — and restarted under its name after
	// the first kills; after the last kill w2 alone carries on.
	leases, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer leases.Close()
	const kills = 3
	w1s := []*e2eProc{w1}
	var killed []heldLease
	for i := 1; i <= kills; i++ {
		e2eEventually(t, time.Now().Add(90*time.Second), fmt.Sprintf("worker w1 at work (life %d)", i), func() error {
			if !strings.Contains(w1.log.String(), "snapshot processed") {
				return fmt.Errorf("w1 has processed nothing yet")
			}
			return nil
		})
		killed = append(killed, killHolding(t, leases, w1, "w1", 90*time.Second))
		if i < kills {
			time.Sleep(3 * time.Second) // longer than the lease: w2 may take w1's runs
			w1 = start(fmt.Sprintf("process w1 (life %d)", i+1), worker("w1")...)
			w1s = append(w1s, w1)
		}
	}
	time.Sleep(12 * time.Second) // the runs go on; w2 takes w1's work over
	g.running(w1s...)
	// Replica A's status page sees every receiver alive, with the run its
	// merger reports (on S3 each receiver has a data directory of its own
	// and its status goes through the index).
	var receiversStatus struct {
		Heartbeats []struct {
			Subsystem string `json:"subsystem"`
			Alive     bool   `json:"alive"`
			Run       int    `json:"run"`
			Error     string `json:"error"`
		} `json:"heartbeats"`
	}
	require.NoError(t, a.getJSON("/api/status", &receiversStatus))
	alive := map[string]bool{}
	for _, hb := range receiversStatus.Heartbeats {
		if hb.Alive && hb.Run > 0 {
			alive[hb.Subsystem] = true
		}
	}
	for _, sys := range subs {
		assert.True(t, alive[sys], "replica A: receiver %s not alive with a run (%+v)", sys, receiversStatus.Heartbeats)
		// So does the alerting monitor, on a machine of its own.
		assert.Contains(t, mon.log.String(), `msg="receiver alive" subsystem=`+sys, "the monitor")
	}
	assert.NotContains(t, mon.log.String(), "no heart beat", "the monitor")
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

	// Nothing lost: every snapshot a receiver said it stored is in the
	// index, and every snapshot of the index reads as a whole ROOT file.
	stored := 0
	for i, r := range receivers {
		if strings.Contains(r.log.String(), "snapshot lost") {
			t.Errorf("receiver %s lost a snapshot:\n%s", subs[i], e2eTail(r.log.String(), 20))
		}
		for _, m := range e2eStoredPath.FindAllStringSubmatch(r.log.String(), -1) {
			stored++
			assert.True(t, indexed(t, st, m[1], m[2]), "receiver %s stored %s: not in the index", subs[i], m[2])
		}
	}
	require.NotZero(t, stored)
	checked := 0
	require.NoError(t, storetest.EachSnapshot(ctx, st, func(info overwatch.SnapshotInfo, data []byte) error {
		_, err := overwatch.DecodeFile(data)
		assert.NoError(t, err, "snapshot %s is not whole", info.SnapshotRef)
		checked++
		return nil
	}))
	require.NoError(t, st.Verify(ctx))

	// The page open on A heard of views built by each worker: every
	// life of w1 whose work reached a view, and w2.
	processedBy := map[string]string{} // snapshot -> worker
	for _, w := range append(w1s, w2) {
		who := "w2"
		if w != w2 {
			who = "w1"
		}
		for _, m := range e2eProcessed.FindAllStringSubmatch(w.log.String(), -1) {
			processedBy[m[2]] = who
		}
	}
	// w2 was never granted the lease w1 held when killed before it
	// expired: every grant of that key to w2 after w1's (a greater token)
	// came once w1's lease had run out (w2 logs a grant after the index
	// made it, and the index grants only a lease expired by the time the
	// grant was asked for). And after the last kill (w1 not restarted) w2
	// took the work over within the lease time: TTL 2 s (plus at most one
	// renewal between reading the lease and the kill), work left to a
	// holder looked at again every second, 6 s more for processing on a
	// loaded machine.
	takeover := time.Duration(-1)
	for i, l := range killed {
		granted := 0
		for _, m := range e2eGranted.FindAllStringSubmatch(w2.log.String(), -1) {
			at, err := time.Parse(time.RFC3339Nano, m[1])
			require.NoError(t, err)
			token, err := strconv.ParseInt(m[3], 10, 64)
			require.NoError(t, err)
			if m[2] != l.key || token <= l.token {
				continue
			}
			granted++
			// Log times are cut to the millisecond.
			assert.False(t, at.Add(time.Millisecond).Before(l.expires), "kill %d: w2 was granted %s (token %d) at %v, while w1's lease (token %d) ran to %v", i+1, l.key, token, at, l.token, l.expires)
		}
		if i == len(killed)-1 {
			require.NotZero(t, granted, "w2 was never granted %s after w1's last kill", l.key)
			for _, m := range e2eProcessed.FindAllStringSubmatch(w2.log.String(), -1) {
				at, err := time.Parse(time.RFC3339Nano, m[1])
				require.NoError(t, err)
				if m[3]+"/"+m[4] == l.key && at.After(l.killed) {
					takeover = at.Sub(l.killed)
					break
				}
			}
		}
	}
	last := killed[len(killed)-1]
	require.GreaterOrEqual(t, takeover, time.Duration(0), "w2 never processed %s after w1's last kill", last.key)
	assert.Less(t, takeover, 10*time.Second, "w2 took %s over %v after w1's last kill", last.key, takeover)

	heard := map[string]int{}
	for _, snap := range updates.seen() {
		if who, ok := processedBy[snap]; ok {
			heard[who]++
		}
	}
	assert.NotZero(t, heard["w1"], "A's live updates announced no view built by w1 (heard: %v)", updates.seen())
	assert.NotZero(t, heard["w2"], "A's live updates announced no view built by w2 (heard: %v)", updates.seen())

	t.Logf("cluster on PostgreSQL (S3: %v): %d runs, w1 SIGKILLed %d times holding a lease (%s), %d snapshots stored and in the index, %d read whole; w2 took w1's last work over %v after the last kill; newest snapshots processed %v after the receivers stopped; A announced %d views built by w1 and %d by w2; slice %s from A served by B",
		onS3, len(runs), kills, leaseKeys(killed), stored, checked, takeover.Round(time.Millisecond), took.Round(time.Millisecond), heard["w1"], heard["w2"], sub.Key)
}

// e2eStoredPath matches a receiver's "snapshot stored" line: run, path.
var e2eStoredPath = regexp.MustCompile(`msg="snapshot stored" .*\brun=(\d+) .*\bpath=(\S+)`)

// e2eProcessed matches a worker's "snapshot processed" line: its time, the
// snapshot, its run and its receiver subsystem.
var e2eProcessed = regexp.MustCompile(`time=(\S+) level=INFO msg="snapshot processed" .*\bsnapshot=(Run(\d+)/([A-Z0-9]+)@\S*)`)

// e2eGranted matches a worker's debug line of a lease grant: its time, the
// key and the token.
var e2eGranted = regexp.MustCompile(`time=(\S+) level=DEBUG msg="lease taken" .*\bkey=(\S+) token=(\d+)`)

// heldLease is a processing lease seen in the index: its key
// "<run>/<subsystem>", token and expiry, and when its holder was killed.
type heldLease struct {
	key             string
	token           int64
	expires, killed time.Time
}

func leaseKeys(ls []heldLease) string {
	var keys []string
	for _, l := range ls {
		keys = append(keys, l.key)
	}
	return strings.Join(keys, ", ")
}

// killHolding SIGKILLs worker p (lease holder holder) while it holds a
// processing lease, and returns that lease as the index had it at the
// kill. It polls the index every 10 ms; when p holds a lease it stops p
// (SIGSTOP), waits for statements p sent to land, and reads the lease
// again: still p's, p is killed; released or expired meanwhile, p goes on
// (SIGCONT) and the polling too. So the lease is p's, unchanged, at the
// kill: p can neither release nor renew it once stopped.
func killHolding(t *testing.T, db *sql.DB, p *e2eProc, holder string, within time.Duration) heldLease {
	t.Helper()
	read := func(key string) (heldLease, bool) {
		q := `SELECT k, token, expires FROM leases WHERE queue = $1 AND holder = $2 AND expires > $3`
		args := []any{processing.LeaseQueue, holder, time.Now().UnixNano()}
		if key != "" {
			q += ` AND k = $4`
			args = append(args, key)
		}
		var l heldLease
		var exp int64
		err := db.QueryRow(q+` ORDER BY expires DESC LIMIT 1`, args...).Scan(&l.key, &l.token, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			return l, false
		}
		require.NoError(t, err)
		l.expires = time.Unix(0, exp)
		return l, true
	}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		l, ok := read("")
		if !ok {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGSTOP))
		time.Sleep(100 * time.Millisecond)
		if at, ok := read(l.key); ok && at.token == l.token {
			require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
			at.killed = time.Now()
			<-p.done
			return at
		}
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGCONT))
	}
	require.FailNow(t, "timed out waiting for "+holder+" to hold a lease")
	return heldLease{}
}

// indexed reports whether the index lists a snapshot of run at path.
func indexed(t *testing.T, st *store.Store, run, path string) bool {
	t.Helper()
	n, err := strconv.Atoi(run)
	require.NoError(t, err)
	sys, _, _ := strings.Cut(strings.TrimPrefix(path, "Run"+run+"/"), "/")
	infos, err := st.Snapshots(context.Background(), n, sys)
	require.NoError(t, err)
	for _, info := range infos {
		if info.Path == path {
			return true
		}
	}
	return false
}

// e2eUpdates records the views a page's live updates announced, as the
// snapshots they were built from.
type e2eUpdates struct {
	mu    sync.Mutex
	snaps []string
}

func (u *e2eUpdates) seen() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.snaps)
}

// e2eListen opens the live-update stream of c's replica, as a page does,
// and, on each "update" event, reads the announced view from the replica
// (as the page redraws) and records the snapshot it was built from. The
// stream ends with the test.
func e2eListen(t *testing.T, c *e2eClient) *e2eUpdates {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/events", nil)
	require.NoError(t, err)
	stream := &http.Client{Jar: c.c.Jar} // no timeout: a stream lasts
	resp, err := stream.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	u := &e2eUpdates{}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var e struct {
				Type      string `json:"type"`
				Run       int    `json:"run"`
				Subsystem string `json:"subsystem"`
			}
			if json.Unmarshal([]byte(data), &e) != nil || e.Type != "update" {
				continue
			}
			var v overwatch.ViewDoc
			if c.getJSON(fmt.Sprintf("/api/runs/%d/%s", e.Run, e.Subsystem), &v) != nil || v.Snapshot.Time == 0 {
				continue
			}
			ref := overwatch.SnapshotRef{Run: e.Run, Subsystem: e.Subsystem, Time: time.Unix(v.Snapshot.Time, 0), Seq: v.Snapshot.Seq}
			u.mu.Lock()
			u.snaps = append(u.snaps, ref.String())
			u.mu.Unlock()
		}
	}()
	return u
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
