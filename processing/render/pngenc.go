package render

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"

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
	out.Grow(w * h / 4)
	out.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8 bits, truecolour
	writeChunk(&out, "IHDR", ihdr[:])

	var idat bytes.Buffer
	zw, err := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("render: PNG: %w", err)
	}
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
