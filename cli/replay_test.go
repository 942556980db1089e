package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/trending"
	"github.com/overwatch-dqm/overwatch/webapp"
)

// replayRecordLive records runs as the live deployment does: every simulated
// minute each subsystem's cumulative snapshot is stored (as the HLT
// receivers' StoreSink does) and processed with trending. It returns the
// number of snapshots.
func replayRecordLive(t *testing.T, dir string, runs, minutes int, noPNG bool) int {
	t.Helper()
	log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelError}))
	st, err := store.Open(dir, store.Options{Logger: log})
	require.NoError(t, err)
	defer st.Close()
	trends, err := trending.NewManager(st, trending.Config{}, nil, log)
	require.NoError(t, err)
	p := processing.New(st, processing.Options{Logger: log, Observer: trends, NoPNG: noPNG})
	ctx := context.Background()

	subs := []string{"EMC", "TPC", "HLT"}
	g := generator.New(generator.Config{Seed: 7, Subsystems: subs, EventsPerSecond: 50})
	require.NoError(t, g.SetDrift("HLT", "fHistTPCTrackPt", 0.01))
	n := 0
	for r := 0; r < runs; r++ {
		g.StartRun(300 + r)
		for m := 0; m < minutes; m++ {
			g.Advance(time.Minute)
			for i, sys := range subs {
				data, err := overwatch.EncodeFile(g.Snapshot(sys))
				require.NoError(t, err)
				// The receivers ask one after the other, a few seconds apart.
				at := g.Now().Add(time.Duration(i*3) * time.Second)
				info, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 300 + r, Subsystem: sys, Mode: overwatch.ModeCompress, Time: at, Origin: "hlt"}, bytes.NewReader(data))
				require.NoError(t, err)
				require.NoError(t, p.Process(ctx, info))
				trends.EndCycle(ctx)
				n++
			}
		}
		g.EndRun()
		g.Advance(10 * time.Minute)
	}
	trends.WaitOutputs()
	return n
}

// replayFiles returns every regular file below dir (slash paths) but the index,
// the web app's secrets and temporary files.
func replayFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".webapp" {
				return fs.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if store.IsBookkeeping(filepath.ToSlash(rel)) || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = b
		return nil
	}))
	return out
}

