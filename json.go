package overwatch

import (
	"errors"
	"fmt"
)

// JSONOptions tunes the TBufferJSON encoder.
type JSONOptions struct {
	// CompactArrays writes numeric arrays in JSROOT's compact "$arr" forms
	// (base64 or run-length), which JSROOT's parse decodes.
	CompactArrays bool
}

// ErrUnsupportedObject is wrapped by the encoder's errors about objects it
// cannot write: a nil object, an unknown class, or a Hist or Graph whose
// arrays do not match its binning.
var ErrUnsupportedObject = errors.New("object cannot be written as JSON")

// AppendJSON appends the TBufferJSON (JSROOT) JSON of obj to dst. NaN and
// infinities are written in a form JSROOT parses.
//
// The output has the keys, order and nesting of ROOT's TBufferJSON for the
// current class versions (TH1 v8, TAxis v10, TGraph v5, ...), as JSROOT's
// toJSON also writes them. Cell arrays are narrowed to the class's storage
// type (float32 for TH1F, saturated integers for TH1I/S/C). Infinities are
// written ±2e308, which JSON.parse reads as ±Infinity. A numeric array
// holding NaN is written in JSROOT's base64 "$arr" form, which JSROOT's
// parse turns into a typed array holding the NaN; a NaN in a single-number
// member (fEntries, fMaximum, ...), which JSON cannot express, is written
// null. The output is always valid JSON.
//
// On error dst is returned unchanged.
func AppendJSON(dst []byte, obj Object, opts JSONOptions) ([]byte, error) {
	switch o := obj.(type) {
	case *Hist:
		if o == nil {
			break
		}
		if err := checkHistJSON(o); err != nil {
			return dst, err
		}
		return appendHist(dst, o, opts), nil
	case *Graph:
		if o == nil {
			break
		}
		if err := o.Validate(); err != nil {
			return dst, fmt.Errorf("%w: %w", ErrUnsupportedObject, err)
		}
		return appendGraph(dst, o, opts), nil
	case *Text:
		if o == nil {
			break
		}
		dst = appendObjectHead(dst, "TObjString", 0, objectBits)
		dst = append(dst, `,"fString":`...)
		dst = appendString(dst, o.Value)
		return append(dst, '}'), nil
	case nil:
	default:
		return dst, fmt.Errorf("%w: class %q (%T) is not a Hist, Graph or Text", ErrUnsupportedObject, obj.ClassName(), obj)
	}
	return dst, fmt.Errorf("%w: nil object", ErrUnsupportedObject)
}

// MarshalJSON returns the TBufferJSON (JSROOT) JSON of obj.
func MarshalJSON(obj Object) ([]byte, error) { return AppendJSON(nil, obj, JSONOptions{}) }

// checkHistJSON verifies that every array of h matches its binning.
func checkHistJSON(h *Hist) error {
	dim := h.Dim()
	if dim == 0 {
		return fmt.Errorf("%w: unknown histogram class %q", ErrUnsupportedObject, h.Class)
	}
	axes := [3]*Axis{&h.X, &h.Y, &h.Z}
	n := 1
	for i := 0; i < 3; i++ {
		a := axes[i]
		if i < dim && a.NBins < 1 {
			return fmt.Errorf("%w: %s %q axis %d has %d bins, want at least 1", ErrUnsupportedObject, h.Class, h.Name, i, a.NBins)
		}
		if a.Edges != nil && len(a.Edges) != a.NBins+1 {
			return fmt.Errorf("%w: %s %q axis %d has %d edges for %d bins", ErrUnsupportedObject, h.Class, h.Name, i, len(a.Edges), a.NBins)
		}
		if len(a.Labels) > a.NBins {
			return fmt.Errorf("%w: %s %q axis %d has %d labels for %d bins", ErrUnsupportedObject, h.Class, h.Name, i, len(a.Labels), a.NBins)
		}
		if i < dim {
			if a.NBins > 1<<28 || n > (1<<31)/(a.NBins+2) {
				return fmt.Errorf("%w: %s %q has too many cells", ErrUnsupportedObject, h.Class, h.Name)
			}
			n *= a.NBins + 2
		}
	}
	check := func(what string, s []float64, required bool) error {
		if (required || s != nil) && len(s) != n {
			return fmt.Errorf("%w: %s %q has %d %s, want %d cells", ErrUnsupportedObject, h.Class, h.Name, len(s), what, n)
		}
		return nil
	}
	if err := check("contents", h.Contents, true); err != nil {
		return err
	}
	if err := check("sumw2 values", h.Sumw2, false); err != nil {
		return err
	}
	if h.IsProfile() {
		if err := check("bin entries", h.BinEntries, true); err != nil {
			return err
		}
		if err := check("bin sumw2 values", h.BinSumw2, false); err != nil {
			return err
		}
	}
	return nil
}

