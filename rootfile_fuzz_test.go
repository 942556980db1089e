package overwatch_test

import (
	"errors"
	"testing"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
)

// FuzzDecodeFile feeds arbitrary bytes to DecodeFile: it must never panic,
// and every failure must wrap ErrCorrupt.
func FuzzDecodeFile(f *testing.F) {
	small := histtest.ModelObjects(f)
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

// FuzzDecodeFileLimited feeds arbitrary bytes to DecodeFileLimited with a
// small budget: it must never panic, fail only with ErrCorrupt or
// ErrTooLarge, and agree with DecodeFile whenever it succeeds.
func FuzzDecodeFileLimited(f *testing.F) {
	small := histtest.ModelObjects(f)
	for _, n := range []int{1, len(small)} {
		data, err := ow.EncodeFile(small[len(small)-n:])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, int64(1<<20), int64(1<<16))
		f.Add(data, int64(100), int64(10))
	}
	f.Fuzz(func(t *testing.T, data []byte, maxBytes, maxCells int64) {
		lim := ow.DecodeLimits{MaxBytes: maxBytes % (4 << 20), MaxCells: maxCells % (1 << 20)}
		file, err := ow.DecodeFileLimited(data, lim)
		if err != nil {
			if !errors.Is(err, ow.ErrCorrupt) && !errors.Is(err, ow.ErrTooLarge) {
				t.Fatalf("error wraps neither ErrCorrupt nor ErrTooLarge: %v", err)
			}
			return
		}
		plain, err := ow.DecodeFile(data)
		if err != nil {
			t.Fatalf("limited decoding succeeded, unlimited failed: %v", err)
		}
		if len(plain.Entries) != len(file.Entries) {
			t.Fatalf("limited decoding found %d objects, unlimited %d", len(file.Entries), len(plain.Entries))
		}
	})
}
