package overwatch_test

import (
	"testing"

	"go-hep.org/x/hep/groot/rhist"
	"go-hep.org/x/hep/groot/riofs"
	"go-hep.org/x/hep/groot/rjson"

	"github.com/overwatch-dqm/overwatch"
)

// bench100x100 returns the same 100x100 TH2F as an Overwatch Hist and as
// a groot rhist.H2F (for the comparison with groot's rjson.Marshal), the
// latter read by groot from the ROOT file EncodeFile writes.
func bench100x100(b *testing.B) (*overwatch.Hist, rhist.H2) {
	h := overwatch.MustNewHist(overwatch.ClassTH2F, "h2", "100x100", overwatch.NewAxis(100, 0, 1), overwatch.NewAxis(100, 0, 1))
	x := uint64(1)
	for i := 0; i < 100000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		u, v := float64(x%10007)/10007, float64((x>>20)%10009)/10009
		_ = h.Fill(1, u, v)
	}
	raw, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "h2", Object: h}})
	if err != nil {
		b.Fatal(err)
	}
	f, err := riofs.NewReader(riofs.RMemFile(raw))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	obj, err := f.Get("h2")
	if err != nil {
		b.Fatal(err)
	}
	g, ok := obj.(rhist.H2)
	if !ok {
		b.Fatalf("groot read %T", obj)
	}
	return h, g
}

// BenchmarkAppendJSONTH2F encodes a filled 100x100 TH2F (target: at least
// 5x faster than groot's rjson.Marshal, BenchmarkRJSONMarshalTH2F).
func BenchmarkAppendJSONTH2F(b *testing.B) {
	h, _ := bench100x100(b)
	for _, compact := range []bool{false, true} {
		name := "plain"
		if compact {
			name = "compact"
		}
		b.Run(name, func(b *testing.B) {
			opts := overwatch.JSONOptions{CompactArrays: compact}
			buf, err := overwatch.AppendJSON(nil, h, opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, err = overwatch.AppendJSON(buf[:0], h, opts)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRJSONMarshalTH2F is the reference: groot's rjson.Marshal of the
// same histogram.
func BenchmarkRJSONMarshalTH2F(b *testing.B) {
	_, g := bench100x100(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rjson.Marshal(g); err != nil {
			b.Fatal(err)
		}
	}
}
