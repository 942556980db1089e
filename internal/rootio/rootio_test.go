package rootio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-hep.org/x/hep/groot/rbytes"
	"go-hep.org/x/hep/groot/rdict"
)

// workedTH1F is the histogram of hlt-zmq-protocol.md §6: TH1F("hTest",
// "Test", 4, 0, 4) filled at 0.5, 1.5, 1.5 and 2.5.
func workedTH1F() *Hist {
	ax := func(name string, n int, lo, hi float64) Axis {
		return Axis{Name: name, Attr: DefaultAxisAttr(), NBins: n, Min: lo, Max: hi}
	}
	return &Hist{
		Class: "TH1F", Name: "hTest", Title: "Test",
		Attrs:  Attrs{LineColor: 602, LineStyle: 1, LineWidth: 1, FillStyle: 1001, MarkerColor: 1, MarkerStyle: 1, MarkerSize: 1},
		NCells: 6,
		X:      ax("xaxis", 4, 0, 4), Y: ax("yaxis", 1, 0, 1), Z: ax("zaxis", 1, 0, 1),
		BarWidth: 1000, Entries: 4, Tsumw: 4, Tsumw2: 4, Tsumwx: 6, Tsumwx2: 11,
		Maximum: -1111, Minimum: -1111,
		Sumw2:         []float64{0, 1, 2, 1, 0, 0},
		Contents:      []float64{0, 1, 2, 1, 0, 0},
		StatOverflows: 2, Scalefactor: 1,
	}
}

func TestTMessageGoldenWorkedExample(t *testing.T) {
	golden, err := os.ReadFile("testdata/hlt-worked-example-th1f.tmessage")
	require.NoError(t, err)

	got, err := EncodeTMessage(workedTH1F(), true, 0)
	require.NoError(t, err)
	assert.Equal(t, golden, got, "EncodeTMessage must give the bytes of the spec's worked example")

	class, obj, err := DecodeTMessage(golden, nil)
	require.NoError(t, err)
	assert.Equal(t, "TH1F", class)
	h := obj.(*Hist)
	assert.Equal(t, "hTest", h.Name)
	assert.Equal(t, "Test", h.Title)
	assert.Equal(t, []float64{0, 1, 2, 1, 0, 0}, h.Contents)
	assert.Equal(t, []float64{0, 1, 2, 1, 0, 0}, h.Sumw2)
	assert.Equal(t, 4.0, h.Entries)
	assert.Equal(t, 11.0, h.Tsumwx2)
	assert.Equal(t, int32(2), h.StatOverflows)

	// The same bytes with a big-endian length word decode the same way.
	be := bytes.Clone(golden)
	binary.BigEndian.PutUint32(be, uint32(len(be)-4))
	_, obj2, err := DecodeTMessage(be, nil)
	require.NoError(t, err)
	assert.Equal(t, h, obj2)
}

func TestTMessageCompressed(t *testing.T) {
	h := sampleHist("TH2F", 2)
	for _, le := range []bool{false, true} {
		msg, err := EncodeTMessage(h, le, 6)
		require.NoError(t, err)
		assert.NotZero(t, binary.BigEndian.Uint32(msg[4:])&KMessZip, "compressed flag")
		_, obj, err := DecodeTMessage(msg, nil)
		require.NoError(t, err)
		assert.Equal(t, h, obj)
	}
}

