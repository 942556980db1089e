package overwatch_test

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/jsroottest"
	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
)

// oracleFiles returns the ROOT-written files available for the oracle
// tests: the shared scikit-hep files and those shipped in the go-hep module.
func oracleFiles(t *testing.T) []string {
	t.Helper()
	return rootfiles.All(t, []string{"uproot-hepdata-example.root", "uproot-histograms.root", "uproot-issue33.root",
		"uproot-issue-227a.root", "uproot-issue66.root", "uproot-issue64.root", "uproot-issue-181.root",
		"uproot-from-geant4.root"},
		"hbook/rootcnv/testdata/gauss-h1.root", "hbook/rootcnv/testdata/gauss-h2.root",
		"groot/testdata/graphs.root", "groot/testdata/tprofile.root", "groot/testdata/dirs-6.14.00.root")
}

// TestJSONMatchesJSROOTOnROOTFiles rebuilds every histogram-like object of
// ROOT-written files from what JSROOT reads (its full summary), encodes it,
// and compares the result key by key, in order and value by value, with
// JSROOT's own toJSON of the same object (the TBufferJSON layout).
func TestJSONMatchesJSROOTOnROOTFiles(t *testing.T) {
	t.Parallel()
	e := jsroottest.New(t)
	files := oracleFiles(t)
	sums, err := e.Summarize(oracleCtx(t), true, files...)
	require.NoError(t, err)
	byFile := map[string][]jsroottest.Summary{}
	for _, s := range sums {
		byFile[s.File] = append(byFile[s.File], s)
	}
	refs, err := e.AllObjectJSON(oracleCtx(t), files...)
	require.NoError(t, err)
	classes := map[string]int{}
	for _, file := range files {
		ref := refs[file]
		for _, s := range byFile[file] {
			if s.Error != "" {
				t.Logf("%s: %s: JSROOT cannot read it: %s", filepath.Base(file), s.Path, s.Error)
				continue
			}
			obj, err := objectFromSummary(s)
			require.NoError(t, err, "%s %s", file, s.Path)
			ours := decodeOrdered(t, encode(t, obj, false))
			theirs := decodeOrdered(t, ref[s.Path])
			var diffs []string
			compareTBufferJSON(s.Class, ours, theirs, &diffs)
			assert.Empty(t, diffs, "%s: %s (%s)", filepath.Base(file), s.Path, s.Class)
			classes[s.Class]++
		}
	}
	t.Logf("compared objects per class: %v", classes)
	for _, cl := range []string{"TH1F", "TH1D", "TH2F", "TProfile", "TProfile2D", "TGraph", "TGraphErrors", "TGraphAsymmErrors"} {
		if classes[cl] == 0 {
			t.Logf("no %s among the available ROOT-written files", cl)
		}
	}
}

// objectFromSummary builds the Overwatch object JSROOT describes.
func objectFromSummary(s jsroottest.Summary) (overwatch.Object, error) {
	fl := jsroottest.Floats
	att := func() overwatch.Attrs {
		var a overwatch.Attrs
		if len(s.Line) == 3 {
			a.Line = overwatch.LineAttr{Color: int16(s.Line[0]), Style: int16(s.Line[1]), Width: int16(s.Line[2])}
		}
		if len(s.Fill) == 2 {
			a.Fill = overwatch.FillAttr{Color: int16(s.Fill[0]), Style: int16(s.Fill[1])}
		}
		if len(s.Marker) == 3 {
			a.Marker = overwatch.MarkerAttr{Color: int16(s.Marker[0]), Style: int16(s.Marker[1]), Size: float32(s.Marker[2])}
		}
		return a
	}
	switch {
	case s.Class == "TObjString":
		return &overwatch.Text{Value: s.String}, nil
	case strings.HasPrefix(s.Class, "TGraph"):
		g := &overwatch.Graph{Class: s.Class, Name: s.Name, Title: s.Title, X: fl(s.X), Y: fl(s.Y),
			EX: fl(s.EX), EY: fl(s.EY), EXLow: fl(s.EXLow), EXHigh: fl(s.EXHigh), EYLow: fl(s.EYLow), EYHigh: fl(s.EYHigh),
			Minimum: float64(s.Minimum), Maximum: float64(s.Maximum),
			XTitle: s.XTitle, YTitle: s.YTitle, XTime: s.XTime, TimeFormat: s.TimeFormat, Att: att()}
		return g, nil
	}
	if len(s.Axes) != 3 {
		return nil, fmt.Errorf("summary of %s has %d axes", s.Path, len(s.Axes))
	}
	h := &overwatch.Hist{Class: s.Class, Name: s.Name, Title: s.Title, Entries: float64(s.Entries),
		Contents: fl(s.Array), Minimum: float64(s.Minimum), Maximum: float64(s.Maximum),
		NormFactor: float64(s.NormFactor), Option: s.Option, Contour: fl(s.Contour),
		BarOffset: int16(s.BarOffset), BarWidth: int16(s.BarWidth), BinStatErrOpt: int32(s.BinStatErrOpt),
		StatOverflows: 2, Att: att()}
	if s.StatOverflows != nil {
		h.StatOverflows = int32(*s.StatOverflows)
	}
	if len(s.Sumw2) > 0 {
		h.Sumw2 = fl(s.Sumw2)
	}
	st := func(k string) float64 { return float64(s.Stats[k]) }
	h.Stats = overwatch.Stats{Sumw: st("fTsumw"), Sumw2: st("fTsumw2"), Sumwx: st("fTsumwx"), Sumwx2: st("fTsumwx2"),
		Sumwy: st("fTsumwy"), Sumwy2: st("fTsumwy2"), Sumwxy: st("fTsumwxy"), Sumwz: st("fTsumwz"), Sumwz2: st("fTsumwz2"),
		Sumwxz: st("fTsumwxz"), Sumwyz: st("fTsumwyz")}
	for i, dst := range []*overwatch.Axis{&h.X, &h.Y, &h.Z} {
		a := s.Axes[i]
		*dst = overwatch.Axis{Name: a.Name, Title: a.Title, NBins: a.NBins, Min: float64(a.Min), Max: float64(a.Max),
			First: a.First, Last: a.Last, Bits2: uint16(a.Bits2), TimeDisplay: a.TimeDisplay, TimeFormat: a.TimeFormat}
		if len(a.Edges) > 0 {
			dst.Edges = fl(a.Edges)
		}
		if len(a.Labels) > 0 {
			dst.Labels = make([]string, a.NBins)
			for _, l := range a.Labels {
				if l.Bin >= 1 && l.Bin <= a.NBins {
					dst.Labels[l.Bin-1] = l.Label
				}
			}
		}
		if len(a.Attr) == 11 {
			at := a.Attr
			dst.Attr = overwatch.AxisAttr{Ndivisions: int32(at[0]), AxisColor: int16(at[1]), LabelColor: int16(at[2]),
				LabelFont: int16(at[3]), LabelOffset: float32(at[4]), LabelSize: float32(at[5]), TickLength: float32(at[6]),
				TitleOffset: float32(at[7]), TitleSize: float32(at[8]), TitleColor: int16(at[9]), TitleFont: int16(at[10])}
		}
	}
	if h.IsProfile() {
		h.BinEntries = fl(s.BinEntries)
		if len(s.BinSumw2) > 0 {
			h.BinSumw2 = fl(s.BinSumw2)
		}
		h.ErrorMode = [...]string{"", "s", "i", "g"}[s.ErrorMode&3]
		h.PMin, h.PMax = float64(s.PMin), float64(s.PMax)
	}
	return h, nil
}

