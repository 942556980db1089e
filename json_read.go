package overwatch

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// MaxJSONCells bounds the number of cells DecodeJSONHist accepts, so that a
// small document with run-length arrays cannot make it allocate without
// bound.
const MaxJSONCells = 1 << 24

// ErrBadJSON is wrapped by the errors of DecodeJSONHist and DecodeJSONStack
// about documents that are not what AppendJSON writes.
var ErrBadJSON = errors.New("not a JSROOT histogram document")

// jnum is a JSON number as AppendJSON writes it: ±2e308 are the infinities
// and null is NaN.
type jnum float64

func (n *jnum) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = jnum(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%w: number %.20q", ErrBadJSON, b)
	}
	*n = jnum(v)
	return nil
}

// jarr is a numeric array: plain, or one of JSROOT's compact "$arr" forms
// (base64 "b", or run-length groups v/p/n).
type jarr []float64

func (a *jarr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return fmt.Errorf("%w: empty array", ErrBadJSON)
	}
	switch b[0] {
	case 'n': // null
		*a = nil
		return nil
	case '[':
		var ns []jnum
		if err := json.Unmarshal(b, &ns); err != nil {
			return fmt.Errorf("%w: array: %w", ErrBadJSON, err)
		}
		if len(ns) == 0 {
			*a = nil
			return nil
		}
		out := make([]float64, len(ns))
		for i, v := range ns {
			out[i] = float64(v)
		}
		*a = out
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%w: compact array: %w", ErrBadJSON, err)
	}
	var kind string
	var n int
	if err := json.Unmarshal(m["$arr"], &kind); err != nil {
		return fmt.Errorf("%w: compact array without $arr", ErrBadJSON)
	}
	if err := json.Unmarshal(m["len"], &n); err != nil || n < 0 || n > MaxJSONCells {
		return fmt.Errorf("%w: compact array length", ErrBadJSON)
	}
	size := map[string]int{"Float64": 8, "Float32": 4, "Int32": 4, "Int16": 2, "Int8": 1}[kind]
	if size == 0 {
		return fmt.Errorf("%w: compact array type %q", ErrBadJSON, kind)
	}
	out := make([]float64, n)
	if raw, ok := m["b"]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("%w: base64 array", ErrBadJSON)
		}
		data, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(data) != n*size {
			return fmt.Errorf("%w: base64 array of %d bytes for %d %s", ErrBadJSON, len(data), n, kind)
		}
		for i := range out {
			d := data[i*size:]
			switch kind {
			case "Float64":
				out[i] = math.Float64frombits(binary.LittleEndian.Uint64(d))
			case "Float32":
				out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(d)))
			case "Int32":
				out[i] = float64(int32(binary.LittleEndian.Uint32(d)))
			case "Int16":
				out[i] = float64(int16(binary.LittleEndian.Uint16(d)))
			default:
				out[i] = float64(int8(d[0]))
			}
		}
		*a = out
		return nil
	}
	pos := 0
	for g := 0; ; g++ {
		suffix := ""
		if g > 0 {
			suffix = strconv.Itoa(g)
		}
		v, ok := m["v"+suffix]
		if !ok {
			break
		}
		if p, ok := m["p"+suffix]; ok {
			if err := json.Unmarshal(p, &pos); err != nil {
				return fmt.Errorf("%w: run-length position", ErrBadJSON)
			}
		}
		if pos < 0 || pos > n {
			return fmt.Errorf("%w: run-length position %d outside %d", ErrBadJSON, pos, n)
		}
		v = bytes.TrimSpace(v)
		if len(v) > 0 && v[0] == '[' {
			var vs []jnum
			if err := json.Unmarshal(v, &vs); err != nil || len(vs) > n-pos {
				return fmt.Errorf("%w: run-length values", ErrBadJSON)
			}
			for _, x := range vs {
				out[pos] = float64(x)
				pos++
			}
			continue
		}
		var x jnum
		if err := json.Unmarshal(v, &x); err != nil {
			return fmt.Errorf("%w: run-length value", ErrBadJSON)
		}
		r := 1
		if nr, ok := m["n"+suffix]; ok {
			if err := json.Unmarshal(nr, &r); err != nil || r < 0 {
				return fmt.Errorf("%w: run-length count", ErrBadJSON)
			}
		}
		if r > n-pos {
			return fmt.Errorf("%w: run of %d at %d outside %d", ErrBadJSON, r, pos, n)
		}
		for i := 0; i < r; i++ {
			out[pos] = float64(x)
			pos++
		}
	}
	*a = out
	return nil
}

