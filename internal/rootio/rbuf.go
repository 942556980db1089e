package rootio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrCorrupt is wrapped by every error about bytes that are not valid ROOT
// data (file, key payload, TMessage or compression block).
var ErrCorrupt = errors.New("corrupt ROOT data")

// Streaming constants of ROOT's TBufferFile.
const (
	kByteCountMask = 0x40000000
	kNewClassTag   = 0xFFFFFFFF
	kClassMask     = 0x80000000
	kMapOffset     = 2
	kIsReferenced  = 1 << 4
)

// rbuf is a size-checked big-endian reader over ROOT streamed bytes. Errors
// are sticky: after the first one every read returns zero values, so a
// decoder checks r.err once at the end of a block. Every length read from
// the data is checked against the remaining bytes before anything is
// allocated.
type rbuf struct {
	b   []byte
	pos int
	// off is the absolute offset of b[0] used by ROOT's class and object
	// tags (the key length inside a file, 0 in a TMessage whose header is
	// part of b).
	off int
	err error
	// classes maps the tag of a class already seen to its name.
	classes map[int]string
	// baseOf, when set, names the first base class of classes that are
	// not decoded directly (from streamer infos).
	baseOf func(string) string
	// budget, when set, is charged for every array cell decoded.
	budget *Budget
}

// ErrBudget is wrapped by errors about data whose decoding would exceed a
// Budget.
var ErrBudget = errors.New("decoding budget exceeded")

// Budget bounds the memory that decoding a file may take, summed over every
// object decoded with it: Bytes is charged with the uncompressed size of
// every compressed payload before it is decompressed, Cells with every
// array value (bin contents, errors, graph points: 8 bytes each once
// decoded) before it is allocated. A charge beyond what is left fails with
// ErrBudget. A nil *Budget bounds nothing. A Budget is not safe for
// concurrent use.
type Budget struct {
	Bytes, Cells int64
}

// chargeBytes takes n bytes from the budget.
func (b *Budget) chargeBytes(n int, what string) error {
	if b == nil {
		return nil
	}
	if int64(n) > b.Bytes {
		return fmt.Errorf("%w: %s needs %d uncompressed bytes, %d left", ErrBudget, what, n, b.Bytes)
	}
	b.Bytes -= int64(n)
	return nil
}

// cells takes n array cells from the budget; false (with r.err set) when
// they exceed it.
func (r *rbuf) cells(n int, what string) bool {
	if r.budget == nil || r.err != nil {
		return r.err == nil
	}
	if int64(n) > r.budget.Cells {
		r.err = fmt.Errorf("%w: %s of %d cells, %d cells left", ErrBudget, what, n, r.budget.Cells)
		return false
	}
	r.budget.Cells -= int64(n)
	return true
}

func newRBuf(b []byte, off int) *rbuf {
	return &rbuf{b: b[:len(b):len(b)], off: off}
}

func (r *rbuf) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
}

func (r *rbuf) remaining() int {
	if r.err != nil {
		return 0
	}
	return len(r.b) - r.pos
}

// need reports whether n more bytes are available, failing otherwise.
func (r *rbuf) need(n int, what string) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > len(r.b)-r.pos {
		r.fail("%s needs %d bytes at offset %d, %d left", what, n, r.pos, len(r.b)-r.pos)
		return false
	}
	return true
}

func (r *rbuf) skip(n int) {
	if r.need(n, "skip") {
		r.pos += n
	}
}

func (r *rbuf) u8() uint8 {
	if !r.need(1, "uint8") {
		return 0
	}
	v := r.b[r.pos]
	r.pos++
	return v
}

func (r *rbuf) u16() uint16 {
	if !r.need(2, "uint16") {
		return 0
	}
	v := binary.BigEndian.Uint16(r.b[r.pos:])
	r.pos += 2
	return v
}

func (r *rbuf) u32() uint32 {
	if !r.need(4, "uint32") {
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.pos:])
	r.pos += 4
	return v
}

func (r *rbuf) u64() uint64 {
	if !r.need(8, "uint64") {
		return 0
	}
	v := binary.BigEndian.Uint64(r.b[r.pos:])
	r.pos += 8
	return v
}

func (r *rbuf) i16() int16   { return int16(r.u16()) }
func (r *rbuf) i32() int32   { return int32(r.u32()) }
func (r *rbuf) i64() int64   { return int64(r.u64()) }
func (r *rbuf) f32() float32 { return math.Float32frombits(r.u32()) }
func (r *rbuf) f64() float64 { return math.Float64frombits(r.u64()) }
func (r *rbuf) bool() bool   { return r.u8() != 0 }

// tstring reads a ROOT TString: one length byte, or 255 followed by a
// 4-byte length, then the characters.
func (r *rbuf) tstring() string {
	n := int(r.u8())
	if n == 255 {
		n = int(r.i32())
	}
	if !r.need(n, "string") {
		return ""
	}
	s := string(r.b[r.pos : r.pos+n])
	r.pos += n
	return s
}

// cstring reads a NUL-terminated string (class names).
func (r *rbuf) cstring() string {
	if r.err != nil {
		return ""
	}
	for i := r.pos; i < len(r.b); i++ {
		if r.b[i] == 0 {
			s := string(r.b[r.pos:i])
			r.pos = i + 1
			return s
		}
	}
	r.fail("unterminated class name at offset %d", r.pos)
	return ""
}

