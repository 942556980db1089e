package overwatch

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"
)

// Low-level appenders of the TBufferJSON encoder. Every function appends to
// dst and returns it, so that a caller holding a large enough dst encodes
// without allocating.

// objectBits is the fBits ROOT stores for an object created on the heap
// (kNotDeleted | kIsOnHeap), as TBufferJSON and JSROOT write it.
const objectBits = 0x03000000

// kNoStats is TH1's bit asking not to draw the statistics box.
const kNoStats = 1 << 9

// elemKind is the storage type of a numeric array, deciding how its values
// are narrowed and which JSROOT typed array ("$arr") holds them.
type elemKind uint8

const (
	elemFloat64 elemKind = iota
	elemFloat32
	elemInt32
	elemInt16
	elemInt8
)

// arrName is JSROOT's "$arr" type name of each kind.
var arrName = [...]string{elemFloat64: "Float64", elemFloat32: "Float32", elemInt32: "Int32", elemInt16: "Int16", elemInt8: "Int8"}

// elemSize is the size in bytes of one element of each kind.
var elemSize = [...]int{elemFloat64: 8, elemFloat32: 4, elemInt32: 4, elemInt16: 2, elemInt8: 1}

// storageKind returns the storage type of a histogram class's fArray
// (TH1C/S/I/F/D and their 2D/3D variants; profiles store doubles).
func storageKind(class string) elemKind {
	if IsProfileClass(class) || len(class) != 4 {
		return elemFloat64
	}
	switch class[3] {
	case 'F':
		return elemFloat32
	case 'I':
		return elemInt32
	case 'S':
		return elemInt16
	case 'C':
		return elemInt8
	}
	return elemFloat64
}

// narrow converts v to the storage type k the way ROOT stores it: float32
// rounding, or integer truncation saturated at the type's limits (NaN
// becomes 0).
func narrow(v float64, k elemKind) float64 {
	switch k {
	case elemFloat32:
		return float64(float32(v))
	case elemInt32:
		return clampInt(v, math.MinInt32, math.MaxInt32)
	case elemInt16:
		return clampInt(v, math.MinInt16, math.MaxInt16)
	case elemInt8:
		return clampInt(v, math.MinInt8, math.MaxInt8)
	}
	return v
}

func clampInt(v, lo, hi float64) float64 {
	switch {
	case math.IsNaN(v):
		return 0
	case v < lo:
		return lo
	case v > hi:
		return hi
	}
	return math.Trunc(v)
}

// appendNumber appends v (already narrowed to kind k) as a JSON number.
// Infinities are written ±2e308, which JSON.parse reads back as ±Infinity;
// NaN, which JSON cannot express, is written null.
func appendNumber(dst []byte, v float64, k elemKind) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, "null"...)
	case math.IsInf(v, 1):
		return append(dst, "2e308"...)
	case math.IsInf(v, -1):
		return append(dst, "-2e308"...)
	}
	if k >= elemInt32 {
		return strconv.AppendInt(dst, int64(v), 10)
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(dst, int64(v), 10)
	}
	if k == elemFloat32 {
		return strconv.AppendFloat(dst, v, 'g', -1, 32)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// appendFloat appends a double member.
func appendFloat(dst []byte, v float64) []byte { return appendNumber(dst, v, elemFloat64) }

// appendFloat32 appends a Float_t member.
func appendFloat32(dst []byte, v float32) []byte {
	return appendNumber(dst, float64(v), elemFloat32)
}

// appendInt appends an integer member.
func appendInt(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }

// appendBool appends a JSON boolean.
func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 is replaced by
// U+FFFD so that the output is always valid JSON.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendObjectHead appends `{"_typename":"class","fUniqueID":id,"fBits":bits`.
func appendObjectHead(dst []byte, class string, uniqueID uint32, bits uint32) []byte {
	dst = append(dst, `{"_typename":`...)
	dst = appendString(dst, class)
	dst = append(dst, `,"fUniqueID":`...)
	dst = strconv.AppendUint(dst, uint64(uniqueID), 10)
	dst = append(dst, `,"fBits":`...)
	return strconv.AppendUint(dst, uint64(bits), 10)
}

// appendEmptyList appends an empty TList as TBufferJSON writes it.
func appendEmptyList(dst []byte) []byte {
	return append(dst, `{"_typename":"TList","name":"","arr":[],"opt":[]}`...)
}

// appendArray appends a numeric array of storage kind k. Values are
// narrowed to k. In plain mode it is a JSON array, unless it holds NaN
// (which JSON cannot express): then it is written in JSROOT's base64
// "$arr" form, which JSROOT's parse turns into a typed array with the
// exact values, NaN and infinities included. In compact mode the shortest
// of the run-length "$arr", base64 "$arr" and plain forms is chosen.
func appendArray(dst []byte, vals []float64, k elemKind, compact bool) []byte {
	if len(vals) == 0 {
		return append(dst, '[', ']')
	}
	hasNaN := false
	if k <= elemFloat32 {
		for _, v := range vals {
			if v != v {
				hasNaN = true
				break
			}
		}
	}
	if hasNaN {
		return appendArrBase64(dst, vals, k)
	}
	if !compact {
		return appendPlainArray(dst, vals, k)
	}
	start := len(dst)
	dst, plainLen := appendArrRLE(dst, vals, k)
	rleLen := len(dst) - start
	b64 := base64ArrLen(len(vals), k)
	switch {
	case plainLen <= rleLen && plainLen <= b64:
		dst = appendPlainArray(dst[:start], vals, k)
	case b64 < rleLen:
		dst = appendArrBase64(dst[:start], vals, k)
	}
	return dst
}

// appendPlainArray appends vals as a JSON array.
func appendPlainArray(dst []byte, vals []float64, k elemKind) []byte {
	dst = append(dst, '[')
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendNumber(dst, narrow(v, k), k)
	}
	return append(dst, ']')
}

