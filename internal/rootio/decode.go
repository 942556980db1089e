package rootio

import (
	"fmt"
	"strings"
)

func (r *rbuf) attLine(a *Attrs) {
	_, end := r.version("TAttLine")
	a.LineColor, a.LineStyle, a.LineWidth = r.i16(), r.i16(), r.i16()
	r.finish("TAttLine", end)
}

func (r *rbuf) attFill(a *Attrs) {
	_, end := r.version("TAttFill")
	a.FillColor, a.FillStyle = r.i16(), r.i16()
	r.finish("TAttFill", end)
}

func (r *rbuf) attMarker(a *Attrs) {
	_, end := r.version("TAttMarker")
	a.MarkerColor, a.MarkerStyle, a.MarkerSize = r.i16(), r.i16(), r.f32()
	r.finish("TAttMarker", end)
}

func (r *rbuf) attAxis(a *AxisAttr) {
	_, end := r.version("TAttAxis")
	a.Ndivisions = r.i32()
	a.AxisColor, a.LabelColor, a.LabelFont = r.i16(), r.i16(), r.i16()
	a.LabelOffset, a.LabelSize, a.TickLength = r.f32(), r.f32(), r.f32()
	a.TitleOffset, a.TitleSize = r.f32(), r.f32()
	a.TitleColor, a.TitleFont = r.i16(), r.i16()
	r.finish("TAttAxis", end)
}

// list reads a TList/THashList/TObjArray pointer and calls elem for every
// element with its class and the offset where its bytes end; elem returns
// false when it did not consume the element, which is then skipped using
// its byte count. It returns the classes of the skipped elements.
func (r *rbuf) list(what string, elem func(class string, end int) bool) (skipped []string) {
	class, end := r.classRef()
	if r.err != nil || class == "" {
		if end >= 0 && r.err == nil {
			r.pos = end
		}
		return nil
	}
	switch class {
	case "TList", "THashList", "TObjArray":
		skipped = r.listBody(what, class, elem)
	default:
		if end < 0 {
			r.fail("%s: cannot skip a %s without byte count", what, class)
			return nil
		}
		r.pos = end
		return []string{class}
	}
	if end >= 0 && r.err == nil {
		r.pos = end
	}
	return skipped
}

// listBody reads the body of a TList, THashList or TObjArray streamed in
// place (see list).
func (r *rbuf) listBody(what, class string, elem func(class string, end int) bool) (skipped []string) {
	_, skipped = r.namedListBody(what, class, elem)
	return skipped
}

// namedListBody is listBody returning the collection's name as well.
func (r *rbuf) namedListBody(what, class string, elem func(class string, end int) bool) (name string, skipped []string) {
	_, lend := r.version(class)
	r.tobject()
	name = r.tstring()
	n := int(r.i32())
	if class == "TObjArray" {
		r.i32() // lower bound
	}
	if n < 0 || n > r.remaining()/4 {
		r.fail("%s %s has %d elements for %d bytes", what, class, n, r.remaining())
		return name, nil
	}
	for i := 0; i < n && r.err == nil; i++ {
		skipped = append(skipped, r.element(what, elem)...)
		if class != "TObjArray" {
			nch := int(r.u8()) // option string
			r.skip(nch)
		}
	}
	r.finish(class, lend)
	return name, skipped
}

// IsCollection reports whether class is a collection DecodeObject
// decodes (TList, THashList, TObjArray).
func IsCollection(class string) bool {
	return class == "TList" || class == "THashList" || class == "TObjArray"
}

// maxCollectionDepth bounds the nesting of collections in collections.
const maxCollectionDepth = 16

// Collection is a decoded TList, THashList or TObjArray: its name, the
// elements Overwatch decodes (*Hist, *Graph, *ObjString or a nested
// *Collection) and the classes of the elements it skipped.
type Collection struct {
	Class   string
	Name    string
	Items   []any
	Skipped []string
}

