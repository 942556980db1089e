package overwatch

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Histogram classes understood by Overwatch. A Hist keeps its class through
// every operation and is written back to ROOT with the same class.
const (
	ClassTH1C       = "TH1C"
	ClassTH1S       = "TH1S"
	ClassTH1I       = "TH1I"
	ClassTH1F       = "TH1F"
	ClassTH1D       = "TH1D"
	ClassTH2C       = "TH2C"
	ClassTH2S       = "TH2S"
	ClassTH2I       = "TH2I"
	ClassTH2F       = "TH2F"
	ClassTH2D       = "TH2D"
	ClassTH3C       = "TH3C"
	ClassTH3S       = "TH3S"
	ClassTH3I       = "TH3I"
	ClassTH3F       = "TH3F"
	ClassTH3D       = "TH3D"
	ClassTProfile   = "TProfile"
	ClassTProfile2D = "TProfile2D"
)

// ErrIncompatible is wrapped by every error that reports histograms whose
// binning, dimension or kind do not allow the requested operation.
var ErrIncompatible = errors.New("incompatible histograms")

// ClassDim returns the dimension (1, 2 or 3) of a histogram class, or 0 when
// class is not a histogram class known to Overwatch.
func ClassDim(class string) int {
	switch class {
	case ClassTH1C, ClassTH1S, ClassTH1I, ClassTH1F, ClassTH1D, ClassTProfile:
		return 1
	case ClassTH2C, ClassTH2S, ClassTH2I, ClassTH2F, ClassTH2D, ClassTProfile2D:
		return 2
	case ClassTH3C, ClassTH3S, ClassTH3I, ClassTH3F, ClassTH3D:
		return 3
	}
	return 0
}

// IsProfileClass reports whether class is TProfile or TProfile2D.
func IsProfileClass(class string) bool {
	return class == ClassTProfile || class == ClassTProfile2D
}

// Default values of ROOT's drawing attributes (TAttLine, TAttFill,
// TAttMarker and TAttAxis as set by TH1's and TAxis's constructors).
const (
	DefaultMinimum = -1111 // fMinimum/fMaximum value meaning "not set"
	DefaultNdiv    = 510
)

// LineAttr mirrors ROOT's TAttLine.
type LineAttr struct {
	Color int16
	Style int16
	Width int16
}

// FillAttr mirrors ROOT's TAttFill.
type FillAttr struct {
	Color int16
	Style int16
}

// MarkerAttr mirrors ROOT's TAttMarker.
type MarkerAttr struct {
	Color int16
	Style int16
	Size  float32
}

// Attrs groups the line, fill and marker attributes of a histogram or
// graph.
type Attrs struct {
	Line   LineAttr
	Fill   FillAttr
	Marker MarkerAttr
}

// AxisAttr mirrors ROOT's TAttAxis.
type AxisAttr struct {
	Ndivisions  int32
	AxisColor   int16
	LabelColor  int16
	LabelFont   int16
	LabelOffset float32
	LabelSize   float32
	TickLength  float32
	TitleOffset float32
	TitleSize   float32
	TitleColor  int16
	TitleFont   int16
}

// DefaultAxisAttr returns the attributes ROOT gives a new TAxis.
func DefaultAxisAttr() AxisAttr {
	return AxisAttr{
		Ndivisions: DefaultNdiv, AxisColor: 1, LabelColor: 1, LabelFont: 42,
		LabelOffset: 0.005, LabelSize: 0.035, TickLength: 0.03,
		TitleOffset: 1, TitleSize: 0.035, TitleColor: 1, TitleFont: 42,
	}
}

// Axis is one axis of a histogram (ROOT's TAxis): NBins bins between Min and
// Max, uniform unless Edges holds the NBins+1 bin edges. Bin 0 is the
// underflow bin, bin NBins+1 the overflow bin.
type Axis struct {
	Name  string // "xaxis", "yaxis" or "zaxis"
	Title string
	NBins int
	Min   float64
	Max   float64
	// Edges holds NBins+1 increasing edges for variable binning; nil for
	// uniform binning.
	Edges []float64
	// Labels holds alphanumeric bin labels (Labels[i-1] labels bin i); nil
	// when the axis has none. Unlabelled bins have an empty string.
	Labels []string
	// First and Last are the displayed bin range (ROOT's fFirst, fLast); 0,0
	// means the whole axis.
	First, Last int
	Bits2       uint16
	TimeDisplay bool
	TimeFormat  string
	Attr        AxisAttr
}

