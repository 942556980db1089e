package processing

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
	"github.com/overwatch-dqm/overwatch/store"
)

// putAcc stores a snapshot that records its accumulation, as a receiver
// does from its configuration.
func putAcc(t *testing.T, st overwatch.Store, run int, sys string, at time.Time, acc overwatch.Accumulation, data []byte) overwatch.SnapshotInfo {
	t.Helper()
	info, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: overwatch.ModeCompress,
		Time: at, Origin: "test", Accumulation: acc}, bytes.NewReader(data))
	require.NoError(t, err)
	return info
}

// A run of reset snapshots is summed by a processor configured with no
// accumulation at all: the store records it with each snapshot; a run of
// cumulative snapshots is not summed even where the default says reset.
func TestRecordedAccumulation(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(t.TempDir(), store.Options{Subsystems: []string{"TST"}, Logger: log, NoSyncOutputs: true})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()

	var last overwatch.SnapshotInfo
	for k, n := range []float64{10, 5, 7} {
		last = putAcc(t, st, 21, "TST", t0.Add(time.Duration(k)*time.Minute), overwatch.Reset,
			histtest.GobEncode(events("TSTEvents", n), h1("TSTEnergyC", 4, 1)))
	}
	require.Equal(t, overwatch.Reset, last.Accumulation)
	p := New(st, Options{Logger: log, NoPNG: true, Decode: histtest.GobDecode})
	require.NoError(t, p.Process(ctx, last))
	assert.Equal(t, 22.0, readView(t, st, 21, "TST", "").NEvents, "reset snapshots are summed without any setting")

	for k, n := range []float64{10, 15} {
		last = putAcc(t, st, 22, "TST", t0.Add(time.Duration(k)*time.Minute), overwatch.Cumulative,
			histtest.GobEncode(events("TSTEvents", n), h1("TSTEnergyC", 4, 1)))
	}
	p = New(st, Options{Logger: log, NoPNG: true, Decode: histtest.GobDecode, DefaultAccumulation: overwatch.Reset})
	require.NoError(t, p.Process(ctx, last))
	assert.Equal(t, 15.0, readView(t, st, 22, "TST", "").NEvents, "a cumulative snapshot is the run so far, whatever the default")
}
