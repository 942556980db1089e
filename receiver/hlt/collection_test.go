package hlt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/rootio"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
)

// A merger run with UnpackCollections=0 sends a TList of histograms in one
// TMessage: its elements become entries named "<list>/<object>".
func TestDecodeCollectionReply(t *testing.T) {
	var items []any
	for _, name := range []string{"h_tpc_event_recvertex_0", "h_tpc_event_recvertex_1"} {
		h := overwatch.MustNewHist(overwatch.ClassTH1D, name, name, overwatch.NewAxis(10, 0, 1))
		require.NoError(t, h.Fill(1, 0.5))
		msg, err := hltwire.EncodeTMessage(h, hltwire.TMessageOptions{})
		require.NoError(t, err)
		_, obj, err := rootio.DecodeTMessage(msg, nil)
		require.NoError(t, err)
		items = append(items, obj)
	}
	msg, err := rootio.EncodeTMessage(&rootio.Collection{Class: "TList", Name: "TPCQA", Items: items}, true, 0)
	require.NoError(t, err)
	d := NewDecoder().Decode(hltwire.Reply{Info: []byte("run=290222;HLT_MODE=B"), Objects: [][]byte{msg}}.Frames())
	require.Empty(t, d.Errs)
	require.Len(t, d.Entries, 2)
	assert.Equal(t, "TPCQA/h_tpc_event_recvertex_0", d.Entries[0].Key)
	assert.Equal(t, "TPCQA/h_tpc_event_recvertex_1", d.Entries[1].Key)
	assert.Equal(t, 1.0, d.Entries[1].Object.(*overwatch.Hist).Entries)
}