// NewAxis returns a uniform axis of n bins between min and max.
func NewAxis(n int, min, max float64) Axis {
	return Axis{NBins: n, Min: min, Max: max, Attr: DefaultAxisAttr()}
}

// NewAxisEdges returns a variable-bin axis with the given edges, which must
// be at least two strictly increasing finite numbers.
func NewAxisEdges(edges []float64) (Axis, error) {
	if len(edges) < 2 {
		return Axis{}, fmt.Errorf("overwatch: axis needs at least 2 edges, got %d", len(edges))
	}
	for i, e := range edges {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return Axis{}, fmt.Errorf("overwatch: axis edge %d is %v", i, e)
		}
		if i > 0 && !(e > edges[i-1]) {
			return Axis{}, fmt.Errorf("overwatch: axis edges not increasing at %d (%v <= %v)", i, e, edges[i-1])
		}
	}
	a := NewAxis(len(edges)-1, edges[0], edges[len(edges)-1])
	a.Edges = append([]float64(nil), edges...)
	return a, nil
}

// IsVariable reports whether the axis has variable bin widths stored.
func (a *Axis) IsVariable() bool { return len(a.Edges) == a.NBins+1 && a.NBins > 0 }

// BinLowEdge returns the lower edge of bin i (ROOT's TAxis::GetBinLowEdge).
func (a *Axis) BinLowEdge(i int) float64 {
	if a.IsVariable() && i >= 1 && i <= a.NBins+1 {
		return a.Edges[i-1]
	}
	w := (a.Max - a.Min) / float64(a.NBins)
	return a.Min + float64(i-1)*w
}

// BinUpEdge returns the upper edge of bin i.
func (a *Axis) BinUpEdge(i int) float64 {
	if a.IsVariable() && i >= 0 && i <= a.NBins {
		return a.Edges[i]
	}
	w := (a.Max - a.Min) / float64(a.NBins)
	return a.Min + float64(i)*w
}

// BinCenter returns the centre of bin i.
func (a *Axis) BinCenter(i int) float64 {
	if a.IsVariable() && i >= 1 && i <= a.NBins {
		return 0.5 * (a.Edges[i-1] + a.Edges[i])
	}
	w := (a.Max - a.Min) / float64(a.NBins)
	return a.Min + (float64(i)-0.5)*w
}

// BinWidth returns the width of bin i.
func (a *Axis) BinWidth(i int) float64 {
	if a.IsVariable() && i >= 1 && i <= a.NBins {
		return a.Edges[i] - a.Edges[i-1]
	}
	return (a.Max - a.Min) / float64(a.NBins)
}

// FindBin returns the bin containing x following ROOT's TAxis::FindFixBin: 0
// for x below Min, NBins+1 for x at or above Max (and for NaN).
func (a *Axis) FindBin(x float64) int {
	switch {
	case math.IsNaN(x):
		return a.NBins + 1
	case x < a.Min:
		return 0
	case !(x < a.Max):
		return a.NBins + 1
	}
	if a.IsVariable() {
		// First edge strictly greater than x, minus one.
		return sort.Search(len(a.Edges), func(i int) bool { return a.Edges[i] > x })
	}
	b := 1 + int(float64(a.NBins)*(x-a.Min)/(a.Max-a.Min))
	if b > a.NBins { // rounding at the upper edge
		b = a.NBins
	}
	return b
}

// SameBinning reports whether a and b have the same number of bins and the
// same edges (within a relative tolerance of 1e-10, as ROOT checks).
func (a *Axis) SameBinning(b *Axis) bool {
	if a.NBins != b.NBins || !closeEnough(a.Min, b.Min) || !closeEnough(a.Max, b.Max) {
		return false
	}
	if a.IsVariable() || b.IsVariable() {
		for i := 0; i <= a.NBins; i++ {
			if !closeEnough(a.BinUpEdge(i), b.BinUpEdge(i)) {
				return false
			}
		}
	}
	return true
}

func closeEnough(x, y float64) bool {
	if x == y {
		return true
	}
	d := math.Abs(x - y)
	s := math.Max(math.Abs(x), math.Abs(y))
	return d <= 1e-10*s || d < 1e-300
}

