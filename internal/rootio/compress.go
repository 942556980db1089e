package rootio

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// blockHeaderLen is the size of a ROOT compression block header: a 2-byte
// algorithm tag ("ZL", "L4", "ZS", "XZ", or "CS" for the old ROOT 3 zlib
// variant), a method byte, then the compressed and uncompressed sizes as
// 3-byte little-endian numbers.
const blockHeaderLen = 9

// maxBlockSize is the largest uncompressed size of one ROOT block.
const maxBlockSize = 0xffffff

// Decompress decodes a sequence of ROOT compression blocks into exactly
// size bytes. Every block header is checked against the remaining input and
// output before anything is allocated or decoded.
func Decompress(src []byte, size int) ([]byte, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: negative uncompressed size %d", ErrCorrupt, size)
	}
	// A block expands at most ~1032x with zlib; refuse sizes the input
	// cannot justify before allocating.
	if size > 2048*len(src)+maxBlockSize {
		return nil, fmt.Errorf("%w: %d compressed bytes cannot hold %d bytes", ErrCorrupt, len(src), size)
	}
	// Check the chain of block headers first, so that nothing is allocated
	// for bytes that cannot hold the blocks claimed.
	for pos, out := 0, 0; out < size; {
		if len(src)-pos < blockHeaderLen {
			return nil, fmt.Errorf("%w: compression block header truncated at %d (%d of %d bytes described)", ErrCorrupt, pos, out, size)
		}
		h := src[pos : pos+blockHeaderLen]
		csize := int(h[3]) | int(h[4])<<8 | int(h[5])<<16
		usize := int(h[6]) | int(h[7])<<8 | int(h[8])<<16
		pos += blockHeaderLen
		if csize == 0 || csize > len(src)-pos || usize == 0 || usize > size-out {
			return nil, fmt.Errorf("%w: %s block at %d (%d -> %d bytes) does not fit the %d bytes left and %d expected", ErrCorrupt, h[:2], pos-blockHeaderLen, csize, usize, len(src)-pos, size-out)
		}
		pos += csize
		out += usize
	}
	dst := make([]byte, size)
	pos, out := 0, 0
	for out < size {
		if len(src)-pos < blockHeaderLen {
			return nil, fmt.Errorf("%w: compression block header truncated at %d (%d of %d bytes produced)", ErrCorrupt, pos, out, size)
		}
		h := src[pos : pos+blockHeaderLen]
		csize := int(h[3]) | int(h[4])<<8 | int(h[5])<<16
		usize := int(h[6]) | int(h[7])<<8 | int(h[8])<<16
		alg := string(h[:2])
		pos += blockHeaderLen
		if csize > len(src)-pos {
			return nil, fmt.Errorf("%w: %s block of %d bytes at %d exceeds the %d bytes left", ErrCorrupt, alg, csize, pos-blockHeaderLen, len(src)-pos)
		}
		if usize == 0 || usize > size-out {
			return nil, fmt.Errorf("%w: %s block expands to %d bytes, %d expected at most", ErrCorrupt, alg, usize, size-out)
		}
		in := src[pos : pos+csize : pos+csize]
		if err := decodeBlock(alg, in, dst[out:out+usize:out+usize]); err != nil {
			return nil, err
		}
		pos += csize
		out += usize
	}
	return dst, nil
}

func decodeBlock(alg string, in, out []byte) error {
	var (
		rd  io.Reader
		err error
	)
	switch alg {
	case "ZL":
		return inflateZlib(in, out)
	case "CS":
		// ROOT 3-4 "CS" blocks are a raw deflate stream.
		fr := flate.NewReader(bytes.NewReader(in))
		defer fr.Close()
		rd = fr
	case "L4":
		// 8-byte xxhash checksum, then an LZ4 block.
		if len(in) < 8 {
			return fmt.Errorf("%w: lz4 block shorter than its checksum", ErrCorrupt)
		}
		n, e := lz4.UncompressBlock(in[8:], out)
		if e != nil {
			return fmt.Errorf("%w: lz4 block: %v", ErrCorrupt, e)
		}
		if n != len(out) {
			return fmt.Errorf("%w: lz4 block gave %d bytes, %d expected", ErrCorrupt, n, len(out))
		}
		return nil
	case "ZS":
		zr, e := zstd.NewReader(bytes.NewReader(in), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(len(out))+1<<20))
		if e != nil {
			return fmt.Errorf("%w: zstd block: %v", ErrCorrupt, e)
		}
		defer zr.Close()
		rd = zr
	case "XZ":
		if e := checkXZDict(in); e != nil {
			return e
		}
		xr, e := xz.NewReader(bytes.NewReader(in))
		if e != nil {
			return fmt.Errorf("%w: xz block: %v", ErrCorrupt, e)
		}
		rd = xr
	default:
		return fmt.Errorf("%w: unknown compression algorithm %q", ErrCorrupt, alg)
	}
	if _, err = io.ReadFull(rd, out); err != nil {
		return fmt.Errorf("%w: %s block: %v", ErrCorrupt, alg, err)
	}
	return nil
}

