package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/store"
)

// fakeClock is a virtual wall clock: Sleep advances it at once and records
// the pause.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
	// cancel, when set, is called at the n-th sleep.
	cancelAt int
	cancel   context.CancelFunc
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	if d > 0 {
		c.now = c.now.Add(d)
		c.slept = append(c.slept, d)
	}
	if c.cancel != nil && len(c.slept) == c.cancelAt {
		c.cancel()
	}
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) total() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var t time.Duration
	for _, d := range c.slept {
		t += d
	}
	return t
}

// recorder is an overwatch.Processor that records what it is given.
type recorder struct {
	mu   sync.Mutex
	seen []overwatch.SnapshotInfo
	fail bool
}

func (r *recorder) Process(_ context.Context, s overwatch.SnapshotInfo) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, s)
	if r.fail {
		return errors.New("processing failed on purpose")
	}
	return nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// snapshotBytes returns the ROOT file of a small generic subsystem after
// minutes of simulated data.
func snapshotBytes(t testing.TB, seed uint64, minutes int) []byte {
	t.Helper()
	g := generator.New(generator.Config{Seed: seed, Subsystems: []string{"ZDC"}, EventsPerSecond: 20})
	g.StartRun(1)
	g.Advance(time.Duration(minutes) * time.Minute)
	data, err := overwatch.EncodeFile(g.Snapshot("ZDC"))
	require.NoError(t, err)
	return data
}

var t0 = time.Unix(1448384710, 0).UTC()

// sourceStore builds an archived data directory: run 5 (mode C) with EMC
// and HLT snapshots, run 6 (mode B) with EMC, a second EMC snapshot in the
// same second of run 5 (sequence number 1), and a mode E run under
// ReplayData/; run 5's HLT snapshots are recorded cumulative, run 6's
// reset, run 5's EMC ones record nothing. It returns the directory and the
// number of snapshots.
func sourceStore(t testing.TB) (string, int) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Logger: quiet})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	put := func(run int, sys string, mode overwatch.HLTMode, at time.Time, seed uint64) {
		acc := map[string]overwatch.Accumulation{"5/HLT": overwatch.Cumulative, "6/EMC": overwatch.Reset}[fmt.Sprintf("%d/%s", run, sys)]
		_, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: mode, Time: at, Origin: "hlt", Accumulation: acc},
			strings.NewReader(string(snapshotBytes(t, seed, 1))))
		require.NoError(t, err)
	}
	n := 0
	for i := 0; i < 3; i++ {
		put(5, "EMC", overwatch.ModeCompress, t0.Add(time.Duration(i)*time.Minute), uint64(i))
		put(5, "HLT", overwatch.ModeCompress, t0.Add(time.Duration(i)*time.Minute+10*time.Second), uint64(10+i))
		n += 2
	}
	put(5, "EMC", overwatch.ModeCompress, t0.Add(2*time.Minute), 99) // same second: seq 1
	put(6, "EMC", overwatch.ModeNoCompress, t0.Add(time.Hour), 20)
	put(7, "TPC", overwatch.ModeReplay, t0.Add(time.Hour+time.Minute), 30)
	n += 3
	return dir, n
}

// tree returns every regular file below dir (slash paths) with its bytes,
// leaving out the store's index and locks.
func tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() || store.IsBookkeeping(filepath.ToSlash(rel)) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	}))
	return out
}

func keys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

