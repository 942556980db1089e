package overwatch_test

import (
	"errors"
	"strings"
	"testing"

	ow "github.com/overwatch-dqm/overwatch"
)

// FuzzDecodeFile feeds arbitrary bytes to DecodeFile: it must never panic,
// and every failure must wrap ErrCorrupt.
func FuzzDecodeFile(f *testing.F) {
	small := modelObjects(f)
	for _, n := range []int{1, 4, len(small)} {
		data, err := ow.EncodeFile(small[len(small)-n:])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	one, err := ow.EncodeFile(small[:1])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(one)
	f.Add([]byte("root"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ow.DecodeFile(data)
		if err != nil {
			if !errors.Is(err, ow.ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		for _, e := range file.Entries {
			if h, ok := e.Object.(*ow.Hist); ok {
				if err := h.Validate(); err != nil {
					t.Fatalf("decoded an invalid histogram: %v", err)
				}
			}
		}
	})
}

// FuzzDecodeTMessage feeds arbitrary bytes to DecodeTMessage and
// Streamers.AddTMessage.
func FuzzDecodeTMessage(f *testing.F) {
	for _, e := range modelObjects(f)[:4] {
		for _, level := range []int{0, 1} {
			msg, err := ow.EncodeTMessage(e.Object, ow.TMessageOptions{CompressionLevel: level})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(msg)
		}
	}
	si, err := ow.EncodeStreamerInfosTMessage([]string{ow.ClassTH1F}, ow.TMessageOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(si)
	coll, _ := collectionMessage(f)
	f.Add(coll)
	f.Fuzz(func(t *testing.T, msg []byte) {
		obj, err := ow.DecodeTMessage(msg, nil)
		if err == nil {
			if h, ok := obj.(*ow.Hist); ok {
				if err := h.Validate(); err != nil {
					t.Fatalf("decoded an invalid histogram: %v", err)
				}
			}
		}
		if _, _, err := ow.DecodeTMessageEntries(msg, nil); err != nil && !errors.Is(err, ow.ErrCorrupt) && !strings.Contains(err.Error(), "not supported") {
			t.Fatalf("unexpected error kind: %v", err)
		}
		s := ow.NewStreamers()
		if s.AddTMessage(msg) == nil {
			_, _ = ow.DecodeTMessage(msg, s)
		}
	})
}