// errorModeCode maps Hist.ErrorMode to TProfile's EErrorType.
func errorModeCode(m string) int64 {
	switch m {
	case "s":
		return 1
	case "i":
		return 2
	case "g":
		return 3
	}
	return 0
}

// appendAttLineFillMarker appends the TAttLine, TAttFill and TAttMarker
// members.
func appendAttLineFillMarker(dst []byte, a *Attrs) []byte {
	dst = append(dst, `,"fLineColor":`...)
	dst = appendInt(dst, int64(a.Line.Color))
	dst = append(dst, `,"fLineStyle":`...)
	dst = appendInt(dst, int64(a.Line.Style))
	dst = append(dst, `,"fLineWidth":`...)
	dst = appendInt(dst, int64(a.Line.Width))
	dst = append(dst, `,"fFillColor":`...)
	dst = appendInt(dst, int64(a.Fill.Color))
	dst = append(dst, `,"fFillStyle":`...)
	dst = appendInt(dst, int64(a.Fill.Style))
	dst = append(dst, `,"fMarkerColor":`...)
	dst = appendInt(dst, int64(a.Marker.Color))
	dst = append(dst, `,"fMarkerStyle":`...)
	dst = appendInt(dst, int64(a.Marker.Style))
	dst = append(dst, `,"fMarkerSize":`...)
	return appendFloat32(dst, a.Marker.Size)
}

// appendAxis appends a TAxis.
func appendAxis(dst []byte, a *Axis, defName string, compact bool) []byte {
	name := a.Name
	if name == "" {
		name = defName
	}
	dst = appendObjectHead(dst, "TAxis", 0, objectBits)
	dst = append(dst, `,"fName":`...)
	dst = appendString(dst, name)
	dst = append(dst, `,"fTitle":`...)
	dst = appendString(dst, a.Title)
	at := &a.Attr
	dst = append(dst, `,"fNdivisions":`...)
	dst = appendInt(dst, int64(at.Ndivisions))
	dst = append(dst, `,"fAxisColor":`...)
	dst = appendInt(dst, int64(at.AxisColor))
	dst = append(dst, `,"fLabelColor":`...)
	dst = appendInt(dst, int64(at.LabelColor))
	dst = append(dst, `,"fLabelFont":`...)
	dst = appendInt(dst, int64(at.LabelFont))
	dst = append(dst, `,"fLabelOffset":`...)
	dst = appendFloat32(dst, at.LabelOffset)
	dst = append(dst, `,"fLabelSize":`...)
	dst = appendFloat32(dst, at.LabelSize)
	dst = append(dst, `,"fTickLength":`...)
	dst = appendFloat32(dst, at.TickLength)
	dst = append(dst, `,"fTitleOffset":`...)
	dst = appendFloat32(dst, at.TitleOffset)
	dst = append(dst, `,"fTitleSize":`...)
	dst = appendFloat32(dst, at.TitleSize)
	dst = append(dst, `,"fTitleColor":`...)
	dst = appendInt(dst, int64(at.TitleColor))
	dst = append(dst, `,"fTitleFont":`...)
	dst = appendInt(dst, int64(at.TitleFont))
	dst = append(dst, `,"fNbins":`...)
	dst = appendInt(dst, int64(a.NBins))
	dst = append(dst, `,"fXmin":`...)
	dst = appendFloat(dst, a.Min)
	dst = append(dst, `,"fXmax":`...)
	dst = appendFloat(dst, a.Max)
	dst = append(dst, `,"fXbins":`...)
	if a.IsVariable() {
		dst = appendArray(dst, a.Edges, elemFloat64, compact)
	} else {
		dst = append(dst, '[', ']')
	}
	dst = append(dst, `,"fFirst":`...)
	dst = appendInt(dst, int64(a.First))
	dst = append(dst, `,"fLast":`...)
	dst = appendInt(dst, int64(a.Last))
	dst = append(dst, `,"fBits2":`...)
	dst = appendInt(dst, int64(a.Bits2))
	dst = append(dst, `,"fTimeDisplay":`...)
	dst = appendBool(dst, a.TimeDisplay)
	dst = append(dst, `,"fTimeFormat":`...)
	dst = appendString(dst, a.TimeFormat)
	dst = append(dst, `,"fLabels":`...)
	dst = appendLabels(dst, a.Labels)
	return append(dst, `,"fModLabs":null}`...)
}

