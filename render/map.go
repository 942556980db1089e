package render

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"

	"github.com/overwatch-dqm/overwatch"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// cells is the in-range content of a 2D histogram with its bin edges.
type cells struct {
	nx, ny         int
	xEdges, yEdges []float64
	z              []float64 // nx*ny, row-major by y then x
	h              *overwatch.Hist
}

func edges(a *overwatch.Axis) []float64 {
	e := make([]float64, a.NBins+1)
	for i := 1; i <= a.NBins; i++ {
		e[i-1] = a.BinLowEdge(i)
	}
	e[a.NBins] = a.BinUpEdge(a.NBins)
	return e
}

func newCells(h *overwatch.Hist) *cells {
	c := &cells{nx: h.X.NBins, ny: h.Y.NBins, xEdges: edges(&h.X), yEdges: edges(&h.Y), h: h}
	c.z = make([]float64, c.nx*c.ny)
	profile := h.IsProfile()
	for iy := 1; iy <= c.ny; iy++ {
		for ix := 1; ix <= c.nx; ix++ {
			b := h.Bin(ix, iy, 0)
			v := h.Contents[b]
			if profile {
				if h.BinEntries[b] == 0 {
					v = math.NaN()
				} else {
					v = h.BinContent(b)
				}
			}
			c.z[(iy-1)*c.nx+ix-1] = v
		}
	}
	return c
}

// zRange is the colour scale of a map.
type zRange struct {
	min, max float64
	log      bool
	profile  bool // zero is a value (drawn), not an empty cell
}

func (c *cells) zRange(d *overwatch.Display) zRange {
	r := zRange{min: math.Inf(1), max: math.Inf(-1), log: d.LogZ, profile: c.h.IsProfile()}
	for _, v := range c.z {
		if math.IsNaN(v) || math.IsInf(v, 0) || (v == 0 && !r.profile) || (r.log && v <= 0) {
			continue
		}
		r.min, r.max = math.Min(r.min, v), math.Max(r.max, v)
	}
	if c.h.Minimum != overwatch.DefaultMinimum {
		r.min = c.h.Minimum
	}
	if c.h.Maximum != overwatch.DefaultMinimum {
		r.max = c.h.Maximum
	}
	if zr := d.ZRange; zr != nil && zr.Max > zr.Min {
		r.min, r.max = zr.Min, zr.Max
	}
	if math.IsInf(r.min, 1) {
		r.min, r.max = 0, 1
		if r.log {
			r.min, r.max = 1, 10
		}
	}
	if !r.log && !r.profile && r.min > 0 {
		r.min = 0 // ROOT's colz starts the scale at 0 for positive maps
	}
	if r.log && r.min <= 0 {
		r.min = math.Max(r.max*1e-4, math.SmallestNonzeroFloat64)
	}
	if !(r.max > r.min) {
		r.max = r.min + 1
		if r.log {
			r.max = r.min * 10
		}
	}
	return r
}

// frac maps a value to [0, 1] on the scale; NaN when it is not drawn.
func (r zRange) frac(v float64) float64 {
	if math.IsNaN(v) || (v == 0 && !r.profile) {
		return math.NaN()
	}
	if r.log {
		if v <= 0 {
			return math.NaN()
		}
		return clamp01((math.Log10(v) - math.Log10(r.min)) / (math.Log10(r.max) - math.Log10(r.min)))
	}
	if v < r.min {
		return math.NaN() // below the minimum: not drawn, as ROOT does
	}
	return clamp01((v - r.min) / (r.max - r.min))
}

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

// heatmap draws a 2D histogram by rasterising the plot's data area: each
// pixel column and row is mapped once to a bin, then every pixel takes the
// colour of its cell.
type heatmap struct {
	c          *cells
	z          zRange
	logX, logY bool
}

func (m *heatmap) rasterize(img *image.RGBA, rect image.Rectangle, plt *plot.Plot) {
	w, h := rect.Dx(), rect.Dy()
	col := make([]int, w) // pixel column -> x bin index (0-based), -1 outside
	for i := range col {
		x := inverse(plt.X, (float64(i)+0.5)/float64(w), m.logX)
		col[i] = findEdge(m.c.xEdges, x)
	}
	row := make([]int, h) // pixel row (top first) -> y bin index
	for j := range row {
		y := inverse(plt.Y, 1-(float64(j)+0.5)/float64(h), m.logY)
		row[j] = findEdge(m.c.yEdges, y)
	}
	// Colour of every cell, computed once.
	pal := birdPalette()
	cellCol := make([]color.RGBA, len(m.c.z))
	cellOK := make([]bool, len(m.c.z))
	for i, v := range m.c.z {
		f := m.z.frac(v)
		if math.IsNaN(f) {
			continue
		}
		cellCol[i] = pal[int(f*float64(len(pal)-1)+0.5)]
		cellOK[i] = true
	}
	for j, iy := range row {
		if iy < 0 {
			continue
		}
		off := img.PixOffset(rect.Min.X, rect.Min.Y+j)
		base := iy * m.c.nx
		for i, ix := range col {
			if ix < 0 || !cellOK[base+ix] {
				continue
			}
			cc := cellCol[base+ix]
			p := img.Pix[off+4*i : off+4*i+4 : off+4*i+4]
			p[0], p[1], p[2], p[3] = cc.R, cc.G, cc.B, 255
		}
	}
}