func TestReplayRebuildsTheStoreFileForFile(t *testing.T) {
	src, n := sourceStore(t)
	dst := t.TempDir()
	target := openStore(t, dst)
	proc := &recorder{}
	clk := &fakeClock{now: time.Unix(2e9, 0)}
	var progress []Progress
	r, err := New(Config{From: src, Store: target, Speed: 0, Processor: proc, Clock: clk, Logger: quiet,
		Progress: func(p Progress) { progress = append(progress, p) }})
	require.NoError(t, err)
	require.NoError(t, r.Run(context.Background()))

	st := r.Stats()
	assert.Equal(t, Stats{Files: n, Delivered: n, Processed: n - 1, Bytes: st.Bytes}, st)
	assert.Empty(t, clk.slept, "speed 0 never sleeps")
	require.Len(t, progress, n)
	assert.Equal(t, n, progress[n-1].Done)
	assert.Equal(t, n, progress[n-1].Total)
	for i := 1; i < len(progress); i++ {
		assert.False(t, progress[i].Virtual.Before(progress[i-1].Virtual), "time order")
	}

	want, got := tree(t, src), tree(t, dst)
	require.Equal(t, keys(want), keys(got), "same files")
	for k := range want {
		assert.Equal(t, want[k], got[k], "bytes of %s", k)
	}
	assert.Contains(t, got, "Run5/EMC/EMChists.2015_11_24_18_07_10.1.root", "same-second snapshot keeps its sequence number")
	assert.Equal(t, "hltMode: B\n", got["Run6/runInfo.yaml"])
	assert.Equal(t, "accumulation: reset\n", got["Run6/EMC/subsystemInfo.yaml"], "the accumulation is carried over")
	assert.NotContains(t, got, "Run5/EMC/subsystemInfo.yaml", "and nothing is made up where the source had none")
	assert.Contains(t, got, "ReplayData/Run7/TPC/TPChists.2015_11_24_19_06_10.root", "mode E stays apart")

	// The processor saw every snapshot but the mode E one, in time order,
	// with the stored (original) identity.
	for _, s := range proc.seen {
		assert.NotEqual(t, overwatch.ModeReplay, s.Mode)
		assert.Equal(t, Source, s.Origin)
	}
	assert.Equal(t, 5, proc.seen[0].Run)
	assert.Equal(t, t0, proc.seen[0].Time.UTC())

	// Snapshot listings equal the original's.
	orig := openStore(t, src)
	for _, k := range []struct {
		run int
		sys string
	}{{5, "EMC"}, {5, "HLT"}, {6, "EMC"}} {
		a, err := orig.Snapshots(context.Background(), k.run, k.sys)
		require.NoError(t, err)
		b, err := target.Snapshots(context.Background(), k.run, k.sys)
		require.NoError(t, err)
		require.Len(t, b, len(a))
		for i := range a {
			assert.Equal(t, a[i].SnapshotRef, b[i].SnapshotRef)
			assert.Equal(t, a[i].Path, b[i].Path)
			assert.Equal(t, a[i].Mode, b[i].Mode)
			assert.Equal(t, a[i].Accumulation, b[i].Accumulation)
		}
	}

	// A second replay finds everything already there (but the mode E
	// snapshot, which the store does not index).
	r2, err := New(Config{From: src, Store: target, Clock: clk, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, r2.Run(context.Background()))
	assert.Equal(t, n-1, r2.Stats().Duplicates)
	assert.Equal(t, 1, r2.Stats().Delivered)
}

func TestReplayVirtualClock(t *testing.T) {
	src, _ := sourceStore(t)
	cases := []struct {
		name   string
		speed  float64
		maxGap time.Duration
		want   time.Duration
	}{
		// Archived span: t0 .. t0+1h1m.
		{"real time", 1, 0, time.Hour + time.Minute},
		{"60x", 60, 0, (time.Hour + time.Minute) / 60},
		// Gaps: 10s, 50s, 10s, 50s, 0 (same second), 10s, 57m50s → 2m, 1m.
		{"60x, gaps of at most 2 min", 60, 2 * time.Minute, (10*time.Second + 50*time.Second + 10*time.Second + 50*time.Second + 10*time.Second + 2*time.Minute + time.Minute) / 60},
		{"as fast as possible", 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := &fakeClock{now: time.Unix(2e9, 0)}
			var ticks []Progress
			r, err := New(Config{From: src, Store: openStore(t, t.TempDir()), Speed: c.speed, MaxGap: c.maxGap, Clock: clk, Logger: quiet,
				Progress: func(p Progress) { ticks = append(ticks, p) }})
			require.NoError(t, err)
			require.NoError(t, r.Run(context.Background()))
			assert.InDelta(t, c.want.Seconds(), clk.total().Seconds(), 1e-3)
			// The virtual clock reported while waiting never goes back and
			// moves at the replay speed.
			for i := 1; i < len(ticks); i++ {
				require.False(t, ticks[i].Virtual.Before(ticks[i-1].Virtual), "tick %d", i)
				require.GreaterOrEqual(t, ticks[i].Done, ticks[i-1].Done)
			}
			if c.speed > 0 {
				assert.GreaterOrEqual(t, len(ticks), int(c.want/progressTick), "one tick per second of waiting")
			}
			if c.speed == 60 && c.maxGap == 0 {
				// While waiting 58 min of archived time for run 6, the clock
				// advances by 60 s per (virtual) real second.
				var waits []time.Time
				for _, p := range ticks {
					if p.Done == 7 {
						waits = append(waits, p.Virtual)
					}
				}
				require.Greater(t, len(waits), 10)
				assert.Equal(t, time.Minute, waits[2].Sub(waits[1]))
			}
		})
	}
}

