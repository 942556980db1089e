package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBundleRemovesSupersededOutputs: a store processed before bundles
// holds per-file outputs; once a bundle of the run and subsystem is
// written they are never served again and go (images stay: eager PNGs
// are written beside the bundle). Other subsystems and time slices keep
// theirs.
func TestBundleRemovesSupersededOutputs(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	refs := []overwatch.OutputRef{
		{Run: 7, Subsystem: "EMC", Name: "a/h", Kind: overwatch.OutputJSON},
		{Run: 7, Subsystem: "EMC", Name: "a/h", Kind: overwatch.OutputHints},
		{Run: 7, Subsystem: "EMC", Kind: overwatch.OutputView},
		{Run: 7, Subsystem: "EMC", Name: "a/h", Kind: overwatch.OutputPNG},
		{Run: 7, Subsystem: "TPC", Name: "h", Kind: overwatch.OutputJSON},
		{Run: 7, Subsystem: "EMC", Slice: "k1", Name: "h", Kind: overwatch.OutputJSON},
	}
	for _, ref := range refs {
		require.NoError(t, s.PutOutput(ctx, ref, []byte("x")))
	}
	require.NoError(t, s.PutOutput(ctx, overwatch.OutputRef{Run: 7, Subsystem: "EMC", Kind: overwatch.OutputBundle}, []byte("bundle")))
	for i, ref := range refs {
		_, err := s.Output(ctx, ref)
		if i < 3 {
			assert.ErrorIs(t, err, overwatch.ErrNotFound, "%+v superseded by the bundle", ref)
		} else {
			assert.NoError(t, err, "%+v kept", ref)
		}
	}
	for _, gone := range []string{"json", "hints", "view.json"} {
		_, err := os.Stat(filepath.Join(dir, "Run7", "EMC", gone))
		assert.True(t, os.IsNotExist(err), gone)
	}
	got, err := s.Output(ctx, overwatch.OutputRef{Run: 7, Subsystem: "EMC", Kind: overwatch.OutputBundle})
	require.NoError(t, err)
	assert.Equal(t, "bundle", string(got))
	assertIndexEqualsRebuild(t, s)
}
