package rootio

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecompress feeds arbitrary blocks and sizes to the ROOT block
// decompressor: no panic, no allocation beyond the size bound, errors wrap
// ErrCorrupt, and a success gives exactly the requested size.
func FuzzDecompress(f *testing.F) {
	src := bytes.Repeat([]byte("detector histogram "), 300)
	c, err := Compress(src, 1)
	if err != nil || c == nil {
		f.Fatal("cannot build the seed corpus")
	}
	f.Add(c, len(src))
	f.Add(c[:20], len(src))
	f.Add([]byte("L4\x01\x10\x00\x00\x20\x00\x00"), 32)
	f.Add([]byte("XZ\x00\x05\x00\x00\x05\x00\x00hello"), 5)
	f.Add([]byte("ZS\x01\x05\x00\x00\x05\x00\x00hello"), 5)
	f.Add([]byte("CS\x08\x05\x00\x00\x05\x00\x00hello"), 5)
	f.Fuzz(func(t *testing.T, data []byte, size int) {
		if size > 1<<26 {
			size %= 1 << 26
		}
		out, err := Decompress(data, size)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		if len(out) != size {
			t.Fatalf("got %d bytes, %d asked", len(out), size)
		}
	})
}

// FuzzDecodeObject feeds arbitrary payloads to every class decoder.
func FuzzDecodeObject(f *testing.F) {
	for i, c := range allHistClasses {
		_, b, err := EncodeObject(sampleHist(c, i), 0)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	for i, c := range []string{"TGraph", "TGraphErrors", "TGraphAsymmErrors"} {
		_, b, err := EncodeObject(sampleGraph(c), 0)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(len(allHistClasses)+i), b)
	}
	classes := append(append([]string{}, allHistClasses...), "TGraph", "TGraphErrors", "TGraphAsymmErrors", "TObjString")
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		class := classes[int(which)%len(classes)]
		_, err := DecodeObject(class, payload, 0)
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: error does not wrap ErrCorrupt: %v", class, err)
		}
	})
}
