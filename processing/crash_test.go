package processing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// emcLike returns a snapshot of n histograms resembling an EMC file (1D of
// 100–3000 bins and 2D up to 100x100), filled cumulatively up to step k.
func emcLike(n, k int, seed int64) []overwatch.Entry {
	r := rand.New(rand.NewSource(seed))
	out := make([]overwatch.Entry, 0, n+1)
	ev := overwatch.MustNewHist(overwatch.ClassTH1D, "EMCTRQA_histEvents", "events", overwatch.NewAxis(2, 0, 2))
	ev.Contents[1] = float64(1000 * k)
	ev.Entries = float64(1000 * k)
	out = append(out, overwatch.Entry{Key: ev.Name, Object: ev})
	for i := 0; i < n; i++ {
		var h *overwatch.Hist
		if i%4 == 3 {
			nb := 20 + r.Intn(81) // up to 100x100
			h = overwatch.MustNewHist(overwatch.ClassTH2F, fmt.Sprintf("EMCTRQA_histMap%03d", i), "map;col;row",
				overwatch.NewAxis(nb, 0, float64(nb)), overwatch.NewAxis(nb, 0, float64(nb)))
		} else {
			nb := 100 + r.Intn(2901)
			h = overwatch.MustNewHist(overwatch.ClassTH1F, fmt.Sprintf("EMCTRQA_histAmp%03d", i), "amplitude;ADC;counts",
				overwatch.NewAxis(nb, 0, float64(nb)))
		}
		// Cumulative: every cell grows with k.
		for c := range h.Contents {
			if h.IsInRange(c) && r.Intn(3) > 0 {
				h.Contents[c] = float64(k * (1 + r.Intn(50)))
				h.Entries += h.Contents[c]
			}
		}
		out = append(out, overwatch.Entry{Key: h.Name, Object: h})
	}
	return out
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "overwatch")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/overwatch-dqm/overwatch/cmd/overwatch")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building the binary: %s", out)
	return bin
}

// dropSnapshot writes a receiver file into the drop folder atomically
// (hidden temp name, back-dated so that ingestion takes it at once, then
// renamed), as the C++ receiver's files appear.
func dropSnapshot(t *testing.T, drop string, run int, at time.Time, data []byte) {
	t.Helper()
	name := store.FormatReceiverName("EMC", run, overwatch.ModeCompress, at, 0, true)
	tmp := filepath.Join(drop, ".tmp-"+name)
	require.NoError(t, os.WriteFile(tmp, data, 0o644))
	old := time.Now().Add(-10 * time.Second)
	require.NoError(t, os.Chtimes(tmp, old, old))
	require.NoError(t, os.Rename(tmp, filepath.Join(drop, name)))
}

// bundleViewAt reports whether the EMC bundle of run in the data
// directory holds a complete view built from the snapshot at t (read from
// the file, as a reader beside a crashing process would).
func bundleViewAt(data string, run int, t time.Time) bool {
	rel, err := store.OutputPath(bundle.Ref(run, "EMC", ""))
	if err != nil {
		return false
	}
	b, err := os.ReadFile(filepath.Join(data, filepath.FromSlash(rel)))
	if err != nil {
		return false
	}
	ms, err := bundle.Decode(b)
	if err != nil {
		return false
	}
	for _, m := range ms {
		if m.Name == bundle.ViewMember {
			var v overwatch.ViewDoc
			return json.Unmarshal(m.Data, &v) == nil && v.Complete && v.Snapshot.Time == t.Unix()
		}
	}
	return false
}