func TestReplayStopsWhenCancelled(t *testing.T) {
	src, n := sourceStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := &fakeClock{now: time.Unix(2e9, 0), cancelAt: 3, cancel: cancel}
	r, err := New(Config{From: src, Store: openStore(t, t.TempDir()), Speed: 1, Clock: clk, Logger: quiet})
	require.NoError(t, err)
	err = r.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, r.Stats().Delivered, n)
	assert.Positive(t, r.Stats().Delivered)
}

func TestReplaySkipsInvalidFiles(t *testing.T) {
	src := t.TempDir()
	good := snapshotBytes(t, 1, 2)
	write := func(name string, data []byte) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(src, name), data, 0o644))
	}
	write("EMChistos_123_C_2015_11_24_18_5_10.root", good)
	write("EMChistos_123_C_2015_11_24_18_6_10.root", []byte("this is not a ROOT file at all, but long enough"))
	write("EMChistos_123_C_2015_11_24_18_7_10.root", good[:len(good)/2]) // truncated
	write("EMChistos_123_C_2015_11_24_18_8_10.root", nil)                // empty
	write("EMChistos_123_X_2015_11_24_18_9_10.root", good)               // unknown mode
	write("notes.root", good)                                            // no grammar
	write("hists.combined.3.1448384710.root", good)                      // derived
	write("timeSlice.1448384710.1448384770.abc123.root", good)           // derived
	write("HLThistos_123_C_2015_11_24_18_9_10.root", good)
	write(".EMChistos_123_C_2015_11_24_18_10_10.root.izUVHA", good) // temporary file of a receiver
	write("quarantine/EMChistos_123_C_2015_11_24_18_11_10.root", good)
	write("Run9/EMC/json/x.root", good)
	write("Run9/TPC/EMChists.2015_11_24_18_12_10.root", good)  // wrong folder
	write("Run9x/EMC/EMChists.2015_11_24_18_13_10.root", good) // not a run folder
	write("Run9/EMC/EMChists.2015_11_24_18_14_10.root", good)  // no runInfo.yaml: mode U

	target := openStore(t, t.TempDir())
	r, err := New(Config{From: src, Store: target, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, r.Run(context.Background()))
	st := r.Stats()
	assert.Equal(t, 3, st.Delivered, "the three valid files")
	assert.Equal(t, 2, st.Derived)
	// Scan: empty, unknown mode, no grammar, wrong folder, not a run
	// folder; delivery: not ROOT, truncated.
	assert.Equal(t, 7, st.Invalid)

	snaps, err := target.Snapshots(context.Background(), 123, "EMC")
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	assert.Equal(t, "Run123/EMC/EMChists.2015_11_24_18_05_10.root", snaps[0].Path)
	run, err := target.RunInfo(context.Background(), 123)
	require.NoError(t, err)
	assert.Equal(t, overwatch.ModeCompress, run.Mode)
	run, err = target.RunInfo(context.Background(), 9)
	require.NoError(t, err)
	assert.Equal(t, overwatch.ModeUnknown, run.Mode, "a run folder without runInfo.yaml has mode U, as in the original")
}

func TestScanFilters(t *testing.T) {
	src, _ := sourceStore(t)
	cases := []struct {
		name  string
		runs  []int
		subs  []string
		count int
	}{
		{"all", nil, nil, 9},
		{"run 5", []int{5}, nil, 7},
		{"runs 6 and 7", []int{6, 7}, nil, 2},
		{"EMC", nil, []string{"EMC"}, 5},
		{"run 5 HLT", []int{5}, []string{"HLT"}, 3},
		{"unknown run", []int{42}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			items, skipped, err := Scan(src, c.runs, c.subs)
			require.NoError(t, err)
			assert.Empty(t, skipped)
			assert.Len(t, items, c.count)
			for i := 1; i < len(items); i++ {
				assert.False(t, items[i].Time.Before(items[i-1].Time))
			}
		})
	}
	items, _, err := Scan(src, []int{7}, nil)
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, overwatch.ModeReplay, items[0].Mode)
	items, _, err = Scan(filepath.Join(src, "Run6"), nil, nil)
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, overwatch.ModeNoCompress, items[0].Mode, "mode from runInfo.yaml above the source folder")
}

