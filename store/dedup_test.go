package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// otherSnapshot returns a ROOT file of one histogram whose bin 1 holds v.
func otherSnapshot(t testing.TB, v float64) []byte {
	t.Helper()
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "hOther", "other", overwatch.NewAxis(4, 0, 4))
	h.Contents[1], h.Entries = v, v
	b, err := overwatch.EncodeFile([]overwatch.Entry{{Key: h.Name, Object: h}})
	require.NoError(t, err)
	return b
}

// TestIngestSkipsRepeatedSnapshots: after the end of a run the mergers
// repeat their last state; a drop file with the objects of the run's
// newest snapshot is not stored again (whatever its bytes), a changed one
// is, and so is the same content in another run.
func TestIngestSkipsRepeatedSnapshots(t *testing.T) {
	dir, drop := t.TempDir(), t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	writeOld(t, drop, "EMChistos_321_C_2015_11_24_18_5_9.root", otherSnapshot(t, 5))
	st, err := s.Ingest(ctx, drop)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Ingested)

	again := otherSnapshot(t, 5)
	again = append(again[:len(again):len(again)], 0) // other bytes, same objects
	writeOld(t, drop, "EMChistos_321_C_2015_11_24_18_6_9.root", again)
	st, err = s.Ingest(ctx, drop)
	require.NoError(t, err)
	assert.Equal(t, IngestStats{Duplicates: 1}, st)

	writeOld(t, drop, "EMChistos_321_C_2015_11_24_18_7_9.root", otherSnapshot(t, 6))
	writeOld(t, drop, "EMChistos_322_C_2015_11_24_18_7_9.root", otherSnapshot(t, 5))
	st, err = s.Ingest(ctx, drop)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Ingested)
	snaps, err := s.Snapshots(ctx, 321, "EMC")
	require.NoError(t, err)
	assert.Len(t, snaps, 2)
}
