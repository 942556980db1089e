package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func TestLayoutsSection(t *testing.T) {
	c := Default()
	require.NoError(t, Parse([]byte(`
layouts:
  shift:
    title: Shift overview
    tabs:
      - title: EMC
        columns: 2
        plots:
          - {subsystem: EMC, name: EMCTRQA/hEMCalPatchMap, w: 2, options: {logz: true, drawOption: colz}}
          - {subsystem: EMC, name: hEvents, options: {xrange: {min: 0, max: 10}}}
      - title: HLT
        plots:
          - {kind: trend, subsystem: HLT, name: nClusters}
`), &c))
	require.NoError(t, c.Validate())
	l := c.Layouts["shift"]
	assert.True(t, l.Official, "declared layouts are official")
	require.Len(t, l.Tabs, 2)
	assert.Equal(t, 3, l.Tabs[1].Columns, "defaults filled")
	assert.Equal(t, overwatch.PlotTrend, l.Tabs[1].Plots[0].Kind)
	assert.Equal(t, &overwatch.Range{Min: 0, Max: 10}, l.Tabs[0].Plots[1].Options.XRange)
	assert.Equal(t, 2, l.Tabs[0].Plots[0].Width)

	for _, tc := range []struct{ yaml, want string }{
		{"layouts:\n  bad/name:\n    title: x\n    tabs: [{title: t, plots: []}]\n", `layouts: "bad/name" is not a layout name`},
		{"layouts:\n  a:\n    title: x\n    tabs: []\n", "layouts.a: tabs: 0 tabs, want 1–20"},
		{"layouts:\n  a:\n    title: x\n    tabs: [{title: t, columns: 2, plots: [{subsystem: EMC, name: h, w: 3}]}]\n", "layouts.a: tabs[0].plots[0].w: 3 cells"},
		{"layouts:\n  a:\n    title: x\n    tabs: [{title: t, plots: [{subsystem: emc, name: h}]}]\n", "tabs[0].plots[0].subsystem"},
		{"layouts:\n  a:\n    title: x\n    tabs: [{title: t, plots: [{subsystem: EMC, name: h, options: {yrange: {min: 2, max: 1}}}]}]\n", "options.yrange: [2, 1]"},
	} {
		c := Default()
		require.NoError(t, Parse([]byte(tc.yaml), &c))
		err := c.Validate()
		require.Error(t, err, tc.yaml)
		assert.Contains(t, err.Error(), tc.want, tc.yaml)
	}
	// Unknown keys are errors, as everywhere in the file.
	c = Default()
	assert.Error(t, Parse([]byte("layouts:\n  a:\n    title: x\n    tabz: []\n"), &c))
}
