// Package render draws processed histograms, stacks and graphs as PNG
// images with gonum/plot, following the display hints and decorations of
// overwatch.Display: log axes, axis ranges, grid lines, stats box, title,
// and lines, boxes, texts, secondary axes and legends drawn over the plot.
//
// 2D histograms are rasterised directly into an image of the plot's data
// area (one lookup per pixel row and column, nearest cell) instead of one
// vector rectangle per cell, which keeps a 100x100 map to a few
// milliseconds; empty cells stay white as in ROOT's "colz". The colour
// palette is ROOT's default kBird.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"sync"

	"git.sr.ht/~sbinet/gg"

	"github.com/overwatch-dqm/overwatch"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Options set the image size in pixels (480 x 360 when zero).
type Options struct {
	Width, Height int
}

// Thumbnail is the size of the images processing and the web app render
// for histograms (the web app draws interactive plots with JSROOT; images
// are its fallback and the thumbnails).
var Thumbnail = Options{Width: 400, Height: 300}

func (o Options) size() (int, int) {
	if o.Width <= 0 || o.Height <= 0 {
		return 480, 360
	}
	return o.Width, o.Height
}

// colorBarWidth is the width in pixels reserved for the z colour scale of
// 2D plots.
const colorBarWidth = 60

// Hist renders a histogram (1D, 2D or profile; a 3D histogram is drawn as
// its projection on x-y) with its display d (nil for defaults).
func Hist(h *overwatch.Hist, d *overwatch.Display, o Options) ([]byte, error) {
	if h == nil {
		return nil, errors.New("render: nil histogram")
	}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return renderObjects([]*overwatch.Hist{h}, nil, h.Title, d, o)
}

// Stack renders the members of a stack overlaid (not stacked, as ROOT's
// "nostack"), each in its own colour.
func Stack(members []*overwatch.Hist, title string, d *overwatch.Display, o Options) ([]byte, error) {
	if len(members) == 0 {
		return nil, errors.New("render: empty stack")
	}
	for _, h := range members {
		if h == nil {
			return nil, errors.New("render: nil stack member")
		}
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("render: stack member: %w", err)
		}
	}
	return renderObjects(members, nil, title, d, o)
}

// Graph renders a graph as markers joined by lines, with its error bars.
func Graph(g *overwatch.Graph, d *overwatch.Display, o Options) ([]byte, error) {
	if g == nil {
		return nil, errors.New("render: nil graph")
	}
	if len(g.Y) != len(g.X) {
		return nil, fmt.Errorf("render: graph %q has %d x and %d y values", g.Name, len(g.X), len(g.Y))
	}
	return renderObjects(nil, g, g.Title, d, o)
}

var rgbaPool sync.Pool // *image.RGBA

