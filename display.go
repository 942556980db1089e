package overwatch

// Range is an axis range in user coordinates.
type Range struct {
	Min, Max float64
}

// Display holds how a processed histogram is to be shown: the hints the web
// page hands to JSROOT and the PNG renderer follows, and decorations drawn
// over the plot. It is data: it is stored with the outputs as JSON.
type Display struct {
	PrettyName string `json:"prettyName,omitempty"`
	DrawOption string `json:"drawOption,omitempty"` // JSROOT/ROOT draw option, e.g. "colz"
	LogX       bool   `json:"logx,omitempty"`
	LogY       bool   `json:"logy,omitempty"`
	LogZ       bool   `json:"logz,omitempty"`
	GridX      bool   `json:"gridx,omitempty"`
	GridY      bool   `json:"gridy,omitempty"`
	ShowStats  bool   `json:"stats,omitempty"`
	ShowTitle  bool   `json:"title,omitempty"`
	XRange     *Range `json:"xrange,omitempty"`
	YRange     *Range `json:"yrange,omitempty"`
	ZRange     *Range `json:"zrange,omitempty"`
	// Decorations are drawn over the histogram in order.
	Decorations []Decoration `json:"decorations,omitempty"`
}

// DecorationKind names what a decoration draws.
type DecorationKind string

// The decoration kinds.
const (
	DecoLine   DecorationKind = "line"   // segment (X1,Y1)-(X2,Y2)
	DecoBox    DecorationKind = "box"    // rectangle with corners (X1,Y1), (X2,Y2)
	DecoText   DecorationKind = "text"   // Text at (X1,Y1)
	DecoAxis   DecorationKind = "axis"   // secondary axis along (X1,Y1)-(X2,Y2) labelled AxisMin..AxisMax
	DecoLegend DecorationKind = "legend" // legend box (X1,Y1)-(X2,Y2) with Entries
)

// Decoration is one element drawn over a plot. Coordinates are user (axis)
// coordinates unless NDC is set, in which case they are fractions of the
// pad (0..1, origin bottom left) as in ROOT's NDC.
type Decoration struct {
	Kind      DecorationKind `json:"kind"`
	X1        float64        `json:"x1"`
	Y1        float64        `json:"y1"`
	X2        float64        `json:"x2,omitempty"`
	Y2        float64        `json:"y2,omitempty"`
	NDC       bool           `json:"ndc,omitempty"`
	Color     string         `json:"color,omitempty"` // CSS colour, e.g. "#000000"
	Fill      string         `json:"fill,omitempty"`  // CSS fill colour of boxes and legends; "" = none
	LineWidth float64        `json:"lineWidth,omitempty"`
	Dashed    bool           `json:"dashed,omitempty"`
	Text      string         `json:"text,omitempty"`
	TextSize  float64        `json:"textSize,omitempty"` // fraction of the pad height

	// Secondary axes: value range, title, divisions (ROOT's ndiv code),
	// ticks on the opposite side.
	AxisMin   float64 `json:"axisMin,omitempty"`
	AxisMax   float64 `json:"axisMax,omitempty"`
	AxisTitle string  `json:"axisTitle,omitempty"`
	NDiv      int     `json:"ndiv,omitempty"`
	Opposite  bool    `json:"opposite,omitempty"`

	// Legends.
	Entries []LegendEntry `json:"entries,omitempty"`
}

// LegendEntry is one line of a legend: the member histogram it refers to,
// its label and the ROOT legend option ("lep", "f", ...).
type LegendEntry struct {
	Ref    string `json:"ref,omitempty"`
	Label  string `json:"label"`
	Option string `json:"option,omitempty"`
}

// InfoItem is one line of a histogram's information panel (thresholds, hot
// channels, alarm texts).
type InfoItem struct {
	Label string `json:"label"`
	Value string `json:"value"`
}