// count reads an int32 element count and checks that n elements of size
// elem fit in the remaining bytes.
func (r *rbuf) count(elem int, what string) int {
	n := int(r.i32())
	if r.err != nil {
		return 0
	}
	if n < 0 {
		r.fail("%s has negative length %d", what, n)
		return 0
	}
	if !r.need(n*elem, what) {
		return 0
	}
	return n
}

// f64s reads n big-endian float64 values.
func (r *rbuf) f64s(n int) []float64 {
	if !r.need(8*n, "float64 array") || !r.cells(n, "float64 array") {
		return nil
	}
	out := make([]float64, n)
	b := r.b[r.pos : r.pos+8*n]
	for i := range out {
		out[i] = math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
	}
	r.pos += 8 * n
	return out
}

// arrayAs reads a TArray body (int32 count then values) of the given element
// type, widening every value to float64.
func (r *rbuf) arrayAs(kind byte) []float64 {
	size := elemSize(kind)
	n := r.count(size, "TArray"+string(kind))
	if r.err != nil || !r.cells(n, "TArray"+string(kind)) {
		return nil
	}
	out := make([]float64, n)
	b := r.b[r.pos : r.pos+size*n]
	switch kind {
	case 'D':
		for i := range out {
			out[i] = math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
		}
	case 'F':
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(b[4*i:])))
		}
	case 'I':
		for i := range out {
			out[i] = float64(int32(binary.BigEndian.Uint32(b[4*i:])))
		}
	case 'S':
		for i := range out {
			out[i] = float64(int16(binary.BigEndian.Uint16(b[2*i:])))
		}
	case 'C':
		for i := range out {
			out[i] = float64(int8(b[i]))
		}
	}
	r.pos += size * n
	return out
}

func elemSize(kind byte) int {
	switch kind {
	case 'D':
		return 8
	case 'F', 'I':
		return 4
	case 'S':
		return 2
	}
	return 1
}

// version reads a class version, with its byte count when present, and
// returns the version and the offset where the versioned block ends (-1
// when no byte count was written).
func (r *rbuf) version(class string) (vers int16, end int) {
	if !r.need(2, class+" version") {
		return 0, -1
	}
	end = -1
	if r.remaining() >= 6 {
		bc := binary.BigEndian.Uint32(r.b[r.pos:])
		if bc&kByteCountMask != 0 {
			r.pos += 4
			n := int(bc &^ kByteCountMask)
			if n < 2 || n > len(r.b)-r.pos {
				r.fail("%s byte count %d exceeds the %d bytes left at offset %d", class, n, len(r.b)-r.pos, r.pos)
				return 0, -1
			}
			end = r.pos + n
		}
	}
	vers = r.i16()
	return vers, end
}

// finish moves to the end of a versioned block (when known), after its
// fields were decoded; it fails if the fields ran past the end.
func (r *rbuf) finish(class string, end int) {
	if r.err != nil || end < 0 {
		return
	}
	if r.pos > end {
		r.fail("%s decoded %d bytes past its byte count", class, r.pos-end)
		return
	}
	r.pos = end
}

// tobject reads a TObject and returns its fUniqueID and fBits.
func (r *rbuf) tobject() (uid, bits uint32) {
	_, end := r.version("TObject")
	uid = r.u32()
	bits = r.u32()
	if bits&kIsReferenced != 0 {
		r.u16() // process id
	}
	r.finish("TObject", end)
	return uid, bits
}

// tnamed reads a TNamed.
func (r *rbuf) tnamed() (name, title string) {
	_, end := r.version("TNamed")
	r.tobject()
	name = r.tstring()
	title = r.tstring()
	r.finish("TNamed", end)
	return name, title
}

// classRef reads the class part of an object reference (ROOT's ReadClass).
// It returns the class name, or "" for a null pointer or a reference to an
// object already read (which Overwatch's classes never need), and the
// offset where the object's bytes end (-1 when unknown).
func (r *rbuf) classRef() (class string, end int) {
	start := r.pos
	bcnt := r.u32()
	if r.err != nil {
		return "", -1
	}
	var tag uint32
	end = -1
	if bcnt&kByteCountMask == 0 || bcnt == kNewClassTag {
		tag = bcnt
	} else {
		n := int(bcnt &^ kByteCountMask)
		if n > len(r.b)-r.pos || n < 4 {
			r.fail("object byte count %d exceeds the %d bytes left at offset %d", n, len(r.b)-r.pos, r.pos)
			return "", -1
		}
		end = r.pos + n
		tag = r.u32()
	}
	_ = start
	switch {
	case tag == 0:
		return "", end
	case tag == kNewClassTag:
		tagPos := r.pos - 4
		class = r.cstring()
		if r.err != nil {
			return "", -1
		}
		if r.classes == nil {
			r.classes = make(map[int]string)
		}
		r.classes[r.off+tagPos+kMapOffset] = class
		return class, end
	case tag&kClassMask == 0:
		// A reference to an object streamed earlier in this buffer.
		return "", end
	default:
		ref := int(tag &^ kClassMask)
		c, ok := r.classes[ref]
		if !ok {
			r.fail("reference to unknown class tag %d at offset %d", ref, r.pos-4)
			return "", -1
		}
		return c, end
	}
}
