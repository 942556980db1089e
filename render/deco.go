package render

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/overwatch-dqm/overwatch"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// decorations draws Display.Decorations over the plot. User coordinates go
// through the plot's transforms; NDC coordinates are fractions of the whole
// image (the pad).
type decorations struct {
	d    *overwatch.Display
	full draw.Canvas
}

// Plot implements plot.Plotter.
func (dd *decorations) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	pt := func(dec *overwatch.Decoration, x, y float64) vg.Point {
		if dec.NDC {
			f := dd.full
			return vg.Point{X: f.Min.X + vg.Length(x)*(f.Max.X-f.Min.X), Y: f.Min.Y + vg.Length(y)*(f.Max.Y-f.Min.Y)}
		}
		return vg.Point{X: trX(clampAxis(plt.X, x)), Y: trY(clampAxis(plt.Y, y))}
	}
	padH := dd.full.Max.Y - dd.full.Min.Y
	for i := range dd.d.Decorations {
		dec := &dd.d.Decorations[i]
		ls := draw.LineStyle{Color: parseColor(dec.Color, color.Black), Width: vg.Length(math.Max(dec.LineWidth, 1))}
		if dec.Dashed {
			ls.Dashes = []vg.Length{4, 3}
		}
		size := vg.Length(10)
		if dec.TextSize > 0 {
			size = vg.Length(dec.TextSize) * padH
		}
		ts := textStyle(size, parseColor(dec.Color, color.Black))
		switch dec.Kind {
		case overwatch.DecoLine:
			a, b := pt(dec, dec.X1, dec.Y1), pt(dec, dec.X2, dec.Y2)
			c.StrokeLine2(ls, a.X, a.Y, b.X, b.Y)
		case overwatch.DecoBox:
			a, b := pt(dec, dec.X1, dec.Y1), pt(dec, dec.X2, dec.Y2)
			rect := []vg.Point{a, {X: b.X, Y: a.Y}, b, {X: a.X, Y: b.Y}, a}
			if dec.Fill != "" {
				c.SetColor(parseColor(dec.Fill, color.White))
				c.Fill(polygon(rect))
			}
			c.StrokeLines(ls, rect)
		case overwatch.DecoText:
			c.FillText(ts, pt(dec, dec.X1, dec.Y1), dec.Text)
		case overwatch.DecoAxis:
			dd.drawAxis(c, dec, pt(dec, dec.X1, dec.Y1), pt(dec, dec.X2, dec.Y2), ls, ts)
		case overwatch.DecoLegend:
			a, b := pt(dec, dec.X1, dec.Y1), pt(dec, dec.X2, dec.Y2)
			rect := []vg.Point{a, {X: b.X, Y: a.Y}, b, {X: a.X, Y: b.Y}, a}
			c.SetColor(parseColor(dec.Fill, color.White))
			c.Fill(polygon(rect))
			c.StrokeLines(draw.LineStyle{Color: color.Black, Width: 0.5}, rect)
			n := len(dec.Entries)
			if n == 0 {
				continue
			}
			top, left := math.Max(float64(a.Y), float64(b.Y)), math.Min(float64(a.X), float64(b.X))
			h := math.Abs(float64(b.Y-a.Y)) / float64(n)
			for k, e := range dec.Entries {
				y := vg.Length(top - h*(float64(k)+0.5))
				col := stackColor(k)
				c.StrokeLine2(draw.LineStyle{Color: col, Width: 2}, vg.Length(left)+4, y, vg.Length(left)+18, y)
				c.FillText(ts, vg.Point{X: vg.Length(left) + 22, Y: y - ts.Height("A")/2}, e.Label)
			}
		}
	}
}

