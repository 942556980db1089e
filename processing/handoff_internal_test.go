package processing

import (
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
)

func TestHandoffBounded(t *testing.T) {
	h := NewHandoff(2)
	e := []overwatch.Entry{{Key: "h", Object: h1("h", 2, 1)}}
	ref := func(run, seq int) overwatch.SnapshotRef {
		return overwatch.SnapshotRef{Run: run, Subsystem: "EMC", Time: t0, Seq: seq}
	}
	for run := 1; run <= 5; run++ {
		h.Offer(overwatch.SnapshotInfo{SnapshotRef: ref(run, 0)}, e)
	}
	assert.Len(t, h.files, 2, "at most 2 files held")
	_, ok := h.take(ref(1, 0))
	assert.False(t, ok, "the oldest offers were dropped")
	// A newer snapshot of the same run and subsystem replaces the older.
	h.Offer(overwatch.SnapshotInfo{SnapshotRef: ref(5, 1)}, e)
	_, ok = h.take(ref(5, 0))
	assert.False(t, ok)
	f, ok := h.take(ref(5, 1))
	assert.True(t, ok)
	assert.Len(t, f.Entries, 1)
	_, ok = h.take(ref(5, 1))
	assert.False(t, ok, "taken once")
	assert.EqualValues(t, 1, h.Hits())
	var nilH *Handoff
	nilH.Offer(overwatch.SnapshotInfo{}, e)
	_, ok = nilH.take(ref(1, 0))
	assert.False(t, ok)
}