// Stats holds ROOT's histogram statistics sums (fTsumw, fTsumw2, fTsumwx,
// ...). For profiles Sumwy/Sumwy2 (TProfile) and Sumwz/Sumwz2 (TProfile2D)
// hold the sums of the profiled quantity, as in ROOT.
type Stats struct {
	Sumw, Sumw2           float64
	Sumwx, Sumwx2         float64
	Sumwy, Sumwy2, Sumwxy float64
	Sumwz, Sumwz2         float64
	Sumwxz, Sumwyz        float64
}

// Hist is a ROOT histogram: TH1, TH2, TH3 of every storage type and the
// TProfile/TProfile2D profiles. Contents holds every cell including the
// under- and overflow cells in ROOT's global bin order
// (bin = ix + (nx+2)*(iy + (ny+2)*iz)). Storage types narrower than float64
// (TH1F, TH1I, ...) are held as float64 and narrowed on writing, as ROOT
// narrows on every SetBinContent; Fill accumulates as ROOT's storage type
// does (float32 sums for TH*F, truncated and saturated integer sums for
// TH*I, TH*S, TH*C).
type Hist struct {
	Class string
	Name  string
	Title string
	X     Axis
	Y     Axis // unused (NBins 1, 0..1) below 2 dimensions, as in ROOT
	Z     Axis // unused below 3 dimensions

	Contents []float64
	// Sumw2 holds the sum of squared weights per cell; nil when the
	// histogram has no Sumw2 (errors are then sqrt(|content|)). For profiles
	// it holds the per-cell sum of w*y^2 and is always present.
	Sumw2 []float64

	Entries float64
	Stats   Stats

	// Profiles only (TProfile, TProfile2D): per-cell sum of weights, sum of
	// squared weights (nil unless weighted), error mode ("" = mean error, "s"
	// = spread, "i", "g") and the profiled-axis limits.
	BinEntries []float64
	BinSumw2   []float64
	ErrorMode  string
	PMin, PMax float64

	Minimum, Maximum float64 // DefaultMinimum when not set
	NormFactor       float64
	Option           string
	Contour          []float64
	BarOffset        int16
	BarWidth         int16
	BinStatErrOpt    int32
	StatOverflows    int32 // ROOT's EStatOverflows: 0 ignore, 1 consider, 2 neutral (use global default: ignore)
	Att              Attrs
}

// ObjectName returns the histogram's name.
func (h *Hist) ObjectName() string { return h.Name }

// ClassName returns the histogram's ROOT class.
func (h *Hist) ClassName() string { return h.Class }

// Dim returns 1, 2 or 3.
func (h *Hist) Dim() int { return ClassDim(h.Class) }

// IsProfile reports whether h is a TProfile or TProfile2D.
func (h *Hist) IsProfile() bool { return IsProfileClass(h.Class) }

// NCells returns the number of cells including under- and overflows.
func (h *Hist) NCells() int {
	n := h.X.NBins + 2
	if h.Dim() >= 2 {
		n *= h.Y.NBins + 2
	}
	if h.Dim() >= 3 {
		n *= h.Z.NBins + 2
	}
	return n
}

// Bin returns the global cell index of the bins ix, iy, iz (iy and iz are
// ignored below 2 and 3 dimensions). It does not check the ranges.
func (h *Hist) Bin(ix, iy, iz int) int {
	switch h.Dim() {
	case 1:
		return ix
	case 2:
		return ix + (h.X.NBins+2)*iy
	}
	return ix + (h.X.NBins+2)*(iy+(h.Y.NBins+2)*iz)
}

// BinXYZ splits a global cell index into per-axis bin indices.
func (h *Hist) BinXYZ(bin int) (ix, iy, iz int) {
	nx := h.X.NBins + 2
	ix = bin % nx
	if h.Dim() < 2 {
		return ix, 0, 0
	}
	ny := h.Y.NBins + 2
	iy = (bin / nx) % ny
	if h.Dim() < 3 {
		return ix, iy, 0
	}
	return ix, iy, bin / (nx * ny)
}

// IsInRange reports whether a global cell is an in-range (not under- or
// overflow) cell.
func (h *Hist) IsInRange(bin int) bool {
	ix, iy, iz := h.BinXYZ(bin)
	if ix < 1 || ix > h.X.NBins {
		return false
	}
	if h.Dim() >= 2 && (iy < 1 || iy > h.Y.NBins) {
		return false
	}
	if h.Dim() >= 3 && (iz < 1 || iz > h.Z.NBins) {
		return false
	}
	return true
}