// getRGBA returns an image of the given size from the pool.
func getRGBA(w, h int) *image.RGBA {
	if img, ok := rgbaPool.Get().(*image.RGBA); ok && img.Bounds().Dx() == w && img.Bounds().Dy() == h {
		return img
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

// splitTitle splits a ROOT title "title;x title;y title".
func splitTitle(t string) (title, x, y string) {
	parts := strings.SplitN(t, ";", 3)
	title = parts[0]
	if len(parts) > 1 {
		x = parts[1]
	}
	if len(parts) > 2 {
		y = parts[2]
	}
	return
}

func renderObjects(hs []*overwatch.Hist, g *overwatch.Graph, title string, d *overwatch.Display, o Options) (out []byte, err error) {
	defer func() {
		// gonum/plot panics on some degenerate inputs; never let that
		// escape.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("render: plotting failed: %v", r)
		}
	}()
	if d == nil {
		d = &overwatch.Display{}
	}
	w, hgt := o.size()
	p := plot.New()
	p.Title.TextStyle.Font.Size = 11
	p.X.Label.TextStyle.Font.Size = 10
	p.Y.Label.TextStyle.Font.Size = 10
	p.X.Tick.Label.Font.Size = 9
	p.Y.Tick.Label.Font.Size = 9

	t, xt, yt := splitTitle(title)
	if d.ShowTitle {
		p.Title.Text = t
		if d.PrettyName != "" && t == "" {
			p.Title.Text = d.PrettyName
		}
	}
	is2D := len(hs) == 1 && hs[0].Dim() >= 2
	var zr zRange
	var grid2 *cells
	var rasters []rasterizer
	switch {
	case g != nil:
		xt, yt = g.XTitle, g.YTitle
		addGraph(p, g)
	case is2D:
		h := hs[0]
		if h.Dim() == 3 {
			h = projectXY(h)
		}
		if xt == "" {
			xt = h.X.Title
		}
		if yt == "" {
			yt = h.Y.Title
		}
		grid2 = newCells(h)
		zr = grid2.zRange(d)
		rasters = append(rasters, &heatmap{c: grid2, z: zr, logX: d.LogX, logY: d.LogY})
	default:
		if xt == "" {
			xt = hs[0].X.Title
		}
		if yt == "" {
			yt = hs[0].Y.Title
		}
		for i, h := range hs {
			col := lineColor(h, i, len(hs) > 1)
			rasters = append(rasters, &steps{h: h, color: col, logY: d.LogY})
		}
	}
	p.X.Label.Text = xt
	p.Y.Label.Text = yt

	setRanges(p, hs, g, grid2, d)
	if d.LogX && p.X.Min > 0 {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if d.LogY && p.Y.Min > 0 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if d.GridX || d.GridY {
		gr := plotter.NewGrid()
		if !d.GridX {
			gr.Vertical.Color = nil
		}
		if !d.GridY {
			gr.Horizontal.Color = nil
		}
		p.Add(gr)
	}
	deco := &decorations{d: d}
	p.Add(deco)

	const dpi = 72 // 1 point = 1 pixel
	// The canvas's image comes from a pool (the background is painted
	// white by NewWith); the encoded PNG does not refer to it.
	buf := getRGBA(w, hgt)
	defer rgbaPool.Put(buf)
	gc := gg.NewContextForRGBA(buf)
	gc.SetLineCapButt()
	gc.InvertY()
	cnv := vgimg.NewWith(vgimg.UseImageWithContext(buf, gc), vgimg.UseDPI(dpi))
	dc := draw.New(cnv) // white background
	p.BackgroundColor = nil
	deco.full = dc
	plotArea := dc
	if grid2 != nil {
		plotArea = draw.Crop(dc, 0, -colorBarWidth, 0, 0)
	}
	// Histograms are rasterised straight into the image's data area, then
	// axes, grid and decorations are drawn over them.
	if len(rasters) > 0 {
		img, ok := cnv.Image().(*image.RGBA)
		if !ok {
			return nil, errors.New("render: canvas is not RGBA")
		}
		da := p.DataCanvas(plotArea)
		r := image.Rect(int(math.Round(float64(da.Min.X))), hgt-int(math.Round(float64(da.Max.Y))),
			int(math.Round(float64(da.Max.X))), hgt-int(math.Round(float64(da.Min.Y)))).Intersect(img.Bounds())
		if !r.Empty() {
			for _, rs := range rasters {
				rs.rasterize(img, r, p)
			}
		}
	}
	p.Draw(plotArea)
	if grid2 != nil {
		drawColorBar(dc, zr)
	}
	if d.ShowStats && len(hs) == 1 {
		drawStats(dc, hs[0])
	}
	img, ok := cnv.Image().(*image.RGBA)
	if !ok {
		return nil, errors.New("render: canvas is not RGBA")
	}
	return encodePNG(img)
}

// setRanges sets the axis ranges: the display's ranges when given, else the
// histogram's axis and content ranges (positive for log axes).
func setRanges(p *plot.Plot, hs []*overwatch.Hist, g *overwatch.Graph, c *cells, d *overwatch.Display) {
	switch {
	case g != nil:
		xmin, xmax, ymin, ymax := graphRange(g)
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = xmin, xmax, ymin, ymax
	case c != nil:
		p.X.Min, p.X.Max = c.xEdges[0], c.xEdges[len(c.xEdges)-1]
		p.Y.Min, p.Y.Max = c.yEdges[0], c.yEdges[len(c.yEdges)-1]
	default:
		h := hs[0]
		p.X.Min, p.X.Max = h.X.BinLowEdge(1), h.X.BinUpEdge(h.X.NBins)
		lo, hi := math.Inf(1), math.Inf(-1)
		minPos := math.Inf(1)
		for _, h := range hs {
			for i := 1; i <= h.X.NBins; i++ {
				v := h.BinContent(i)
				if h.IsProfile() || h.Sumw2 != nil {
					e := h.BinError(i)
					lo, hi = math.Min(lo, v-e), math.Max(hi, v+e)
				}
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				if v > 0 {
					minPos = math.Min(minPos, v)
				}
			}
		}
		if h.Minimum != overwatch.DefaultMinimum {
			lo = h.Minimum
		}
		if h.Maximum != overwatch.DefaultMinimum {
			hi = h.Maximum
		}
		if d.LogY {
			if math.IsInf(minPos, 1) {
				minPos = 1
			}
			lo = minPos * 0.5
			if hi <= lo {
				hi = lo * 10
			}
			hi *= 2
		} else {
			if lo > 0 {
				lo = 0
			}
			if hi <= lo {
				hi = lo + 1
			}
			hi += 0.05 * (hi - lo)
		}
		p.Y.Min, p.Y.Max = lo, hi
	}
	if r := d.XRange; r != nil && r.Max > r.Min {
		p.X.Min, p.X.Max = r.Min, r.Max
	}
	if r := d.YRange; r != nil && r.Max > r.Min {
		p.Y.Min, p.Y.Max = r.Min, r.Max
	}
	if d.LogX && p.X.Min <= 0 && p.X.Max > 0 {
		p.X.Min = math.Min(p.X.Max*1e-3, 1)
		if c != nil && len(c.xEdges) > 1 && c.xEdges[1] > 0 {
			p.X.Min = c.xEdges[1]
		} else if len(hs) > 0 && hs[0].X.BinUpEdge(1) > 0 {
			p.X.Min = hs[0].X.BinUpEdge(1)
		}
	}
	if d.LogY && p.Y.Min <= 0 && p.Y.Max > 0 {
		p.Y.Min = math.Min(p.Y.Max*1e-3, 1)
	}
	if !(p.X.Max > p.X.Min) {
		p.X.Max = p.X.Min + 1
	}
	if !(p.Y.Max > p.Y.Min) {
		p.Y.Max = p.Y.Min + 1
	}
}

func graphRange(g *overwatch.Graph) (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range g.X {
		x, y := g.X[i], g.Y[i]
		ey := 0.0
		if i < len(g.EY) {
			ey = g.EY[i]
		}
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		ymin, ymax = math.Min(ymin, y-ey), math.Max(ymax, y+ey)
	}
	if len(g.X) == 0 {
		return 0, 1, 0, 1
	}
	if g.Minimum != overwatch.DefaultMinimum {
		ymin = g.Minimum
	}
	if g.Maximum != overwatch.DefaultMinimum {
		ymax = g.Maximum
	}
	dx, dy := (xmax-xmin)*0.05, (ymax-ymin)*0.1
	if dx == 0 {
		dx = 1
	}
	if dy == 0 {
		dy = math.Max(math.Abs(ymax)*0.1, 1)
	}
	return xmin - dx, xmax + dx, ymin - dy, ymax + dy
}

// steps draws a 1D histogram as a step line (profiles: markers with error
// bars).
type steps struct {
	h     *overwatch.Hist
	color color.Color
	logY  bool
}

func addGraph(p *plot.Plot, g *overwatch.Graph) {
	p.Add(&graphPlotter{g: g})
}

type graphPlotter struct{ g *overwatch.Graph }

// Plot implements plot.Plotter.
func (gp *graphPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	g := gp.g
	ls := draw.LineStyle{Color: rootColor(g.Att.Line.Color, 0), Width: 1}
	var path []vg.Point
	for i := range g.X {
		x, y := g.X[i], g.Y[i]
		if math.IsNaN(x) || math.IsNaN(y) || x < plt.X.Min || x > plt.X.Max || y < plt.Y.Min || y > plt.Y.Max {
			continue
		}
		px, py := trX(x), trY(y)
		path = append(path, vg.Point{X: px, Y: py})
		if i < len(g.EY) && g.EY[i] > 0 {
			lo, hi := math.Max(y-g.EY[i], plt.Y.Min), math.Min(y+g.EY[i], plt.Y.Max)
			c.StrokeLine2(ls, px, trY(lo), px, trY(hi))
		}
		c.DrawGlyph(draw.GlyphStyle{Color: ls.Color, Radius: 2, Shape: draw.CircleGlyph{}}, vg.Point{X: px, Y: py})
	}
	if len(path) > 1 {
		c.StrokeLines(ls, path)
	}
}

// drawStats draws a ROOT-like statistics box (entries, mean, std dev) in
// the top right corner.
func drawStats(dc draw.Canvas, h *overwatch.Hist) {
	mean, std := math.NaN(), math.NaN()
	if h.Stats.Sumw != 0 {
		mean = h.Stats.Sumwx / h.Stats.Sumw
		std = math.Sqrt(math.Max(0, h.Stats.Sumwx2/h.Stats.Sumw-mean*mean))
	}
	lines := []string{
		h.Name,
		fmt.Sprintf("Entries  %.6g", h.Entries),
		fmt.Sprintf("Mean     %.4g", mean),
		fmt.Sprintf("Std Dev  %.4g", std),
	}
	sty := textStyle(9, color.Black)
	wmax := vg.Length(0)
	for _, l := range lines {
		wmax = max(wmax, sty.Width(l))
	}
	lh := sty.Height("Ag")
	x2, y2 := dc.Max.X-8, dc.Max.Y-8
	x1, y1 := x2-wmax-8, y2-lh*vg.Length(len(lines))-6
	rect := []vg.Point{{X: x1, Y: y1}, {X: x2, Y: y1}, {X: x2, Y: y2}, {X: x1, Y: y2}, {X: x1, Y: y1}}
	dc.SetColor(color.White)
	dc.Fill(polygon(rect))
	dc.StrokeLines(draw.LineStyle{Color: color.Black, Width: 1}, rect)
	for i, l := range lines {
		dc.FillText(sty, vg.Point{X: x1 + 4, Y: y2 - 3 - lh*vg.Length(i+1)}, l)
	}
}

func polygon(pts []vg.Point) vg.Path {
	var p vg.Path
	for i, pt := range pts {
		if i == 0 {
			p.Move(pt)
		} else {
			p.Line(pt)
		}
	}
	p.Close()
	return p
}

func textStyle(size vg.Length, c color.Color) draw.TextStyle {
	return draw.TextStyle{
		Color:   c,
		Font:    font.From(plot.DefaultFont, size),
		Handler: plot.DefaultTextHandler,
	}
}

// Image decodes a PNG produced by this package (for tests and tools).
func Image(b []byte) (image.Image, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("render: decoding PNG: %w", err)
	}
	return img, nil
}