func (r *rbuf) collection(class string, depth int) *Collection {
	c := &Collection{Class: class}
	if depth > maxCollectionDepth {
		r.fail("collections nested deeper than %d", maxCollectionDepth)
		return c
	}
	c.Name, c.Skipped = r.namedListBody("collection", class, func(ec string, end int) bool {
		switch {
		case IsCollection(ec):
			c.Items = append(c.Items, r.collection(ec, depth+1))
		case Supported(ec):
			c.Items = append(c.Items, r.object(ec))
		default:
			chain := BaseChain(ec, r.baseOf)
			if chain == nil || IsCollection(chain[len(chain)-1]) {
				return false
			}
			c.Items = append(c.Items, r.derived(chain))
		}
		return true
	})
	return c
}

func (r *rbuf) element(what string, elem func(class string, end int) bool) []string {
	class, end := r.classRef()
	if r.err != nil || class == "" {
		if end >= 0 && r.err == nil {
			r.pos = end
		}
		return nil
	}
	if elem != nil && elem(class, end) {
		if end >= 0 && r.err == nil {
			r.pos = end
		}
		return nil
	}
	if end < 0 {
		r.fail("%s: cannot skip a %s without byte count", what, class)
		return nil
	}
	r.pos = end
	return []string{class}
}

func (r *rbuf) axis(a *Axis) {
	v, end := r.version("TAxis")
	if r.err != nil {
		return
	}
	a.Name, a.Title = r.tnamed()
	r.attAxis(&a.Attr)
	a.NBins = int(r.i32())
	if v < 5 {
		// ROOT 3: float limits and a float edge array.
		a.Min, a.Max = float64(r.f32()), float64(r.f32())
		n := r.count(4, "TAxis fXbins")
		if n > 0 {
			a.Edges = r.arrayAsN('F', n)
		}
	} else {
		a.Min, a.Max = r.f64(), r.f64()
		n := r.count(8, "TAxis fXbins")
		if n > 0 {
			a.Edges = r.f64s(n)
		}
	}
	if v > 2 {
		a.First, a.Last = int(r.i32()), int(r.i32())
	}
	if r.err != nil {
		return
	}
	switch {
	case v <= 3:
	case v <= 6:
		a.TimeDisplay = r.bool()
		a.TimeFormat = r.tstring()
	case v <= 8 && end >= 0:
		// fBits2 and fLabels appeared in versions 7 and 8; choose the
		// layout that ends exactly at the byte count.
		save := *r
		saveA := *a
		r.axisTail(a, v, true)
		if r.err != nil || r.pos != end {
			*r = save
			*a = saveA
			r.axisTail(a, v, false)
		}
	default:
		r.axisTail(a, v, true)
	}
	if a.NBins < 0 {
		r.fail("TAxis has %d bins", a.NBins)
	}
	r.finish("TAxis", end)
}

func (r *rbuf) axisTail(a *Axis, v int16, bits2 bool) {
	if bits2 {
		a.Bits2 = r.u16()
	}
	a.TimeDisplay = r.bool()
	a.TimeFormat = r.tstring()
	a.Labels = nil
	r.list("TAxis fLabels", func(class string, end int) bool {
		if class != "TObjString" {
			return false
		}
		_, e := r.version(class)
		uid, _ := r.tobject()
		s := r.tstring()
		r.finish(class, e)
		if a.Labels == nil {
			a.Labels = make(map[int]string)
		}
		a.Labels[int(uid)] = s
		return true
	})
	if v >= 10 {
		r.list("TAxis fModLabs", nil)
	}
}

// arrayAsN reads n values of the given kind (count already read).
func (r *rbuf) arrayAsN(kind byte, n int) []float64 {
	// Reuse arrayAs by faking the count: simpler to read directly.
	if !r.cells(n, "array") {
		return nil
	}
	out := make([]float64, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		switch kind {
		case 'F':
			out = append(out, float64(r.f32()))
		default:
			out = append(out, r.f64())
		}
	}
	return out
}

// basicPointer reads a "T* fX //[fN]" member: a flag byte, then n values
// when the flag is set.
func (r *rbuf) basicPointer(n int, what string) []float64 {
	if r.u8() == 0 {
		return nil
	}
	if !r.need(8*n, what) {
		return nil
	}
	return r.f64s(n)
}