func TestScanReceiverNames(t *testing.T) {
	src := t.TempDir()
	data := snapshotBytes(t, 1, 1)
	for _, n := range []string{
		"EMChistos_123_B_2015_11_24_18_5_10.root",   // unpadded (C++ receiver)
		"TPChistos_123_b_2015_11_24_18_05_09.root",  // padded (DQM receiver), lower-case mode
		"EMChistos_123_B_2015_11_24_18_5_10.1.root", // same second, seq 1
		"HLThistos_124_E_2015_11_24_18_5_00.root",   // replay mode
	} {
		require.NoError(t, os.WriteFile(filepath.Join(src, n), data, 0o644))
	}
	items, skipped, err := Scan(src, nil, nil)
	require.NoError(t, err)
	require.Empty(t, skipped)
	require.Len(t, items, 4)
	got := make([]string, len(items))
	for i, it := range items {
		got[i] = filepath.Base(it.Path)
		assert.Equal(t, int64(len(data)), it.Size)
	}
	assert.Equal(t, []string{
		"HLThistos_124_E_2015_11_24_18_5_00.root", "TPChistos_123_b_2015_11_24_18_05_09.root",
		"EMChistos_123_B_2015_11_24_18_5_10.root", "EMChistos_123_B_2015_11_24_18_5_10.1.root",
	}, got)
	assert.Equal(t, overwatch.ModeReplay, items[0].Mode)
	assert.Equal(t, overwatch.ModeNoCompress, items[1].Mode)
	assert.Equal(t, 1, items[3].Seq)
	assert.Equal(t, time.Date(2015, 11, 24, 17, 5, 10, 0, time.UTC), items[2].Time.UTC(), "Europe/Zurich wall time")
}

func TestNewRefusesBadConfig(t *testing.T) {
	st := openStore(t, t.TempDir())
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no source", Config{Store: st}, "Config.From"},
		{"no store", Config{From: "x"}, "Config.Store"},
		{"negative speed", Config{From: "x", Store: st, Speed: -1}, "negative"},
		{"negative gap", Config{From: "x", Store: st, MaxGap: -time.Second}, "negative"},
		{"bad subsystem", Config{From: "x", Store: st, Subsystems: []string{"emc"}}, "subsystem"},
		{"bad run", Config{From: "x", Store: st, Runs: []int{0}}, "run 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	r, err := New(Config{From: filepath.Join(t.TempDir(), "missing"), Store: st, Logger: quiet})
	require.NoError(t, err)
	assert.ErrorIs(t, r.Run(context.Background()), fs.ErrNotExist)
}

func TestProcessingErrorsDoNotStopTheReplay(t *testing.T) {
	src, n := sourceStore(t)
	proc := &recorder{fail: true}
	r, err := New(Config{From: src, Store: openStore(t, t.TempDir()), Processor: proc, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, r.Run(context.Background()))
	assert.Equal(t, n, r.Stats().Delivered)
	assert.Equal(t, n-1, r.Stats().ProcessErrors)
	assert.Zero(t, r.Stats().Processed)
}

// FuzzClassify feeds arbitrary relative paths to the name classification:
// it never panics, and what it accepts has a valid identity.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"Run5/EMC/EMChists.2015_11_24_18_05_10.root",
		"ReplayData/Run5/EMC/EMChists.2015_11_24_18_05_10.1.root",
		"EMChistos_123_C_2015_11_24_18_5_10.root",
		"hists.combined.3.1448384710.root",
		"timeSlice.1.2.ab.root",
		"Run0/EMC/EMChists.2015_13_24_18_05_10.root",
		"x/y/zhists..root",
	} {
		f.Add(s)
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, rel string) {
		it, sk := classify(filepath.Join(root, filepath.FromSlash(rel)), map[string]overwatch.HLTMode{}, map[string]overwatch.Accumulation{})
		if sk != nil {
			require.Error(t, sk.Err)
			return
		}
		require.Positive(t, it.Run)
		require.True(t, overwatch.ValidSubsystem(it.Subsystem), it.Subsystem)
		_, err := overwatch.ParseHLTMode(string(it.Mode))
		require.NoError(t, err)
		require.GreaterOrEqual(t, it.Seq, 0)
	})
}