// rasterizer draws a histogram directly into the pixels of the plot's
// data area (rect, in image coordinates), using plt's axes.
type rasterizer interface {
	rasterize(img *image.RGBA, rect image.Rectangle, plt *plot.Plot)
}

// inverse maps a fraction of an axis back to data coordinates.
func inverse(a plot.Axis, f float64, log bool) float64 {
	if log && a.Min > 0 {
		return math.Exp(math.Log(a.Min) + f*(math.Log(a.Max)-math.Log(a.Min)))
	}
	return a.Min + f*(a.Max-a.Min)
}

// findEdge returns the 0-based bin of x among sorted edges, -1 outside.
func findEdge(e []float64, x float64) int {
	if x < e[0] || x >= e[len(e)-1] || math.IsNaN(x) {
		return -1
	}
	lo, hi := 0, len(e)-1
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if e[mid] <= x {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// drawColorBar draws the z scale in the right margin.
func drawColorBar(dc draw.Canvas, r zRange) {
	pal := birdPalette()
	x1 := dc.Max.X - colorBarWidth + 6
	x2 := x1 + 12
	y1, y2 := dc.Min.Y+40, dc.Max.Y-20
	n := 64
	hgt := (y2 - y1) / vg.Length(n)
	for i := 0; i < n; i++ {
		cc := pal[i*(len(pal)-1)/(n-1)]
		dc.SetColor(cc)
		y := y1 + vg.Length(i)*hgt
		dc.Fill(polygon([]vg.Point{{X: x1, Y: y}, {X: x2, Y: y}, {X: x2, Y: y + hgt + 0.5}, {X: x1, Y: y + hgt + 0.5}}))
	}
	dc.StrokeLines(draw.LineStyle{Color: color.Black, Width: 0.5}, []vg.Point{{X: x1, Y: y1}, {X: x2, Y: y1}, {X: x2, Y: y2}, {X: x1, Y: y2}, {X: x1, Y: y1}})
	sty := textStyle(8, color.Black)
	for _, f := range []float64{0, 0.5, 1} {
		v := r.min + f*(r.max-r.min)
		if r.log {
			v = math.Pow(10, math.Log10(r.min)+f*(math.Log10(r.max)-math.Log10(r.min)))
		}
		y := y1 + vg.Length(f)*(y2-y1)
		dc.StrokeLine2(draw.LineStyle{Color: color.Black, Width: 0.5}, x2, y, x2+3, y)
		dc.FillText(sty, vg.Point{X: x2 + 4, Y: y - sty.Height("0")/2}, fmtTick(v))
	}
}

func fmtTick(v float64) string {
	if v != 0 && (math.Abs(v) >= 1e5 || math.Abs(v) < 1e-2) {
		return fmt.Sprintf("%.1e", v)
	}
	return fmt.Sprintf("%.3g", v)
}

var (
	birdOnce  sync.Once
	birdCache []color.RGBA
)

// birdPalette returns ROOT's kBird palette (255 colours, the default
// palette since ROOT 6), interpolated from ROOT's stops.
func birdPalette() []color.RGBA {
	birdOnce.Do(func() { birdCache = makeBird() })
	return birdCache
}

func makeBird() []color.RGBA {
	stops := []float64{0.0000, 0.1250, 0.2500, 0.3750, 0.5000, 0.6250, 0.7500, 0.8750, 1.0000}
	red := []float64{0.2082, 0.0592, 0.0780, 0.0232, 0.1802, 0.5301, 0.8186, 0.9956, 0.9764}
	green := []float64{0.1664, 0.3599, 0.5041, 0.6419, 0.7178, 0.7492, 0.7328, 0.7862, 0.9832}
	blue := []float64{0.5293, 0.8684, 0.8385, 0.7914, 0.6425, 0.4662, 0.3499, 0.1968, 0.0539}
	const n = 255
	pal := make([]color.RGBA, n)
	for i := range pal {
		f := float64(i) / (n - 1)
		k := 0
		for k < len(stops)-2 && f > stops[k+1] {
			k++
		}
		t := (f - stops[k]) / (stops[k+1] - stops[k])
		lerp := func(a []float64) uint8 { return uint8(math.Round(255 * (a[k] + t*(a[k+1]-a[k])))) }
		pal[i] = color.RGBA{lerp(red), lerp(green), lerp(blue), 255}
	}
	return pal
}

// projectXY sums a 3D histogram over z into a 2D one for display.
func projectXY(h *overwatch.Hist) *overwatch.Hist {
	p := &overwatch.Hist{Class: overwatch.ClassTH2D, Name: h.Name, Title: h.Title, X: h.X, Y: h.Y,
		Z: overwatch.NewAxis(1, 0, 1), Minimum: overwatch.DefaultMinimum, Maximum: overwatch.DefaultMinimum}
	nx, ny := h.X.NBins+2, h.Y.NBins+2
	p.Contents = make([]float64, nx*ny)
	for iz := 1; iz <= h.Z.NBins; iz++ {
		for iy := 0; iy < ny; iy++ {
			for ix := 0; ix < nx; ix++ {
				p.Contents[ix+nx*iy] += h.Contents[h.Bin(ix, iy, iz)]
			}
		}
	}
	return p
}