type jsonAxis struct {
	FName        string
	FTitle       string
	FNdivisions  int32
	FAxisColor   int16
	FLabelColor  int16
	FLabelFont   int16
	FLabelOffset jnum
	FLabelSize   jnum
	FTickLength  jnum
	FTitleOffset jnum
	FTitleSize   jnum
	FTitleColor  int16
	FTitleFont   int16
	FNbins       int
	FXmin, FXmax jnum
	FXbins       jarr
	FFirst       int
	FLast        int
	FBits2       uint16
	FTimeDisplay bool
	FTimeFormat  string
	FLabels      *struct {
		Arr []struct {
			FUniqueID int
			FString   string
		}
	}
}

func (j *jsonAxis) axis() (Axis, error) {
	a := Axis{Name: j.FName, Title: j.FTitle, NBins: j.FNbins, Min: float64(j.FXmin), Max: float64(j.FXmax),
		First: j.FFirst, Last: j.FLast, Bits2: j.FBits2, TimeDisplay: j.FTimeDisplay, TimeFormat: j.FTimeFormat,
		Attr: AxisAttr{Ndivisions: j.FNdivisions, AxisColor: j.FAxisColor, LabelColor: j.FLabelColor, LabelFont: j.FLabelFont,
			LabelOffset: float32(j.FLabelOffset), LabelSize: float32(j.FLabelSize), TickLength: float32(j.FTickLength),
			TitleOffset: float32(j.FTitleOffset), TitleSize: float32(j.FTitleSize), TitleColor: j.FTitleColor, TitleFont: j.FTitleFont}}
	if a.NBins < 1 || a.NBins > MaxJSONCells {
		return Axis{}, fmt.Errorf("%w: axis %q has %d bins", ErrBadJSON, a.Name, a.NBins)
	}
	if len(j.FXbins) > 0 {
		if len(j.FXbins) != a.NBins+1 {
			return Axis{}, fmt.Errorf("%w: axis %q has %d edges for %d bins", ErrBadJSON, a.Name, len(j.FXbins), a.NBins)
		}
		a.Edges = j.FXbins
	}
	if j.FLabels != nil {
		for _, l := range j.FLabels.Arr {
			if l.FUniqueID < 1 || l.FUniqueID > a.NBins {
				return Axis{}, fmt.Errorf("%w: axis %q label of bin %d", ErrBadJSON, a.Name, l.FUniqueID)
			}
			if a.Labels == nil {
				a.Labels = make([]string, a.NBins)
			}
			a.Labels[l.FUniqueID-1] = l.FString
		}
	}
	return a, nil
}

type jsonHist struct {
	Typename                              string `json:"_typename"`
	FName, FTitle                         string
	FLineColor, FLineStyle, FLineWidth    int16
	FFillColor, FFillStyle                int16
	FMarkerColor, FMarkerStyle            int16
	FMarkerSize                           jnum
	FXaxis, FYaxis, FZaxis                jsonAxis
	FBarOffset, FBarWidth                 int16
	FEntries                              jnum
	FTsumw, FTsumw2, FTsumwx, FTsumwx2    jnum
	FTsumwy, FTsumwy2, FTsumwxy           jnum
	FTsumwz, FTsumwz2, FTsumwxz, FTsumwyz jnum
	FMaximum, FMinimum, FNormFactor       jnum
	FContour, FSumw2, FArray              jarr
	FOption                               string
	FBinStatErrOpt, FStatOverflows        int32
	FBinEntries, FBinSumw2                jarr
	FErrorMode                            int
	FYmin, FYmax, FZmin, FZmax            jnum
}