// FindBin returns the global cell containing the point (y and z are ignored
// below 2 and 3 dimensions).
func (h *Hist) FindBin(x, y, z float64) int {
	ix := h.X.FindBin(x)
	var iy, iz int
	if h.Dim() >= 2 {
		iy = h.Y.FindBin(y)
	}
	if h.Dim() >= 3 {
		iz = h.Z.FindBin(z)
	}
	return h.Bin(ix, iy, iz)
}

// NewHist returns an empty histogram of the given class with the given axes
// (one axis per dimension). The histogram gets ROOT's default attributes.
// Profiles get their per-cell arrays; other classes get no Sumw2.
func NewHist(class, name, title string, axes ...Axis) (*Hist, error) {
	dim := ClassDim(class)
	if dim == 0 {
		return nil, fmt.Errorf("overwatch: unknown histogram class %q", class)
	}
	if len(axes) != dim {
		return nil, fmt.Errorf("overwatch: %s needs %d axes, got %d", class, dim, len(axes))
	}
	h := &Hist{
		Class: class, Name: name, Title: title,
		Y: NewAxis(1, 0, 1), Z: NewAxis(1, 0, 1),
		Minimum: DefaultMinimum, Maximum: DefaultMinimum,
		BarWidth: 1000, StatOverflows: 2,
		Att: Attrs{
			Line:   LineAttr{Color: 602, Style: 1, Width: 1},
			Fill:   FillAttr{Color: 0, Style: 1001},
			Marker: MarkerAttr{Color: 1, Style: 1, Size: 1},
		},
	}
	names := [3]string{"xaxis", "yaxis", "zaxis"}
	dst := [3]*Axis{&h.X, &h.Y, &h.Z}
	for i, a := range axes {
		if a.NBins < 1 {
			return nil, fmt.Errorf("overwatch: %s axis %d has %d bins", class, i, a.NBins)
		}
		if !(a.Max > a.Min) || math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) {
			return nil, fmt.Errorf("overwatch: %s axis %d has range [%v, %v]", class, i, a.Min, a.Max)
		}
		if a.Attr == (AxisAttr{}) {
			a.Attr = DefaultAxisAttr()
		}
		a.Name = names[i]
		*dst[i] = a
	}
	for i := dim; i < 3; i++ {
		dst[i].Name = names[i]
	}
	n := h.NCells()
	h.Contents = make([]float64, n)
	if h.IsProfile() {
		h.Sumw2 = make([]float64, n)
		h.BinEntries = make([]float64, n)
		if class == ClassTProfile {
			h.Y.Name = "yaxis"
		}
	}
	return h, nil
}

// MustNewHist is NewHist for static arguments: it panics on error.
func MustNewHist(class, name, title string, axes ...Axis) *Hist {
	h, err := NewHist(class, name, title, axes...)
	if err != nil {
		panic(err)
	}
	return h
}

// EnableSumw2 makes h store the sum of squared weights per cell, initialised
// from the contents as ROOT's TH1::Sumw2 does. It is a no-op when Sumw2 is
// already present.
func (h *Hist) EnableSumw2() {
	if h.Sumw2 != nil {
		return
	}
	h.Sumw2 = make([]float64, len(h.Contents))
	for i, c := range h.Contents {
		h.Sumw2[i] = math.Abs(c)
	}
}

// statOverflows reports whether under/overflow fills count in the statistics.
func (h *Hist) statOverflows() bool { return h.StatOverflows == 1 }

