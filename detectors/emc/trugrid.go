package emc

import "github.com/overwatch-dqm/overwatch"

// TRUGrid returns the lines separating the trigger region units (TRUs) in
// the row/column coordinates of the EMCal+DCal position maps (x = column
// 0–48, y = row 0–104): the full EMCal supermodules, the 1/3 EMCal
// supermodules, the 2/3 DCal supermodules around the PHOS hole and the 1/3
// DCal supermodules. The coordinates are those of the original.
func TRUGrid() []overwatch.Decoration {
	var ls []overwatch.Decoration
	line := func(x1, y1, x2, y2 float64) {
		ls = append(ls, overwatch.Decoration{Kind: overwatch.DecoLine, X1: x1, Y1: y1, X2: x2, Y2: y2, Color: "#000000", LineWidth: 1})
	}
	// Full EMCal supermodules.
	for _, x := range []float64{8, 16, 24, 32, 40} {
		line(x, 0, x, 60)
	}
	for _, y := range []float64{12, 24, 36, 48, 60} {
		line(0, y, 48, y)
	}
	// 1/3 EMCal supermodules.
	line(0, 64, 48, 64)
	line(24, 60, 24, 64)
	// 2/3 DCal supermodules (no line at x = 24: PHOS hole).
	for _, x := range []float64{8, 16, 32, 40} {
		line(x, 64, x, 100)
	}
	for _, y := range []float64{76, 88} {
		line(0, y, 16, y)
		line(32, y, 48, y)
	}
	// 1/3 DCal supermodules.
	line(0, 100, 48, 100)
	line(24, 100, 24, 104)
	return ls
}