// drawAxis draws a secondary axis from a to b labelled AxisMin..AxisMax with
// ROOT's primary division count (NDiv % 100, 5 when unset).
func (dd *decorations) drawAxis(c draw.Canvas, dec *overwatch.Decoration, a, b vg.Point, ls draw.LineStyle, ts draw.TextStyle) {
	c.StrokeLine2(ls, a.X, a.Y, b.X, b.Y)
	n := dec.NDiv % 100
	if n <= 0 {
		n = 5
	}
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	// Ticks perpendicular to the axis, on the side chosen by Opposite.
	nx, ny := -dy/l*5, dx/l*5
	if dec.Opposite {
		nx, ny = -nx, -ny
	}
	for i := 0; i <= n; i++ {
		f := float64(i) / float64(n)
		p := vg.Point{X: a.X + vg.Length(f*dx), Y: a.Y + vg.Length(f*dy)}
		c.StrokeLine2(ls, p.X, p.Y, p.X+vg.Length(nx), p.Y+vg.Length(ny))
		v := dec.AxisMin + f*(dec.AxisMax-dec.AxisMin)
		lab := fmtTick(v)
		c.FillText(ts, vg.Point{X: p.X - vg.Length(nx)*2 - ts.Width(lab)/2, Y: p.Y - vg.Length(ny)*2 - ts.Height(lab)/2}, lab)
	}
	if dec.AxisTitle != "" {
		mid := vg.Point{X: (a.X + b.X) / 2, Y: (a.Y + b.Y) / 2}
		c.FillText(ts, vg.Point{X: mid.X - vg.Length(nx)*5 - ts.Width(dec.AxisTitle)/2, Y: mid.Y - vg.Length(ny)*5}, dec.AxisTitle)
	}
}

func clampAxis(a plot.Axis, v float64) float64 {
	if math.IsNaN(v) {
		return a.Min
	}
	return math.Max(a.Min, math.Min(a.Max, v))
}

// parseColor parses a CSS colour "#rgb", "#rrggbb" or a few names.
func parseColor(s string, def color.Color) color.Color {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "":
		return def
	case "black":
		return color.Black
	case "white":
		return color.White
	case "red":
		return color.RGBA{255, 0, 0, 255}
	case "green":
		return color.RGBA{0, 128, 0, 255}
	case "blue":
		return color.RGBA{0, 0, 255, 255}
	case "magenta":
		return color.RGBA{255, 0, 255, 255}
	case "orange":
		return color.RGBA{255, 165, 0, 255}
	case "gray", "grey":
		return color.RGBA{128, 128, 128, 255}
	}
	if strings.HasPrefix(s, "#") {
		h := s[1:]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		if len(h) == 6 {
			if v, err := strconv.ParseUint(h, 16, 32); err == nil {
				return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
			}
		}
	}
	return def
}

// rootColors are ROOT's basic colour indices 0-9.
var rootColors = []color.RGBA{
	{255, 255, 255, 255}, {0, 0, 0, 255}, {255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255},
	{255, 255, 0, 255}, {255, 0, 255, 255}, {0, 255, 255, 255}, {89, 211, 84, 255}, {89, 84, 216, 255},
}

// rootColor maps a ROOT colour index to a colour (def index for unknown
// ones; white lines are drawn black).
func rootColor(idx int16, def int) color.Color {
	if idx <= 0 || int(idx) >= len(rootColors) {
		idx = int16(def)
		if idx <= 0 {
			idx = 1
		}
	}
	return rootColors[idx]
}

// stackColor is the colour of the k-th member of a stack or legend.
func stackColor(k int) color.Color {
	cols := []color.Color{
		color.RGBA{0, 0, 255, 255}, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 150, 0, 255},
		color.RGBA{255, 0, 255, 255}, color.RGBA{0, 170, 170, 255}, color.RGBA{255, 140, 0, 255},
	}
	return cols[k%len(cols)]
}

// lineColor is the colour of a histogram line: its own line colour alone,
// the stack palette in a stack.
func lineColor(h *overwatch.Hist, k int, inStack bool) color.Color {
	if inStack {
		return stackColor(k)
	}
	return rootColor(h.Att.Line.Color, 4)
}
