package processing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/render"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestROOTWrittenFiles processes files written by real ROOT (1D, 2D,
// profiles, labels, sub-directories, odd key names, old class versions)
// through the whole pipeline with the real store: every histogram gets
// valid JSON, hints and a decodable PNG.
func TestROOTWrittenFiles(t *testing.T) {
	files := rootfiles.Shared(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(t.TempDir(), store.Options{Subsystems: []string{"RRF"}, Logger: log, NoSyncOutputs: true})
	require.NoError(t, err)
	defer st.Close()
	p := processing.New(st, processing.Options{Logger: log, PNG: processing.PNGEager})
	ctx := context.Background()
	total := 0
	for i, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			if _, err := overwatch.DecodeFile(data); err != nil {
				t.Skipf("not decodable by this build: %v", err)
			}
			run := 100 + i
			snap, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: run, Subsystem: "RRF", Mode: overwatch.ModeCompress,
				Time: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Origin: "test"}, bytes.NewReader(data))
			require.NoError(t, err)
			require.NoError(t, p.Process(ctx, snap))
			b, err := bundle.NewOutputs(st).Output(ctx, overwatch.ViewRef(run, "RRF", ""))
			require.NoError(t, err)
			var v overwatch.ViewDoc
			require.NoError(t, json.Unmarshal(b, &v))
			assert.True(t, v.Complete)
			for _, g := range v.Groups {
				for _, h := range g.Hists {
					js, err := bundle.NewOutputs(st).Output(ctx, overwatch.OutputRef{Run: run, Subsystem: "RRF", Name: h.Name, Kind: overwatch.OutputJSON})
					require.NoError(t, err, h.Name)
					assert.True(t, json.Valid(js), h.Name)
					hb, err := bundle.NewOutputs(st).Output(ctx, overwatch.OutputRef{Run: run, Subsystem: "RRF", Name: h.Name, Kind: overwatch.OutputHints})
					require.NoError(t, err, h.Name)
					var hints overwatch.Hints
					require.NoError(t, json.Unmarshal(hb, &hints))
					assert.Empty(t, hints.Errors, h.Name)
					img, err := bundle.NewOutputs(st).Output(ctx, overwatch.OutputRef{Run: run, Subsystem: "RRF", Name: h.Name, Kind: overwatch.OutputPNG})
					require.NoError(t, err, h.Name)
					_, err = render.Image(img)
					require.NoError(t, err, h.Name)
					total++
				}
			}
		})
	}
	t.Logf("%d histograms from %d ROOT-written files processed", total, len(files))
}
