package render

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"io"
	"sync"

	"github.com/klauspost/compress/zlib"
)

// encodePNG writes an opaque RGBA image as an 8-bit RGB PNG. It is a
// specialised encoder for plots: every row uses the Sub filter (plots are
// mostly horizontal runs of one colour, which Sub turns into zeros) instead
// of image/png's per-row trial of the five filters, and the fast zlib of
// klauspost/compress — together several times faster than image/png at its
// best speed, for files of similar size. Alpha is dropped (plots are drawn
// on an opaque background).
func encodePNG(img *image.RGBA) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var out bytes.Buffer
	out.Grow(w * h / 8)
	out.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8 bits, truecolour

	// Plots rarely use more than 256 colours: then an indexed image is
	// exact and a third of the data to compress.
	if pal, rows, ok := palettize(img); ok {
		ihdr[9] = 3 // indexed colour
		writeChunk(&out, "IHDR", ihdr[:])
		writeChunk(&out, "PLTE", pal)
		var idat bytes.Buffer
		defer rowsPool.Put(&rows)
		zw, err := getZlib(&idat)
		if err != nil {
			return nil, err
		}
		defer zlibPool.Put(zw)
		if _, err := zw.Write(rows); err != nil {
			return nil, fmt.Errorf("render: PNG: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("render: PNG: %w", err)
		}
		writeChunk(&out, "IDAT", idat.Bytes())
		writeChunk(&out, "IEND", nil)
		return out.Bytes(), nil
	}
	writeChunk(&out, "IHDR", ihdr[:])

	var idat bytes.Buffer
	zw, err := getZlib(&idat)
	if err != nil {
		return nil, err
	}
	defer zlibPool.Put(zw)
	row := make([]byte, 1+3*w)
	row[0] = 1 // Sub
	for y := 0; y < h; y++ {
		px := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		var pr, pg, pb byte
		for x := 0; x < w; x++ {
			r, g, bl := px[4*x], px[4*x+1], px[4*x+2]
			row[1+3*x], row[2+3*x], row[3+3*x] = r-pr, g-pg, bl-pb
			pr, pg, pb = r, g, bl
		}
		if _, err := zw.Write(row); err != nil {
			return nil, fmt.Errorf("render: PNG: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("render: PNG: %w", err)
	}
	writeChunk(&out, "IDAT", idat.Bytes())
	writeChunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

func writeChunk(out *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	out.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	out.WriteString(typ)
	out.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	out.Write(n[:])
}

// palettize returns the palette (RGB triplets) and the filtered rows
// (filter byte None, then one index per pixel) of an image with at most 256
// distinct colours, or ok false.
func palettize(img *image.RGBA) (pal []byte, rows []byte, ok bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	const size = 1024     // open addressing, load <= 1/4
	var keys [size]uint32 // RGBA word with alpha 0xff; 0 = empty
	var vals [size]uint8
	n := 0
	if bp, _ := rowsPool.Get().(*[]byte); bp != nil && cap(*bp) >= (1+w)*h {
		rows = (*bp)[:(1+w)*h]
	} else {
		rows = make([]byte, (1+w)*h)
	}
	pal = make([]byte, 0, 3*256)
	lastKey, lastIdx := uint32(0), uint8(0)
	for y := 0; y < h; y++ {
		px := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		out := rows[y*(1+w):]
		out[0] = 0 // filter None
		for x := 0; x < w; x++ {
			// The pixel as one word with alpha forced to 0xff: never 0.
			k := binary.LittleEndian.Uint32(px[4*x:]) | 0xff000000
			if k == lastKey {
				out[1+x] = lastIdx
				continue
			}
			slot := (k * 2654435761) >> 22 // top 10 bits
			for keys[slot] != 0 && keys[slot] != k {
				slot = (slot + 1) & (size - 1)
			}
			if keys[slot] == 0 {
				if n == 256 {
					rowsPool.Put(&rows)
					return nil, nil, false
				}
				keys[slot], vals[slot] = k, uint8(n)
				pal = append(pal, byte(k), byte(k>>8), byte(k>>16))
				n++
			}
			lastKey, lastIdx = k, vals[slot]
			out[1+x] = lastIdx
		}
	}
	return pal, rows, true
}

// Compressor state and row buffers are large: reuse them across images.
var (
	zlibPool sync.Pool // *zlib.Writer
	rowsPool sync.Pool // *[]byte
)

func getZlib(w io.Writer) (*zlib.Writer, error) {
	if zw, ok := zlibPool.Get().(*zlib.Writer); ok {
		zw.Reset(w)
		return zw, nil
	}
	zw, err := zlib.NewWriterLevel(w, zlib.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("render: PNG: %w", err)
	}
	return zw, nil
}
