package overwatch_test

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch"
)

// A layout of one tab: Check fills the defaults and names every problem.
func ExampleLayout_Check() {
	l := overwatch.Layout{Title: "Shift", Tabs: []overwatch.LayoutTab{{Title: "EMC", Columns: 2, Plots: []overwatch.LayoutPlot{
		{Subsystem: "EMC", Name: "EMCTRQA/hEMCalPatchMap", Width: 2, Options: overwatch.PlotOptions{LogZ: true}},
		{Kind: overwatch.PlotTrend, Subsystem: "EMC", Name: "maxPatch"},
	}}}}
	fmt.Println(l.Check(), l.Tabs[0].Plots[0].Kind, l.Tabs[0].Plots[1].Height)
	l.Tabs[0].Plots[1].Width = 3
	l.Tabs[0].Plots[0].Subsystem = "emc"
	fmt.Println(l.Check())
	// Output:
	// <nil> hist 1
	// invalid layout: tabs[0].plots[0].subsystem: "emc" is not a subsystem name (2-8 upper-case letters or digits, e.g. EMC); tabs[0].plots[1].w: 3 cells, want 1–2 (the tab's columns)
}
