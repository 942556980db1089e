package all_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/trending"
)

// TestPipeline runs the built-in detectors through the real store,
// processing and trending over generated snapshots written as ROOT files.
func TestPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx := context.Background()
	start := time.Now()
	defer func() { t.Logf("total: %v", time.Since(start)) }()
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(t.TempDir(), store.Options{Logger: quiet, NoSyncOutputs: true})
	require.NoError(t, err)
	defer st.Close()
	tm, err := trending.NewManager(st, trending.Config{}, nil, quiet)
	require.NoError(t, err)
	p := processing.New(st, processing.Options{Observer: tm, NoPNG: true, ScanInterval: -1, Logger: quiet})

	const run = 300000
	g := generator.New(generator.Config{Seed: 3, EventsPerSecond: 200, Run: run})
	require.NoError(t, g.InjectHotChannel("EMC", "EMCTRQA_histFastORL0", 77, 0.1))
	t0 := time.Now()
	g.Advance(10 * time.Second)
	t.Logf("generation: %v", time.Since(t0))
	for _, sys := range []string{"EMC", "TPC", "HLT"} {
		t0 := time.Now()
		data, err := overwatch.EncodeFile(g.Snapshot(sys))
		require.NoError(t, err)
		t.Logf("%s: encoding %v", sys, time.Since(t0))
		info, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: overwatch.ModeCompress, Time: g.Now(), Origin: "test"}, bytes.NewReader(data))
		require.NoError(t, err)
		t0 = time.Now()
		require.NoError(t, p.Process(ctx, info), sys)
		t.Logf("%s: encode %d bytes, process %v", sys, len(data), time.Since(t0))
	}
	// The trend points are stored by Observe; EndCycle (trend plots and
	// notifications) is trending's business and not needed here.

	read := func(sys, name string, kind overwatch.OutputKind, v any) {
		t.Helper()
		b, err := bundle.NewOutputs(st).Output(ctx, overwatch.OutputRef{Run: run, Subsystem: sys, Name: name, Kind: kind})
		require.NoError(t, err, "%s %s %s", sys, name, kind)
		require.NoError(t, json.Unmarshal(b, v))
	}
	views := map[string]overwatch.ViewDoc{}
	for _, sys := range []string{"EMC", "TPC", "HLT"} {
		var v overwatch.ViewDoc
		b, err := bundle.NewOutputs(st).Output(ctx, overwatch.ViewRef(run, sys, ""))
		require.NoError(t, err, sys)
		require.NoError(t, json.Unmarshal(b, &v))
		assert.True(t, v.Complete, sys)
		views[sys] = v
	}
	assert.Equal(t, 2000.0, views["EMC"].NEvents)
	var titles []string
	for _, g := range views["EMC"].Groups {
		titles = append(titles, g.Title)
	}
	assert.Contains(t, titles, "FEE vs TRU")
	assert.Contains(t, titles, "Gamma Trigger High")
	assert.True(t, views["EMC"].Groups[0].Grid)

	var hot overwatch.Hints
	read("EMC", "EMCTRQA_histFastORL0", overwatch.OutputHints, &hot)
	assert.Equal(t, "FastORL0", hot.PrettyName)
	assert.Equal(t, overwatch.QualityMedium, hot.Quality)
	assert.Contains(t, hot.Info, overwatch.InfoItem{Label: "Fast OR Hot Channels ID", Value: "77"})
	assert.Empty(t, hot.Errors)

	var stack overwatch.Hints
	read("EMC", "EMCTRQA_histEMCalPatchAmpEMCGAHOffline", overwatch.OutputHints, &stack)
	assert.Equal(t, overwatch.StackClass, stack.Class)
	assert.Equal(t, []string{"EMCTRQA_histEMCalPatchAmpEMCGAHOffline", "EMCTRQA_histDCalPatchAmpEMCGAHOffline"}, stack.Stack)
	kinds := map[overwatch.DecorationKind]int{}
	for _, d := range stack.Display.Decorations {
		kinds[d.Kind]++
	}
	assert.Equal(t, map[overwatch.DecorationKind]int{overwatch.DecoLegend: 1, overwatch.DecoAxis: 1}, kinds)
	var js map[string]any
	read("EMC", "EMCTRQA_histEMCalPatchAmpEMCGAHOffline", overwatch.OutputJSON, &js)
	assert.Equal(t, "THStack", js["_typename"])

	var pt overwatch.Hints
	read("TPC", "pT_postracks", overwatch.OutputHints, &pt)
	assert.Equal(t, "pT of positive tracks", pt.PrettyName)
	assert.Equal(t, "Pt spectra", pt.Group)
	assert.True(t, pt.Display.LogY)

	// Trends got their first points.
	for sys, n := range map[string]int{"EMC": 90, "TPC": 5, "HLT": 114} {
		names, err := st.Trends(ctx, sys)
		require.NoError(t, err)
		assert.Len(t, names, n, sys)
	}
}