// sampleHist returns a filled histogram of any class with labels, variable
// edges and every optional field set.
func sampleHist(class string, seed int) *Hist {
	dim, _, ok := histKind(class)
	if !ok {
		dim = map[string]int{"TProfile": 1, "TProfile2D": 2}[class]
	}
	h := &Hist{
		Class: class, Name: "h_" + class, Title: "sample " + class,
		Attrs:    Attrs{LineColor: 2, LineStyle: 1, LineWidth: 2, FillColor: 3, FillStyle: 1001, MarkerColor: 4, MarkerStyle: 20, MarkerSize: 1.5},
		X:        Axis{Name: "xaxis", Title: "x [cm]", Attr: DefaultAxisAttr(), NBins: 5, Min: 0, Max: 5, Labels: map[int]string{1: "one", 3: "three"}},
		Y:        Axis{Name: "yaxis", Title: "y", Attr: DefaultAxisAttr(), NBins: 1, Min: 0, Max: 1},
		Z:        Axis{Name: "zaxis", Attr: DefaultAxisAttr(), NBins: 1, Min: 0, Max: 1},
		BarWidth: 1000, Maximum: 50, Minimum: -1111, Option: "colz",
		Contour: []float64{1, 2, 3}, StatOverflows: 1, BinStatErrOpt: 0,
	}
	if dim >= 2 {
		h.Y = Axis{Name: "yaxis", Title: "y", Attr: DefaultAxisAttr(), NBins: 3, Min: -1, Max: 1, Edges: []float64{-1, -0.5, 0.5, 1}}
	}
	if dim >= 3 {
		h.Z = Axis{Name: "zaxis", Title: "z", Attr: DefaultAxisAttr(), NBins: 2, Min: 0, Max: 10, TimeDisplay: true, TimeFormat: "%H:%M"}
	}
	n := h.X.NBins + 2
	if dim >= 2 {
		n *= h.Y.NBins + 2
	}
	if dim >= 3 {
		n *= h.Z.NBins + 2
	}
	h.NCells = n
	h.Contents = make([]float64, n)
	h.Sumw2 = make([]float64, n)
	for i := range h.Contents {
		h.Contents[i] = float64((i*7+seed)%11 - 2)
		h.Sumw2[i] = math.Abs(h.Contents[i]) + 0.5
	}
	h.Entries, h.Tsumw, h.Tsumw2, h.Tsumwx, h.Tsumwx2 = 123, 120, 119, 33.5, 99.25
	switch {
	case dim == 2:
		h.Scalefactor = 1 // only TH2 streams fScalefactor
		h.Tsumwy, h.Tsumwy2, h.Tsumwxy = 3, 4, 5
	case dim == 3:
		h.Tsumwy, h.Tsumwy2, h.Tsumwxy = 3, 4, 5
	case class == "TProfile":
		h.Tsumwy, h.Tsumwy2 = 3, 4
	}
	if dim == 3 {
		h.Tsumwz, h.Tsumwz2, h.Tsumwxz, h.Tsumwyz = 6, 7, 8, 9
	}
	if class == "TProfile" || class == "TProfile2D" {
		h.BinEntries = make([]float64, n)
		h.BinSumw2 = make([]float64, n)
		for i := range h.BinEntries {
			h.BinEntries[i] = float64(i % 3)
			h.BinSumw2[i] = float64(i%3) * 1.5
		}
		h.ErrorMode = 1
		h.PMin, h.PMax = -5, 5
		if class == "TProfile2D" {
			h.Tsumwz, h.Tsumwz2 = 10, 11
		}
	}
	return h
}

var allHistClasses = []string{
	"TH1C", "TH1S", "TH1I", "TH1F", "TH1D",
	"TH2C", "TH2S", "TH2I", "TH2F", "TH2D",
	"TH3C", "TH3S", "TH3I", "TH3F", "TH3D",
	"TProfile", "TProfile2D",
}

func sampleGraph(class string) *Graph {
	g := &Graph{
		Class: class, Name: "g_" + class, Title: "graph " + class,
		Attrs: Attrs{LineColor: 1, LineStyle: 1, LineWidth: 1, FillStyle: 1001, MarkerColor: 2, MarkerStyle: 21, MarkerSize: 1},
		X:     []float64{1, 2, 3}, Y: []float64{4, 5, 6},
		Minimum: -1111, Maximum: -1111,
		XTitle: "time", YTitle: "value", XTime: true, TimeFormat: "%d/%m %H:%M",
	}
	switch class {
	case "TGraphErrors":
		g.EX, g.EY = []float64{0.1, 0.2, 0.3}, []float64{1, 2, 3}
	case "TGraphAsymmErrors":
		g.EXLow, g.EXHigh = []float64{0.1, 0.2, 0.3}, []float64{0.4, 0.5, 0.6}
		g.EYLow, g.EYHigh = []float64{1, 2, 3}, []float64{4, 5, 6}
	}
	return g
}