// TestCrashResume runs "overwatch process --watch" in a subprocess while
// snapshots arrive in its drop folder and SIGKILLs it at random moments;
// after a restart nothing is lost, no output is half-written and the
// store's index equals a fresh rebuild.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped in -short mode")
	}
	probe, err := overwatch.EncodeFile(emcLike(1, 1, 1))
	if err != nil {
		t.Skipf("ROOT encoder not available: %v", err)
	}
	if _, err := overwatch.DecodeFile(probe); err != nil {
		t.Skipf("ROOT decoder not available: %v", err)
	}
	bin := buildBinary(t)
	data, drop := t.TempDir(), t.TempDir()
	var logs bytes.Buffer
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "process", "--watch", "--data", data, "--ingest", drop, "--ingest-every", "50ms", "--lease-ttl", "2s",
			"--scan-interval", "200ms", "--subsystems", "EMC,HLT")
		cmd.Stderr = &logs
		require.NoError(t, cmd.Start())
		return cmd
	}
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	runs := []int{5001, 5002}
	last := map[int]time.Time{}
	dropped := map[int]int{}
	step := 0
	for cycle := 0; cycle < 5; cycle++ {
		cmd := start()
		for i := 0; i < 3; i++ {
			step++
			run := runs[step%2]
			at := t0.Add(time.Duration(step) * time.Minute)
			b, err := overwatch.EncodeFile(emcLike(60, step, int64(run)))
			require.NoError(t, err)
			dropSnapshot(t, drop, run, at, b)
			last[run], dropped[run] = at, dropped[run]+1
			time.Sleep(time.Duration(50+r.Intn(150)) * time.Millisecond)
		}
		time.Sleep(time.Duration(r.Intn(400)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
	}

	// Restart: everything is caught up.
	cmd := start()
	viewOK := func(run int) bool { return bundleViewAt(data, run, last[run]) }
	ok := assert.Eventually(t, func() bool { return viewOK(runs[0]) && viewOK(runs[1]) }, 60*time.Second, 50*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	_ = cmd.Wait()
	if !ok {
		t.Fatalf("not caught up after restart; logs:\n%s", logs.String())
	}

	// Nothing lost: every dropped snapshot is stored, the drop folder is
	// empty.
	ents, err := os.ReadDir(drop)
	require.NoError(t, err)
	assert.Empty(t, ents)
	st, err := store.Open(data, store.Options{Subsystems: []string{"EMC", "HLT"}})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	for _, run := range runs {
		snaps, err := st.Snapshots(ctx, run, "EMC")
		require.NoError(t, err)
		assert.Len(t, snaps, dropped[run], "run %d", run)
	}
	// The index equals a fresh rebuild.
	require.NoError(t, st.Verify(ctx))

	// No half-written output: every bundle decodes with every member
	// matching its hash (the previous bundle or the new one, never a mix),
	// every JSON parses, every PNG decodes, no temporary file is left, and
	// every histogram of the views has its outputs.
	var nJSON, nPNG, nBundle int
	require.NoError(t, filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := d.Name()
		assert.False(t, strings.HasPrefix(base, ".tmp") || strings.Contains(base, ".tmp-"), "temporary file left: %s", p)
		switch {
		case strings.HasSuffix(base, ".json") && !strings.Contains(p, "trending") && !strings.Contains(p, "alarms"):
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.True(t, json.Valid(b), "half-written JSON: %s", p)
			nJSON++
		case base == "bundle.owb":
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			ms, err := bundle.Decode(b)
			require.NoError(t, err, "half-written bundle: %s", p)
			for _, m := range ms {
				if !strings.HasPrefix(m.Name, "png/") {
					assert.True(t, json.Valid(m.Data), "invalid JSON member %s of %s", m.Name, p)
					nJSON++
				}
			}
			nBundle++
		case strings.HasSuffix(base, ".png"):
			f, err := os.Open(p)
			require.NoError(t, err)
			_, err = png.Decode(f)
			f.Close()
			assert.NoError(t, err, "half-written PNG: %s", p)
			nPNG++
		}
		return nil
	}))
	for _, run := range runs {
		b, err := bundle.NewOutputs(st).Output(ctx, overwatch.ViewRef(run, "EMC", ""))
		require.NoError(t, err)
		var v overwatch.ViewDoc
		require.NoError(t, json.Unmarshal(b, &v))
		n := 0
		for _, g := range v.Groups {
			for _, h := range g.Hists {
				for _, k := range []overwatch.OutputKind{overwatch.OutputJSON, overwatch.OutputHints} {
					_, err := bundle.NewOutputs(st).Output(ctx, overwatch.OutputRef{Run: run, Subsystem: "EMC", Name: h.Name, Kind: k})
					assert.NoError(t, err, "run %d %s %s", run, h.Name, k)
				}
				n++
			}
		}
		assert.Greater(t, n, 50, "run %d: histograms in the view", run)
	}
	assert.Equal(t, len(runs), nBundle, "one bundle per run and subsystem")
	t.Logf("%d snapshots, %d bundles, %d JSON and %d PNG outputs checked", step, nBundle, nJSON, nPNG)

	// "--once --force-run" reprocesses a run that is up to date, then exits.
	require.NoError(t, st.Close())
	before, err := os.Stat(filepath.Join(data, "Run5001", "EMC", "bundle.owb"))
	require.NoError(t, err)
	out, err := exec.Command(bin, "process", "--once", "--data", data, "--force-run", "5001", "--subsystems", "EMC,HLT").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "processing pass finished")
	after, err := os.Stat(filepath.Join(data, "Run5001", "EMC", "bundle.owb"))
	require.NoError(t, err)
	assert.True(t, after.ModTime().After(before.ModTime()), "view rewritten")
	assert.Contains(t, string(out), "Run5001/EMC")
	out, err = exec.Command(bin, "process", "--once", "--watch", "--data", data).CombinedOutput()
	require.Error(t, err, "%s", out)
	assert.Contains(t, string(out), "exclude each other")
}

