package overwatch_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
)

// workedExample builds the histogram of hlt-zmq-protocol.md §6.
func workedExample(t testing.TB) *ow.Hist {
	h, err := ow.NewHist(ow.ClassTH1F, "hTest", "Test", ow.NewAxis(4, 0, 4))
	require.NoError(t, err)
	h.EnableSumw2()
	for _, x := range []float64{0.5, 1.5, 1.5, 2.5} {
		require.NoError(t, h.Fill(1, x))
	}
	return h
}

func TestTMessageWorkedExampleGolden(t *testing.T) {
	golden, err := os.ReadFile("internal/rootio/testdata/hlt-worked-example-th1f.tmessage")
	require.NoError(t, err)
	msg, err := ow.EncodeTMessage(workedExample(t), ow.TMessageOptions{LittleEndianLength: true})
	require.NoError(t, err)
	assert.Equal(t, golden, msg)

	obj, err := ow.DecodeTMessage(golden, nil)
	require.NoError(t, err)
	assert.Equal(t, workedExample(t), obj)
}

func TestTMessageRoundTripEveryClass(t *testing.T) {
	for _, e := range modelObjects(t) {
		for _, opts := range []ow.TMessageOptions{{}, {LittleEndianLength: true}, {CompressionLevel: 1}, {LittleEndianLength: true, CompressionLevel: 9}} {
			msg, err := ow.EncodeTMessage(e.Object, opts)
			require.NoError(t, err, e.Path())
			if opts.LittleEndianLength {
				assert.Equal(t, uint32(len(msg)-4), binary.LittleEndian.Uint32(msg))
			} else {
				assert.Equal(t, uint32(len(msg)-4), binary.BigEndian.Uint32(msg))
			}
			got, err := ow.DecodeTMessage(msg, nil)
			require.NoError(t, err, e.Path())
			want := e.Object
			if h, ok := want.(*ow.Hist); ok {
				want = narrow(h)
			}
			assert.Equal(t, want, got, "%s %+v", e.Path(), opts)
		}
	}
}

func TestStreamerInfosTMessage(t *testing.T) {
	msg, err := ow.EncodeStreamerInfosTMessage([]string{ow.ClassTH1F, ow.ClassTH3D, ow.ClassTProfile2D, ow.ClassTGraphErrors}, ow.TMessageOptions{LittleEndianLength: true})
	require.NoError(t, err)
	assert.NotZero(t, binary.BigEndian.Uint32(msg[4:])&0x20000000, "streamer infos are compressed")

	s := ow.NewStreamers()
	require.NoError(t, s.AddTMessage(msg))
	for _, c := range []struct {
		class string
		vers  int
	}{{"TH1F", 3}, {"TH1", 8}, {"TAxis", 10}, {"TH3D", 4}, {"TH3", 6}, {"TAtt3D", 1}, {"TProfile2D", 8}, {"TGraphErrors", 3}, {"TGraph", 5}} {
		assert.True(t, s.Has(c.class, c.vers), "%s v%d", c.class, c.vers)
	}
	assert.False(t, s.Has("TTree", -1))
	assert.GreaterOrEqual(t, s.Len(), 13)

	// A streamer-info message is not an object Overwatch models.
	_, err = ow.DecodeTMessage(msg, s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TObjArray")

	assert.Error(t, (&ow.Streamers{}).AddTMessage(msg), "zero Streamers is not usable")
}

func TestDecodeTMessageRejects(t *testing.T) {
	good, err := ow.EncodeTMessage(workedExample(t), ow.TMessageOptions{CompressionLevel: 1})
	require.NoError(t, err)
	withLen := func(b []byte) []byte {
		b = bytes.Clone(b)
		binary.BigEndian.PutUint32(b, uint32(len(b)-4))
		return b
	}
	notObject := withLen(good)
	binary.BigEndian.PutUint32(notObject[4:], 0x20000000|3)
	badBlock := withLen(good)
	badBlock[12] = 'Q'
	hugeSize := withLen(good)
	binary.BigEndian.PutUint32(hugeSize[8:], 0x7fffffff)
	null := withLen([]byte{0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0})
	tests := []struct {
		name string
		msg  []byte
	}{
		{"empty", nil},
		{"short", []byte{0, 0, 0, 4, 0, 0, 0, 4}},
		{"length word wrong", append([]byte{0, 0, 0, 9}, good[4:]...)},
		{"not an object", notObject},
		{"bad compression block", badBlock},
		{"huge uncompressed size", hugeSize},
		{"null object", null},
		{"truncated", withLen(good[:len(good)-10])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ow.DecodeTMessage(tc.msg, nil)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ow.ErrCorrupt), "%v", err)
		})
	}
}
