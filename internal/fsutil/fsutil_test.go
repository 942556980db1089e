package fsutil

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret.json")
	require.NoError(t, WriteFileAtomic(p, []byte("one"), 0o600, true))
	require.NoError(t, WriteFileAtomic(p, []byte("two"), 0o600, false))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "two", string(b))
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary file left")
	assert.Error(t, WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o644, false))
}