// TestWorkersShareAndSurviveSIGKILL runs two "process --watch" workers on
// one data directory (a third process ingests the drop folder); worker B is
// killed with SIGKILL while runs keep arriving and restarted once, then
// killed again for good: worker A takes over what B held once B's leases
// expire, and in the end every run is processed from its newest snapshot,
// every bundle is whole and the index equals a rebuild.
func TestWorkersShareAndSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped in -short mode")
	}
	probe, err := overwatch.EncodeFile(emcLike(1, 1, 1))
	if err != nil {
		t.Skipf("ROOT encoder not available: %v", err)
	}
	if _, err := overwatch.DecodeFile(probe); err != nil {
		t.Skipf("ROOT decoder not available: %v", err)
	}
	bin := buildBinary(t)
	data, drop := t.TempDir(), t.TempDir()
	var logsA, logsB syncbuf.Buffer
	waitLog := func(logs *syncbuf.Buffer, what string, n int) {
		t.Helper()
		require.Eventually(t, func() bool { return strings.Count(logs.String(), what) >= n }, 30*time.Second, 20*time.Millisecond,
			"%q ×%d in:\n%s", what, n, logs.String())
	}
	worker := func(name string, logs *syncbuf.Buffer, extra ...string) *exec.Cmd {
		args := append([]string{"process", "--watch", "--data", data, "--lease-ttl", "2s", "--scan-interval", "500ms",
			"--subsystems", "EMC,HLT", "--workers", "1", "--holder", name}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Stderr = logs
		require.NoError(t, cmd.Start())
		return cmd
	}
	var logsIngest bytes.Buffer
	ingest := exec.Command(bin, "store", "ingest", "--watch", "--data", data, "--drop", drop, "--every", "50ms", "--settle", "10ms", "--subsystems", "EMC,HLT")
	ingest.Stderr = &logsIngest
	require.NoError(t, ingest.Start())
	defer func() { _ = ingest.Process.Kill(); _ = ingest.Wait() }()
	a := worker("worker-a", &logsA)
	defer func() { _ = a.Process.Kill(); _ = a.Wait() }()
	b := worker("worker-b", &logsB)
	waitLog(&logsA, "watching for snapshots", 1)
	waitLog(&logsB, "watching for snapshots", 1)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	runs := []int{6001, 6002, 6003, 6004}
	last := map[int]time.Time{}
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	for step := 1; step <= 24; step++ {
		run := runs[step%len(runs)]
		at := t0.Add(time.Duration(step) * time.Minute)
		snap, err := overwatch.EncodeFile(emcLike(80, step, int64(run)))
		require.NoError(t, err)
		dropSnapshot(t, drop, run, at, snap)
		last[run] = at
		time.Sleep(time.Duration(40+r.Intn(80)) * time.Millisecond)
		switch step {
		case 8: // killed once it has worked, restarted under its name
			waitLog(&logsB, "snapshot processed", 1)
			require.NoError(t, b.Process.Signal(syscall.SIGKILL))
			_ = b.Wait()
			b = worker("worker-b", &logsB)
			waitLog(&logsB, "watching for snapshots", 2)
		case 16: // killed for good: its leases expire, A takes over
			require.NoError(t, b.Process.Signal(syscall.SIGKILL))
			_ = b.Wait()
		}
	}
	ok := assert.Eventually(t, func() bool {
		for _, run := range runs {
			if !bundleViewAt(data, run, last[run]) {
				return false
			}
		}
		return true
	}, 60*time.Second, 50*time.Millisecond, "every run processed from its newest snapshot")
	require.NoError(t, a.Process.Signal(syscall.SIGTERM))
	_ = a.Wait()
	require.NoError(t, ingest.Process.Signal(syscall.SIGTERM))
	_ = ingest.Wait()
	if !ok || !strings.Contains(logsB.String(), "snapshot processed") || !strings.Contains(logsA.String(), "snapshot processed") {
		t.Fatalf("caught up %v; worker A:\n%s\nworker B:\n%s\ningest:\n%s", ok, logsA.String(), logsB.String(), logsIngest.String())
	}
	t.Logf("worker A processed %d snapshots, worker B %d", strings.Count(logsA.String(), "snapshot processed"), strings.Count(logsB.String(), "snapshot processed"))
	st, err := store.Open(data, store.Options{Subsystems: []string{"EMC", "HLT"}})
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Verify(context.Background()))
	for _, run := range runs {
		raw, err := os.ReadFile(filepath.Join(data, fmt.Sprintf("Run%d", run), "EMC", "bundle.owb"))
		require.NoError(t, err)
		_, err = bundle.Decode(raw)
		require.NoError(t, err, "run %d: the bundle is whole", run)
	}
}
