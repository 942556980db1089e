package timeslice_test

import (
	"encoding/binary"
	"math"
	"testing"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// byteReader hands out values from fuzz bytes, zeros once exhausted.
type byteReader struct{ b []byte }

func (r *byteReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *byteReader) float() float64 {
	if len(r.b) < 8 {
		return float64(r.byte())
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// histFromBytes builds a histogram of any class and shape — consistent or
// not — from fuzz bytes, the way a decoder of outside bytes could.
func histFromBytes(r *byteReader) *ow.Hist {
	class := classes[int(r.byte())%len(classes)]
	h := &ow.Hist{Class: class, Name: "f"}
	axes := []*ow.Axis{&h.X, &h.Y, &h.Z}
	for _, a := range axes {
		*a = ow.NewAxis(int(r.byte()%5), r.float(), r.float())
		if r.byte()%3 == 0 {
			for i := 0; i <= int(r.byte()%6); i++ {
				a.Edges = append(a.Edges, r.float())
			}
		}
	}
	n := int(r.byte() % 64)
	fill := func() []float64 {
		if r.byte()%4 == 0 {
			return nil
		}
		s := make([]float64, n)
		for i := range s {
			s[i] = r.float()
		}
		return s
	}
	h.Contents = fill()
	h.Sumw2 = fill()
	h.BinEntries = fill()
	h.BinSumw2 = fill()
	h.Entries = r.float()
	h.Stats.Sumw = r.float()
	h.Stats.Sumwx = r.float()
	h.X.First, h.X.Last = int(int8(r.byte())), int(int8(r.byte()))
	return h
}

// FuzzDiff checks that Diff never panics on arbitrary histograms, and that
// a successful difference of histograms that was not a reset holds no
// negative count.
func FuzzDiff(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x24, 0x40, 1, 1, 7, 1})
	f.Add(make([]byte, 200))
	seed := make([]byte, 0, 300)
	for i := 0; i < 300; i++ {
		seed = append(seed, byte(i*37))
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &byteReader{b: data}
		a := histFromBytes(r)
		var b *ow.Hist
		if r.byte()%2 == 0 {
			b = a.Clone()
			for i := range b.Contents {
				b.Contents[i] += r.float()
			}
			b.Entries += r.float()
		} else {
			b = histFromBytes(r)
		}
		d, info, err := timeslice.Diff(b, a)
		if err != nil {
			return
		}
		_ = d.Mean(0) + d.StdDev(1) + d.MeanError(2) + d.EffectiveEntries() + d.GetMaximum()
		if info.Reset || d.IsProfile() {
			return
		}
		for i, v := range d.Contents {
			if v < 0 {
				t.Fatalf("negative count %v in cell %d without a reset", v, i)
			}
		}
		_, _ = timeslice.Sum(a, b)
	})
}
