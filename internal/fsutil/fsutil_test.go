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

func TestMapFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(p, []byte("hello"), 0o600))
	b, release, err := MapFile(p)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(b))
	require.NoError(t, release())
	e := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(e, nil, 0o600))
	b, release, err = MapFile(e)
	require.NoError(t, err)
	assert.Empty(t, b)
	require.NoError(t, release())
	_, _, err = MapFile(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