// appendLabels appends an axis's fLabels: null without labels, else a
// THashList of TObjString whose fUniqueID is the bin number, as ROOT's
// TAxis::SetBinLabel builds it.
func appendLabels(dst []byte, labels []string) []byte {
	hasLabel := false
	for _, l := range labels {
		if l != "" {
			hasLabel = true
			break
		}
	}
	if !hasLabel {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"_typename":"THashList","name":"","arr":[`...)
	n := 0
	for i, l := range labels {
		if l == "" {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendObjectHead(dst, "TObjString", uint32(i+1), objectBits)
		dst = append(dst, `,"fString":`...)
		dst = appendString(dst, l)
		dst = append(dst, '}')
		n++
	}
	dst = append(dst, `],"opt":[`...)
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"', '"')
	}
	return append(dst, "]}"...)
}

// appendHist appends a TH1*/TH2*/TH3*/TProfile/TProfile2D.
func appendHist(dst []byte, h *Hist, opts JSONOptions) []byte {
	compact := opts.CompactArrays
	dim := h.Dim()
	kind := storageKind(h.Class)
	dst = appendObjectHead(dst, h.Class, 0, objectBits)
	dst = append(dst, `,"fName":`...)
	dst = appendString(dst, h.Name)
	dst = append(dst, `,"fTitle":`...)
	dst = appendString(dst, h.Title)
	dst = appendAttLineFillMarker(dst, &h.Att)
	dst = append(dst, `,"fNcells":`...)
	dst = appendInt(dst, int64(len(h.Contents)))
	dst = append(dst, `,"fXaxis":`...)
	dst = appendAxis(dst, &h.X, "xaxis", compact)
	dst = append(dst, `,"fYaxis":`...)
	dst = appendAxis(dst, &h.Y, "yaxis", compact)
	dst = append(dst, `,"fZaxis":`...)
	dst = appendAxis(dst, &h.Z, "zaxis", compact)
	dst = append(dst, `,"fBarOffset":`...)
	dst = appendInt(dst, int64(h.BarOffset))
	dst = append(dst, `,"fBarWidth":`...)
	dst = appendInt(dst, int64(h.BarWidth))
	s := &h.Stats
	dst = append(dst, `,"fEntries":`...)
	dst = appendFloat(dst, h.Entries)
	dst = append(dst, `,"fTsumw":`...)
	dst = appendFloat(dst, s.Sumw)
	dst = append(dst, `,"fTsumw2":`...)
	dst = appendFloat(dst, s.Sumw2)
	dst = append(dst, `,"fTsumwx":`...)
	dst = appendFloat(dst, s.Sumwx)
	dst = append(dst, `,"fTsumwx2":`...)
	dst = appendFloat(dst, s.Sumwx2)
	dst = append(dst, `,"fMaximum":`...)
	dst = appendFloat(dst, h.Maximum)
	dst = append(dst, `,"fMinimum":`...)
	dst = appendFloat(dst, h.Minimum)
	dst = append(dst, `,"fNormFactor":`...)
	dst = appendFloat(dst, h.NormFactor)
	dst = append(dst, `,"fContour":`...)
	dst = appendArray(dst, h.Contour, elemFloat64, compact)
	dst = append(dst, `,"fSumw2":`...)
	dst = appendArray(dst, h.Sumw2, elemFloat64, compact)
	dst = append(dst, `,"fOption":`...)
	dst = appendString(dst, h.Option)
	dst = append(dst, `,"fFunctions":`...)
	dst = appendEmptyList(dst)
	dst = append(dst, `,"fBufferSize":0,"fBuffer":[],"fBinStatErrOpt":`...)
	dst = appendInt(dst, int64(h.BinStatErrOpt))
	dst = append(dst, `,"fStatOverflows":`...)
	dst = appendInt(dst, int64(h.StatOverflows))
	switch {
	case dim == 2:
		dst = append(dst, `,"fScalefactor":1,"fTsumwy":`...)
		dst = appendFloat(dst, s.Sumwy)
		dst = append(dst, `,"fTsumwy2":`...)
		dst = appendFloat(dst, s.Sumwy2)
		dst = append(dst, `,"fTsumwxy":`...)
		dst = appendFloat(dst, s.Sumwxy)
	case dim == 3:
		dst = append(dst, `,"fTsumwy":`...)
		dst = appendFloat(dst, s.Sumwy)
		dst = append(dst, `,"fTsumwy2":`...)
		dst = appendFloat(dst, s.Sumwy2)
		dst = append(dst, `,"fTsumwxy":`...)
		dst = appendFloat(dst, s.Sumwxy)
		dst = append(dst, `,"fTsumwz":`...)
		dst = appendFloat(dst, s.Sumwz)
		dst = append(dst, `,"fTsumwz2":`...)
		dst = appendFloat(dst, s.Sumwz2)
		dst = append(dst, `,"fTsumwxz":`...)
		dst = appendFloat(dst, s.Sumwxz)
		dst = append(dst, `,"fTsumwyz":`...)
		dst = appendFloat(dst, s.Sumwyz)
	}
	dst = append(dst, `,"fArray":`...)
	dst = appendArray(dst, h.Contents, kind, compact)
	if h.IsProfile() {
		dst = append(dst, `,"fBinEntries":`...)
		dst = appendArray(dst, h.BinEntries, elemFloat64, compact)
		dst = append(dst, `,"fErrorMode":`...)
		dst = appendInt(dst, errorModeCode(h.ErrorMode))
		if h.Class == ClassTProfile {
			dst = append(dst, `,"fYmin":`...)
			dst = appendFloat(dst, h.PMin)
			dst = append(dst, `,"fYmax":`...)
			dst = appendFloat(dst, h.PMax)
			dst = append(dst, `,"fTsumwy":`...)
			dst = appendFloat(dst, s.Sumwy)
			dst = append(dst, `,"fTsumwy2":`...)
			dst = appendFloat(dst, s.Sumwy2)
		} else {
			dst = append(dst, `,"fZmin":`...)
			dst = appendFloat(dst, h.PMin)
			dst = append(dst, `,"fZmax":`...)
			dst = appendFloat(dst, h.PMax)
			dst = append(dst, `,"fTsumwz":`...)
			dst = appendFloat(dst, s.Sumwz)
			dst = append(dst, `,"fTsumwz2":`...)
			dst = appendFloat(dst, s.Sumwz2)
		}
		dst = append(dst, `,"fBinSumw2":`...)
		dst = appendArray(dst, h.BinSumw2, elemFloat64, compact)
	}
	return append(dst, '}')
}
