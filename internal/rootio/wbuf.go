package rootio

import (
	"encoding/binary"
	"math"
)

// wbuf is a big-endian writer of ROOT streamed bytes.
type wbuf struct {
	b []byte
	// off is the absolute offset of b[0] for class tags (the key length).
	off     int
	classes map[string]int
}

func newWBuf(off, capacity int) *wbuf {
	return &wbuf{b: make([]byte, 0, capacity), off: off}
}

func (w *wbuf) u8(v uint8)    { w.b = append(w.b, v) }
func (w *wbuf) u16(v uint16)  { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *wbuf) u32(v uint32)  { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *wbuf) u64(v uint64)  { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *wbuf) i16(v int16)   { w.u16(uint16(v)) }
func (w *wbuf) i32(v int32)   { w.u32(uint32(v)) }
func (w *wbuf) f32(v float32) { w.u32(math.Float32bits(v)) }
func (w *wbuf) f64(v float64) { w.u64(math.Float64bits(v)) }
func (w *wbuf) bool(v bool) {
	if v {
		w.u8(1)
	} else {
		w.u8(0)
	}
}

func (w *wbuf) tstring(s string) {
	if len(s) < 255 {
		w.u8(uint8(len(s)))
	} else {
		w.u8(255)
		w.i32(int32(len(s)))
	}
	w.b = append(w.b, s...)
}

// version starts a versioned block with a byte count; end patches it.
func (w *wbuf) version(v int16) int {
	pos := len(w.b)
	w.u32(0)
	w.i16(v)
	return pos
}

func (w *wbuf) end(pos int) {
	n := len(w.b) - pos - 4
	binary.BigEndian.PutUint32(w.b[pos:], uint32(n)|kByteCountMask)
}

// tobject writes a TObject (version 1, no byte count).
func (w *wbuf) tobject(uid uint32) {
	w.i16(1)
	w.u32(uid)
	w.u32(0x03000000) // kNotDeleted | kIsOnHeap, as ROOT writes them
}

func (w *wbuf) tnamed(name, title string) {
	p := w.version(1)
	w.tobject(0)
	w.tstring(name)
	w.tstring(title)
	w.end(p)
}

// objectStart writes the byte count placeholder and the class tag of an
// object pointer; objectEnd patches the byte count.
func (w *wbuf) objectStart(class string) int {
	pos := len(w.b)
	w.u32(0)
	if tag, ok := w.classes[class]; ok {
		w.u32(uint32(tag) | kClassMask)
	} else {
		if w.classes == nil {
			w.classes = make(map[string]int)
		}
		w.classes[class] = w.off + len(w.b) + kMapOffset
		w.u32(kNewClassTag)
		w.b = append(w.b, class...)
		w.u8(0)
	}
	return pos
}

func (w *wbuf) objectEnd(pos int) { w.end(pos) }

// null writes a null object pointer.
func (w *wbuf) null() { w.u32(0) }

// f64array writes a TArrayD body.
func (w *wbuf) f64array(v []float64) {
	w.i32(int32(len(v)))
	for _, x := range v {
		w.f64(x)
	}
}

// arrayAs writes a TArray body narrowing float64 values to kind, as ROOT's
// SetBinContent does (truncation toward zero for the integer kinds, with
// saturation).
func (w *wbuf) arrayAs(kind byte, v []float64) {
	w.i32(int32(len(v)))
	switch kind {
	case 'D':
		for _, x := range v {
			w.f64(x)
		}
	case 'F':
		for _, x := range v {
			w.f32(float32(x))
		}
	case 'I':
		for _, x := range v {
			w.i32(int32(saturate(x, math.MinInt32, math.MaxInt32)))
		}
	case 'S':
		for _, x := range v {
			w.i16(int16(saturate(x, math.MinInt16, math.MaxInt16)))
		}
	case 'C':
		for _, x := range v {
			w.u8(uint8(int8(saturate(x, math.MinInt8, math.MaxInt8))))
		}
	}
}

func saturate(x, lo, hi float64) float64 {
	switch {
	case math.IsNaN(x):
		return 0
	case x < lo:
		return lo
	case x > hi:
		return hi
	}
	return math.Trunc(x)
}

// basicPointer writes a "Double_t* fX //[fN]" member.
func (w *wbuf) basicPointer(v []float64) {
	if len(v) == 0 {
		w.u8(0)
		return
	}
	w.u8(1)
	for _, x := range v {
		w.f64(x)
	}
}
