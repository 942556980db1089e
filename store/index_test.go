package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunRecordRoundTrip(t *testing.T) {
	r := &runRecord{Mode: "DQM", Subs: map[string]*subRecord{
		"EMC": {N: 3, First: stamp{T: 1448384710}, Last: stamp{T: 1448384954, Seq: 2}, LastName: "EMChists.2015_11_24_18_09_14.2.root"},
		"HLT": {N: 1, First: stamp{T: -5}, Last: stamp{T: -5}, LastName: "x"},
	}}
	b := encodeRun(r)
	got, err := decodeRun(b)
	require.NoError(t, err)
	assert.Equal(t, r, got)
	assert.Equal(t, b, encodeRun(got), "canonical")
	for i := 0; i < len(b); i++ {
		_, err := decodeRun(b[:i])
		assert.Error(t, err, "truncated at %d", i)
	}
	_, err = decodeRun(append(b, 0))
	assert.Error(t, err, "trailing byte")
}

// FuzzDecodeRun: index bytes from disk never panic the decoder, and what
// decodes re-encodes to the same bytes.
func FuzzDecodeRun(f *testing.F) {
	f.Add(encodeRun(&runRecord{Mode: "C", Subs: map[string]*subRecord{"EMC": {N: 1, LastName: "a"}}}))
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{1, 1, 'C', 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRun(b)
		if err != nil {
			return
		}
		r2, err := decodeRun(encodeRun(r))
		require.NoError(t, err)
		require.Equal(t, r, r2)
	})
}

func TestSnapRecordRoundTrip(t *testing.T) {
	r := snapRecord{Name: "EMChists.2015_11_24_18_05_10.1.root", Size: 1 << 40, Source: "ingest"}
	b := r.encode()
	var got snapRecord
	require.NoError(t, got.decode(b))
	assert.Equal(t, r, got)
	for i := 0; i < len(b); i++ {
		assert.Error(t, got.decode(b[:i]), "truncated at %d", i)
	}
	assert.Error(t, got.decode(append(b, 0)))
}

// FuzzDecodeSnapRecord: index bytes never panic the decoder.
func FuzzDecodeSnapRecord(f *testing.F) {
	f.Add(snapRecord{Name: "a", Size: 3, Source: "hlt"}.encode())
	f.Add([]byte{1, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r snapRecord
		if r.decode(b) != nil {
			return
		}
		var r2 snapRecord
		require.NoError(t, r2.decode(r.encode()))
		require.Equal(t, r, r2)
	})
}
