package zdc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
)

// buildBinary builds cmd/overwatch-zdc (cli.Main plus the ZDC detector)
// into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "overwatch-zdc")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/overwatch-zdc")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// putZDCSnapshots stores n simulated ZDC snapshots of run in dir.
func putZDCSnapshots(t *testing.T, dir string, run, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(dir, store.Options{Subsystems: []string{"ZDC"}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	gen := generator.New(generator.Config{Seed: 3, Subsystems: []string{"ZDC"}, EventsPerSecond: 500})
	gen.StartRun(run)
	for i := 0; i < n; i++ {
		gen.Advance(20 * time.Second)
		data, err := overwatch.EncodeFile(gen.Snapshot("ZDC"))
		require.NoError(t, err)
		_, err = st.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: run, Subsystem: "ZDC", Mode: overwatch.ModeCompress, Time: gen.Now(), Origin: "test"}, bytes.NewReader(data))
		require.NoError(t, err)
	}
}

func readOutput(t *testing.T, dir string, ref overwatch.OutputRef, v any) {
	t.Helper()
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	b, err := bundle.NewOutputs(st).Output(context.Background(), ref)
	require.NoError(t, err, "%+v", ref)
	require.NoError(t, json.Unmarshal(b, v))
}

// TestBinaryProcessesZDC builds the detector team's ten-line binary and
// runs its "process --once" over a data directory holding ZDC snapshots:
// the outputs carry what only the ZDC plug-in produces (its groups, its
// timing function's information line and quality flag).
func TestBinaryProcessesZDC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	const run = 4242
	putZDCSnapshots(t, dir, run, 2)

	cmd := exec.Command(bin, "process", "--data", dir, "--once", "--no-png", "--workers", "1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	var view overwatch.ViewDoc
	readOutput(t, dir, overwatch.ViewRef(run, "ZDC", ""), &view)
	var titles []string
	for _, g := range view.Groups {
		titles = append(titles, g.Title)
	}
	assert.Equal(t, []string{"ZDC timing", "ZDC amplitudes", "ZDC channel maps", "Other ZDC"}, titles)

	var hints overwatch.Hints
	readOutput(t, dir, overwatch.OutputRef{Run: run, Subsystem: "ZDC", Name: "ZDC_histTime", Kind: overwatch.OutputHints}, &hints)
	require.NotEmpty(t, hints.Info)
	assert.Equal(t, "In-time fraction", hints.Info[0].Label)
	assert.Equal(t, overwatch.QualityGood, hints.Quality)
	var amp overwatch.Hints
	readOutput(t, dir, overwatch.OutputRef{Run: run, Subsystem: "ZDC", Name: "ZDC_histAmplitude", Kind: overwatch.OutputHints}, &amp)
	assert.True(t, amp.Display.LogY, "zdc.logY applied")

	help, err := exec.Command(bin, "help").CombinedOutput()
	require.NoError(t, err, "%s", help)
	assert.Contains(t, string(help), "process")
	_ = os.Remove(bin)
}
