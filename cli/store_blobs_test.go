package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/internal/config"
)

// `config check` validates the store's blobs: an S3 bucket needs its keys
// in the environment (never printed), a malformed address is refused.
func TestConfigCheckStoreBlobs(t *testing.T) {
	dir := t.TempDir()
	check := func(blobs string, getenv func(string) string) (int, string, string) {
		p := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(p, []byte("data: "+dir+"\nstore:\n  blobs: '"+blobs+"'\n"), 0o644))
		var out, errb bytes.Buffer
		code := runMain(context.Background(), &env{stdout: &out, stderr: &errb, getenv: getenv}, []string{"config", "check", "--config", p})
		return code, out.String(), errb.String()
	}
	keys := func(k string) string {
		switch k {
		case config.EnvS3Access:
			return "access-key-id"
		case config.EnvS3Secret:
			return "the-secret-key"
		}
		return ""
	}
	code, out, errs := check("s3://s3.example:9000/dqm/site-a/", keys)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "s3://s3.example:9000/dqm/site-a/")
	assert.NotContains(t, out, "the-secret-key")
	code, _, errs = check("s3://s3.example:9000/dqm/", func(string) string { return "" })
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errs, config.EnvS3Secret)
	code, _, errs = check("root://eos.example/not-absolute", keys)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errs, "absolute")
	code, _, errs = check("root://eos.example//eos/exp/overwatch", func(string) string { return "" })
	assert.Equal(t, 0, code, errs)
}

// A bad --blobs is a usage error naming the flag, before anything opens.
func TestBlobsFlagRefused(t *testing.T) {
	for _, args := range [][]string{
		{"store", "ls", "--data", t.TempDir(), "--blobs", "ftp://h/x"},
		{"web", "--data", t.TempDir(), "--blobs", "s3://h/Bad_Bucket"},
		{"process", "--data", t.TempDir(), "--once", "--blobs", "s3://h/dqm"},
	} {
		code, _, errs := runCommand(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, errs)
		assert.Contains(t, errs, "--blobs", args)
	}
}
