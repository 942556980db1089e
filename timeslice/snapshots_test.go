package timeslice_test

import (
	"bytes"
	"context"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// TestSumSnapshots: the reset-mode sum of stored snapshots, with a corrupted
// one ending the sum or left out at the caller's choice.
func TestSumSnapshots(t *testing.T) {
	f := newFixture(t, "SLC", true)
	ctx := context.Background()
	snaps, err := f.st.Snapshots(ctx, 300, "SLC")
	require.NoError(t, err)
	require.Len(t, snaps, 5)

	one, err := timeslice.DecodeSnapshot(ctx, f.st, snaps[1].SnapshotRef, histtest.GobDecode)
	require.NoError(t, err)
	assert.Equal(t, 20.0, one.Hist("SLCCounter").Contents[1])

	var read []int
	sum, _, err := timeslice.SumSnapshots(ctx, f.st, snaps[:3], histtest.GobDecode, nil, func(n int) { read = append(read, n) })
	require.NoError(t, err)
	assert.Equal(t, 10.0+20+30, sum.Hist("SLCCounter").Contents[1])
	assert.Equal(t, []int{1, 2, 3}, read)

	bad, err := f.st.PutSnapshot(ctx, ow.SnapshotMeta{Run: 300, Subsystem: "SLC", Mode: ow.ModeCompress,
		Time: snaps[4].Time.Add(60e9), Origin: "test"}, bytes.NewReader([]byte("not gob")))
	require.NoError(t, err)
	with := append(append([]ow.SnapshotInfo{}, snaps[:2]...), bad)
	_, _, err = timeslice.SumSnapshots(ctx, f.st, with, histtest.GobDecode, nil, nil)
	assert.ErrorIs(t, err, ow.ErrCorrupt)
	sum, _, err = timeslice.SumSnapshots(ctx, f.st, with, histtest.GobDecode, func(s ow.SnapshotInfo, err error) bool { return s.SnapshotRef == bad.SnapshotRef }, nil)
	require.NoError(t, err)
	assert.Equal(t, 30.0, sum.Hist("SLCCounter").Contents[1])
}