func (r *rbuf) th1(h *Hist) {
	v, end := r.version("TH1")
	if r.err != nil {
		return
	}
	if v < 3 {
		r.fail("TH1 version %d is older than ROOT 3.00", v)
		return
	}
	h.Name, h.Title = r.tnamed()
	r.attLine(&h.Attrs)
	r.attFill(&h.Attrs)
	r.attMarker(&h.Attrs)
	h.NCells = int(r.i32())
	r.axis(&h.X)
	r.axis(&h.Y)
	r.axis(&h.Z)
	h.BarOffset, h.BarWidth = r.i16(), r.i16()
	h.Entries = r.f64()
	h.Tsumw, h.Tsumw2, h.Tsumwx, h.Tsumwx2 = r.f64(), r.f64(), r.f64(), r.f64()
	h.Maximum, h.Minimum, h.NormFactor = r.f64(), r.f64(), r.f64()
	h.Contour = r.arrayAs('D')
	h.Sumw2 = r.arrayAs('D')
	h.Option = r.tstring()
	// fFunctions is a "->" pointer: streamed in place, without class tag.
	h.Dropped = append(h.Dropped, r.listBody("TH1 fFunctions", "TList", nil)...)
	if v >= 4 && (end < 0 || r.pos < end) {
		n := int(r.i32())
		if n < 0 {
			r.fail("TH1 fBufferSize %d", n)
		}
		if r.u8() != 0 {
			r.skip(8 * n)
		}
	}
	if v >= 7 && (end < 0 || r.pos < end) {
		h.BinStatErrOpt = r.i32()
	}
	h.StatOverflows = 2
	if v >= 8 && (end < 0 || r.pos < end) {
		h.StatOverflows = r.i32()
	}
	r.finish("TH1", end)
}

func (r *rbuf) th2(h *Hist) {
	_, end := r.version("TH2")
	r.th1(h)
	h.Scalefactor = r.f64()
	h.Tsumwy, h.Tsumwy2, h.Tsumwxy = r.f64(), r.f64(), r.f64()
	r.finish("TH2", end)
}

func (r *rbuf) th3(h *Hist) {
	_, end := r.version("TH3")
	r.th1(h)
	_, e := r.version("TAtt3D")
	r.finish("TAtt3D", e)
	h.Tsumwy, h.Tsumwy2, h.Tsumwxy = r.f64(), r.f64(), r.f64()
	h.Tsumwz, h.Tsumwz2, h.Tsumwxz, h.Tsumwyz = r.f64(), r.f64(), r.f64(), r.f64()
	r.finish("TH3", end)
}

// histKind returns the dimension and storage kind of a TH[123][CSIFD] class.
func histKind(class string) (dim int, kind byte, ok bool) {
	if len(class) != 4 || !strings.HasPrefix(class, "TH") {
		return 0, 0, false
	}
	switch class[2] {
	case '1':
		dim = 1
	case '2':
		dim = 2
	case '3':
		dim = 3
	default:
		return 0, 0, false
	}
	switch class[3] {
	case 'C', 'S', 'I', 'F', 'D':
		return dim, class[3], true
	}
	return 0, 0, false
}

func (r *rbuf) hist(class string) *Hist {
	h := &Hist{Class: class}
	if dim, kind, ok := histKind(class); ok {
		r.histBody(h, class, dim, kind)
		return h
	}
	switch class {
	case "TProfile":
		_, end := r.version(class)
		r.histBody(h, "TH1D", 1, 'D')
		h.BinEntries = r.arrayAs('D')
		h.ErrorMode = r.i32()
		h.PMin, h.PMax = r.f64(), r.f64()
		h.Tsumwy, h.Tsumwy2 = r.f64(), r.f64()
		if end < 0 || r.pos < end {
			h.BinSumw2 = r.arrayAs('D')
		}
		r.finish(class, end)
	case "TProfile2D":
		_, end := r.version(class)
		r.histBody(h, "TH2D", 2, 'D')
		h.BinEntries = r.arrayAs('D')
		h.ErrorMode = r.i32()
		h.PMin, h.PMax = r.f64(), r.f64()
		h.Tsumwz, h.Tsumwz2 = r.f64(), r.f64()
		if end < 0 || r.pos < end {
			h.BinSumw2 = r.arrayAs('D')
		}
		r.finish(class, end)
	default:
		r.fail("class %s is not a histogram", class)
	}
	return h
}

