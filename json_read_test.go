package overwatch_test

import (
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeJSONHistRoundTrip decodes the JSON of every sample histogram,
// plain and compact, and re-encodes it: the documents are identical.
func TestDecodeJSONHistRoundTrip(t *testing.T) {
	n := 0
	for _, s := range jsonSamples() {
		h, ok := s.obj.(*overwatch.Hist)
		if !ok {
			continue
		}
		for _, compact := range []bool{false, true} {
			js, err := overwatch.AppendJSON(nil, h, overwatch.JSONOptions{CompactArrays: compact})
			require.NoError(t, err)
			back, err := overwatch.DecodeJSONHist(js)
			require.NoError(t, err, "%s compact=%v", s.name, compact)
			again, err := overwatch.AppendJSON(nil, back, overwatch.JSONOptions{CompactArrays: compact})
			require.NoError(t, err)
			assert.Equal(t, string(js), string(again), "%s compact=%v", s.name, compact)
			n++
		}
	}
	assert.Greater(t, n, 10)
}

func TestDecodeJSONHistErrors(t *testing.T) {
	for _, doc := range []string{
		``, `[]`, `{"_typename":"TGraph"}`,
		`{"_typename":"TH1F","fXaxis":{"fNbins":0},"fYaxis":{"fNbins":1},"fZaxis":{"fNbins":1},"fArray":[]}`,
		`{"_typename":"TH1F","fXaxis":{"fNbins":2},"fYaxis":{"fNbins":1},"fZaxis":{"fNbins":1},"fArray":[1,2]}`,
		`{"_typename":"TH1F","fXaxis":{"fNbins":2},"fYaxis":{"fNbins":1},"fZaxis":{"fNbins":1},"fArray":{"$arr":"Float32","len":999999999999}}`,
		`{"_typename":"TH1F","fXaxis":{"fNbins":2},"fYaxis":{"fNbins":1},"fZaxis":{"fNbins":1},"fArray":{"$arr":"Float32","len":4,"v":1,"n":9}}`,
		`{"_typename":"TH1F","fXaxis":{"fNbins":2},"fYaxis":{"fNbins":1},"fZaxis":{"fNbins":1},"fArray":{"$arr":"Float32","len":4,"b":"AAAA"}}`,
	} {
		_, err := overwatch.DecodeJSONHist([]byte(doc))
		assert.ErrorIs(t, err, overwatch.ErrBadJSON, doc)
	}
	ok := `{"_typename":"TH1F","fXaxis":{"fNbins":2},"fYaxis":{"fNbins":1},"fZaxis":{"fNbins":1},"fArray":{"$arr":"Float32","len":4,"p":1,"v":2e308,"n":2}}`
	h, err := overwatch.DecodeJSONHist([]byte(ok))
	require.NoError(t, err)
	assert.Equal(t, 0.0, h.Contents[0])
	assert.True(t, h.Contents[1] > 1e308 && h.Contents[2] > 1e308)
}

// FuzzDecodeJSONHist: bytes read back from disk never crash the decoder,
// and whatever it accepts encodes again.
func FuzzDecodeJSONHist(f *testing.F) {
	for _, s := range jsonSamples() {
		if h, ok := s.obj.(*overwatch.Hist); ok {
			js, _ := overwatch.AppendJSON(nil, h, overwatch.JSONOptions{CompactArrays: true})
			f.Add(js)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := overwatch.DecodeJSONHist(b)
		if err != nil {
			return
		}
		_, err = overwatch.AppendJSON(nil, h, overwatch.JSONOptions{CompactArrays: true})
		require.NoError(t, err)
	})
}