// arrHeader appends `{"$arr":"Kind","len":n`.
func arrHeader(dst []byte, n int, k elemKind) []byte {
	dst = append(dst, `{"$arr":"`...)
	dst = append(dst, arrName[k]...)
	dst = append(dst, `","len":`...)
	return strconv.AppendInt(dst, int64(n), 10)
}

// base64ArrLen returns the length appendArrBase64 produces.
func base64ArrLen(n int, k elemKind) int {
	digits := 1
	for m := n; m >= 10; m /= 10 {
		digits++
	}
	return len(`{"$arr":"Float64","len":,"b":""}`) + digits + base64.StdEncoding.EncodedLen(n*elemSize[k])
}

// appendArrBase64 appends {"$arr":K,"len":n,"b":"<base64 little-endian>"}.
// It encodes in chunks through a stack buffer (chunk sizes are multiples of
// 3 bytes, so that the concatenation is the encoding of the whole).
func appendArrBase64(dst []byte, vals []float64, k elemKind) []byte {
	dst = arrHeader(dst, len(vals), k)
	dst = append(dst, `,"b":"`...)
	var buf [768]byte
	per := len(buf) / elemSize[k]
	for i := 0; i < len(vals); i += per {
		end := min(i+per, len(vals))
		n := 0
		for _, v := range vals[i:end] {
			v = narrow(v, k)
			switch k {
			case elemFloat64:
				binary.LittleEndian.PutUint64(buf[n:], math.Float64bits(v))
			case elemFloat32:
				binary.LittleEndian.PutUint32(buf[n:], math.Float32bits(float32(v)))
			case elemInt32:
				binary.LittleEndian.PutUint32(buf[n:], uint32(int32(v)))
			case elemInt16:
				binary.LittleEndian.PutUint16(buf[n:], uint16(int16(v)))
			case elemInt8:
				buf[n] = byte(int8(v))
			}
			n += elemSize[k]
		}
		dst = base64.StdEncoding.AppendEncode(dst, buf[:n])
	}
	return append(dst, '"', '}')
}

// minRun is the shortest run of equal non-zero values written as one
// value with a repeat count.
const minRun = 4

// appendArrRLE appends JSROOT's run-length "$arr" form: zeros are left out
// (JSROOT fills the typed array with zeros), runs of at least minRun equal
// values are written "vI":value,"nI":count, other values as "vI":[...],
// each group preceded by its position "pI" when it does not follow the
// previous group directly. It also returns the length the plain JSON array
// of vals would have, counted from the numbers it formats.
func appendArrRLE(dst []byte, vals []float64, k elemKind) ([]byte, int) {
	dst = arrHeader(dst, len(vals), k)
	n := len(vals)
	plainLen := 2 + n - 1 // brackets and commas
	group := 0
	next := 0 // position JSROOT writes to after the previous group
	i := 0
	for i < n {
		v := narrow(vals[i], k)
		if v == 0 {
			plainLen++
			i++
			continue
		}
		// Length of the run of equal values starting at i.
		r := 1
		for i+r < n && narrow(vals[i+r], k) == v {
			r++
		}
		if i != next {
			dst = appendGroupKey(dst, 'p', group)
			dst = strconv.AppendInt(dst, int64(i), 10)
		}
		dst = appendGroupKey(dst, 'v', group)
		if r >= minRun {
			before := len(dst)
			dst = appendNumber(dst, v, k)
			plainLen += r * (len(dst) - before)
			dst = appendGroupKey(dst, 'n', group)
			dst = strconv.AppendInt(dst, int64(r), 10)
			i += r
		} else {
			// A list up to the next zero pair or long run.
			dst = append(dst, '[')
			j := i
			for j < n {
				w := narrow(vals[j], k)
				if w == 0 && (j+1 >= n || narrow(vals[j+1], k) == 0) {
					break
				}
				if j > i {
					rr := 1
					for j+rr < n && narrow(vals[j+rr], k) == w {
						rr++
					}
					if rr >= minRun {
						break
					}
				}
				if j > i {
					dst = append(dst, ',')
				}
				before := len(dst)
				dst = appendNumber(dst, w, k)
				plainLen += len(dst) - before
				j++
			}
			dst = append(dst, ']')
			i = j
		}
		next = i
		group++
	}
	return append(dst, '}'), plainLen
}

// appendGroupKey appends `,"p"`/`,"p1":`... for group g.
func appendGroupKey(dst []byte, c byte, g int) []byte {
	dst = append(dst, ',', '"', c)
	if g > 0 {
		dst = strconv.AppendInt(dst, int64(g), 10)
	}
	return append(dst, '"', ':')
}