func TestFileRoundTripEveryClass(t *testing.T) {
	var entries []Entry
	for i, c := range allHistClasses {
		entries = append(entries, Entry{Dir: "hists/" + c[:3], Name: "det/" + c, Obj: sampleHist(c, i)})
	}
	for _, c := range []string{"TGraph", "TGraphErrors", "TGraphAsymmErrors"} {
		entries = append(entries, Entry{Name: c, Obj: sampleGraph(c)})
	}
	entries = append(entries, Entry{Name: "note", Obj: &ObjString{Value: "run 123"}})
	for _, level := range []int{0, 1, 9} {
		t.Run(fmt.Sprint("level", level), func(t *testing.T) {
			data, err := WriteFile(entries, WriteOptions{Level: level, Now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)})
			require.NoError(t, err)
			rd, err := NewReader(data)
			require.NoError(t, err)
			var got []Entry
			for _, k := range rd.Keys {
				if !Supported(k.Class) {
					continue
				}
				obj, err := rd.Decode(k)
				require.NoError(t, err, k.Name)
				got = append(got, Entry{Dir: k.Dir, Name: k.Name, Obj: obj})
			}
			require.Len(t, got, len(entries))
			for i := range entries {
				want := entries[i].Obj
				if h, ok := want.(*Hist); ok {
					want = narrowed(h)
				}
				assert.Equal(t, entries[i].Dir, got[i].Dir)
				assert.Equal(t, entries[i].Name, got[i].Name)
				assert.Equal(t, want, got[i].Obj, entries[i].Name)
			}
		})
	}
}

// narrowed returns h with its contents stored as its class stores them.
func narrowed(h *Hist) *Hist {
	c := *h
	_, kind, ok := histKind(h.Class)
	if !ok {
		return &c
	}
	w := newWBuf(0, 0)
	w.arrayAs(kind, h.Contents)
	r := newRBuf(w.b, 0)
	c.Contents = r.arrayAs(kind)
	return &c
}

func TestNarrowingSaturates(t *testing.T) {
	tests := []struct {
		kind byte
		in   float64
		want float64
	}{
		{'C', 300, 127}, {'C', -300, -128}, {'C', 3.9, 3}, {'S', 1e6, 32767},
		{'I', 1e12, math.MaxInt32}, {'I', -2.5, -2}, {'F', 0.1, float64(float32(0.1))},
		{'D', 0.1, 0.1}, {'I', math.NaN(), 0},
	}
	for _, tc := range tests {
		w := newWBuf(0, 0)
		w.arrayAs(tc.kind, []float64{tc.in})
		got := newRBuf(w.b, 0).arrayAs(tc.kind)
		assert.Equal(t, []float64{tc.want}, got, "%c %v", tc.kind, tc.in)
	}
}

func TestStreamerChecksum(t *testing.T) {
	registerStreamers()
	// The algorithm must reproduce ROOT's checksums of the classes groot
	// knows before we trust it for TH3 and TAtt3D.
	for _, c := range []string{"TH2", "TH2F", "TH2D", "TH1F", "TGraph", "TAxis", "TObjString", "TAttLine", "TAttAxis"} {
		sis, err := StreamerInfosFor([]string{c})
		require.NoError(t, err)
		for _, si := range sis {
			if si.Name() != c {
				continue
			}
			assert.Equal(t, uint32(si.CheckSum()), streamerChecksum(c, si.Elements()), c)
		}
	}
	sis, err := StreamerInfosFor([]string{"TH3F"})
	require.NoError(t, err)
	var names []string
	for _, si := range sis {
		names = append(names, si.Name())
	}
	assert.Subset(t, names, []string{"TH3F", "TH3", "TAtt3D", "TH1", "TAxis", "TArrayF"})
}

func TestDecompressAlgorithms(t *testing.T) {
	src := bytes.Repeat([]byte("overwatch ROOT block "), 2000)
	c, err := Compress(src, 6)
	require.NoError(t, err)
	got, err := Decompress(c, len(src))
	require.NoError(t, err)
	assert.Equal(t, src, got)

	_, err = Decompress(c, len(src)+1)
	assert.ErrorIs(t, err, ErrCorrupt)
	_, err = Decompress(c[:len(c)-3], len(src))
	assert.ErrorIs(t, err, ErrCorrupt)
	bad := bytes.Clone(c)
	bad[0] = 'Q'
	_, err = Decompress(bad, len(src))
	assert.ErrorIs(t, err, ErrCorrupt)
	_, err = Decompress(c, 1<<40)
	assert.ErrorIs(t, err, ErrCorrupt)
}

// goHepTestdata returns a file of go-hep's testdata, or skips.
func goHepTestdata(t testing.TB, rel string) string {
	t.Helper()
	return rootfiles.GoHepFile(t, rel)
}