// Fill adds a weighted entry at coordinates xs (one per dimension; for a
// TProfile the profiled value is the last coordinate: Fill(w, x, y) for a
// TProfile, Fill(w, x, y, z) for a TProfile2D), following ROOT's Fill: the
// entry count always increases; the statistics sums only when the entry lands
// in range (or StatOverflows is set); a weight other than 1 starts storing
// Sumw2; the cell accumulates as ROOT's storage type does (float32 for
// TH*F, truncated saturating integers for TH*I/S/C). A profile rejects a
// value outside [PMin, PMax] (when they differ) without counting an entry.
func (h *Hist) Fill(w float64, xs ...float64) error {
	dim := h.Dim()
	want := dim
	if h.IsProfile() {
		want++
	}
	if len(xs) != want {
		return fmt.Errorf("overwatch: Fill of %s %q needs %d coordinates, got %d", h.Class, h.Name, want, len(xs))
	}
	var x, y, z float64
	x = xs[0]
	if dim >= 2 {
		y = xs[1]
	}
	if dim >= 3 {
		z = xs[2]
	}
	bin := h.FindBin(x, y, z)
	h.Entries++
	if h.IsProfile() {
		v := xs[dim]
		if (h.PMin != h.PMax) && (v < h.PMin || v > h.PMax || math.IsNaN(v)) {
			h.Entries--
			return nil
		}
		if h.BinSumw2 == nil && w != 1 {
			// As TProfile::Fill: the first weighted fill starts storing the
			// bin sums of squared weights, equal to the bin entries so far.
			h.BinSumw2 = cloneF(h.BinEntries)
		}
		h.Contents[bin] += w * v
		h.Sumw2[bin] += w * v * v
		h.BinEntries[bin] += w
		if h.BinSumw2 != nil {
			h.BinSumw2[bin] += w * w
		}
		if !h.IsInRange(bin) && !h.statOverflows() {
			return nil
		}
		s := &h.Stats
		s.Sumw += w
		s.Sumw2 += w * w
		s.Sumwx += w * x
		s.Sumwx2 += w * x * x
		if dim == 1 {
			s.Sumwy += w * v
			s.Sumwy2 += w * v * v
		} else {
			s.Sumwy += w * y
			s.Sumwy2 += w * y * y
			s.Sumwxy += w * x * y
			s.Sumwz += w * v
			s.Sumwz2 += w * v * v
		}
		return nil
	}
	if h.Sumw2 == nil && w != 1 {
		h.EnableSumw2() // as TH1::Fill: before adding, seeded with |content|
	}
	h.addContent(bin, w)
	if h.Sumw2 != nil {
		h.Sumw2[bin] += w * w
	}
	if !h.IsInRange(bin) && !h.statOverflows() {
		return nil
	}
	s := &h.Stats
	s.Sumw += w
	s.Sumw2 += w * w
	s.Sumwx += w * x
	s.Sumwx2 += w * x * x
	if dim >= 2 {
		s.Sumwy += w * y
		s.Sumwy2 += w * y * y
		s.Sumwxy += w * x * y
	}
	if dim >= 3 {
		s.Sumwz += w * z
		s.Sumwz2 += w * z * z
		s.Sumwxz += w * x * z
		s.Sumwyz += w * y * z
	}
	return nil
}

// addContent adds w to the content of a cell the way ROOT's
// AddBinContent does for the class's storage type: TH*F accumulate in
// float32 (fArray[bin] += Float_t(w)), TH*I, TH*S and TH*C add the weight
// truncated to an integer and saturate at ±(2³¹-1), ±32767 and ±127, TH*D
// and profiles accumulate in float64.
func (h *Hist) addContent(bin int, w float64) {
	c := h.Contents[bin]
	var kind byte
	if n := len(h.Class); n > 0 {
		kind = h.Class[n-1]
	}
	var limit float64
	switch kind {
	case 'F':
		h.Contents[bin] = float64(float32(c) + float32(w))
		return
	case 'I':
		limit = math.MaxInt32
	case 'S':
		limit = math.MaxInt16
	case 'C':
		limit = math.MaxInt8
	default:
		h.Contents[bin] = c + w
		return
	}
	if math.IsNaN(w) {
		w = 0
	}
	h.Contents[bin] = math.Max(-limit, math.Min(limit, c+math.Trunc(w)))
}

// BinContent returns the content of a global cell. For profiles it is the
// mean of the profiled quantity in that cell (0 when the cell is empty).
func (h *Hist) BinContent(bin int) float64 {
	if bin < 0 || bin >= len(h.Contents) {
		return 0
	}
	if h.IsProfile() {
		if h.BinEntries[bin] == 0 {
			return 0
		}
		return h.Contents[bin] / h.BinEntries[bin]
	}
	return h.Contents[bin]
}

// BinError returns the error of a global cell: sqrt(Sumw2) when Sumw2 is
// present, else sqrt(|content|). Profiles follow ROOT's TProfile error
// options (see ProfileBinError).
func (h *Hist) BinError(bin int) float64 {
	if bin < 0 || bin >= len(h.Contents) {
		return 0
	}
	if h.IsProfile() {
		return h.profileBinError(bin)
	}
	if h.Sumw2 != nil {
		return math.Sqrt(h.Sumw2[bin])
	}
	return math.Sqrt(math.Abs(h.Contents[bin]))
}

