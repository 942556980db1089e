package trending

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/overwatch-dqm/overwatch"
)

// OutputPoints is how many of a trend's newest points its outputs show.
const OutputPoints = 2000

// TimeFormat is the ROOT time format of trend graphs' X axes: Unix seconds
// shown as Europe/Zurich-agnostic UTC date and time (ROOT's "%F" offset
// syntax, which JSROOT understands).
const TimeFormat = "%d/%m %H:%M:%S%F1970-01-01 00:00:00s0"

// Graph returns a trend's points as a TGraphErrors whose X values are Unix
// times (a real time axis) and Y values the trended values with their
// errors.
func Graph(name, desc string, pts []overwatch.TrendPoint) *overwatch.Graph {
	g := overwatch.NewGraphErrors(name, desc)
	g.XTitle, g.YTitle = "Time", desc
	g.XTime, g.TimeFormat = true, TimeFormat
	g.Att.Marker = overwatch.MarkerAttr{Color: 4, Style: 20, Size: 0.8}
	g.Att.Line = overwatch.LineAttr{Color: 4, Style: 1, Width: 1}
	for _, p := range pts {
		g.AddPoint(float64(p.Time.Unix())+float64(p.Seq)*1e-3, p.Value, 0, p.Error)
	}
	return g
}

func (m *Manager) writeOutputs(ctx context.Context, k trendKey, desc string) error {
	pts, err := m.st.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: k.sys, Trend: k.name, Limit: OutputPoints})
	if err != nil {
		return err
	}
	if desc == "" {
		desc = k.name
	}
	g := Graph(k.name, desc, pts)
	js, err := overwatch.MarshalJSON(g)
	if err != nil {
		return fmt.Errorf("encoding trend JSON: %w", err)
	}
	ref := overwatch.OutputRef{Subsystem: k.sys, Name: k.name, Kind: overwatch.OutputJSON}
	if err := m.st.PutOutput(ctx, ref, js); err != nil {
		return err
	}
	png, err := RenderPNG(g, 15*vg.Centimeter, 9*vg.Centimeter)
	if err != nil {
		return fmt.Errorf("rendering trend PNG: %w", err)
	}
	ref.Kind = overwatch.OutputPNG
	return m.st.PutOutput(ctx, ref, png)
}

// RenderPNG draws a trend graph (points with error bars over a time axis)
// as a PNG of the given size.
func RenderPNG(g *overwatch.Graph, w, h vg.Length) ([]byte, error) {
	p := plot.New()
	p.Title.Text = g.Title
	p.X.Label.Text = g.XTitle
	p.Y.Label.Text = g.YTitle
	p.X.Tick.Marker = plot.TimeTicks{Format: "02/01 15:04", Time: func(t float64) time.Time { return time.Unix(int64(t), 0).UTC() }}
	p.Add(plotter.NewGrid())
	if g.Len() > 0 {
		xys := make(plotter.XYs, g.Len())
		errs := make(plotter.YErrors, g.Len())
		for i := range xys {
			xys[i].X, xys[i].Y = g.X[i], g.Y[i]
			errs[i].Low, errs[i].High = g.EY[i], g.EY[i]
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		blue := color.RGBA{B: 200, A: 255}
		sc.GlyphStyle.Color = blue
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xys, errs})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Color = blue
		p.Add(eb, sc)
	}
	c := vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
