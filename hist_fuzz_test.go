package overwatch_test

import (
	"encoding/binary"
	"math"
	"testing"

	ow "github.com/overwatch-dqm/overwatch"
)

var allClasses = []string{
	ow.ClassTH1C, ow.ClassTH1S, ow.ClassTH1I, ow.ClassTH1F, ow.ClassTH1D,
	ow.ClassTH2C, ow.ClassTH2S, ow.ClassTH2I, ow.ClassTH2F, ow.ClassTH2D,
	ow.ClassTH3C, ow.ClassTH3S, ow.ClassTH3I, ow.ClassTH3F, ow.ClassTH3D,
	ow.ClassTProfile, ow.ClassTProfile2D,
}

// fuzzBytes hands out values from fuzz input, zeros once exhausted.
type fuzzBytes []byte

func (b *fuzzBytes) byte() byte {
	if len(*b) == 0 {
		return 0
	}
	v := (*b)[0]
	*b = (*b)[1:]
	return v
}

func (b *fuzzBytes) float() float64 {
	if len(*b) < 8 {
		return float64(b.byte())
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(*b))
	*b = (*b)[8:]
	return v
}

// fuzzHist builds a histogram the way a decoder of outside bytes could:
// consistent or not, with any axes, ranges and values. With consistent
// set, the arrays get the lengths the axes call for.
func fuzzHist(b *fuzzBytes) *ow.Hist {
	h := &ow.Hist{Class: allClasses[int(b.byte())%len(allClasses)], Name: "f", Minimum: ow.DefaultMinimum, Maximum: ow.DefaultMinimum}
	consistent := b.byte()%4 != 0
	for _, a := range []*ow.Axis{&h.X, &h.Y, &h.Z} {
		switch b.byte() % 4 {
		case 0:
			*a = ow.NewAxis(int(b.byte()%7), b.float(), b.float())
		case 1:
			edges := []float64{}
			for i := 0; i <= int(b.byte()%7); i++ {
				edges = append(edges, b.float())
			}
			*a = ow.NewAxis(len(edges)-1, edges[0], edges[len(edges)-1])
			a.Edges = edges
		default:
			*a = ow.NewAxis(1+int(b.byte()%6), -1, 1+float64(b.byte()))
		}
		if b.byte()%3 == 0 {
			a.First, a.Last = int(int8(b.byte())), int(int8(b.byte()))
		}
		if b.byte()%5 == 0 {
			a.Labels = make([]string, max(a.NBins, 0))
			a.Bits2 = uint16(b.byte())
		}
	}
	n := int(b.byte() % 80)
	if consistent && h.Dim() > 0 && h.X.NBins >= 0 && h.Y.NBins >= 0 && h.Z.NBins >= 0 {
		n = h.NCells()
	}
	arr := func(always bool) []float64 {
		if !always && b.byte()%3 == 0 {
			return nil
		}
		s := make([]float64, n)
		for i := range s {
			s[i] = b.float()
		}
		return s
	}
	prof := ow.IsProfileClass(h.Class)
	h.Contents = arr(true)
	h.Sumw2 = arr(prof)
	if prof {
		h.BinEntries = arr(true)
		h.BinSumw2 = arr(false)
	}
	h.Entries = b.float()
	h.Stats = ow.Stats{Sumw: b.float(), Sumw2: b.float(), Sumwx: b.float(), Sumwx2: b.float(), Sumwy: b.float()}
	h.StatOverflows = int32(b.byte() % 3)
	return h
}

// FuzzHistOps checks that no histogram operation panics on histograms
// built from arbitrary bytes (as decoders may produce them), and that the
// operations that succeed return valid histograms.
func FuzzHistOps(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{8, 1, 2, 5, 2, 3, 2, 2})
	f.Add([]byte{14, 1, 2, 1, 2, 2, 2, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{15, 1, 2, 4, 9, 0, 2, 3, 2, 5, 1, 1, 1, 1})
	long := make([]byte, 400)
	for i := range long {
		long[i] = byte(i * 131)
	}
	f.Add(long)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzBytes(data)
		h := fuzzHist(&in)
		for axis := -1; axis <= 3; axis++ {
			_ = h.Mean(axis) + h.StdDev(axis) + h.MeanError(axis) + h.StdDevError(axis)
		}
		_ = h.EffectiveEntries() + h.GetMaximum() + h.GetMinimum() + h.Integral()
		_, _ = h.MaximumBin(), h.MinimumBin()
		_ = h.BinContent(int(in.byte())) + h.BinError(int(in.byte()))
		check := func(name string, out *ow.Hist, err error) {
			if err != nil {
				return
			}
			if verr := out.Validate(); verr != nil {
				t.Fatalf("%s returned an invalid histogram: %v", name, verr)
			}
		}
		for axis := 0; axis < 3; axis++ {
			out, err := h.Projection(axis, "", int(int8(in.byte())), int(int8(in.byte())))
			check("Projection", out, err)
		}
		for _, opt := range []string{"xy", "zx", "yz nuf", "x", "z nof"} {
			out, err := h.Project3D(opt)
			check("Project3D "+opt, out, err)
		}
		out, err := h.Rebin(int(in.byte()%4), int(in.byte()%3), int(in.byte()%3))
		check("Rebin", out, err)
		for axis := 0; axis < 2; axis++ {
			out, err := h.Profile(axis, "", int(int8(in.byte())), int(int8(in.byte())))
			check("Profile", out, err)
		}
		if h.Validate() == nil {
			c := h.Clone()
			_ = c.Add(h, -1)
			c.Scale(in.float())
			c.ResetStats()
			_ = c.SetBinContent(int(in.byte()), 1)
			_ = c.SetBinError(int(in.byte()), 1)
			c.Reset()
		}
	})
}