// TestReplayReproducesLiveOutputs records two runs as the live system
// would, replays the recorded data directory into an empty one with
// "overwatch replay --process", and compares the two trees: every snapshot,
// every JSROOT JSON, every hints document, every view, the trend journals
// and outputs and the alarms must be byte-identical. PNGs are left out to
// keep the test short (OVERWATCH_REPLAY_PNG=1 includes them: with them the
// test takes minutes on a loaded 2-core machine).
func TestReplayReproducesLiveOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("records and replays two runs (several seconds)")
	}
	a, b := t.TempDir(), t.TempDir()
	png := os.Getenv("OVERWATCH_REPLAY_PNG") == "1"
	start := time.Now()
	n := replayRecordLive(t, a, 2, 2, !png)
	t.Logf("recorded %d snapshots in %v", n, time.Since(start))
	start = time.Now()
	defer func() { t.Logf("replayed in %v", time.Since(start)) }()
	args := []string{"replay", "--from", a, "--to", b, "--speed", "0", "--process"}
	if !png {
		args = append(args, "--no-png")
	}

	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := runMain(context.Background(), e, args)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stderr.String(), "replay: [##############################] 100%")
	assert.Contains(t, stderr.String(), "12 of 12 snapshots delivered")
	assert.Contains(t, stderr.String(), "12 processed, 0 processing errors")
	require.Equal(t, 12, n)

	fa, fb := replayFiles(t, a), replayFiles(t, b)
	var names []string
	for k := range fa {
		names = append(names, k)
	}
	sort.Strings(names)
	kinds := map[string]int{}
	var differ []string
	for _, k := range names {
		other, ok := fb[k]
		switch {
		case !ok:
			differ = append(differ, k+" (missing after the replay)")
		case !bytes.Equal(fa[k], other):
			differ = append(differ, k)
		}
		switch {
		case strings.HasSuffix(k, ".root"):
			kinds["snapshot"]++
		case strings.HasSuffix(k, "/bundle.owb"):
			// Every member of a bundle: JSON, hints, view (and PNG).
			kinds["bundle"]++
			ma, err := bundle.Decode(fa[k])
			require.NoError(t, err, k)
			mb, err := bundle.Decode(other)
			if ok {
				require.NoError(t, err, k)
			}
			members := map[string][]byte{}
			for _, m := range mb {
				members[m.Name] = m.Data
			}
			for _, m := range ma {
				kind, _, _ := strings.Cut(m.Name, "/")
				kinds[kind]++
				if o, ok := members[m.Name]; !ok || !bytes.Equal(o, m.Data) {
					differ = append(differ, k+": member "+m.Name)
				}
			}
			if len(ma) != len(mb) {
				differ = append(differ, fmt.Sprintf("%s: %d members, %d after the replay", k, len(ma), len(mb)))
			}
		case strings.Contains(k, "/json/"):
			kinds["json"]++
		case strings.Contains(k, "/hints/"):
			kinds["hints"]++
		case strings.HasSuffix(k, "/view.json"):
			kinds["view"]++
		case strings.HasSuffix(k, ".png"):
			kinds["png"]++
		default:
			kinds["other"]++
		}
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			differ = append(differ, k+" (only after the replay)")
		}
	}
	t.Logf("compared %d files: %v", len(names), kinds)
	assert.Empty(t, differ, "files (and bundle members) that differ between the live store and its replay")
	assert.Equal(t, 12, kinds["snapshot"])
	for k := range fa {
		if strings.HasSuffix(k, ".png") && !png {
			assert.True(t, strings.HasPrefix(k, "trending/"), "only trend images without --no-png: %s", k)
		}
	}
	assert.Equal(t, 6, kinds["bundle"], "2 runs × 3 subsystems: one bundle each")
	assert.Equal(t, 6, kinds["view"], "2 runs × 3 subsystems")
	assert.Greater(t, kinds["json"], 300)
	assert.Equal(t, kinds["json"]-replayCountTrendJSON(fa), kinds["hints"]-replayCountTrendHints(fa))
}

func replayCountTrendJSON(f map[string][]byte) int {
	n := 0
	for k := range f {
		if strings.HasPrefix(k, "trending/") && strings.Contains(k, "/json/") {
			n++
		}
	}
	return n
}

func replayCountTrendHints(f map[string][]byte) int {
	n := 0
	for k := range f {
		if strings.HasPrefix(k, "trending/") && strings.Contains(k, "/hints/") {
			n++
		}
	}
	return n
}

func TestReplayCommandUsage(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no source", []string{"replay", "--to", dir}, "--from and --to are required"},
		{"negative speed", []string{"replay", "--from", dir, "--to", filepath.Join(dir, "x"), "--speed", "-2"}, "--speed"},
		{"same directory", []string{"replay", "--from", dir, "--to", dir}, "different directories"},
		{"bad run list", []string{"replay", "--from", dir, "--to", filepath.Join(dir, "x"), "--runs", "a"}, "positive run number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runMain(context.Background(), &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}, c.args)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), c.want)
		})
	}
}