// DecodeJSONHist decodes the JSROOT JSON of a histogram as AppendJSON
// writes it (plain or compact arrays) back into a Hist: AppendJSON of the
// result gives the same document. Errors wrap ErrBadJSON.
func DecodeJSONHist(b []byte) (*Hist, error) {
	var j jsonHist
	if err := json.Unmarshal(b, &j); err != nil {
		if errors.Is(err, ErrBadJSON) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	return j.hist()
}

func (j *jsonHist) hist() (*Hist, error) {
	dim := ClassDim(j.Typename)
	if dim == 0 {
		return nil, fmt.Errorf("%w: class %q", ErrBadJSON, j.Typename)
	}
	h := &Hist{Class: j.Typename, Name: j.FName, Title: j.FTitle,
		Entries: float64(j.FEntries), Minimum: float64(j.FMinimum), Maximum: float64(j.FMaximum), NormFactor: float64(j.FNormFactor),
		Option: j.FOption, Contour: j.FContour, BarOffset: j.FBarOffset, BarWidth: j.FBarWidth,
		BinStatErrOpt: j.FBinStatErrOpt, StatOverflows: j.FStatOverflows,
		Att: Attrs{Line: LineAttr{Color: j.FLineColor, Style: j.FLineStyle, Width: j.FLineWidth},
			Fill:   FillAttr{Color: j.FFillColor, Style: j.FFillStyle},
			Marker: MarkerAttr{Color: j.FMarkerColor, Style: j.FMarkerStyle, Size: float32(j.FMarkerSize)}},
		Stats: Stats{Sumw: float64(j.FTsumw), Sumw2: float64(j.FTsumw2), Sumwx: float64(j.FTsumwx), Sumwx2: float64(j.FTsumwx2),
			Sumwy: float64(j.FTsumwy), Sumwy2: float64(j.FTsumwy2), Sumwxy: float64(j.FTsumwxy),
			Sumwz: float64(j.FTsumwz), Sumwz2: float64(j.FTsumwz2), Sumwxz: float64(j.FTsumwxz), Sumwyz: float64(j.FTsumwyz)},
		Contents: j.FArray, Sumw2: j.FSumw2}
	var err error
	if h.X, err = j.FXaxis.axis(); err != nil {
		return nil, err
	}
	if h.Y, err = j.FYaxis.axis(); err != nil {
		return nil, err
	}
	if h.Z, err = j.FZaxis.axis(); err != nil {
		return nil, err
	}
	if h.IsProfile() {
		h.BinEntries, h.BinSumw2 = j.FBinEntries, j.FBinSumw2
		h.ErrorMode = [...]string{"", "s", "i", "g"}[min(max(j.FErrorMode, 0), 3)]
		if h.Class == ClassTProfile {
			h.PMin, h.PMax = float64(j.FYmin), float64(j.FYmax)
		} else {
			h.PMin, h.PMax = float64(j.FZmin), float64(j.FZmax)
		}
	}
	if h.NCells() > MaxJSONCells {
		return nil, fmt.Errorf("%w: %s %q has more than %d cells", ErrBadJSON, h.Class, h.Name, MaxJSONCells)
	}
	if err := checkHistJSON(h); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	return h, nil
}

// DecodeJSONStack decodes the JSROOT JSON of a THStack (as processing
// writes it for a stack of histograms): its title and member histograms.
// Errors wrap ErrBadJSON.
func DecodeJSONStack(b []byte) (title string, members []*Hist, err error) {
	var j struct {
		Typename string `json:"_typename"`
		FTitle   string
		FHists   struct {
			Arr []json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	if j.Typename != "THStack" {
		return "", nil, fmt.Errorf("%w: class %q is not THStack", ErrBadJSON, j.Typename)
	}
	cells := 0
	for i, raw := range j.FHists.Arr {
		h, err := DecodeJSONHist(raw)
		if err != nil {
			return "", nil, fmt.Errorf("stack member %d: %w", i, err)
		}
		if cells += h.NCells(); cells > MaxJSONCells {
			return "", nil, fmt.Errorf("%w: stack of more than %d cells", ErrBadJSON, MaxJSONCells)
		}
		members = append(members, h)
	}
	return j.FTitle, members, nil
}