func TestDecompressROOTWrittenAlgorithms(t *testing.T) {
	// ROOT-written files compressed with each algorithm must decode.
	for _, f := range []string{
		"groot/testdata/uproot/sample-6.14.00-lz4.root",
		"groot/testdata/uproot/sample-6.14.00-lzma.root",
		"groot/testdata/uproot/sample-6.14.00-zlib.root",
		"groot/testdata/uproot/sample-6.14.00-uncompressed.root",
	} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(goHepTestdata(t, f))
			require.NoError(t, err)
			rd, err := NewReader(data)
			require.NoError(t, err)
			require.NotEmpty(t, rd.Keys)
			for _, k := range rd.Keys {
				p, err := rd.Payload(k)
				require.NoError(t, err, k.Name)
				assert.Len(t, p, k.ObjLen)
			}
		})
	}
}

func TestCorruptInputsNeverPanic(t *testing.T) {
	data, err := WriteFile([]Entry{{Name: "h", Obj: sampleHist("TH1F", 1)}, {Dir: "a/b", Name: "p", Obj: sampleHist("TProfile2D", 2)}}, WriteOptions{Level: 1})
	require.NoError(t, err)
	// Every truncation is an error wrapping ErrCorrupt or decodes.
	for n := 0; n < len(data); n += 7 {
		rd, err := NewReader(data[:n])
		if err != nil {
			assert.ErrorIs(t, err, ErrCorrupt)
			continue
		}
		for _, k := range rd.Keys {
			if _, err := rd.Decode(k); err != nil {
				assert.ErrorIs(t, err, ErrCorrupt)
			}
		}
	}
	msg, err := EncodeTMessage(sampleHist("TH3D", 3), false, 0)
	require.NoError(t, err)
	for n := 0; n < len(msg); n++ {
		m := bytes.Clone(msg[:n])
		if n >= 4 {
			binary.BigEndian.PutUint32(m, uint32(n-4))
		}
		_, _, err := DecodeTMessage(m, nil)
		if n < len(msg) {
			assert.Error(t, err, "truncated at %d", n)
			assert.True(t, errors.Is(err, ErrCorrupt), "truncated at %d: %v", n, err)
		}
	}
}

func TestDamagedSubdirectoryKeepsTheRest(t *testing.T) {
	data, err := WriteFile([]Entry{
		{Dir: "a", Name: "inner", Obj: sampleHist("TH1D", 1)},
		{Name: "outer", Obj: sampleHist("TH1F", 2)},
	}, WriteOptions{Level: 1})
	require.NoError(t, err)
	rd, err := NewReader(data)
	require.NoError(t, err)
	require.Len(t, rd.Keys, 3)
	dir := rd.Keys[0]
	require.Equal(t, "TDirectoryFile", dir.Class)

	// Point the sub-directory's key list past the end of the file.
	bad := bytes.Clone(data)
	binary.BigEndian.PutUint32(bad[dir.SeekKey+int64(dir.KeyLen)+26:], uint32(len(bad)+100))
	rd, err = NewReader(bad)
	require.NoError(t, err)
	require.Len(t, rd.Problems, 1)
	assert.Equal(t, "a", rd.Problems[0].Path)
	assert.ErrorIs(t, rd.Problems[0].Err, ErrCorrupt)
	var names []string
	for _, k := range rd.Keys {
		names = append(names, k.Name)
	}
	assert.Equal(t, []string{"a", "outer"}, names)
}

func TestRepeatedKeyGetsNextCycle(t *testing.T) {
	first, second := sampleHist("TH1D", 1), sampleHist("TH1D", 2)
	data, err := WriteFile([]Entry{{Name: "h", Obj: first}, {Name: "h", Obj: second}}, WriteOptions{})
	require.NoError(t, err)
	rd, err := NewReader(data)
	require.NoError(t, err)
	require.Len(t, rd.Keys, 1, "only the highest cycle is listed")
	assert.Equal(t, 2, rd.Keys[0].Cycle)
	obj, err := rd.Decode(rd.Keys[0])
	require.NoError(t, err)
	assert.Equal(t, second, obj)

	_, err = WriteFile([]Entry{{Dir: "x", Name: "h", Obj: first}, {Name: "x", Obj: second}}, WriteOptions{})
	assert.Error(t, err, "a key may not shadow a directory")
	_, err = WriteFile([]Entry{{Name: "x", Obj: first}, {Dir: "x", Name: "h", Obj: second}}, WriteOptions{})
	assert.Error(t, err, "a directory may not shadow a key")
}