// profileBinError follows TProfileHelper::GetBinError.
func (h *Hist) profileBinError(bin int) float64 {
	cont := h.Contents[bin]
	sum := h.BinEntries[bin]
	err2 := h.Sumw2[bin]
	neff := sum
	if h.BinSumw2 != nil && h.BinSumw2[bin] > 0 {
		neff = sum * sum / h.BinSumw2[bin]
	}
	if sum == 0 {
		return 0
	}
	mean := cont / sum
	eprim2 := math.Abs(err2/sum - mean*mean)
	eprim := math.Sqrt(eprim2)
	switch strings.ToLower(h.ErrorMode) {
	case "i":
		if eprim != 0 {
			return eprim / math.Sqrt(neff)
		}
		return 1 / math.Sqrt(12*neff)
	case "g":
		return 1 / math.Sqrt(sum)
	case "s":
		return eprim
	}
	return eprim / math.Sqrt(neff)
}

// Clone returns a deep copy of h.
func (h *Hist) Clone() *Hist {
	c := *h
	c.X = h.X.clone()
	c.Y = h.Y.clone()
	c.Z = h.Z.clone()
	c.Contents = cloneF(h.Contents)
	c.Sumw2 = cloneF(h.Sumw2)
	c.BinEntries = cloneF(h.BinEntries)
	c.BinSumw2 = cloneF(h.BinSumw2)
	c.Contour = cloneF(h.Contour)
	return &c
}

// CloneEmpty returns a copy of h with the same class, binning, titles and
// attributes and the same cell arrays present (Sumw2, profile arrays) but
// every cell, the entries and the statistics at zero: ROOT's Clone followed
// by Reset, without copying the cells.
func (h *Hist) CloneEmpty() *Hist {
	c := *h
	c.X = h.X.clone()
	c.Y = h.Y.clone()
	c.Z = h.Z.clone()
	c.Contour = cloneF(h.Contour)
	zeros := func(s []float64) []float64 {
		if s == nil {
			return nil
		}
		return make([]float64, len(s))
	}
	c.Contents = zeros(h.Contents)
	c.Sumw2 = zeros(h.Sumw2)
	c.BinEntries = zeros(h.BinEntries)
	c.BinSumw2 = zeros(h.BinSumw2)
	c.Entries = 0
	c.Stats = Stats{}
	return &c
}

func (a Axis) clone() Axis {
	a.Edges = cloneF(a.Edges)
	if a.Labels != nil {
		a.Labels = append([]string(nil), a.Labels...)
	}
	return a
}

func cloneF(s []float64) []float64 {
	if s == nil {
		return nil
	}
	return append(make([]float64, 0, len(s)), s...)
}

// Compatible returns nil when o can be added to or subtracted from h: same
// dimension, same kind (histogram or profile), same binning on every axis,
// the same bin labels where both axes label a bin (ROOT's CheckConsistency
// refuses to add cell by cell across different labels) and consistent
// array lengths. The error wraps ErrIncompatible and says what differs.
func (h *Hist) Compatible(o *Hist) error {
	if h == nil || o == nil {
		return fmt.Errorf("%w: nil histogram", ErrIncompatible)
	}
	if h.Dim() != o.Dim() || h.Dim() == 0 {
		return fmt.Errorf("%w: %s %q is %d-D, %s %q is %d-D", ErrIncompatible, h.Class, h.Name, h.Dim(), o.Class, o.Name, o.Dim())
	}
	if h.IsProfile() != o.IsProfile() {
		return fmt.Errorf("%w: %s %q and %s %q are not both profiles", ErrIncompatible, h.Class, h.Name, o.Class, o.Name)
	}
	axes := [3]string{"x", "y", "z"}
	ha := [3]*Axis{&h.X, &h.Y, &h.Z}
	oa := [3]*Axis{&o.X, &o.Y, &o.Z}
	for i := 0; i < h.Dim(); i++ {
		if !ha[i].SameBinning(oa[i]) {
			return fmt.Errorf("%w: %q and %q differ on the %s axis (%d bins [%g,%g] vs %d bins [%g,%g])",
				ErrIncompatible, h.Name, o.Name, axes[i], ha[i].NBins, ha[i].Min, ha[i].Max, oa[i].NBins, oa[i].Min, oa[i].Max)
		}
		hl, ol := ha[i].Labels, oa[i].Labels
		for b := 0; b < len(hl) && b < len(ol); b++ {
			if hl[b] != "" && ol[b] != "" && hl[b] != ol[b] {
				return fmt.Errorf("%w: %q and %q label bin %d of the %s axis %q and %q",
					ErrIncompatible, h.Name, o.Name, b+1, axes[i], hl[b], ol[b])
			}
		}
	}
	if err := h.checkArrays(); err != nil {
		return err
	}
	return o.checkArrays()
}

