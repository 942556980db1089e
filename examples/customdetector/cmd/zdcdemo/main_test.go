package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The custom ZDC detector running through store, processing and trending
// over five simulated snapshots: the timing drifts, the quality flag turns
// bad and the trend alarm fires.
func Example() {
	dir, err := os.MkdirTemp("", "customdetector-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := run(context.Background(), os.Stdout, dir); err != nil {
		panic(err)
	}
	// Output:
	// registered detectors: [ZDC]
	// snapshot 1: 10000 events, timing quality good | In-time fraction: 0.950 (window ±10 ns)
	// snapshot 2: 20000 events, timing quality good | In-time fraction: 0.933 (window ±10 ns) | alarm on meanTime
	// snapshot 3: 30000 events, timing quality good | In-time fraction: 0.902 (window ±10 ns) | alarm on meanTime
	// snapshot 4: 40000 events, timing quality bad  | In-time fraction: 0.858 (window ±10 ns) | alarm on meanTime
	// snapshot 5: 50000 events, timing quality bad  | In-time fraction: 0.803 (window ±10 ns) | alarm on meanTime
	// group "ZDC timing": ZDC_histTime
	// group "ZDC amplitudes": ZDC_histAmplitude
	// group "ZDC channel maps": ZDC_histChannelMap
	// group "Other ZDC": ZDC_histEvents
	// trend meanTime: 1.02 2.01 3.01 4.01 5.00
	// alarm ZDC/meanTime/timeDrift: firing since run 123456
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, t.TempDir()))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 12)
	assert.Contains(t, lines[1], "quality good")
	assert.Contains(t, lines[5], "quality bad")
	assert.Contains(t, out.String(), "alarm ZDC/meanTime/timeDrift: firing")
}
