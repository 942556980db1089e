package trending

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/jsroottest"
)

func trendPoints() []overwatch.TrendPoint {
	var pts []overwatch.TrendPoint
	for i := 0; i < 30; i++ {
		pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: "meanX", Run: 5, Time: time.Unix(1448384710+int64(60*i), 0), Value: float64(i%7) + 0.5, Error: 0.1})
	}
	return pts
}

func TestGraphHasRealTimeAxis(t *testing.T) {
	g := Graph("meanX", "mean of x", trendPoints())
	require.NoError(t, g.Validate())
	assert.Equal(t, overwatch.ClassTGraphErrors, g.Class)
	assert.Equal(t, 30, g.Len())
	assert.Equal(t, 1448384710.0, g.X[0], "X holds Unix times, not indices")
	assert.True(t, g.XTime)
	png, err := RenderPNG(g, 300, 200)
	require.NoError(t, err)
	assert.Equal(t, "\x89PNG", string(png[:4]))
}

// TestTrendJSONDrawnByJSROOT hands the trend's TGraphErrors JSON to JSROOT
// (parse + makeSVG under Node) and checks that it draws points over a time
// axis.
func TestTrendJSONDrawnByJSROOT(t *testing.T) {
	env := jsroottest.New(t)
	js, err := overwatch.MarshalJSON(Graph("meanX", "mean of x", trendPoints()))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := env.Render(ctx, jsroottest.RenderJob{ID: "trend", JSON: json.RawMessage(js), Option: "AP", WantSVG: true})
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.True(t, res[0].OK, res[0].Error)
	assert.Equal(t, "TGraphErrors", res[0].Typename)
	// A time axis shows dates/times (e.g. "24/11 18:05"), not raw seconds.
	assert.Regexp(t, `\d\d/\d\d \d\d:\d\d|\d\d:\d\d`, res[0].SVG)
	assert.False(t, strings.Contains(res[0].SVG, "1.4483"), "raw Unix seconds on the axis")
}
