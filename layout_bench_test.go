package overwatch

import (
	"fmt"
	"testing"
)

// BenchmarkLayoutCheck: validating a layout of 20 tabs of 64 plots (the
// largest allowed), done on every save.
func BenchmarkLayoutCheck(b *testing.B) {
	l := Layout{Title: "big"}
	for t := 0; t < MaxLayoutTabs; t++ {
		tab := LayoutTab{Title: fmt.Sprintf("tab %d", t), Columns: 4}
		for p := 0; p < MaxLayoutPlots; p++ {
			tab.Plots = append(tab.Plots, LayoutPlot{Subsystem: "EMC", Name: fmt.Sprintf("dir/h%d", p), Width: 2, Options: PlotOptions{DrawOption: "colz", XRange: &Range{Min: 0, Max: 1}}})
		}
		l.Tabs = append(l.Tabs, tab)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Check(); err != nil {
			b.Fatal(err)
		}
	}
}