func (r *rbuf) histBody(h *Hist, class string, dim int, kind byte) {
	_, end := r.version(class)
	switch dim {
	case 1:
		r.th1(h)
	case 2:
		r.th2(h)
	case 3:
		r.th3(h)
	}
	h.Contents = r.arrayAs(kind)
	r.finish(class, end)
}

func (r *rbuf) graph(class string) *Graph {
	g := &Graph{Class: class}
	switch class {
	case "TGraph":
		r.graphBase(g)
	case "TGraphErrors":
		_, end := r.version(class)
		n := r.graphBase(g)
		g.EX = r.basicPointer(n, "fEX")
		g.EY = r.basicPointer(n, "fEY")
		r.finish(class, end)
	case "TGraphAsymmErrors":
		_, end := r.version(class)
		n := r.graphBase(g)
		g.EXLow = r.basicPointer(n, "fEXlow")
		g.EXHigh = r.basicPointer(n, "fEXhigh")
		g.EYLow = r.basicPointer(n, "fEYlow")
		g.EYHigh = r.basicPointer(n, "fEYhigh")
		r.finish(class, end)
	default:
		r.fail("class %s is not a graph", class)
	}
	if r.err == nil {
		n := len(g.X)
		for _, p := range []*[]float64{&g.EX, &g.EY, &g.EXLow, &g.EXHigh, &g.EYLow, &g.EYHigh} {
			if *p == nil && (class == "TGraphErrors" && (p == &g.EX || p == &g.EY) ||
				class == "TGraphAsymmErrors" && p != &g.EX && p != &g.EY) {
				if !r.cells(n, "graph errors") {
					return g
				}
				*p = make([]float64, n)
			}
		}
	}
	return g
}

func (r *rbuf) graphBase(g *Graph) int {
	v, end := r.version("TGraph")
	if r.err != nil {
		return 0
	}
	if v < 3 {
		r.fail("TGraph version %d is too old", v)
		return 0
	}
	g.Name, g.Title = r.tnamed()
	r.attLine(&g.Attrs)
	r.attFill(&g.Attrs)
	r.attMarker(&g.Attrs)
	n := int(r.i32())
	if n < 0 || n > r.remaining()/8 {
		r.fail("TGraph has %d points for %d bytes", n, r.remaining())
		return 0
	}
	g.X = r.basicPointer(n, "fX")
	g.Y = r.basicPointer(n, "fY")
	if g.X == nil && r.cells(n, "graph points") {
		g.X = make([]float64, n)
	}
	if g.Y == nil && r.cells(n, "graph points") {
		g.Y = make([]float64, n)
	}
	g.Dropped = append(g.Dropped, r.list("TGraph fFunctions", nil)...)
	// fHistogram: keep its axis titles and time format.
	class, hend := r.classRef()
	if r.err == nil && class != "" {
		if _, _, ok := histKind(class); ok {
			h := r.hist(class)
			if r.err == nil {
				g.XTitle, g.YTitle = h.X.Title, h.Y.Title
				g.XTime, g.TimeFormat = h.X.TimeDisplay, h.X.TimeFormat
			}
		} else {
			g.Dropped = append(g.Dropped, class)
		}
		if hend >= 0 && r.err == nil {
			r.pos = hend
		}
	}
	g.Minimum, g.Maximum = r.f64(), r.f64()
	if v >= 5 && (end < 0 || r.pos < end) {
		g.Option = r.tstring()
	}
	r.finish("TGraph", end)
	return n
}

func (r *rbuf) objString() *ObjString {
	_, end := r.version("TObjString")
	r.tobject()
	s := r.tstring()
	r.finish("TObjString", end)
	return &ObjString{Value: s}
}

