package overwatch_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
	"unicode/utf8"

	"github.com/overwatch-dqm/overwatch"
)

var fuzzClasses = []string{
	overwatch.ClassTH1C, overwatch.ClassTH1S, overwatch.ClassTH1I, overwatch.ClassTH1F, overwatch.ClassTH1D,
	overwatch.ClassTH2C, overwatch.ClassTH2S, overwatch.ClassTH2I, overwatch.ClassTH2F, overwatch.ClassTH2D,
	overwatch.ClassTH3C, overwatch.ClassTH3S, overwatch.ClassTH3I, overwatch.ClassTH3F, overwatch.ClassTH3D,
	overwatch.ClassTProfile, overwatch.ClassTProfile2D,
	overwatch.ClassTGraph, overwatch.ClassTGraphErrors, overwatch.ClassTGraphAsymmErrors, "TObjString",
}

// fuzzReader hands out fuzz bytes as small numbers, floats of any bit
// pattern and strings of any bytes.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzReader) float() float64 {
	if len(r.b) < 8 {
		return float64(r.byte())
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *fuzzReader) floats(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		// Mix small integers (runs, zeros) with arbitrary bit patterns.
		if c := r.byte(); c < 128 {
			out[i] = float64(c % 4)
		} else {
			out[i] = r.float()
		}
	}
	return out
}

func (r *fuzzReader) string() string {
	n := int(r.byte() % 16)
	if n > len(r.b) {
		n = len(r.b)
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// fuzzObject builds an arbitrary but well-formed object from fuzz bytes.
func fuzzObject(data []byte) overwatch.Object {
	r := &fuzzReader{b: data}
	class := fuzzClasses[int(r.byte())%len(fuzzClasses)]
	switch class {
	case "TObjString":
		return &overwatch.Text{Value: r.string()}
	case overwatch.ClassTGraph, overwatch.ClassTGraphErrors, overwatch.ClassTGraphAsymmErrors:
		n := int(r.byte() % 8)
		g := &overwatch.Graph{Class: class, Name: r.string(), Title: r.string(), X: r.floats(n), Y: r.floats(n),
			Minimum: r.float(), Maximum: r.float(), XTitle: r.string(), XTime: r.byte()%2 == 0, TimeFormat: r.string()}
		switch class {
		case overwatch.ClassTGraphErrors:
			g.EX, g.EY = r.floats(n), r.floats(n)
		case overwatch.ClassTGraphAsymmErrors:
			g.EXLow, g.EXHigh, g.EYLow, g.EYHigh = r.floats(n), r.floats(n), r.floats(n), r.floats(n)
		}
		return g
	}
	dim := overwatch.ClassDim(class)
	axes := make([]overwatch.Axis, dim)
	for i := range axes {
		n := 1 + int(r.byte()%6)
		axes[i] = overwatch.NewAxis(n, 0, 1)
		axes[i].Title = r.string()
		if r.byte()%3 == 0 {
			axes[i].Edges = r.floats(n + 1)
		}
		if r.byte()%3 == 0 {
			axes[i].Labels = make([]string, n)
			for j := range axes[i].Labels {
				axes[i].Labels[j] = r.string()
			}
		}
	}
	h := overwatch.MustNewHist(class, r.string(), r.string(), axes...)
	copy(h.Contents, r.floats(len(h.Contents)))
	if r.byte()%2 == 0 || h.IsProfile() {
		h.Sumw2 = r.floats(len(h.Contents))
	}
	if h.IsProfile() {
		h.BinEntries = r.floats(len(h.Contents))
		h.ErrorMode = r.string()
	}
	h.Entries, h.Minimum, h.Maximum = r.float(), r.float(), r.float()
	h.Stats.Sumw, h.Stats.Sumwx2 = r.float(), r.float()
	h.Option = r.string()
	return h
}

// FuzzAppendJSON checks that the encoder's output is valid JSON, in both
// array forms, for any object the fuzzer builds, and that names and plain
// arrays survive a round trip.
func FuzzAppendJSON(f *testing.F) {
	for _, seed := range [][]byte{
		{}, {3, 4, 1, 'x', 0, 0}, {16, 2, 2, 1, 'a', 1, 0x80, 0xff, 0xfe},
		{19, 3, 2, 'n', 'm', 0x80, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f},
		{20, 5, 0xc3, 0x28, 'a', '"', '\\'},
		{9, 5, 1, '\n', 0, 1, 2, 0x81, 1, 2, 3, 4, 5, 6, 7, 0xf0, 0x7f, 200, 255, 255, 255, 255, 255, 255, 255, 255},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj := fuzzObject(data)
		for _, compact := range []bool{false, true} {
			b, err := overwatch.AppendJSON(nil, obj, overwatch.JSONOptions{CompactArrays: compact})
			if err != nil {
				t.Fatalf("encode %s: %v", obj.ClassName(), err)
			}
			if !json.Valid(b) {
				t.Fatalf("invalid JSON (compact=%v): %s", compact, b)
			}
			v, err := parseOrdered(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			o := v.(ordered)
			if o.get("_typename") != obj.ClassName() {
				t.Fatalf("_typename %v, want %s", o.get("_typename"), obj.ClassName())
			}
			switch obj := obj.(type) {
			case *overwatch.Text:
				if utf8.ValidString(obj.Value) && o.get("fString") != obj.Value {
					t.Fatalf("fString %q, want %q", o.get("fString"), obj.Value)
				}
			case *overwatch.Hist:
				if utf8.ValidString(obj.Title) && o.get("fTitle") != obj.Title {
					t.Fatalf("fTitle %q, want %q", o.get("fTitle"), obj.Title)
				}
				if arr, ok := o.get("fArray").([]any); ok && len(arr) != len(obj.Contents) {
					t.Fatalf("fArray has %d values, want %d", len(arr), len(obj.Contents))
				}
			}
		}
	})
}
