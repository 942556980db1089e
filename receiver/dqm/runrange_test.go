package dqm

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// TestRunNumberOutOfRangeRefusedAtTheDoor: a run number the store cannot
// hold is a clear 400 (the red team's runNumber 1000000000000000000 got 200
// and was stored as Run1000000000000000000); nothing is stored or
// quarantined.
func TestRunNumberOutOfRangeRefusedAtTheDoor(t *testing.T) {
	fx := newFixture(t, 0)
	for _, run := range []string{"1000000000000000000", "1000000000"} {
		hdr := uploadHeaders(fx.token)
		hdr["runNumber"] = run
		code, body, _ := fx.do(t, http.MethodPost, "/rest/api/files", hdr, bytes.NewReader(testFile(t)), "application/octet-stream")
		assert.Equal(t, http.StatusBadRequest, code, run)
		assert.Contains(t, body["message"], "outside the valid run numbers 1 to 999999999", run)
	}
	runs, err := fx.st.Runs(context.Background(), overwatch.RunQuery{})
	require.NoError(t, err)
	assert.Empty(t, runs)
	_, err = os.Stat(filepath.Join(fx.dir, "quarantine"))
	assert.True(t, os.IsNotExist(err), "nothing quarantined")

	hdr := uploadHeaders(fx.token)
	hdr["runNumber"] = "999999999"
	code, body, _ := fx.do(t, http.MethodPost, "/rest/api/files", hdr, bytes.NewReader(testFile(t)), "application/octet-stream")
	assert.Equal(t, http.StatusOK, code, body)
}
