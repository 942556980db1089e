package processing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	_ "github.com/overwatch-dqm/overwatch/detectors/all"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"github.com/overwatch-dqm/overwatch/trending"
	"github.com/stretchr/testify/require"
)

type benchEnv struct {
	st   *store.Store
	p    *processing.Processor
	snap overwatch.SnapshotInfo
}

func newBenchEnv(tb testing.TB, nHists int, opts processing.Options) *benchEnv {
	tb.Helper()
	b, err := overwatch.EncodeFile(emcLike(nHists, 3, 42))
	if err != nil {
		tb.Skipf("ROOT encoder not available: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(tb.TempDir(), store.Options{Logger: log, NoSyncOutputs: true})
	require.NoError(tb, err)
	tb.Cleanup(func() { st.Close() })
	snap, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 9000, Subsystem: "EMC", Mode: overwatch.ModeCompress,
		Time: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Origin: "bench"}, bytes.NewReader(b))
	require.NoError(tb, err)
	opts.Logger = log
	return &benchEnv{st: st, p: processing.New(st, opts), snap: snap}
}

// BenchmarkFloor500 is the floor of processing the 500-histogram snapshot
// of BenchmarkProcess500: read and decode the stored snapshot and encode
// every histogram's JSROOT JSON, nothing else. Run it with
// BenchmarkProcess500 in one -bench run: full processing ≤ 2× the floor.
func BenchmarkFloor500(b *testing.B) {
	env := newBenchEnv(b, 500, processing.Options{})
	ctx := context.Background()
	cpu := cpuTime()
	for b.Loop() {
		rc, err := env.st.OpenSnapshot(ctx, env.snap.SnapshotRef)
		require.NoError(b, err)
		data, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(b, err)
		f, err := overwatch.DecodeFile(data)
		require.NoError(b, err)
		n := 0
		for _, e := range f.Entries {
			if h, ok := e.Object.(*overwatch.Hist); ok {
				js, err := overwatch.AppendJSON(nil, h, overwatch.JSONOptions{CompactArrays: true})
				require.NoError(b, err)
				n += len(js)
			}
		}
		require.Positive(b, n)
	}
	reportCPU(b, cpu)
}

// BenchmarkProcess500 processes a 500-histogram EMC-like snapshot (1D of
// 100–3000 bins, 2D up to 100x100) with the EMC detector into its bundle
// (functions, JSON, hints, view; images on demand) with trending observing
// (trend points and alarms; the trend plots, written once per processing
// cycle in the background in serve, are left out). It reports the files
// and bytes in the run's output folder (one bundle). Goal: ≤ 2×
// BenchmarkFloor500.
func BenchmarkProcess500(b *testing.B) {
	benchProcess(b, processing.Options{})
}

// BenchmarkProcess500EagerPNG is BenchmarkProcess500 with every image
// rendered during processing (--png eager, the behaviour before bundles).
func BenchmarkProcess500EagerPNG(b *testing.B) {
	benchProcess(b, processing.Options{PNG: processing.PNGEager})
}

func benchProcess(b *testing.B, opts processing.Options) {
	env := newBenchEnv(b, 500, opts)
	m, err := trending.NewManager(env.st, trending.Config{}, nil, slog.New(slog.DiscardHandler))
	require.NoError(b, err)
	opts.Observer, opts.Logger = m, slog.New(slog.DiscardHandler)
	env.p = processing.New(env.st, opts)
	ctx := context.Background()
	cpu := cpuTime()
	for b.Loop() {
		if err := env.p.Process(ctx, env.snap); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
	files, bytes := outputFiles(b, filepath.Join(env.st.Dir(), "Run9000", "EMC"))
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(bytes)/1e6, "MB")
}

// outputFiles counts the output files below dir (snapshots left out) and
// their bytes.
func outputFiles(tb testing.TB, dir string) (n int, size int64) {
	tb.Helper()
	require.NoError(tb, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".root") {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n++
		size += fi.Size()
		return nil
	}))
	return n, size
}