// Keys that files written by older ROOT versions lack (TH1 v7, TAxis v9,
// TGraph v4, TH1 v6 and v4, TAxis v6 of ROOT 4) while the
// encoder writes the current layout.
var newerKeys = map[string]bool{"fStatOverflows": true, "fBinStatErrOpt": true, "fBufferSize": true, "fBuffer": true, "fBits2": true, "fLabels": true, "fModLabs": true, "fOption": true}

// compareTBufferJSON compares our JSON with JSROOT's toJSON of the same
// object, recording differences. Accepted differences: fBits (ROOT keeps
// extra bits in files), fScalefactor (not in the model), the content of
// fFunctions (the model keeps no functions), the fUniqueID/fBits JSROOT adds
// to TList/THashList (TBufferJSON's collection streamer writes none), keys
// newer than the file's class version, and float32 members, which JSROOT
// widens (0.004999999888241291 for 0.005).
func compareTBufferJSON(path string, ours, theirs any, diffs *[]string) {
	add := func(format string, args ...any) {
		*diffs = append(*diffs, path+": "+fmt.Sprintf(format, args...))
	}
	switch o := ours.(type) {
	case ordered:
		t, ok := theirs.(ordered)
		if !ok {
			add("object vs %T", theirs)
			return
		}
		tn, _ := t.get("_typename").(string)
		isList := tn == "TList" || tn == "THashList"
		var ok1, tk []string
		for _, k := range o.keys() {
			if newerKeys[k] && !t.has(k) {
				continue
			}
			ok1 = append(ok1, k)
		}
		for _, k := range t.keys() {
			if isList && (k == "fUniqueID" || k == "fBits") {
				continue
			}
			tk = append(tk, k)
		}
		if strings.Join(ok1, ",") != strings.Join(tk, ",") {
			add("keys differ:\n ours   %v\n theirs %v", ok1, tk)
			return
		}
		for _, k := range ok1 {
			switch k {
			case "fBits", "fScalefactor":
				continue
			case "fFunctions":
				compareTBufferJSON(path+".fFunctions._typename", o.get(k).(ordered).get("_typename"), t.get(k).(ordered).get("_typename"), diffs)
				continue
			case "fHistogram":
				if t.get(k) != nil {
					// ROOT's own frame: compare what the model keeps (axis titles).
					of, okf := o.get(k).(ordered)
					tf := t.get(k).(ordered)
					if !okf {
						add("fHistogram null, JSROOT has a frame")
						continue
					}
					for _, ax := range []string{"fXaxis", "fYaxis"} {
						compareTBufferJSON(path+".fHistogram."+ax+".fTitle", of.get(ax).(ordered).get("fTitle"), tf.get(ax).(ordered).get("fTitle"), diffs)
					}
					continue
				}
			}
			compareTBufferJSON(path+"."+k, o.get(k), t.get(k), diffs)
		}
	case []any:
		t, ok := theirs.([]any)
		if !ok {
			add("array vs %T", theirs)
			return
		}
		if len(o) != len(t) {
			add("array length %d vs %d", len(o), len(t))
			return
		}
		for i := range o {
			compareTBufferJSON(fmt.Sprintf("%s[%d]", path, i), o[i], t[i], diffs)
		}
	case float64:
		t, ok := theirs.(float64)
		if !ok {
			add("number %v vs %T %v", o, theirs, theirs)
			return
		}
		if o != t && !(math.Abs(o-t) <= 1e-6*math.Max(math.Abs(o), math.Abs(t))) {
			add("%v vs %v", o, t)
		}
	default:
		if ours != theirs {
			b1, _ := json.Marshal(ours)
			b2, _ := json.Marshal(theirs)
			add("%s vs %s", b1, b2)
		}
	}
}
