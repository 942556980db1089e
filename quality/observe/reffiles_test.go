package observe_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
	"github.com/overwatch-dqm/overwatch/store"
)

// TestReferenceFileRoundTrip: a reference file larger than one document
// part is stored in parts, read back byte for byte and its histograms
// served; a tampered part is detected; bad files store nothing.
func TestReferenceFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer st.Close()
	big := overwatch.MustNewHist("TH1D", "EMC/hBig", "", overwatch.NewAxis(300000, 0, 1))
	rng := rand.New(rand.NewPCG(1, 2)) // incompressible contents
	for i := range big.Contents {
		big.Contents[i] = rng.Float64()
	}
	big.Entries = 1e6
	small := overwatch.MustNewHist("TH1F", "hSmall", "", overwatch.NewAxis(3, 0, 3))
	small.Contents[1] = 5
	data, err := overwatch.EncodeFile([]overwatch.Entry{{Dir: "EMC", Key: "hBig", Object: big}, {Key: "hSmall", Object: small}})
	require.NoError(t, err)
	require.Greater(t, len(data), quality.ReferenceFilePart, "the test needs several parts")

	for _, bad := range [][]byte{nil, []byte("rootjunk that claims to be ROOT but is not"), data[:100]} {
		_, err := observe.UploadReferenceFile(ctx, st, "EMC", "bad.root", bad, "erin")
		require.ErrorIs(t, err, quality.ErrReference)
	}
	docs, err := st.Documents(ctx, quality.ReferenceFileKind)
	require.NoError(t, err)
	assert.Empty(t, docs, "nothing stored for bad files")

	rf, err := observe.UploadReferenceFile(ctx, st, "EMC", "big.root", data, "erin")
	require.NoError(t, err)
	assert.Equal(t, (len(data)+quality.ReferenceFilePart-1)/quality.ReferenceFilePart, rf.Parts)
	assert.Equal(t, 2, rf.Hists)
	docs, err = st.Documents(ctx, quality.ReferenceFileKind)
	require.NoError(t, err)
	assert.Len(t, docs, rf.Parts)
	assert.Equal(t, "erin", docs[0].Author)

	got, back, err := quality.ReadReferenceFile(ctx, st, rf.ID)
	require.NoError(t, err)
	assert.Equal(t, data, back)
	assert.Equal(t, rf, got)

	files := observe.NewReferenceFiles(st)
	h, _, err := files.Hist(ctx, rf.ID, "EMC/hBig")
	require.NoError(t, err)
	require.NotNil(t, h)
	assert.Equal(t, big.Contents[96], h.Contents[96])
	h, _, err = files.Hist(ctx, rf.ID, "hNone")
	require.NoError(t, err)
	assert.Nil(t, h)
	_, _, err = files.Hist(ctx, quality.ReferenceFileID([]byte("other")), "hSmall")
	assert.ErrorIs(t, err, overwatch.ErrNotFound)

	// A part whose bytes were changed no longer matches the ID.
	d, err := st.Document(ctx, quality.ReferenceFileKind, rf.ID+".1", 0)
	require.NoError(t, err)
	d.Body = []byte(`{"part":1,"data":"AAAA"}`)
	_, err = st.PutDocument(ctx, d, d.Version)
	require.NoError(t, err)
	_, _, err = quality.ReadReferenceFile(ctx, st, rf.ID)
	assert.ErrorIs(t, err, quality.ErrReference)
}
