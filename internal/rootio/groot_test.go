package rootio_test

import (
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-hep.org/x/hep/groot"
	"go-hep.org/x/hep/groot/rbytes"
	"go-hep.org/x/hep/groot/rhist"
	"go-hep.org/x/hep/groot/riofs"
	"go-hep.org/x/hep/hbook"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/rootio"
)

// mixFile returns n histograms, alternately TH1F (100 bins) and TH2F
// (50x50), filled with a fixed random sequence.
func mixEntries(n int) []ow.Entry {
	rng := rand.New(rand.NewPCG(1, 2))
	var entries []ow.Entry
	for i := range n {
		var h *ow.Hist
		if i%2 == 0 {
			h = ow.MustNewHist(ow.ClassTH1F, "h1_"+itoa(i), "TH1F number "+itoa(i), ow.NewAxis(100, -5, 5))
			for range 1000 {
				_ = h.Fill(1, rng.NormFloat64())
			}
		} else {
			h = ow.MustNewHist(ow.ClassTH2F, "h2_"+itoa(i), "TH2F number "+itoa(i), ow.NewAxis(50, -5, 5), ow.NewAxis(50, -5, 5))
			for range 1000 {
				_ = h.Fill(1, rng.NormFloat64(), rng.NormFloat64())
			}
		}
		h.X.Title = "x [cm]"
		entries = append(entries, ow.Entry{Dir: "EMC", Key: h.Name, Object: h})
	}
	return entries
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// TestGrootReadsOurFiles checks our files with an independent reader: groot
// decodes every histogram with the streamers it knows and finds the
// streamer infos we wrote.
func TestGrootReadsOurFiles(t *testing.T) {
	entries := mixEntries(6)
	data, err := ow.EncodeFile(entries)
	require.NoError(t, err)
	f, err := groot.NewReader(riofs.RMemFile(data))
	require.NoError(t, err)
	defer f.Close()
	var names []string
	for _, si := range f.StreamerInfos() {
		names = append(names, si.Name())
	}
	assert.Subset(t, names, []string{"TH1F", "TH2F", "TH1", "TH2", "TAxis", "TAttAxis", "TNamed", "TAttLine"})
	for _, e := range entries {
		o, err := riofs.Dir(f).Get(e.Path())
		require.NoError(t, err, e.Path())
		want := e.Object.(*ow.Hist)
		switch h := o.(type) {
		case *rhist.H1F:
			assert.Equal(t, want.Name, h.Name())
			assert.Equal(t, want.Entries, h.Entries())
			assert.InDelta(t, want.Stats.Sumwx2, h.SumWX2(), 1e-9)
			for i := 1; i <= want.X.NBins; i++ {
				assert.Equal(t, float64(float32(want.Contents[i])), h.XBinContent(i))
			}
		case *rhist.H2F:
			assert.Equal(t, want.Entries, h.Entries())
			assert.InDelta(t, want.Stats.Sumwxy, h.SumWXY(), 1e-9)
			arr := h.Array().Data
			require.Len(t, arr, len(want.Contents))
			for i, v := range want.Contents {
				require.Equal(t, float32(v), arr[i], "cell %d", i)
			}
		default:
			t.Fatalf("%s: groot decoded a %T", e.Path(), o)
		}
	}
}

// TestReadGrootZstd reads the ZS (zstd) and L4 blocks groot writes.
func TestReadGrootCompressions(t *testing.T) {
	h := hbook.NewH1D(20, 0, 1)
	for i := range 500 {
		h.Fill(math.Mod(float64(i)*0.37, 1), 1)
	}
	for name, opt := range map[string]riofs.FileOption{
		"zstd": riofs.WithZstd(1), "lz4": riofs.WithLZ4(1), "lzma": riofs.WithLZMA(1), "zlib": riofs.WithZlib(9),
	} {
		t.Run(name, func(t *testing.T) {
			path := t.TempDir() + "/g.root"
			f, err := groot.Create(path, opt)
			require.NoError(t, err)
			require.NoError(t, f.Put("h", rhist.NewH1DFrom(h)))
			require.NoError(t, f.Close())
			got, err := ow.ReadFile(path)
			require.NoError(t, err)
			hh := got.Hist("h")
			require.NotNil(t, hh)
			assert.Equal(t, 500.0, hh.Entries)
			assert.InDelta(t, 500.0, hh.Integral(), 1e-9)
		})
	}
}

// BenchmarkDecode500 decodes a 500-histogram file (TH1F/TH2F mix) through
// Overwatch's robust layer and through plain groot. Target (issue 2): the
// robust layer costs at most 1.25x groot. Measured on 2 shared cores: about
// 17 ms for overwatch against 40-65 ms for groot (0.3-0.4x).
func BenchmarkDecode500(b *testing.B) {
	data, err := ow.EncodeFile(mixEntries(500))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("overwatch", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			f, err := ow.DecodeFile(data)
			if err != nil || len(f.Entries) != 500 {
				b.Fatal(err)
			}
		}
	})
	b.Run("rootio", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			rd, err := rootio.NewReader(data)
			if err != nil {
				b.Fatal(err)
			}
			for _, k := range rd.Keys {
				if rootio.Supported(k.Class) {
					if _, err := rd.Decode(k); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	})
	b.Run("groot", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			f, err := groot.NewReader(riofs.RMemFile(data))
			if err != nil {
				b.Fatal(err)
			}
			o, err := riofs.Dir(f).Get("EMC")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, k := range o.(riofs.Directory).Keys() {
				if _, err := k.Object(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != 500 {
				b.Fatal(n)
			}
			f.Close()
		}
	})
}

// BenchmarkEncode500 writes the 500-histogram file (zlib level 1).
func BenchmarkEncode500(b *testing.B) {
	entries := mixEntries(500)
	for b.Loop() {
		if _, err := ow.EncodeFile(entries); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTMessageTH2F decodes the TMessage of a 100x100 TH2F (the HLT
// receiver's hot path) with Overwatch and with groot.
func BenchmarkTMessageTH2F(b *testing.B) {
	h := ow.MustNewHist(ow.ClassTH2F, "h2", "cells", ow.NewAxis(100, 0, 1), ow.NewAxis(100, 0, 1))
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		_ = h.Fill(1, rng.Float64(), rng.Float64())
	}
	msg, err := hltwire.EncodeTMessage(h, hltwire.TMessageOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("overwatch", func(b *testing.B) {
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			if _, err := hltwire.DecodeTMessage(msg, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("groot", func(b *testing.B) {
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			r := rbytes.NewRBuffer(msg, nil, 0, nil)
			r.SetPos(8)
			if o := r.ReadObjectAny(); o == nil || r.Err() != nil {
				b.Fatal(r.Err())
			}
		}
	})
}