// BenchmarkEndToEnd measures, with the Run loop consuming the store's
// announcements, the time from PutSnapshot returning to (a) the view of the
// new snapshot being visible with every JSON and hints output written
// ("json-ms") and (b) every output including PNGs written ("all-ms"), for a
// 500-histogram EMC-like snapshot. Target: all-ms <= 1000.
func BenchmarkEndToEnd(b *testing.B) {
	env := newBenchEnv(b, 500, processing.Options{ScanInterval: -1})
	data, err := overwatch.EncodeFile(emcLike(500, 4, 42))
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.p.Run(ctx) }()
	// Let the start-up scan process the first snapshot.
	waitView(b, env.st, env.snap.Time.Unix(), true)
	var jsonTotal, allTotal time.Duration
	at := env.snap.Time
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		at = at.Add(time.Minute)
		t0 := time.Now()
		_, err := env.st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 9000, Subsystem: "EMC", Mode: overwatch.ModeCompress, Time: at, Origin: "bench"}, bytes.NewReader(data))
		require.NoError(b, err)
		t1 := time.Now()
		waitView(b, env.st, at.Unix(), false)
		jsonTotal += time.Since(t1)
		waitView(b, env.st, at.Unix(), true)
		allTotal += time.Since(t1)
		_ = t0
	}
	b.ReportMetric(float64(jsonTotal.Milliseconds())/float64(b.N), "json-ms")
	b.ReportMetric(float64(allTotal.Milliseconds())/float64(b.N), "all-ms")
	reportCPU(b, cpu)
	cancel()
	<-done
}

// waitView polls the EMC view of run 9000 until it is built from the
// snapshot at unix (and complete when complete is set). It stats the view
// every 2 ms and decodes it only when it was rewritten, so that polling
// does not steal the processor's CPU.
func waitView(tb testing.TB, st *store.Store, unix int64, complete bool) {
	tb.Helper()
	ctx := context.Background()
	ref := overwatch.ViewRef(9000, "EMC", "")
	var seen time.Time
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if mod, err := bundle.NewOutputs(st).OutputTime(ctx, ref); err == nil && !mod.Equal(seen) {
			seen = mod
			if b, err := bundle.NewOutputs(st).Output(ctx, ref); err == nil {
				var v overwatch.ViewDoc
				if json.Unmarshal(b, &v) == nil && v.Snapshot.Time == unix && (v.Complete || !complete) {
					return
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	tb.Fatalf("view of snapshot %d not written within 60 s", unix)
}

// BenchmarkTimeSlice measures a time slice of a 500-histogram EMC-like
// subsystem (two snapshots read and subtracted, 500 histograms processed,
// every output written) over runs of 10 and 600 snapshots: its cost must
// not grow with the number of snapshots. Target: <= 1.5 s. Each iteration
// asks for a new window (no cache hit).
func BenchmarkTimeSlice(b *testing.B) {
	for _, n := range []int{10, 600} {
		b.Run(fmt.Sprintf("snapshots=%d", n), func(b *testing.B) {
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			st, err := store.Open(b.TempDir(), store.Options{Logger: log, NoSyncOutputs: true})
			require.NoError(b, err)
			defer st.Close()
			start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			// Two distinct contents alternate, so that differences are not
			// empty; every snapshot is a full 500-histogram file.
			files := [2][]byte{}
			for k := range files {
				files[k], err = overwatch.EncodeFile(emcLike(500, k+1, 42))
				require.NoError(b, err)
			}
			for i := 0; i < n; i++ {
				_, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 9100, Subsystem: "EMC", Mode: overwatch.ModeCompress,
					Time: start.Add(time.Duration(i) * time.Minute), Origin: "bench"}, bytes.NewReader(files[i%2]))
				require.NoError(b, err)
			}
			p := processing.New(st, processing.Options{Logger: log})
			svc := timeslice.NewService(st, p, timeslice.ServiceOptions{Logger: log})
			defer svc.Close()
			ctx := context.Background()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				// Windows [m, m]: snapshot m - snapshot m-1, a new key each time.
				m := float64(1 + i%(n-1))
				key, err := svc.Submit(ctx, timeslice.Request{Run: 9100, Subsystem: "EMC", FromMinute: m, ToMinute: m,
					Options: map[string]string{}})
				require.NoError(b, err)
				stt, err := svc.Wait(ctx, 9100, "EMC", key)
				require.NoError(b, err)
				require.Equal(b, timeslice.StateDone, stt.State, stt.Error)
			}
			reportCPU(b, cpu)
		})
	}
}

// cpuTime returns the CPU time (user + system) used by the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start ("cpu-ms/op"):
// on a machine shared with other work, wall times grow but this does not;
// divided by the number of cores it bounds the wall time on an idle
// machine.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
}