// Validate checks the internal consistency of h (class, axes, array
// lengths). Decoders call it on everything they read.
func (h *Hist) Validate() error {
	if h.Dim() == 0 {
		return fmt.Errorf("overwatch: %q has unknown histogram class %q", h.Name, h.Class)
	}
	axes := [3]*Axis{&h.X, &h.Y, &h.Z}
	for i, a := range axes[:h.Dim()] {
		if a.NBins < 1 {
			return fmt.Errorf("overwatch: %s %q axis %d has %d bins", h.Class, h.Name, i, a.NBins)
		}
		if a.Edges != nil && len(a.Edges) != a.NBins+1 {
			return fmt.Errorf("overwatch: %s %q axis %d has %d edges for %d bins", h.Class, h.Name, i, len(a.Edges), a.NBins)
		}
		if a.Labels != nil && len(a.Labels) != a.NBins {
			return fmt.Errorf("overwatch: %s %q axis %d has %d labels for %d bins", h.Class, h.Name, i, len(a.Labels), a.NBins)
		}
	}
	return h.checkArrays()
}

func (h *Hist) checkArrays() error {
	n := h.NCells()
	bad := func(what string, got int) error {
		return fmt.Errorf("%w: %s %q has %d %s for %d cells", ErrIncompatible, h.Class, h.Name, got, what, n)
	}
	if len(h.Contents) != n {
		return bad("contents", len(h.Contents))
	}
	if h.Sumw2 != nil && len(h.Sumw2) != n {
		return bad("sumw2 values", len(h.Sumw2))
	}
	if h.IsProfile() {
		if len(h.BinEntries) != n {
			return bad("bin entries", len(h.BinEntries))
		}
		if len(h.Sumw2) != n {
			return bad("sumw2 values", len(h.Sumw2))
		}
		if h.BinSumw2 != nil && len(h.BinSumw2) != n {
			return bad("bin sumw2 values", len(h.BinSumw2))
		}
	}
	return nil
}

// Add adds c times o to h, cell by cell, with ROOT's TH1::Add(h1, c)
// semantics:
//
//   - contents add c·o (in float64, narrowed to the storage type only
//     when written, so sums of float32 snapshots lose nothing); Sumw2
//     (enabled on h when o has it or c != 1, so that scaled errors stay
//     right) adds c² times o's squared errors;
//   - for c >= 0 the statistics sums (as GetStats returns them, see
//     StatSums) add with c, the sum of squared weights with c², and the
//     entry count becomes |N_h + c·N_o|; for c < 0 (a subtraction) ROOT
//     recomputes the statistics and the entries from the resulting bins
//     (ResetStats), since subtracted moments can give negative variances;
//   - the Minimum/Maximum settings are cleared, as ROOT does.
//
// Profiles follow TProfile::Add (TProfileHelper::Add): the sums of w·y add
// with c, the sums of w·y², bin entries, statistics and entries with |c|,
// the bin sums of squared weights with c² (stored when either profile
// stores them). Incompatible binning is an error and h is left unchanged.
// (For the difference of two cumulative snapshots use timeslice.Diff,
// whose uncertainties are those of the counts in the window.)
func (h *Hist) Add(o *Hist, c float64) error {
	if err := h.Compatible(o); err != nil {
		return err
	}
	h.Minimum, h.Maximum = DefaultMinimum, DefaultMinimum
	if h.IsProfile() {
		h.addProfile(o, c)
		return nil
	}
	entries := math.Abs(h.Entries + c*o.Entries)
	var s1, s2 Stats
	if c >= 0 {
		s1, s2 = h.StatSums(), o.StatSums()
	}
	if h.Sumw2 == nil && (o.Sumw2 != nil || c != 1) {
		h.EnableSumw2()
	}
	for i := range h.Contents {
		h.Contents[i] += c * o.Contents[i]
		if h.Sumw2 != nil {
			if o.Sumw2 != nil {
				h.Sumw2[i] += c * c * o.Sumw2[i]
			} else {
				h.Sumw2[i] += c * c * math.Abs(o.Contents[i])
			}
		}
	}
	if c < 0 {
		h.ResetStats()
		return nil
	}
	addStats(&s1, &s2, c, c*c)
	h.Stats = s1
	h.Entries = entries
	return nil
}

