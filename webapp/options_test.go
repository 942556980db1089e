package webapp

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// optDetector declares one option of every type, as a detector plug-in
// would; the time-slice dialog is built from these declarations.
type optDetector struct{}

func (optDetector) Subsystem() string { return "WEBT" }

func (optDetector) Options() []overwatch.OptionSpec {
	return []overwatch.OptionSpec{
		{Name: "scaleHists", Type: overwatch.OptionBool, Default: true, Help: "scale by the number of events"},
		{Name: "hotChannelThreshold", Type: overwatch.OptionInt, Default: int64(0), Min: 0, Max: 1000, HasRange: true},
		{Name: "minFraction", Type: overwatch.OptionFloat, Default: 0.5},
		{Name: "label", Type: overwatch.OptionString, Default: "all"},
	}
}

func init() { overwatch.RegisterDetector(optDetector{}) }

func TestSliceDialogFromDeclaredOptions(t *testing.T) {
	e := newEnv(t)
	start := time.Now().Add(-30 * time.Minute).Truncate(time.Second)
	e.addSnapshot(t, 300, "WEBT", start)
	e.addSnapshot(t, 300, "WEBT", start.Add(20*time.Minute))
	e.publish(t, 300, "WEBT", "", start.Add(20*time.Minute), nil)
	c, _ := loggedIn(t, e)

	resp, body := c.get("/run/300/WEBT")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `data-opt="scaleHists" data-type="bool" checked`)
	assert.Contains(t, body, `data-opt="hotChannelThreshold" data-type="int" value="0" min="0" max="1000" step="1"`)
	assert.Contains(t, body, `data-opt="minFraction" data-type="float" value="0.5"  step="any"`)
	assert.Contains(t, body, `data-opt="label" data-type="string" value="all"`)
	assert.Contains(t, body, "scale by the number of events")
	assert.Contains(t, body, "run length 20 min")

	// The permalink's options fill the form.
	resp, body = c.get("/run/300/WEBT?from=0&to=10&o.scaleHists=false&o.hotChannelThreshold=250")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `data-opt="scaleHists" data-type="bool" >`)
	assert.Contains(t, body, `data-opt="hotChannelThreshold" data-type="int" value="250"`)

	resp, body = c.get("/api/options/WEBT")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `"Name":"hotChannelThreshold","Type":"int","Default":0,"Min":0,"Max":1000,"HasRange":true`)

	tok := c.csrf()
	for _, tc := range []struct {
		opts string
		code int
		msg  string
	}{
		{`{"scaleHists":"true","hotChannelThreshold":"999","minFraction":"0.25","label":"x"}`, http.StatusAccepted, `"state"`},
		{`{"hotChannelThreshold":"1001"}`, http.StatusBadRequest, "outside [0, 1000]"},
		{`{"hotChannelThreshold":"abc"}`, http.StatusBadRequest, "is not an integer"},
		{`{"scaleHists":"maybe"}`, http.StatusBadRequest, "is not a boolean"},
		{`{"minFraction":"NaN"}`, http.StatusBadRequest, "is not a finite number"},
	} {
		resp, body := c.do("POST", "/api/slices", strings.NewReader(`{"run":300,"subsystem":"WEBT","from":0,"to":10,"options":`+tc.opts+`}`),
			map[string]string{"X-CSRF-Token": tok})
		assert.Equal(t, tc.code, resp.StatusCode, tc.opts)
		assert.Contains(t, body, tc.msg, tc.opts)
	}
}
