package render

import (
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
)

// raster draws a 1D histogram's step line into an image of the data area,
// one pixel column at a time: the bins under a column give a vertical span
// from their lowest to their highest content, joined to the previous
// column's level. The cost is bounded by the image size whatever the number
// of bins (stroking a vector path of thousands of steps takes seconds with
// the vector rasteriser).
func (s *steps) rasterize(img *image.RGBA, rect image.Rectangle, plt *plot.Plot) {
	w, hp := rect.Dx(), rect.Dy()
	h := s.h
	e := edges(&h.X)
	logX := plt.X.Min > 0 && isLog(plt.X)
	logY := s.logY && plt.Y.Min > 0
	row := func(v float64) int {
		var f float64
		if logY {
			if v <= 0 {
				v = plt.Y.Min
			}
			f = (math.Log(v) - math.Log(plt.Y.Min)) / (math.Log(plt.Y.Max) - math.Log(plt.Y.Min))
		} else {
			f = (v - plt.Y.Min) / (plt.Y.Max - plt.Y.Min)
		}
		if math.IsNaN(f) {
			f = 0
		}
		r := int(math.Round((1 - f) * float64(hp-1)))
		return max(0, min(hp-1, r))
	}
	base := plt.Y.Min
	if !logY && base < 0 {
		base = 0
	}
	baseRow := row(base)
	r8, g8, b8, _ := s.color.RGBA()
	col := color.RGBA{uint8(r8 >> 8), uint8(g8 >> 8), uint8(b8 >> 8), 255}
	span := func(x, y0, y1 int) {
		if y0 > y1 {
			y0, y1 = y1, y0
		}
		for y := y0; y <= y1; y++ {
			o := img.PixOffset(rect.Min.X+x, rect.Min.Y+y)
			p := img.Pix[o : o+4 : o+4]
			p[0], p[1], p[2], p[3] = col.R, col.G, col.B, 255
		}
	}
	col0 := func(x float64) int {
		f := (x - plt.X.Min) / (plt.X.Max - plt.X.Min)
		if logX {
			f = (math.Log(x) - math.Log(plt.X.Min)) / (math.Log(plt.X.Max) - math.Log(plt.X.Min))
		}
		return int(math.Floor(f * float64(w)))
	}
	if h.IsProfile() {
		// Markers: the mean as a short horizontal line over the bin, the
		// error as a vertical line at its centre.
		for b := 1; b <= h.X.NBins; b++ {
			if h.BinEntries != nil && b < len(h.BinEntries) && h.BinEntries[b] == 0 {
				continue
			}
			x0, x1 := max(0, col0(h.X.BinLowEdge(b))), min(w-1, col0(h.X.BinUpEdge(b)))
			xc := col0(h.X.BinCenter(b))
			if x1 < 0 || x0 >= w {
				continue
			}
			v, er := h.BinContent(b), h.BinError(b)
			r := row(v)
			for x := x0; x <= x1; x++ {
				span(x, r, r)
			}
			if xc >= 0 && xc < w {
				span(xc, row(v-er), row(v+er))
			}
		}
		return
	}
	prev := -1 // row of the previous column's level, -1 outside the histogram
	for i := 0; i < w; i++ {
		x0 := inverse(plt.X, float64(i)/float64(w), logX)
		x1 := inverse(plt.X, float64(i+1)/float64(w), logX)
		b0, b1 := findEdge(e, x0), findEdge(e, math.Nextafter(x1, math.Inf(-1)))
		if b0 < 0 && x0 < e[0] && x1 > e[0] {
			b0 = 0
		}
		if b1 < 0 && x1 > e[len(e)-1] && x0 < e[len(e)-1] {
			b1 = len(e) - 2
		}
		if b0 < 0 || b1 < 0 {
			if prev >= 0 {
				span(i, prev, baseRow) // drop to the base after the last bin
			}
			prev = -1
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for b := b0; b <= b1; b++ {
			v := h.BinContent(b + 1)
			if math.IsNaN(v) {
				v = base
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		top, bot := row(hi), row(lo)
		if prev < 0 {
			prev = baseRow // rise from the base at the first bin
		}
		span(i, min(top, prev), max(bot, prev))
		prev = row(h.BinContent(b1 + 1))
	}
}

// isLog reports whether an axis uses a logarithmic scale.
func isLog(a plot.Axis) bool {
	_, ok := a.Scale.(plot.LogScale)
	return ok
}
