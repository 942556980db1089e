package webapp

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRunNumbersOutOfRangeAnswer400: every route taking a run number
// answers a run outside 1..overwatch.MaxRun with the same 400 naming the
// range, and an unknown run inside it with 404.
func TestRunNumbersOutOfRangeAnswer400(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	c, _ := loggedIn(t, e)
	for _, p := range []string{
		"/run/1000000000/EMC", "/run/1000000000000000000/EMC", "/run/1000000000/EMC/files",
		"/api/runs/1000000000", "/api/runs/1000000000000000000/EMC", "/runs?jump=1000000000",
	} {
		resp, body := c.get(p)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, p)
		assert.Contains(t, body, "1 to 999999999", p)
	}
	for _, p := range []string{"/run/999999999/EMC", "/api/runs/999999999"} {
		resp, _ := c.get(p)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, p)
	}
}
