package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigCheckValidatesQualityChecks(t *testing.T) {
	p := filepath.Join(t.TempDir(), "q.yaml")
	require.NoError(t, os.WriteFile(p, []byte("quality:\n  EMC:\n    checks:\n      - {hist: \"EMC*\", check: KolmogorovTest, params: {PValueBad: 2}}\n"), 0o600))
	code, _, errs := runCommand(t, "config", "check", "--config", p)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "quality.EMC: checks[0]: check KolmogorovTest (KolmogorovTest)")
	assert.Contains(t, errs, "PValueBad = 2 is outside [0, 1]")

	require.NoError(t, os.WriteFile(p, []byte("quality:\n  EMC:\n    checks:\n      - {hist: \"EMC*\", check: KolmogorovTest, params: {PValueBad: 0.001}}\n"), 0o600))
	code, out, errs := runCommand(t, "config", "check", "--config", p)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "KolmogorovTest")
}