// maxXZDict is the largest LZMA2 dictionary accepted: the 64 MiB of
// liblzma's strongest preset, which ROOT uses at most.
const maxXZDict = 64 << 20

// checkXZDict reads the LZMA2 dictionary size from the first block header
// of an xz stream and refuses sizes no ROOT writer uses, because the
// decoder allocates the whole dictionary up front.
func checkXZDict(in []byte) error {
	bad := func(what string) error { return fmt.Errorf("%w: xz block: %s", ErrCorrupt, what) }
	if len(in) < 12+2 || string(in[:6]) != "\xfd7zXZ\x00" {
		return bad("no xz stream header")
	}
	h := in[12:]
	n := (int(h[0]) + 1) * 4
	if h[0] == 0 || n > len(h) {
		return bad("block header truncated")
	}
	h = h[:n]
	pos := 2
	varint := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 9 && pos < len(h); i++ {
			b := h[pos]
			pos++
			v |= uint64(b&0x7f) << (7 * i)
			if b&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	flags := h[1]
	if flags&0x40 != 0 {
		if _, ok := varint(); !ok {
			return bad("bad compressed size")
		}
	}
	if flags&0x80 != 0 {
		if _, ok := varint(); !ok {
			return bad("bad uncompressed size")
		}
	}
	for range int(flags&3) + 1 {
		id, ok1 := varint()
		size, ok2 := varint()
		if !ok1 || !ok2 || size > uint64(len(h)-pos) {
			return bad("bad filter flags")
		}
		if id == 0x21 { // LZMA2: one byte encoding the dictionary size
			if size != 1 {
				return bad("bad LZMA2 properties")
			}
			b := h[pos]
			if b > 40 {
				return bad("bad LZMA2 dictionary size")
			}
			dict := uint64(2|b&1) << (b/2 + 11)
			if dict > maxXZDict {
				return bad(fmt.Sprintf("LZMA2 dictionary of %d bytes exceeds %d", dict, maxXZDict))
			}
		}
		pos += int(size)
	}
	return nil
}

// zlibPool recycles zlib readers: creating one allocates its window.
var zlibPool sync.Pool

func inflateZlib(in, out []byte) error {
	br := bytes.NewReader(in)
	var zr io.ReadCloser
	if v := zlibPool.Get(); v != nil {
		zr = v.(io.ReadCloser)
		if err := zr.(zlib.Resetter).Reset(br, nil); err != nil {
			return fmt.Errorf("%w: zlib block: %v", ErrCorrupt, err)
		}
	} else {
		r, err := zlib.NewReader(br)
		if err != nil {
			return fmt.Errorf("%w: zlib block: %v", ErrCorrupt, err)
		}
		zr = r
	}
	defer zlibPool.Put(zr)
	if _, err := io.ReadFull(zr, out); err != nil {
		return fmt.Errorf("%w: ZL block: %v", ErrCorrupt, err)
	}
	return nil
}

// Compress encodes src as ROOT zlib compression blocks at the given level
// (1-9). It returns nil when compression does not make the data smaller,
// in which case ROOT stores the bytes as they are.
func Compress(src []byte, level int) ([]byte, error) {
	var out bytes.Buffer
	for start := 0; start < len(src); start += maxBlockSize {
		end := min(start+maxBlockSize, len(src))
		hdrPos := out.Len()
		out.Write(make([]byte, blockHeaderLen))
		zw, err := getZlibWriter(&out, level)
		if err != nil {
			return nil, fmt.Errorf("rootio: zlib level %d: %w", level, err)
		}
		_, err = zw.Write(src[start:end])
		if err == nil {
			err = zw.Close()
		}
		putZlibWriter(zw, level)
		if err != nil {
			return nil, err
		}
		csize := out.Len() - hdrPos - blockHeaderLen
		if csize > maxBlockSize || out.Len() >= len(src) {
			return nil, nil
		}
		usize := end - start
		h := out.Bytes()[hdrPos:]
		h[0], h[1], h[2] = 'Z', 'L', 8
		h[3], h[4], h[5] = byte(csize), byte(csize>>8), byte(csize>>16)
		h[6], h[7], h[8] = byte(usize), byte(usize>>8), byte(usize>>16)
	}
	return out.Bytes(), nil
}

// zlibWriters pools zlib writers per compression level: a new writer
// allocates and clears about a megabyte of compressor state, which
// dominated the encoding of files with many small keys.
var zlibWriters [10]sync.Pool

func getZlibWriter(w io.Writer, level int) (*zlib.Writer, error) {
	if level >= 0 && level < len(zlibWriters) {
		if zw, ok := zlibWriters[level].Get().(*zlib.Writer); ok {
			zw.Reset(w)
			return zw, nil
		}
	}
	return zlib.NewWriterLevel(w, level)
}

func putZlibWriter(zw *zlib.Writer, level int) {
	if level >= 0 && level < len(zlibWriters) {
		zlibWriters[level].Put(zw)
	}
}
