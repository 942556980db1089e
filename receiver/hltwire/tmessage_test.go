package hltwire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
	"github.com/overwatch-dqm/overwatch/internal/rootio"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
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
	golden, err := os.ReadFile("../../internal/rootio/testdata/hlt-worked-example-th1f.tmessage")
	require.NoError(t, err)
	msg, err := hltwire.EncodeTMessage(workedExample(t), hltwire.TMessageOptions{LittleEndianLength: true})
	require.NoError(t, err)
	assert.Equal(t, golden, msg)

	obj, err := hltwire.DecodeTMessage(golden, nil)
	require.NoError(t, err)
	assert.Equal(t, workedExample(t), obj)
}

func TestTMessageRoundTripEveryClass(t *testing.T) {
	for _, e := range histtest.ModelObjects(t) {
		for _, opts := range []hltwire.TMessageOptions{{}, {LittleEndianLength: true}, {CompressionLevel: 1}, {LittleEndianLength: true, CompressionLevel: 9}} {
			msg, err := hltwire.EncodeTMessage(e.Object, opts)
			require.NoError(t, err, e.Path())
			if opts.LittleEndianLength {
				assert.Equal(t, uint32(len(msg)-4), binary.LittleEndian.Uint32(msg))
			} else {
				assert.Equal(t, uint32(len(msg)-4), binary.BigEndian.Uint32(msg))
			}
			got, err := hltwire.DecodeTMessage(msg, nil)
			require.NoError(t, err, e.Path())
			want := e.Object
			if h, ok := want.(*ow.Hist); ok {
				want = histtest.Narrow(h)
			}
			assert.Equal(t, want, got, "%s %+v", e.Path(), opts)
		}
	}
}

func TestStreamerInfosTMessage(t *testing.T) {
	msg, err := hltwire.EncodeStreamerInfosTMessage([]string{ow.ClassTH1F, ow.ClassTH3D, ow.ClassTProfile2D, ow.ClassTGraphErrors}, hltwire.TMessageOptions{LittleEndianLength: true})
	require.NoError(t, err)
	assert.NotZero(t, binary.BigEndian.Uint32(msg[4:])&0x20000000, "streamer infos are compressed")

	s := hltwire.NewStreamers()
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
	_, err = hltwire.DecodeTMessage(msg, s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TObjArray")

	assert.Error(t, (&hltwire.Streamers{}).AddTMessage(msg), "zero Streamers is not usable")
}

func TestDecodeTMessageRejects(t *testing.T) {
	good, err := hltwire.EncodeTMessage(workedExample(t), hltwire.TMessageOptions{CompressionLevel: 1})
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
			_, err := hltwire.DecodeTMessage(tc.msg, nil)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ow.ErrCorrupt), "%v", err)
		})
	}
}

// collectionMessage returns a TMessage of a TList "TPCQA" holding two
// histograms and a TObjArray "sub" with a graph, as a merger run with
// UnpackCollections=0 sends it, and the objects it holds.
func collectionMessage(t testing.TB) ([]byte, []ow.Object) {
	objs := histtest.ModelObjects(t)
	h1, h2 := objs[3].Object, objs[8].Object // TH1F, TH2D
	g := objs[len(objs)-2].Object            // TGraphErrors
	var items []any
	for _, o := range []ow.Object{h1, h2, g} {
		msg, err := hltwire.EncodeTMessage(o, hltwire.TMessageOptions{})
		require.NoError(t, err)
		_, r, err := rootio.DecodeTMessage(msg, nil)
		require.NoError(t, err)
		items = append(items, r)
	}
	coll := &rootio.Collection{Class: "TList", Name: "TPCQA", Items: []any{
		items[0], items[1], &rootio.Collection{Class: "TObjArray", Name: "sub", Items: []any{items[2]}},
	}}
	msg, err := rootio.EncodeTMessage(coll, true, 1)
	require.NoError(t, err)
	return msg, []ow.Object{histtest.Narrow(h1.(*ow.Hist)), histtest.Narrow(h2.(*ow.Hist)), g}
}

