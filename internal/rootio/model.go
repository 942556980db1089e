package rootio

// Attrs holds ROOT's TAttLine, TAttFill and TAttMarker values.
type Attrs struct {
	LineColor, LineStyle, LineWidth int16
	FillColor, FillStyle            int16
	MarkerColor, MarkerStyle        int16
	MarkerSize                      float32
}

// AxisAttr holds ROOT's TAttAxis values.
type AxisAttr struct {
	Ndivisions                         int32
	AxisColor, LabelColor, LabelFont   int16
	LabelOffset, LabelSize, TickLength float32
	TitleOffset, TitleSize             float32
	TitleColor, TitleFont              int16
}

// Axis is a decoded TAxis.
type Axis struct {
	Name, Title string
	Attr        AxisAttr
	NBins       int
	Min, Max    float64
	// Edges is fXbins: empty for uniform binning.
	Edges       []float64
	First, Last int
	Bits2       uint16
	TimeDisplay bool
	TimeFormat  string
	// Labels maps a bin number to its alphanumeric label.
	Labels map[int]string
}

// Hist is a decoded histogram of any class of the TH1 family (TH1x, TH2x,
// TH3x, TProfile, TProfile2D). Contents and Sumw2 are widened to float64.
type Hist struct {
	Class         string
	Name, Title   string
	Attrs         Attrs
	NCells        int
	X, Y, Z       Axis
	BarOffset     int16
	BarWidth      int16
	Entries       float64
	Tsumw         float64
	Tsumw2        float64
	Tsumwx        float64
	Tsumwx2       float64
	Maximum       float64
	Minimum       float64
	NormFactor    float64
	Contour       []float64
	Sumw2         []float64
	Option        string
	BinStatErrOpt int32
	StatOverflows int32
	// TH2/TH3 sums.
	Scalefactor                       float64
	Tsumwy, Tsumwy2, Tsumwxy          float64
	Tsumwz, Tsumwz2, Tsumwxz, Tsumwyz float64
	Contents                          []float64
	// Profiles.
	BinEntries []float64
	ErrorMode  int32
	PMin, PMax float64 // fYmin/fYmax (TProfile), fZmin/fZmax (TProfile2D)
	BinSumw2   []float64
	// Dropped lists the classes of fFunctions entries that were skipped.
	Dropped []string
}

// Graph is a decoded TGraph, TGraphErrors or TGraphAsymmErrors.
type Graph struct {
	Class                        string
	Name, Title                  string
	Attrs                        Attrs
	X, Y                         []float64
	EX, EY                       []float64
	EXLow, EXHigh, EYLow, EYHigh []float64
	Minimum, Maximum             float64
	Option                       string
	// XTitle, YTitle, XTime, TimeFormat come from fHistogram's axes.
	XTitle, YTitle string
	XTime          bool
	TimeFormat     string
	// Dropped lists the classes of fFunctions entries that were skipped.
	Dropped []string
}

// ObjString is a decoded TObjString.
type ObjString struct {
	Value string
}
