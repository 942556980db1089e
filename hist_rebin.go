package overwatch

import (
	"fmt"
	"math"
)

// Rebin returns a copy of h whose x, y and z axes have groups of nx, ny and
// nz bins merged, as ROOT's TH1::Rebin, TH2::Rebin2D and TH3::Rebin3D (and
// TProfile::Rebin, which merges every per-cell array). Group sizes for axes
// h does not have must be 0 or 1; 0 also means 1 (no merging) for an axis h
// has. h is not modified.
//
// When a group size does not divide the number of bins, the last
// NBins mod n bins are merged into the overflow bin and the axis ends at the
// upper edge of the last complete group, as in ROOT. Under- and overflow
// cells are kept. Variable bin edges keep every n-th edge. Bin labels of a
// merged axis are dropped (a group has no single label). The entries are
// kept; the statistics sums are h's (as StatSums returns them) when every
// group size divides its axis and are recomputed from the new bins
// otherwise (ROOT resets them because bins moved to the overflow). The result keeps h's class, name and title.
func (h *Hist) Rebin(nx, ny, nz int) (*Hist, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	groups := [3]int{nx, ny, nz}
	axs := h.axes()
	exact := true
	var newAxes [3]Axis
	var maps [3][]int
	for k := 0; k < 3; k++ {
		g := groups[k]
		if g == 0 {
			g = 1
		}
		if k >= len(axs) {
			if g != 1 {
				return nil, fmt.Errorf("overwatch: cannot rebin axis %d of %d-D %q by %d (want 0 or 1)", k, len(axs), h.Name, g)
			}
			maps[k] = []int{0}
			continue
		}
		a := axs[k]
		if g < 1 || g > a.NBins {
			return nil, fmt.Errorf("overwatch: cannot rebin the %d bins of axis %d of %q by %d (want 1..%d)", a.NBins, k, h.Name, groups[k], a.NBins)
		}
		nb := a.NBins / g
		if nb*g != a.NBins {
			exact = false
		}
		var na Axis
		if g == 1 {
			na = a.clone()
		} else {
			if a.IsVariable() {
				edges := make([]float64, nb+1)
				for i := range edges {
					edges[i] = a.Edges[i*g]
				}
				var err error
				if na, err = NewAxisEdges(edges); err != nil {
					return nil, fmt.Errorf("overwatch: rebinning %q: %w", h.Name, err)
				}
			} else {
				na = NewAxis(nb, a.Min, a.BinUpEdge(nb*g))
			}
			na.Name, na.Title, na.Attr = a.Name, a.Title, a.Attr
			na.TimeDisplay, na.TimeFormat = a.TimeDisplay, a.TimeFormat
			na.Bits2 = a.Bits2 &^ 1 // no longer alphanumeric: labels dropped
		}
		newAxes[k] = na
		m := make([]int, a.NBins+2)
		for i := range m {
			switch {
			case i == 0:
				m[i] = 0
			case i <= nb*g:
				m[i] = (i-1)/g + 1
			default:
				m[i] = nb + 1
			}
		}
		maps[k] = m
	}
	out := h.Clone()
	out.X, out.Y, out.Z = newAxes[0], h.Y.clone(), h.Z.clone()
	if len(axs) >= 2 {
		out.Y = newAxes[1]
	}
	if len(axs) >= 3 {
		out.Z = newAxes[2]
	}
	n := out.NCells()
	src := [][]float64{h.Contents, h.Sumw2, h.BinEntries, h.BinSumw2}
	dst := []*[]float64{&out.Contents, &out.Sumw2, &out.BinEntries, &out.BinSumw2}
	for i, s := range src {
		if s == nil {
			*dst[i] = nil
			continue
		}
		*dst[i] = make([]float64, n)
	}
	for iz, mz := range maps[2] {
		for iy, my := range maps[1] {
			for ix, mx := range maps[0] {
				b := h.Bin(ix, iy, iz)
				ob := out.Bin(mx, my, mz)
				for i, s := range src {
					if s != nil {
						(*dst[i])[ob] += s[b]
					}
				}
			}
		}
	}
	if exact {
		// As ROOT's PutStats(GetStats()): sums recomputed from h's bins
		// when h had none stored are kept as h's.
		out.Stats = h.StatSums()
	} else {
		entries := out.Entries
		out.ResetStats()
		out.Entries = entries
	}
	return out, nil
}

// RebinFactor returns the smallest group size n for Rebin that leaves at
// most maxBins bins of an axis of nbins bins (ceil(nbins/maxBins)); display
// code uses it to thin out fine binnings. It returns 1 when nbins <= maxBins
// or maxBins < 1.
func RebinFactor(nbins, maxBins int) int {
	if maxBins < 1 || nbins <= maxBins {
		return 1
	}
	return int(math.Ceil(float64(nbins) / float64(maxBins)))
}
