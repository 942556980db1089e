package dqm

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUploadDuplicatesNotStoredAgain: an upload holding the same objects as
// its run's newest snapshot (AMORE repeating its last state after the end of
// a run) is answered 200 and not stored again — the one duplicate rule of
// the HLT receiver and drop-folder ingestion — also after a restart of the
// receiver; the same objects after a different snapshot are stored.
func TestUploadDuplicatesNotStoredAgain(t *testing.T) {
	f := newFixture(t, 0)
	a := testFile(t)
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "test", "test", overwatch.NewAxis(10, 0, 10))
	require.NoError(t, h.Fill(3.5, 1))
	b, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "test", Object: h}})
	require.NoError(t, err)

	ts := 1_700_000_000
	upload := func(srv *fixture, data []byte) map[string]any {
		t.Helper()
		ts += 60
		hdr := map[string]string{"token": srv.token, "runNumber": "4242", "timeStamp": strconv.Itoa(ts), "amoreAgent": "EMC"}
		code, m, _ := srv.do(t, http.MethodPost, "/rest/api/files", hdr, bytes.NewReader(data), "application/octet-stream")
		require.Equal(t, http.StatusOK, code, "%v", m)
		return m
	}
	count := func() int {
		snaps, err := f.st.Snapshots(t.Context(), 4242, "EMC")
		require.NoError(t, err)
		return len(snaps)
	}

	upload(f, a)
	assert.Equal(t, 1, count())
	m := upload(f, a)
	assert.Equal(t, MsgDuplicate, m["message"])
	assert.NotEmpty(t, m["duplicateOf"])
	assert.Equal(t, 1, count(), "a repeated state is not stored again")
	assert.Equal(t, uint64(1), f.dqm.duplicates.Load())

	upload(f, b)
	assert.Equal(t, 2, count(), "new objects are stored")
	upload(f, a)
	assert.Equal(t, 3, count(), "the same objects as an older snapshot, after a different one, are stored")

	// A restarted receiver knows nothing in memory: it compares with the
	// stored newest snapshot.
	f.dqm.lastMu.Lock()
	f.dqm.last = nil
	f.dqm.lastMu.Unlock()
	m = upload(f, a)
	assert.Equal(t, MsgDuplicate, m["message"])
	assert.Equal(t, 3, count())
}
