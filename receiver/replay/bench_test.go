package replay

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch/store"
)

// flatSource writes n receiver files of one small snapshot.
func flatSource(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	data := snapshotBytes(b, 1, 1)
	for i := 0; i < n; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		name := store.FormatReceiverName(fmt.Sprintf("S%d", i%4+10), 100+i/500, "C", at, 0, false)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkScan lists a source of 2,000 files (target: well under 100 ms,
// so that the replay of a month of archives starts at once).
func BenchmarkScan(b *testing.B) {
	dir := flatSource(b, 2000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		items, _, err := Scan(dir, nil, nil)
		if err != nil || len(items) != 2000 {
			b.Fatal(err, len(items))
		}
	}
}

// BenchmarkDeliver replays 200 small snapshots as fast as possible into a
// new store; the figure is per snapshot (validation, duplicate check and
// the store's fsynced write).
func BenchmarkDeliver(b *testing.B) {
	const n = 200
	src := flatSource(b, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := openStore(b, b.TempDir())
		r, err := New(Config{From: src, Store: st, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := r.Run(context.Background()); err != nil || r.Stats().Delivered != n {
			b.Fatal(err, r.Stats())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e6, "ms/snapshot")
}
