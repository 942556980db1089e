package webapp

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLinkPathsAreServed: the paths that alarm notifications link to
// (RunPath, PlotPath, StatusPath) are the web app's own routes.
func TestLinkPathsAreServed(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	c, _ := loggedIn(t, e)
	resp, _ := c.get(RunPath(100, "EMC"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = c.get(PlotPath(100, "EMC", "EMCTRQA/hEMCalPatchMap"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	resp, _ = c.get(StatusPath)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
