package dqm

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// An upload says with the header "accumulation" whether it is cumulative
// or reset; without it the receiver's Config.Accumulation is recorded; a
// value that is neither is refused with 400 and nothing is stored.
func TestUploadAccumulation(t *testing.T) {
	f := newFixtureWith(t, func(c *Config) { c.Accumulation = overwatch.Cumulative })
	data := testFile(t)
	upload := func(run, acc string) (int, map[string]any) {
		hdr := uploadHeaders(f.token)
		hdr["runNumber"] = run
		if acc != "" {
			hdr["accumulation"] = acc
		}
		code, m, _ := f.do(t, "POST", "/rest/api/files", hdr, bytes.NewReader(data), "application/octet-stream")
		return code, m
	}
	recorded := func(run int) overwatch.Accumulation {
		snaps, err := f.st.Snapshots(t.Context(), run, "EMC")
		require.NoError(t, err)
		require.Len(t, snaps, 1)
		return snaps[0].Accumulation
	}
	code, m := upload("501", "Reset")
	require.Equal(t, 200, code, m)
	assert.Equal(t, overwatch.Reset, recorded(501))
	code, m = upload("502", "")
	require.Equal(t, 200, code, m)
	assert.Equal(t, overwatch.Cumulative, recorded(502), "the receiver's default")
	code, m = upload("503", "sometimes")
	assert.Equal(t, 400, code)
	assert.Contains(t, m["message"], "accumulation")
	_, err := f.st.RunInfo(t.Context(), 503)
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
}
