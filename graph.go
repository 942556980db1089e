package overwatch

import "fmt"

// Graph classes understood by Overwatch.
const (
	ClassTGraph            = "TGraph"
	ClassTGraphErrors      = "TGraphErrors"
	ClassTGraphAsymmErrors = "TGraphAsymmErrors"
)

// Graph is a ROOT graph: TGraph (no errors), TGraphErrors (symmetric errors
// EX, EY) or TGraphAsymmErrors (EXLow, EXHigh, EYLow, EYHigh). Trends are
// published as TGraphErrors whose X values are Unix times.
type Graph struct {
	Class string
	Name  string
	Title string
	X, Y  []float64
	// Symmetric errors (TGraphErrors); nil otherwise.
	EX, EY []float64
	// Asymmetric errors (TGraphAsymmErrors); nil otherwise.
	EXLow, EXHigh, EYLow, EYHigh []float64

	Minimum, Maximum float64 // DefaultMinimum when not set
	// XTitle and YTitle are the axis titles (kept in the graph's fHistogram
	// by ROOT). XTime marks the X axis as a time axis with the given
	// TimeFormat (ROOT's TAxis::SetTimeDisplay/SetTimeFormat).
	XTitle, YTitle string
	XTime          bool
	TimeFormat     string
	Att            Attrs
}

// NewGraphErrors returns an empty TGraphErrors with ROOT's default
// attributes.
func NewGraphErrors(name, title string) *Graph {
	return &Graph{
		Class: ClassTGraphErrors, Name: name, Title: title,
		X: []float64{}, Y: []float64{}, EX: []float64{}, EY: []float64{},
		Minimum: DefaultMinimum, Maximum: DefaultMinimum,
		Att: Attrs{
			Line:   LineAttr{Color: 1, Style: 1, Width: 1},
			Fill:   FillAttr{Color: 0, Style: 1001},
			Marker: MarkerAttr{Color: 1, Style: 1, Size: 1},
		},
	}
}

// ObjectName returns the graph's name.
func (g *Graph) ObjectName() string { return g.Name }

// ClassName returns the graph's ROOT class.
func (g *Graph) ClassName() string { return g.Class }

// Len returns the number of points.
func (g *Graph) Len() int { return len(g.X) }

// AddPoint appends a point with symmetric errors (ignored for TGraph).
func (g *Graph) AddPoint(x, y, ex, ey float64) {
	g.X = append(g.X, x)
	g.Y = append(g.Y, y)
	switch g.Class {
	case ClassTGraphErrors:
		g.EX = append(g.EX, ex)
		g.EY = append(g.EY, ey)
	case ClassTGraphAsymmErrors:
		g.EXLow = append(g.EXLow, ex)
		g.EXHigh = append(g.EXHigh, ex)
		g.EYLow = append(g.EYLow, ey)
		g.EYHigh = append(g.EYHigh, ey)
	}
}

// Validate checks that the per-point arrays of g have matching lengths.
func (g *Graph) Validate() error {
	n := len(g.X)
	check := func(name string, s []float64, required bool) error {
		if (required || s != nil) && len(s) != n {
			return fmt.Errorf("overwatch: %s %q has %d %s for %d points", g.Class, g.Name, len(s), name, n)
		}
		return nil
	}
	if err := check("y values", g.Y, true); err != nil {
		return err
	}
	switch g.Class {
	case ClassTGraph:
	case ClassTGraphErrors:
		for _, c := range []struct {
			n string
			s []float64
		}{{"x errors", g.EX}, {"y errors", g.EY}} {
			if err := check(c.n, c.s, true); err != nil {
				return err
			}
		}
	case ClassTGraphAsymmErrors:
		for _, c := range []struct {
			n string
			s []float64
		}{{"low x errors", g.EXLow}, {"high x errors", g.EXHigh}, {"low y errors", g.EYLow}, {"high y errors", g.EYHigh}} {
			if err := check(c.n, c.s, true); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("overwatch: unknown graph class %q", g.Class)
	}
	return nil
}

// Clone returns a deep copy of g.
func (g *Graph) Clone() *Graph {
	c := *g
	for _, p := range []*[]float64{&c.X, &c.Y, &c.EX, &c.EY, &c.EXLow, &c.EXHigh, &c.EYLow, &c.EYHigh} {
		*p = cloneF(*p)
	}
	return &c
}