// Supported reports whether objects of class are decoded by DecodeObject.
func Supported(class string) bool {
	if _, _, ok := histKind(class); ok {
		return true
	}
	switch class {
	case "TProfile", "TProfile2D", "TGraph", "TGraphErrors", "TGraphAsymmErrors", "TObjString":
		return true
	}
	return false
}

// DecodeObject decodes the streamed bytes of one object of the given class
// (a key payload; off is the key length, the base of the class tags). It
// returns *Hist, *Graph, *ObjString or, for IsCollection classes,
// *Collection. Bytes that do not decode give an
// error wrapping ErrCorrupt; it never panics.
func DecodeObject(class string, payload []byte, off int) (obj any, err error) {
	defer func() {
		if p := recover(); p != nil {
			obj, err = nil, fmt.Errorf("%w: decoding %s: %v", ErrCorrupt, class, p)
		}
	}()
	r := newRBuf(payload, off)
	obj = r.object(class)
	if r.err != nil {
		return nil, r.err
	}
	return obj, nil
}

func decodeObject(class string, payload []byte, off int, baseOf func(string) string, budget *Budget) (obj any, err error) {
	defer func() {
		if p := recover(); p != nil {
			obj, err = nil, fmt.Errorf("%w: decoding %s: %v", ErrCorrupt, class, p)
		}
	}()
	r := newRBuf(payload, off)
	r.baseOf = baseOf
	r.budget = budget
	obj = r.object(class)
	if r.err != nil {
		return nil, r.err
	}
	return obj, nil
}

// DecodeObjectAs is DecodeObject for classes that may not be Supported:
// when baseOf (which may be nil) traces class through its first base
// classes to a Supported class (e.g. a user class deriving from TH1F), the
// object is decoded as that base and the members of the derived classes
// are skipped.
func DecodeObjectAs(class string, payload []byte, off int, baseOf func(string) string) (obj any, err error) {
	return decodeObjectAs(class, payload, off, baseOf, nil)
}

func decodeObjectAs(class string, payload []byte, off int, baseOf func(string) string, budget *Budget) (obj any, err error) {
	chain := BaseChain(class, baseOf)
	if chain == nil {
		return nil, fmt.Errorf("rootio: class %s is neither decoded by Overwatch nor derived from a class it decodes", class)
	}
	if len(chain) == 1 {
		return decodeObject(class, payload, off, baseOf, budget)
	}
	defer func() {
		if p := recover(); p != nil {
			obj, err = nil, fmt.Errorf("%w: decoding %s: %v", ErrCorrupt, class, p)
		}
	}()
	r := newRBuf(payload, off)
	r.baseOf = baseOf
	r.budget = budget
	obj = r.derived(chain)
	if r.err != nil {
		return nil, r.err
	}
	return obj, nil
}

// maxBaseDepth bounds the class hierarchies followed by BaseChain.
const maxBaseDepth = 8

// BaseChain returns class followed by its first bases down to the first
// class Overwatch decodes ([class] itself when it is decoded), or nil.
func BaseChain(class string, baseOf func(string) string) []string {
	if class == "TProfile3D" {
		// Derives from TH3D but holds sums of a profiled quantity:
		// decoding it as a TH3D would mislead.
		return nil
	}
	chain := []string{class}
	for c := class; ; {
		if Supported(c) || IsCollection(c) {
			return chain
		}
		if baseOf == nil || len(chain) > maxBaseDepth {
			return nil
		}
		c = baseOf(c)
		if c == "" {
			return nil
		}
		chain = append(chain, c)
	}
}

// derived decodes an object of chain[0] as its base chain[len-1].
func (r *rbuf) derived(chain []string) any {
	ends := make([]int, 0, len(chain)-1)
	for _, c := range chain[:len(chain)-1] {
		_, end := r.version(c)
		if end < 0 && r.err == nil {
			r.fail("%s streamed without byte count", c)
		}
		ends = append(ends, end)
	}
	obj := r.object(chain[len(chain)-1])
	for i := len(ends) - 1; i >= 0; i-- {
		r.finish(chain[i], ends[i])
	}
	return obj
}

