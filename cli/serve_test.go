package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCommand(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runMain(context.Background(), &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func TestConfigCheckAcceptsTheShippedExample(t *testing.T) {
	code, out, errs := runCommand(t, "config", "check", "--config", filepath.Join("..", "deploy", "overwatch.example.yaml"))
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "is valid")
	assert.Contains(t, out, "REQ>tcp://127.0.0.1:60321")
}

func TestConfigCheckReportsProblems(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(p, []byte("subsystems: [emc]\nweb: {listen: nowhere}\n"), 0o600))
	code, _, errs := runCommand(t, "config", "check", "--config", p)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `"emc" is not a subsystem name`)
	assert.Contains(t, errs, "web.listen")

	require.NoError(t, os.WriteFile(p, []byte("unknown: 1\n"), 0o600))
	code, _, errs = runCommand(t, "config", "check", "--config", p)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "unknown")
}

func TestEveryCommandHasHelp(t *testing.T) {
	for name := range commands {
		args := append(splitName(name), "-h")
		code, _, errs := runCommand(t, args...)
		assert.Equal(t, 0, code, "%s -h: %s", name, errs)
		assert.Contains(t, errs, "Usage: overwatch "+name, name)
	}
}

func splitName(n string) []string {
	var out []string
	for _, f := range bytes.Fields([]byte(n)) {
		out = append(out, string(f))
	}
	return out
}
