package store

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// genTree writes a store tree of runs × subsystems × files tiny placeholder
// snapshot files (a rebuild reads names and sizes only), as the receivers
// would have left it, without an index.
func genTree(tb testing.TB, dir string, runs, files int) {
	tb.Helper()
	// Every snapshot is a hard link to a 4-byte file (one per 1,000 runs,
	// below the file systems' link limits): as cheap to create as a tree
	// can be, and exactly what a rebuild sees of a real one.
	var tmpls []string
	for i := 0; i <= runs/1000; i++ {
		tmpl := filepath.Join(dir, ".template"+strconv.Itoa(i))
		require.NoError(tb, os.WriteFile(tmpl, []byte("root"), 0o644))
		defer os.Remove(tmpl)
		tmpls = append(tmpls, tmpl)
	}
	t0 := time.Unix(1448384710, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 1 + w; r <= runs; r += 4 {
				if err := genRun(dir, tmpls[r/1000], r, files, t0); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	require.NoError(tb, <-errs)
}

func genRun(dir, tmpl string, r, files int, t0 time.Time) error {
	runDir := filepath.Join(dir, RunDir(100000+r))
	if err := os.Mkdir(runDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(runDir, runInfoFile), []byte("hltMode: C\n"), 0o644); err != nil {
		return err
	}
	for _, sys := range []string{"EMC", "HLT", "TPC"} {
		d := filepath.Join(runDir, sys)
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		for f := 0; f < files; f++ {
			tm := t0.Add(time.Duration(r*3600+f*60) * time.Second)
			if err := os.Link(tmpl, filepath.Join(d, FormatMovedName(sys, tm, 0))); err != nil {
				return err
			}
		}
	}
	return nil
}

// peakHeap samples the heap in use while f runs and returns the peak
// growth over the heap in use before.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak.Load()
}

// TestRebuildLarge rebuilds the index of a generated tree of 1,000 runs ×
// 3 subsystems × 10 files (10,000 runs with OVERWATCH_STORE_RUNS=10000),
// checks the time budget (30 s for 10,000 runs, scaled), that memory does
// not grow with the number of runs, and that the newest 50 runs are listed
// within 5 ms.
func TestRebuildLarge(t *testing.T) {
	runs := 1000
	if v := os.Getenv("OVERWATCH_STORE_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		runs = n
	}
	if testing.Short() {
		runs = 200
	}
	dir := t.TempDir()
	start := time.Now()
	genTree(t, dir, runs, 10)
	t.Logf("generated %d runs × 3 × 10 files in %v", runs, time.Since(start))

	var st RebuildStats
	var err error
	peak := peakHeap(func() { st, err = Rebuild(context.Background(), dir, Options{Logger: quietLogger()}) })
	require.NoError(t, err)
	assert.Equal(t, runs, st.Runs)
	assert.Equal(t, runs*30, st.Snapshots)
	budget := 30 * time.Second * time.Duration(runs) / 10000
	t.Logf("rebuild of %d runs (%d snapshots): %v (budget %v), peak heap growth %.1f MiB",
		runs, st.Snapshots, st.Duration, budget, float64(peak)/(1<<20))
	if !raceEnabled {
		// The floor of the small default variant leaves room for a
		// loaded machine (the rebuild is bound by directory listing).
		assert.LessOrEqual(t, st.Duration, max(budget, 6*time.Second))
	}
	// Bounded: batches of 256 runs; far below what holding every entry
	// in memory would need.
	assert.Less(t, peak, uint64(96<<20), "rebuild memory must not grow with the number of runs")

	t1 := time.Now()
	s := openTest(t, dir)
	t.Logf("open %v", time.Since(t1))
	ctx := context.Background()
	n, err := s.CountRuns(ctx)
	require.NoError(t, err)
	assert.Equal(t, runs, n)
	var durs []time.Duration
	for i := 0; i < 21; i++ {
		t0 := time.Now()
		list, err := s.Runs(ctx, overwatch.RunQuery{Limit: 50})
		durs = append(durs, time.Since(t0))
		require.NoError(t, err)
		require.Len(t, list, min(50, runs))
		assert.Equal(t, 100000+runs, list[0].Number)
		assert.Len(t, list[0].Subsystems, 3)
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	t.Logf("newest 50 of %d runs: median %v", runs, durs[len(durs)/2])
	if !raceEnabled {
		assert.LessOrEqual(t, durs[len(durs)/2], 5*time.Millisecond)
	}
}

// BenchmarkRebuild rebuilds the index of 1,000 runs × 3 subsystems × 10
// files (OVERWATCH_STORE_RUNS overrides the number of runs).
func BenchmarkRebuild(b *testing.B) {
	runs := 1000
	if v := os.Getenv("OVERWATCH_STORE_RUNS"); v != "" {
		runs, _ = strconv.Atoi(v)
	}
	dir := b.TempDir()
	genTree(b, dir, runs, 10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Rebuild(context.Background(), dir, Options{Logger: quietLogger()}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(runs*30)*float64(b.N)/b.Elapsed().Seconds(), "snapshots/s")
}

// BenchmarkRebuild10000Runs rebuilds the index of 10,000 runs × 3
// subsystems × 10 snapshots (300,000 files, generated once, minutes on a
// slow disk). It runs only when -bench names it explicitly (a pattern
// containing "10000"), never under -bench . or -bench Rebuild:
//
//	go test ./store/ -run '^$' -bench 'Rebuild10000Runs' -benchtime 3x
//
// Each rebuild is timed; median-s is the median of the b.N rebuilds of the
// last round (with -benchtime 3x: the median of 3).
func BenchmarkRebuild10000Runs(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || !strings.Contains(f.Value.String(), "10000") {
		b.Skip("300,000 files: run with -bench 'Rebuild10000Runs' explicitly")
	}
	const runs = 10000
	dir := b.TempDir()
	t0 := time.Now()
	genTree(b, dir, runs, 10)
	b.Logf("tree of %d runs generated in %s", runs, time.Since(t0).Round(time.Second))
	b.Run("rebuild", func(b *testing.B) {
		times := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			start := time.Now()
			st, err := Rebuild(context.Background(), dir, Options{Logger: quietLogger()})
			if err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
			if st.Runs != runs {
				b.Fatalf("rebuilt %d runs, want %d", st.Runs, runs)
			}
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		b.ReportMetric(times[len(times)/2].Seconds(), "median-s")
		b.ReportMetric(float64(runs*30)*float64(b.N)/b.Elapsed().Seconds(), "snapshots/s")
		b.Logf("rebuild times: %v", times)
	})
}

// BenchmarkRunsNewest50 lists the newest 50 of 10,000 runs (target ≤ 5 ms).
// The index is filled directly (3 subsystems per run), without files.
func BenchmarkRunsNewest50(b *testing.B) {
	s := openTest(b, b.TempDir())
	fillRuns(b, s, 10000, 10)
	var err error
	require.NoError(b, err)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		list, err := s.Runs(ctx, overwatch.RunQuery{Limit: 50})
		if err != nil || len(list) != 50 || list[0].Number != 110000 {
			b.Fatal(err, len(list))
		}
	}
}

// BenchmarkPutSnapshot stores 200 KiB snapshots (fsynced file and
// directory, then an index transaction), without and with a declared
// accumulation (the subsystemInfo.yaml sidecar read on each put).
func BenchmarkPutSnapshot(b *testing.B) {
	for _, c := range []struct {
		size int
		acc  overwatch.Accumulation
	}{{4 << 10, ""}, {200 << 10, ""}, {4 << 10, overwatch.Reset}} {
		size := c.size
		name := fmt.Sprintf("%dKiB", size>>10)
		if c.acc != "" {
			name += "/" + string(c.acc)
		}
		b.Run(name, func(b *testing.B) {
			s := openTest(b, b.TempDir())
			data := bytes.Repeat([]byte("r"), size)
			ctx := context.Background()
			t0 := time.Unix(1448384710, 0)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, err := s.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 1 + i/1000, Subsystem: "EMC", Mode: "C", Time: t0.Add(time.Duration(i) * time.Second), Accumulation: c.acc}, bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPutOutput writes 20 KiB outputs, synced and not.
func BenchmarkPutOutput(b *testing.B) {
	for _, nosync := range []bool{false, true} {
		b.Run(fmt.Sprintf("nosync=%v", nosync), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{Logger: quietLogger(), NoSyncOutputs: nosync})
			require.NoError(b, err)
			defer s.Close()
			data := bytes.Repeat([]byte("j"), 20<<10)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ref := overwatch.OutputRef{Run: 1, Subsystem: "EMC", Name: "h" + strconv.Itoa(i%500), Kind: overwatch.OutputJSON}
				if err := s.PutOutput(ctx, ref, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSnapshots600 lists the 600 snapshots of one subsystem of a run
// (a long run with a snapshot a minute), as time slices and processing do.
func BenchmarkSnapshots600(b *testing.B) {
	s := openTest(b, b.TempDir())
	ctx0 := context.Background()
	err := s.x.tx(ctx0, func(tx *sql.Tx) error {
		t0 := time.Unix(1448384710, 0)
		if _, err := s.x.ensureRun(ctx0, tx, 7, "C"); err != nil {
			return err
		}
		for i := 0; i < 600; i++ {
			t := t0.Add(time.Duration(i) * time.Minute)
			if _, err := s.x.insertSnapshot(ctx0, tx, 7, "EMC", stamp{T: t.Unix()}, snapRecord{Name: FormatMovedName("EMC", t, 0), Size: 1 << 20, Source: "hlt"}, s.writer); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(b, err)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		list, err := s.Snapshots(ctx, 7, "EMC")
		if err != nil || len(list) != 600 {
			b.Fatal(err, len(list))
		}
	}
}