// firstBases reads a TList or TObjArray of TStreamerInfo (at pos of buf,
// class tags counted from off) and returns, for every class whose first
// streamer element is a base class, that base's name. listClass names the
// class of a list streamed in place (a file's StreamerInfo key holds a
// TList body); "" means an object pointer (a TMessage).
func firstBases(buf []byte, off, pos int, listClass string) (map[string]string, error) {
	r := newRBuf(buf, off)
	r.pos = pos
	out := map[string]string{}
	elem := func(class string, end int) bool {
		if class != "TStreamerInfo" {
			return false
		}
		_, e := r.version(class)
		name, _ := r.tnamed()
		r.u32() // checksum
		r.i32() // class version
		first := true
		r.list("TStreamerInfo elements", func(ec string, eend int) bool {
			if !first || eend < 0 {
				return false
			}
			first = false
			if ec != "TStreamerBase" {
				return false
			}
			_, be := r.version(ec)
			_, se := r.version("TStreamerElement")
			base, _ := r.tnamed()
			r.finish("TStreamerElement", se)
			r.finish(ec, be)
			if r.err == nil && base != "" {
				out[name] = base
			}
			return true
		})
		r.finish(class, e)
		return true
	}
	if listClass != "" {
		r.listBody("streamer infos", listClass, elem)
	} else {
		r.list("streamer infos", elem)
	}
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}

func (r *rbuf) object(class string) any {
	switch {
	case IsCollection(class):
		return r.collection(class, 0)
	case class == "TObjString":
		return r.objString()
	case strings.HasPrefix(class, "TGraph"):
		return r.graph(class)
	default:
		h := r.hist(class)
		if r.err == nil {
			r.checkHist(h)
		}
		return h
	}
}

// checkHist verifies the array sizes of a decoded histogram against its
// axes.
func (r *rbuf) checkHist(h *Hist) {
	dim, _, _ := histKind(h.Class)
	if h.Class == "TProfile" {
		dim = 1
	} else if h.Class == "TProfile2D" {
		dim = 2
	}
	n := 1
	for i, a := range []*Axis{&h.X, &h.Y, &h.Z}[:dim] {
		if a.NBins < 1 {
			r.fail("%s %q axis %d has %d bins", h.Class, h.Name, i, a.NBins)
			return
		}
		if len(a.Edges) != 0 && len(a.Edges) != a.NBins+1 {
			r.fail("%s %q axis %d has %d edges for %d bins", h.Class, h.Name, i, len(a.Edges), a.NBins)
			return
		}
		n *= a.NBins + 2
		if n > len(h.Contents) {
			r.fail("%s %q has %d contents for at least %d cells", h.Class, h.Name, len(h.Contents), n)
			return
		}
	}
	for i, a := range []*Axis{&h.X, &h.Y, &h.Z} {
		// Labels become a slice of NBins strings: an axis must not claim
		// more bins than the histogram has cells.
		if len(a.Labels) > 0 && a.NBins > len(h.Contents) {
			r.fail("%s %q axis %d has labels and %d bins for %d cells", h.Class, h.Name, i, a.NBins, len(h.Contents))
			return
		}
	}
	if len(h.Contents) != n {
		r.fail("%s %q has %d contents for %d cells", h.Class, h.Name, len(h.Contents), n)
		return
	}
	if len(h.Sumw2) != 0 && len(h.Sumw2) != n {
		r.fail("%s %q has %d sumw2 for %d cells", h.Class, h.Name, len(h.Sumw2), n)
	}
	if h.BinEntries != nil && len(h.BinEntries) != n {
		r.fail("%s %q has %d bin entries for %d cells", h.Class, h.Name, len(h.BinEntries), n)
	}
	if len(h.BinSumw2) != 0 && len(h.BinSumw2) != n {
		r.fail("%s %q has %d bin sumw2 for %d cells", h.Class, h.Name, len(h.BinSumw2), n)
	}
}
