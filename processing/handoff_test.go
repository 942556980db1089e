package processing_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHandoffSameOutputs: a snapshot processed from the objects its
// receiver decoded (the hand-off) gives the bundle processing the stored
// file gives, byte for byte, for the simulator's subsystems and an
// EMC-like snapshot; a file is taken once, and the hand-off stays bounded.
func TestHandoffSameOutputs(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(t.TempDir(), store.Options{Logger: log, NoSyncOutputs: true})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	g := generator.New(generator.Config{Seed: 3, Subsystems: []string{"EMC", "TPC", "HLT"}, EventsPerSecond: 50})
	g.StartRun(700)
	g.Advance(3 * time.Minute)
	cases := map[string][]overwatch.Entry{"EMC": g.Snapshot("EMC"), "TPC": g.Snapshot("TPC"), "HLT": g.Snapshot("HLT")}
	for sys, entries := range cases {
		t.Run(sys, func(t *testing.T) {
			data, err := overwatch.EncodeFile(entries)
			require.NoError(t, err)
			info, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 700, Subsystem: sys, Mode: overwatch.ModeCompress, Time: g.Now(), Origin: "hlt"}, bytes.NewReader(data))
			require.NoError(t, err)
			h := processing.NewHandoff(0)
			h.Offer(info, entries)
			require.NoError(t, processing.New(st, processing.Options{Logger: log, Handoff: h}).Process(ctx, info))
			require.EqualValues(t, 1, h.Hits(), "processed from the hand-off")
			fromHandoff, err := st.Output(ctx, bundle.Ref(700, sys, ""))
			require.NoError(t, err)
			require.NoError(t, processing.New(st, processing.Options{Logger: log, Handoff: h}).Process(ctx, info))
			require.EqualValues(t, 1, h.Hits(), "taken once: decoded from the file the second time")
			fromFile, err := st.Output(ctx, bundle.Ref(700, sys, ""))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(fromHandoff, fromFile), "bundles differ between hand-off and file")
		})
	}
}