// TestReplayCommandFiltersAndPlainProgress replays one run of a folder of
// receiver files; stderr is not a terminal, so progress comes as plain
// lines.
func TestReplayCommandFiltersAndPlainProgress(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	g := generator.New(generator.Config{Seed: 1, Subsystems: []string{"EMC"}, EventsPerSecond: 10})
	for _, run := range []int{11, 12} {
		g.StartRun(run)
		for m := 0; m < 3; m++ {
			g.Advance(time.Minute)
			data, err := overwatch.EncodeFile(g.Snapshot("EMC"))
			require.NoError(t, err)
			name := store.FormatReceiverName("EMC", run, overwatch.ModeNoCompress, g.Now(), 0, false)
			require.NoError(t, os.WriteFile(filepath.Join(src, name), data, 0o644))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(src, "EMChistos_12_B_2015_11_24_18_10_30.root"), []byte("garbage, not ROOT"), 0o644))
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	start := time.Now()
	code := runMain(context.Background(), e, []string{"replay", "--from", src, "--to", dst, "--runs", "12", "--speed", "600"})
	require.Equal(t, 0, code, stderr.String())
	// Two minutes of archived time at 600×: 0.2 s.
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	out := stderr.String()
	assert.Contains(t, out, "3 of 4 snapshots delivered")
	assert.Contains(t, out, "1 invalid skipped")
	assert.Contains(t, out, "level=WARN", "the invalid file is reported")
	assert.NotContains(t, out, "\r", "no terminal control on a pipe")
	assert.Contains(t, out, "replay: [##############################] 100% 4/4  Run12 EMC")

	log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	st, err := store.Open(dst, store.Options{Logger: log})
	require.NoError(t, err)
	defer st.Close()
	runs, err := st.Runs(context.Background(), overwatch.RunQuery{})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, 12, runs[0].Number)
	assert.Equal(t, overwatch.ModeNoCompress, runs[0].Mode)
}

// TestReplayCommandServesWebApp replays archived data with --process and
// --listen: the web app shows the replayed run and its processed
// histograms while the replay runs, and keeps serving until interrupted.
func TestReplayCommandServesWebApp(t *testing.T) {
	if testing.Short() {
		t.Skip("processes a replayed run (several seconds)")
	}
	src, dst := t.TempDir(), t.TempDir()
	g := generator.New(generator.Config{Seed: 3, Subsystems: []string{"HLT"}, EventsPerSecond: 20})
	g.StartRun(77)
	for m := 0; m < 3; m++ {
		g.Advance(time.Minute)
		data, err := overwatch.EncodeFile(g.Snapshot("HLT"))
		require.NoError(t, err)
		name := store.FormatReceiverName("HLT", 77, overwatch.ModeCompress, g.Now(), 0, true)
		require.NoError(t, os.WriteFile(filepath.Join(src, name), data, 0o644))
	}
	users, err := webapp.OpenUsers(webapp.UsersPath(dst))
	require.NoError(t, err)
	require.NoError(t, users.Add("alice", "correct horse battery", webapp.RoleShifter))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, e, []string{"replay", "--from", src, "--to", dst, "--speed", "0", "--process", "--no-png", "--listen", "127.0.0.1:0"})
	}()
	deadline := time.Now().Add(60 * time.Second)
	var base string
	e2eEventually(t, deadline, "the URL line", func() error {
		line, _, ok := strings.Cut(stdout.String(), "\n")
		if !ok {
			return errors.New("nothing printed yet")
		}
		base = line
		return nil
	})
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)
	web := e2eLogin(t, base, "alice", "correct horse battery")
	e2eEventually(t, deadline, "the replay to finish", func() error {
		if !strings.Contains(stderr.String(), "serving "+base+" until interrupted") {
			return errors.New("still replaying")
		}
		return nil
	})
	var view overwatch.ViewDoc
	require.NoError(t, web.getJSON("/api/runs/77/HLT", &view))
	assert.Equal(t, 77, view.Run)
	assert.True(t, view.Complete)
	assert.Equal(t, g.Now().Unix(), view.Snapshot.Time, "the newest replayed snapshot")
	m := e2eScrape(t, base)
	// HLT's files also feed EMC and TPC, which have none of their own.
	assert.Equal(t, 9.0, m["overwatch_processed_snapshots_total"], "processing is metered: 3 snapshots × 3 subsystems")
	require.NoError(t, web.getJSON("/api/runs/77/EMC", &view))
	assert.Equal(t, "HLT", view.Source, "EMC borrows the HLT files")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(15 * time.Second):
		require.FailNow(t, "replay --listen did not stop after the interrupt")
	}
}
