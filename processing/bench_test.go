package processing_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	_ "github.com/overwatch-dqm/overwatch/detectors/all"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
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
		Time: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Source: "bench"}, bytes.NewReader(b))
	require.NoError(tb, err)
	opts.Logger = log
	return &benchEnv{st: st, p: processing.New(st, opts), snap: snap}
}

// BenchmarkProcess500 processes a 500-histogram EMC-like snapshot (1D of
// 100–3000 bins, 2D up to 100x100) with the EMC detector: every output
// (JSON, hints, PNG, view) written. Target: <= 1.0 s per snapshot.
func BenchmarkProcess500(b *testing.B) {
	env := newBenchEnv(b, 500, processing.Options{})
	ctx := context.Background()
	for b.Loop() {
		if err := env.p.Process(ctx, env.snap); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcess500NoPNG is BenchmarkProcess500 without the PNG pass:
// the latency until JSON, hints and view are visible.
func BenchmarkProcess500NoPNG(b *testing.B) {
	env := newBenchEnv(b, 500, processing.Options{NoPNG: true})
	ctx := context.Background()
	for b.Loop() {
		if err := env.p.Process(ctx, env.snap); err != nil {
			b.Fatal(err)
		}
	}
}
