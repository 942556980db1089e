package overwatch

import "math"

// appendGraph appends a TGraph, TGraphErrors or TGraphAsymmErrors. When the
// graph has axis titles or a time axis, fHistogram holds the TH1F frame
// ROOT's TGraph::GetHistogram would build, carrying them; otherwise it is
// null and JSROOT builds the frame itself.
func appendGraph(dst []byte, g *Graph, opts JSONOptions) []byte {
	compact := opts.CompactArrays
	dst = appendObjectHead(dst, g.Class, 0, objectBits)
	dst = append(dst, `,"fName":`...)
	dst = appendString(dst, g.Name)
	dst = append(dst, `,"fTitle":`...)
	dst = appendString(dst, g.Title)
	dst = appendAttLineFillMarker(dst, &g.Att)
	dst = append(dst, `,"fNpoints":`...)
	dst = appendInt(dst, int64(len(g.X)))
	dst = append(dst, `,"fX":`...)
	dst = appendArray(dst, g.X, elemFloat64, compact)
	dst = append(dst, `,"fY":`...)
	dst = appendArray(dst, g.Y, elemFloat64, compact)
	dst = append(dst, `,"fFunctions":`...)
	dst = appendEmptyList(dst)
	dst = append(dst, `,"fHistogram":`...)
	if g.XTitle != "" || g.YTitle != "" || g.XTime {
		dst = appendGraphFrame(dst, g, compact)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"fMinimum":`...)
	dst = appendFloat(dst, g.Minimum)
	dst = append(dst, `,"fMaximum":`...)
	dst = appendFloat(dst, g.Maximum)
	dst = append(dst, `,"fOption":""`...)
	switch g.Class {
	case ClassTGraphErrors:
		dst = append(dst, `,"fEX":`...)
		dst = appendArray(dst, g.EX, elemFloat64, compact)
		dst = append(dst, `,"fEY":`...)
		dst = appendArray(dst, g.EY, elemFloat64, compact)
	case ClassTGraphAsymmErrors:
		dst = append(dst, `,"fEXlow":`...)
		dst = appendArray(dst, g.EXLow, elemFloat64, compact)
		dst = append(dst, `,"fEXhigh":`...)
		dst = appendArray(dst, g.EXHigh, elemFloat64, compact)
		dst = append(dst, `,"fEYlow":`...)
		dst = appendArray(dst, g.EYLow, elemFloat64, compact)
		dst = append(dst, `,"fEYhigh":`...)
		dst = appendArray(dst, g.EYHigh, elemFloat64, compact)
	}
	return append(dst, '}')
}

// graphRange returns the range of the points including their errors, as
// ROOT's TGraph*::ComputeRange, ignoring non-finite values. ok is false
// when no point is finite.
func graphRange(g *Graph) (xmin, xmax, ymin, ymax float64, ok bool) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	at := func(s []float64, i int) float64 {
		if i < len(s) && !math.IsNaN(s[i]) && !math.IsInf(s[i], 0) {
			return s[i]
		}
		return 0
	}
	for i := range g.X {
		x, y := g.X[i], g.Y[i]
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			continue
		}
		exl, exh, eyl, eyh := 0.0, 0.0, 0.0, 0.0
		switch g.Class {
		case ClassTGraphErrors:
			exl, eyl = at(g.EX, i), at(g.EY, i)
			exh, eyh = exl, eyl
		case ClassTGraphAsymmErrors:
			exl, exh, eyl, eyh = at(g.EXLow, i), at(g.EXHigh, i), at(g.EYLow, i), at(g.EYHigh, i)
		}
		xmin, xmax = math.Min(xmin, x-exl), math.Max(xmax, x+exh)
		ymin, ymax = math.Min(ymin, y-eyl), math.Max(ymax, y+eyh)
		ok = true
	}
	return xmin, xmax, ymin, ymax, ok
}

// appendGraphFrame appends the TH1F frame of a graph, with the ranges of
// ROOT's TGraph::GetHistogram (10% margins, not below zero for positive
// data), the graph's fMinimum/fMaximum when set, and the axis titles and
// time display.
func appendGraphFrame(dst []byte, g *Graph, compact bool) []byte {
	xmin, xmax, ymin, ymax, ok := graphRange(g)
	if !ok {
		xmin, xmax, ymin, ymax = 0, 1, 0, 1
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	if ymax <= ymin {
		ymax = ymin + 1
	}
	dx, dy := 0.1*(xmax-xmin), 0.1*(ymax-ymin)
	uxmin, uxmax := xmin-dx, xmax+dx
	minimum, maximum := ymin-dy, ymax+dy
	if g.Minimum != DefaultMinimum {
		minimum = g.Minimum
	}
	if g.Maximum != DefaultMinimum {
		maximum = g.Maximum
	}
	if minimum < 0 && ymin >= 0 {
		minimum = 0.9 * ymin
	}
	if uxmin < 0 && xmin >= 0 && !g.XTime {
		uxmin = 0
	}
	npt := max(100, len(g.X))
	xa := NewAxis(npt, uxmin, uxmax)
	xa.Name, xa.Title, xa.TimeDisplay, xa.TimeFormat = "xaxis", g.XTitle, g.XTime, g.TimeFormat
	ya := NewAxis(1, minimum, maximum)
	ya.Name, ya.Title = "yaxis", g.YTitle
	za := NewAxis(1, 0, 1)
	za.Name = "zaxis"
	ncells := npt + 2

	dst = appendObjectHead(dst, ClassTH1F, 0, objectBits|kNoStats)
	dst = append(dst, `,"fName":`...)
	dst = appendString(dst, g.Name)
	dst = append(dst, `,"fTitle":`...)
	dst = appendString(dst, g.Title)
	frameAtt := Attrs{
		Line:   LineAttr{Color: 602, Style: 1, Width: 1},
		Fill:   FillAttr{Color: 0, Style: 1001},
		Marker: MarkerAttr{Color: 1, Style: 1, Size: 1},
	}
	dst = appendAttLineFillMarker(dst, &frameAtt)
	dst = append(dst, `,"fNcells":`...)
	dst = appendInt(dst, int64(ncells))
	dst = append(dst, `,"fXaxis":`...)
	dst = appendAxis(dst, &xa, "xaxis", compact)
	dst = append(dst, `,"fYaxis":`...)
	dst = appendAxis(dst, &ya, "yaxis", compact)
	dst = append(dst, `,"fZaxis":`...)
	dst = appendAxis(dst, &za, "zaxis", compact)
	dst = append(dst, `,"fBarOffset":0,"fBarWidth":1000,"fEntries":0,"fTsumw":0,"fTsumw2":0,"fTsumwx":0,"fTsumwx2":0,"fMaximum":`...)
	dst = appendFloat(dst, maximum)
	dst = append(dst, `,"fMinimum":`...)
	dst = appendFloat(dst, minimum)
	dst = append(dst, `,"fNormFactor":0,"fContour":[],"fSumw2":[],"fOption":"","fFunctions":`...)
	dst = appendEmptyList(dst)
	dst = append(dst, `,"fBufferSize":0,"fBuffer":[],"fBinStatErrOpt":0,"fStatOverflows":2,"fArray":`...)
	if compact {
		dst = append(dst, `{"$arr":"Float32","len":`...)
		dst = appendInt(dst, int64(ncells))
		dst = append(dst, '}')
	} else {
		dst = append(dst, '[')
		for i := 0; i < ncells; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '0')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}