func TestDecodeTMessageEntriesFlattensCollections(t *testing.T) {
	msg, objs := collectionMessage(t)
	entries, problems, err := hltwire.DecodeTMessageEntries(msg, nil)
	require.NoError(t, err)
	assert.Empty(t, problems)
	require.Len(t, entries, 3)
	assert.Equal(t, "TPCQA/"+objs[0].ObjectName(), entries[0].Key)
	assert.Equal(t, "TPCQA/"+objs[1].ObjectName(), entries[1].Key)
	assert.Equal(t, "TPCQA/sub/"+objs[2].ObjectName(), entries[2].Key)
	for i := range objs {
		assert.Equal(t, "", entries[i].Dir)
		assert.Equal(t, objs[i], entries[i].Object)
	}

	_, err = hltwire.DecodeTMessage(msg, nil)
	require.Error(t, err, "DecodeTMessage returns one object, not a collection")
	assert.Contains(t, err.Error(), "DecodeTMessageEntries")

	// A single object is one entry named by the object.
	single, err := hltwire.EncodeTMessage(objs[2], hltwire.TMessageOptions{})
	require.NoError(t, err)
	entries, _, err = hltwire.DecodeTMessageEntries(single, nil)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, objs[2].ObjectName(), entries[0].Key)

	// Streamer infos are no entries.
	si, err := hltwire.EncodeStreamerInfosTMessage([]string{ow.ClassTH1F}, hltwire.TMessageOptions{})
	require.NoError(t, err)
	entries, _, err = hltwire.DecodeTMessageEntries(si, nil)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestDecodeFileFlattensCollectionKeys(t *testing.T) {
	msg, objs := collectionMessage(t)
	_, coll, err := rootio.DecodeTMessage(msg, nil)
	require.NoError(t, err)
	data, err := rootio.WriteFile([]rootio.Entry{{Dir: "TPC", Name: "TPCQA", Obj: coll}}, rootio.WriteOptions{Level: 1})
	require.NoError(t, err)
	f, err := ow.DecodeFile(data)
	require.NoError(t, err)
	require.Len(t, f.Entries, 3)
	assert.Equal(t, "TPC/TPCQA/sub/"+objs[2].ObjectName(), f.Entries[2].Path())
	assert.Equal(t, objs[0], f.Get("TPC/TPCQA/"+objs[0].ObjectName()))
}

// FuzzDecodeTMessage feeds arbitrary bytes to DecodeTMessage and
// Streamers.AddTMessage.
func FuzzDecodeTMessage(f *testing.F) {
	for _, e := range histtest.ModelObjects(f)[:4] {
		for _, level := range []int{0, 1} {
			msg, err := hltwire.EncodeTMessage(e.Object, hltwire.TMessageOptions{CompressionLevel: level})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(msg)
		}
	}
	si, err := hltwire.EncodeStreamerInfosTMessage([]string{ow.ClassTH1F}, hltwire.TMessageOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(si)
	coll, _ := collectionMessage(f)
	f.Add(coll)
	f.Fuzz(func(t *testing.T, msg []byte) {
		obj, err := hltwire.DecodeTMessage(msg, nil)
		if err == nil {
			if h, ok := obj.(*ow.Hist); ok {
				if err := h.Validate(); err != nil {
					t.Fatalf("decoded an invalid histogram: %v", err)
				}
			}
		}
		if _, _, err := hltwire.DecodeTMessageEntries(msg, nil); err != nil && !errors.Is(err, ow.ErrCorrupt) && !strings.Contains(err.Error(), "not supported") {
			t.Fatalf("unexpected error kind: %v", err)
		}
		s := hltwire.NewStreamers()
		if s.AddTMessage(msg) == nil {
			_, _ = hltwire.DecodeTMessage(msg, s)
		}
	})
}

// Round-trip a histogram through a TMessage, the payload of the HLT's ZeroMQ
// messages, with AliHLTMessage's little-endian length word and compression.
func ExampleDecodeTMessage() {
	h := ow.MustNewHist(ow.ClassTH2F, "hEMCal", "cells", ow.NewAxis(2, 0, 2), ow.NewAxis(2, 0, 2))
	_ = h.Fill(1, 0.5, 1.5)
	msg, err := hltwire.EncodeTMessage(h, hltwire.TMessageOptions{LittleEndianLength: true, CompressionLevel: 1})
	if err != nil {
		log.Fatal(err)
	}
	obj, err := hltwire.DecodeTMessage(msg, nil)
	if err != nil {
		log.Fatal(err)
	}
	got := obj.(*ow.Hist)
	fmt.Println(got.Class, got.Name, got.Entries, got.BinContent(got.Bin(1, 2, 0)))
	// Output: TH2F hEMCal 1 1
}
