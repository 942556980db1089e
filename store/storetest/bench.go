package storetest

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// BenchOptions size the benchmarks of Bench.
type BenchOptions struct {
	// Runs is the number of runs the run-list benchmarks list from
	// (default 10,000; 1,000 with -short).
	Runs int
	// Points is the length of the trend series the trend benchmarks query
	// (default 10,000).
	Points int
	// SnapshotSize is the size of a benchmark snapshot (default 64 KiB).
	SnapshotSize int
}

func (o BenchOptions) withDefaults() BenchOptions {
	if o.Runs <= 0 {
		o.Runs = 10000
		if testing.Short() {
			o.Runs = 1000
		}
	}
	if o.Points <= 0 {
		o.Points = 10000
	}
	if o.SnapshotSize <= 0 {
		o.SnapshotSize = 64 << 10
	}
	return o
}

// Bench runs the store benchmarks the engines are compared by, as
// sub-benchmarks of b, each engine in its own Bench call so that
// `go test -bench` shows them side by side:
//
//   - PutSnapshot: one snapshot of SnapshotSize bytes into an existing run
//     (b.SetBytes, so MB/s is shown);
//   - PutSnapshotNewRun: the first snapshot of a new run;
//   - RunsNewest50: the newest 50 of Runs runs (the run list's first page);
//   - RunsPage50: 50 runs below the middle one (a keyset page);
//   - RunInfo and CountRuns among Runs runs;
//   - TrendSeries: a whole series of Points points;
//   - TrendNewest500: the newest 500 points of it;
//   - TrendWindow: one hour (3,600 points) in the middle of it;
//   - PutTrendPoints100: a batch of 100 new points;
//   - PutOutput and Output of 16 KiB;
//   - UpdateAlarm, when the store implements overwatch.AlarmHistory.
//
// The data sets are made once per Bench call, through the interfaces
// (filling 10,000 runs takes a while on a store that fsyncs every
// snapshot; -short makes it 1,000). open is called for every benchmark
// that writes, and once for the run benchmarks and once for the trend
// benchmarks, which share their data sets.
func Bench(b *testing.B, open func(tb testing.TB) overwatch.Store, opts ...BenchOptions) {
	var o BenchOptions
	if len(opts) > 0 {
		o = opts[len(opts)-1]
	}
	o = o.withDefaults()
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), o.SnapshotSize/16+1)[:o.SnapshotSize]

	b.Run("PutSnapshot", func(b *testing.B) {
		s := openBench(b, open)
		benchPut(b, s, 1, "EMC", at(-1), data) // the run exists
		b.SetBytes(int64(len(data)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchPut(b, s, 1, "EMC", at(i), data)
		}
	})
	b.Run("PutSnapshotNewRun", func(b *testing.B) {
		s := openBench(b, open)
		b.SetBytes(int64(len(data)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchPut(b, s, i+1, "EMC", at(i), data)
		}
	})

	runs := openBench(b, open)
	filled := false
	fillRuns := func(b *testing.B) {
		if filled {
			return
		}
		b.StopTimer()
		start := time.Now()
		parallel(b, o.Runs, 4, func(i int) error {
			_, err := runs.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: i + 1, Subsystem: "HLT", Mode: overwatch.ModeCompress, Time: at(i)}, bytes.NewReader(data[:1024]))
			return err
		})
		b.Logf("filled %d runs in %v", o.Runs, time.Since(start).Round(time.Millisecond))
		filled = true
		b.StartTimer()
	}
	benchRuns := func(name string, q overwatch.RunQuery, want int) {
		b.Run(name, func(b *testing.B) {
			fillRuns(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				l, err := runs.Runs(ctx, q)
				if err != nil || len(l) != want {
					b.Fatalf("runs %+v: %d runs, %v", q, len(l), err)
				}
			}
		})
	}
	benchRuns("RunsNewest50", overwatch.RunQuery{Limit: 50}, 50)
	benchRuns("RunsPage50", overwatch.RunQuery{Limit: 50, Before: o.Runs / 2}, 50)
	b.Run("RunInfo", func(b *testing.B) {
		fillRuns(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := runs.RunInfo(ctx, 1+i%o.Runs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CountRuns", func(b *testing.B) {
		fillRuns(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if n, err := runs.CountRuns(ctx); err != nil || n != o.Runs {
				b.Fatalf("%d runs, %v", n, err)
			}
		}
	})

	trends := openBench(b, open)
	trendsFilled := false
	fillTrends := func(b *testing.B) {
		if trendsFilled {
			return
		}
		b.StopTimer()
		// The series, and as many points in other series around it.
		for _, trend := range []string{"before", "series", "other"} {
			for lo := 0; lo < o.Points; lo += 1000 {
				var pts []overwatch.TrendPoint
				for i := lo; i < min(lo+1000, o.Points); i++ {
					pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: trend, Run: 1 + i/1000, Time: at(i), Value: float64(i)})
				}
				if err := trends.PutTrendPoints(ctx, pts); err != nil {
					b.Fatal(err)
				}
			}
		}
		trendsFilled = true
		b.StartTimer()
	}
	benchTrend := func(name string, q overwatch.TrendQuery, want int) {
		b.Run(name, func(b *testing.B) {
			fillTrends(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pts, err := trends.TrendPoints(ctx, q)
				if err != nil || len(pts) != want {
					b.Fatalf("trend points %+v: %d points, %v", q, len(pts), err)
				}
			}
		})
	}
	benchTrend("TrendSeries", overwatch.TrendQuery{Subsystem: "EMC", Trend: "series"}, o.Points)
	benchTrend("TrendNewest500", overwatch.TrendQuery{Subsystem: "EMC", Trend: "series", Limit: 500}, min(500, o.Points))
	mid := o.Points / 2
	benchTrend("TrendWindow", overwatch.TrendQuery{Subsystem: "EMC", Trend: "series", From: at(mid - 1800), To: at(mid + 1799)}, min(o.Points, mid+1800)-max(0, mid-1800))
	b.Run("PutTrendPoints100", func(b *testing.B) {
		s := openBench(b, open)
		pts := make([]overwatch.TrendPoint, 100)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for j := range pts {
				pts[j] = overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 1, Time: at(i*100 + j), Value: float64(j)}
			}
			if err := s.PutTrendPoints(ctx, pts); err != nil {
				b.Fatal(err)
			}
		}
	})

	out := bytes.Repeat([]byte(`{"_typename":"TH1F"}`), 16<<10/20)
	b.Run("PutOutput", func(b *testing.B) {
		s := openBench(b, open)
		b.SetBytes(int64(len(out)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ref := overwatch.OutputRef{Run: 1, Subsystem: "EMC", Name: "h" + strconv.Itoa(i%100), Kind: overwatch.OutputJSON}
			if err := s.PutOutput(ctx, ref, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Output", func(b *testing.B) {
		s := openBench(b, open)
		ref := overwatch.OutputRef{Run: 1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON}
		if err := s.PutOutput(ctx, ref, out); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.Output(ctx, ref); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("UpdateAlarm", func(b *testing.B) {
		s := openBench(b, open)
		h, ok := s.(overwatch.AlarmHistory)
		if !ok {
			b.Skipf("%T does not implement overwatch.AlarmHistory", s)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_, err := h.UpdateAlarm(ctx, "EMC/mean/high", func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
				a.Subsystem, a.Trend, a.Alarm, a.State, a.LastSeen = "EMC", "mean", "high", overwatch.AlarmFiring, at(i)
				a.Message = strconv.Itoa(i)
				return []overwatch.AlarmEvent{{AlarmID: a.ID, Subsystem: "EMC", Trend: "mean", Alarm: "high", Kind: overwatch.AlarmEventFired, Time: at(i)}}, nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func openBench(b *testing.B, open func(tb testing.TB) overwatch.Store) overwatch.Store {
	b.Helper()
	s := open(b)
	if s == nil {
		b.Fatal("open returned a nil store")
	}
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Errorf("close store: %v", err)
		}
	})
	return s
}

func benchPut(b *testing.B, s overwatch.Store, run int, sys string, when time.Time, data []byte) {
	if _, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: overwatch.ModeCompress, Time: when}, bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
}

// parallel runs fn(0..n-1) on workers goroutines and fails b on the first
// error.
func parallel(b *testing.B, n, workers int, fn func(i int) error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("item %d: %w", i, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}