func TestXZDictionaryBound(t *testing.T) {
	stream := func(dictByte byte) []byte {
		b := []byte("\xfd7zXZ\x00\x00\x04\x00\x00\x00\x00")
		return append(b, 0x02, 0x00, 0x21, 0x01, dictByte, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	tests := []struct {
		dict byte
		ok   bool
	}{{22, true}, {28, true}, {29, false}, {40, false}, {41, false}}
	for _, tc := range tests {
		err := checkXZDict(stream(tc.dict))
		if tc.ok {
			assert.NoError(t, err, "dict code %d", tc.dict)
		} else {
			assert.ErrorIs(t, err, ErrCorrupt, "dict code %d", tc.dict)
		}
	}
	assert.ErrorIs(t, checkXZDict([]byte("short")), ErrCorrupt)
}

func TestCollections(t *testing.T) {
	inner := &Collection{Class: "TObjArray", Name: "inner", Items: []any{sampleGraph("TGraphErrors")}}
	coll := &Collection{Class: "TList", Name: "TPCQA", Items: []any{
		sampleHist("TH3D", 1), &ObjString{Value: "note"}, inner, sampleHist("TH1F", 2),
	}}
	// Through a file: the collection is one key.
	data, err := WriteFile([]Entry{{Name: "TPCQA", Obj: coll}}, WriteOptions{Level: 1})
	require.NoError(t, err)
	rd, err := NewReader(data)
	require.NoError(t, err)
	require.Len(t, rd.Keys, 1)
	obj, err := rd.Decode(rd.Keys[0])
	require.NoError(t, err)
	assert.Equal(t, coll, obj)

	// Through a TMessage.
	msg, err := EncodeTMessage(coll, true, 1)
	require.NoError(t, err)
	class, obj, err := DecodeTMessage(msg, nil)
	require.NoError(t, err)
	assert.Equal(t, "TList", class)
	assert.Equal(t, coll, obj)

	// Elements of other classes are skipped and reported; the streamer
	// infos of a ROOTSTRI message are such elements.
	si, err := EncodeStreamerInfosTMessage([]string{"TH1F"}, false, 0)
	require.NoError(t, err)
	_, obj, err = DecodeTMessage(si, nil)
	require.NoError(t, err)
	c := obj.(*Collection)
	assert.Empty(t, c.Items)
	assert.Contains(t, c.Skipped, "TStreamerInfo")
}

func TestConcurrentDecoding(t *testing.T) {
	data, err := WriteFile([]Entry{{Name: "h", Obj: sampleHist("TH2D", 1)}, {Name: "p", Obj: sampleHist("TProfile", 2)}}, WriteOptions{Level: 1})
	require.NoError(t, err)
	msg, err := EncodeTMessage(sampleHist("TH1F", 3), false, 1)
	require.NoError(t, err)
	si, err := EncodeStreamerInfosTMessage([]string{"TH1F"}, false, 1)
	require.NoError(t, err)
	set := NewStreamerSet()
	done := make(chan error, 8)
	for range 8 {
		go func() {
			for range 20 {
				rd, err := NewReader(data)
				if err == nil {
					for _, k := range rd.Keys {
						if _, err = rd.Decode(k); err != nil {
							break
						}
					}
				}
				if err == nil {
					_, _, err = DecodeTMessage(msg, nil)
				}
				if err == nil {
					_, err = set.AddTMessage(si)
					_ = set.Has("TH1F", 3)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
	assert.True(t, set.Has("TH1F", 3))
}

func TestClassVersionTolerance(t *testing.T) {
	golden, err := os.ReadFile("testdata/hlt-worked-example-th1f.tmessage")
	require.NoError(t, err)
	require.Equal(t, []byte{0, 8}, golden[31:33], "TH1 version in the worked example")

	// A newer TH1 version with the same leading members decodes; what
	// follows the known members is skipped by its byte count.
	newer := bytes.Clone(golden)
	newer[32] = 9
	_, obj, err := DecodeTMessage(newer, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 1, 2, 1, 0, 0}, obj.(*Hist).Contents)

	// TH1 v7 (ROOT 5) has no fStatOverflows: the 4 bytes left over are
	// skipped and the default (2, neutral) is used.
	older := bytes.Clone(golden)
	older[32] = 7
	_, obj, err = DecodeTMessage(older, nil)
	require.NoError(t, err)
	assert.Equal(t, int32(2), obj.(*Hist).StatOverflows)
	assert.Equal(t, []float64{0, 1, 2, 1, 0, 0}, obj.(*Hist).Contents)

	ancient := bytes.Clone(golden)
	ancient[32] = 2
	_, _, err = DecodeTMessage(ancient, nil)
	assert.ErrorIs(t, err, ErrCorrupt)
}

// derivedSetup returns the streamer infos of a user class "MyHist" deriving
// from TH1F with one extra member, and a TMessage of such an object.
func derivedSetup(t *testing.T) (infos []byte, msg []byte, base *Hist) {
	t.Helper()
	registerStreamers()
	my := rdict.NewCxxStreamerInfo("MyHist", 2, 0x1234, []rbytes.StreamerElement{
		baseElem("TH1F", "base", versTH1x),
		doubleElem("fExtra", "an extra member"),
	})
	payload, err := EncodeStreamerInfoList([]rbytes.StreamerInfo{my}, 8, true)
	require.NoError(t, err)
	infos = append(make([]byte, 8), payload...)
	binary.BigEndian.PutUint32(infos[4:], KMessObject)
	infos, err = finishTMessage(infos, false, 0)
	require.NoError(t, err)

	base = sampleHist("TH1F", 4)
	w := newWBuf(0, 1024)
	w.u32(0)
	w.u32(KMessObject)
	p := w.objectStart("MyHist")
	v := w.version(2)
	require.NoError(t, w.hist(base))
	w.f64(42) // fExtra
	w.end(v)
	w.objectEnd(p)
	msg, err = finishTMessage(w.b, false, 0)
	require.NoError(t, err)
	return infos, msg, narrowed(base)
}

func TestDerivedClassDecodedAsBase(t *testing.T) {
	infos, msg, want := derivedSetup(t)
	_, _, err := DecodeTMessage(msg, nil)
	require.Error(t, err, "without streamer infos MyHist is unknown")

	set := NewStreamerSet()
	n, err := set.AddTMessage(infos)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, "TH1F", set.BaseOf("MyHist"))
	assert.Equal(t, []string{"MyHist", "TH1F"}, BaseChain("MyHist", set.BaseOf))

	class, obj, err := DecodeTMessage(msg, set.BaseOf)
	require.NoError(t, err)
	assert.Equal(t, "MyHist", class)
	assert.Equal(t, want, obj)

	// The same resolution from a file's own streamer infos.
	bases, err := firstBases(infos, 0, 8, "")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"MyHist": "TH1F"}, bases)
	data, err := WriteFile([]Entry{{Name: "h", Obj: sampleHist("TH2F", 1)}}, WriteOptions{Level: 1})
	require.NoError(t, err)
	rd, err := NewReader(data)
	require.NoError(t, err)
	assert.Equal(t, "TH2", rd.BaseOf("TH2F"))
	assert.Equal(t, "TH1", rd.BaseOf("TH2"))
	assert.Equal(t, "", rd.BaseOf("TObject"))
	assert.Nil(t, BaseChain("TProfile3D", func(string) string { return "TH3D" }))
}

func TestBaseOfFromROOTWrittenFile(t *testing.T) {
	data, err := os.ReadFile(goHepTestdata(t, "hbook/rootcnv/testdata/gauss-h1.root"))
	require.NoError(t, err)
	rd, err := NewReader(data)
	require.NoError(t, err)
	assert.Equal(t, "TH1", rd.BaseOf("TH1F"))
	assert.Equal(t, "TNamed", rd.BaseOf("TH1"))
	assert.Equal(t, "TH1", rd.BaseOf("TH1D"))
}

func TestCompressMultipleBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("20 MB round trip")
	}
	src := make([]byte, maxBlockSize+maxBlockSize/2)
	for i := range src {
		src[i] = byte(i * 7 >> 9)
	}
	c, err := Compress(src, 1)
	require.NoError(t, err)
	require.NotNil(t, c)
	assert.Equal(t, "ZL", string(c[:2]))
	got, err := Decompress(c, len(src))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(src, got))
}