// addStats adds c times every sum of o to s, and c2 times its sum of
// squared weights.
func addStats(s, o *Stats, c, c2 float64) {
	s.Sumw += c * o.Sumw
	s.Sumw2 += c2 * o.Sumw2
	s.Sumwx += c * o.Sumwx
	s.Sumwx2 += c * o.Sumwx2
	s.Sumwy += c * o.Sumwy
	s.Sumwy2 += c * o.Sumwy2
	s.Sumwxy += c * o.Sumwxy
	s.Sumwz += c * o.Sumwz
	s.Sumwz2 += c * o.Sumwz2
	s.Sumwxz += c * o.Sumwxz
	s.Sumwyz += c * o.Sumwyz
}

// addProfile is Add for profiles (TProfileHelper::Add(this, this, o, 1, c)).
func (h *Hist) addProfile(o *Hist, c float64) {
	ac := math.Abs(c)
	s1, s2 := h.StatSums(), o.StatSums()
	addStats(&s1, &s2, ac, c*c)
	if h.BinSumw2 == nil && o.BinSumw2 != nil {
		h.BinSumw2 = cloneF(h.BinEntries) // unweighted so far: sum w² == sum w
	}
	for i := range h.Contents {
		h.Contents[i] += c * o.Contents[i]
		h.Sumw2[i] += ac * o.Sumw2[i]
		if h.BinSumw2 != nil {
			if o.BinSumw2 != nil {
				h.BinSumw2[i] += c * c * o.BinSumw2[i]
			} else {
				h.BinSumw2[i] += c * c * o.BinEntries[i]
			}
		}
		h.BinEntries[i] += ac * o.BinEntries[i]
	}
	h.Stats = s1
	h.Entries += ac * o.Entries
}

// Scale multiplies every cell by c, with ROOT's TH1::Scale(c) semantics:
// Sumw2 (enabled first if absent and c != 1) scales by c², the statistics
// sums as GetStats returns them (see StatSums) by c (the sum of squared
// weights by c²), the contour levels by c; entries are unchanged and the
// Minimum/Maximum settings are cleared. Profiles scale the profiled values
// (sums of w·y by c, sums of w·y² by c², and the matching statistics), as
// TProfile::Scale; their bin entries are unchanged.
func (h *Hist) Scale(c float64) {
	h.Minimum, h.Maximum = DefaultMinimum, DefaultMinimum
	for i := range h.Contour {
		h.Contour[i] *= c
	}
	if h.IsProfile() {
		for i := range h.Contents {
			h.Contents[i] *= c
			h.Sumw2[i] *= c * c
		}
		if h.Class == ClassTProfile {
			h.Stats.Sumwy *= c
			h.Stats.Sumwy2 *= c * c
		} else {
			h.Stats.Sumwz *= c
			h.Stats.Sumwz2 *= c * c
		}
		return
	}
	if h.Sumw2 == nil && c != 1 {
		h.EnableSumw2()
	}
	for i := range h.Contents {
		h.Contents[i] *= c
	}
	for i := range h.Sumw2 {
		h.Sumw2[i] *= c * c
	}
	s := h.StatSums()
	var scaled Stats
	addStats(&scaled, &s, c, c*c)
	h.Stats = scaled
}

// Integral returns the sum of the cell contents in the axis ranges — all
// in-range cells, no under- or overflow, when no range is set (see
// Axis.SetRange) — as ROOT's TH1::Integral(). For profiles it sums the bin
// means, as ROOT does.
func (h *Hist) Integral() float64 {
	if h.Dim() == 0 || h.checkArrays() != nil {
		return 0
	}
	lo, hi := h.rangeBins()
	prof := h.IsProfile()
	nx, ny := h.X.NBins+2, h.Y.NBins+2
	var s float64
	for iz := lo[2]; iz <= hi[2]; iz++ {
		for iy := lo[1]; iy <= hi[1]; iy++ {
			row := nx * (iy + ny*iz)
			for ix := lo[0]; ix <= hi[0]; ix++ {
				b := row + ix
				if !prof {
					s += h.Contents[b]
				} else if e := h.BinEntries[b]; e != 0 {
					s += h.Contents[b] / e
				}
			}
		}
	}
	return s
}
