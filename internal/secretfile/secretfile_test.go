package secretfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type doc struct {
	Names []string `json:"names"`
}

func TestLoadSaveReload(t *testing.T) {
	dir := t.TempDir()
	f := &File{Path: filepath.Join(dir, "private", "names.json"), What: "test: names file", Format: `{"names": [...]}`}
	var got []string
	load := func() error {
		var d doc
		return f.Load(&d, func() error { got = d.Names; return nil })
	}
	require.NoError(t, load(), "an absent file is empty")
	assert.Nil(t, got)

	require.NoError(t, f.Save(doc{Names: []string{"a"}}))
	st, err := os.Stat(f.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	dst, err := os.Stat(filepath.Dir(f.Path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dst.Mode().Perm())
	require.NoError(t, load())
	assert.Equal(t, []string{"a"}, got)

	calls := 0
	require.NoError(t, f.Load(&doc{}, func() error { calls++; return nil }))
	assert.Zero(t, calls, "an unchanged file is not applied again")

	// Changed on disk by another process (another size): read again.
	require.NoError(t, os.WriteFile(f.Path, []byte(`{"names": ["a", "b"]}`), 0o600))
	require.NoError(t, load())
	assert.Equal(t, []string{"a", "b"}, got)

	// Removed: empty again.
	require.NoError(t, os.Remove(f.Path))
	require.NoError(t, load())
	assert.Nil(t, got)
}

func TestLoadRefusals(t *testing.T) {
	dir := t.TempDir()
	f := &File{Path: filepath.Join(dir, "n.json"), What: "test: names file", Format: `{"names": [...]}`}
	require.NoError(t, os.WriteFile(f.Path, []byte(`{"names": ["a"]}`), 0o644))
	err := f.Load(&doc{}, func() error { return nil })
	assert.ErrorContains(t, err, "expected 0600")

	require.NoError(t, os.Chmod(f.Path, 0o600))
	require.NoError(t, os.WriteFile(f.Path, []byte(`not json`), 0o600))
	err = f.Load(&doc{}, func() error { return nil })
	assert.ErrorContains(t, err, `test: names file`)
	assert.ErrorContains(t, err, `expected JSON {"names": [...]}`)

	// A file apply refuses is read again next time, not remembered.
	require.NoError(t, os.WriteFile(f.Path, []byte(`{"names": ["bad"]}`), 0o600))
	bad := errors.New("invalid entry")
	assert.ErrorIs(t, f.Load(&doc{}, func() error { return bad }), bad)
	calls := 0
	require.NoError(t, f.Load(&doc{}, func() error { calls++; return nil }))
	assert.Equal(t, 1, calls)
}

func TestHash(t *testing.T) {
	h := Hash("secret")
	assert.True(t, ValidHash(h))
	assert.False(t, ValidHash(h[:63]))
	assert.False(t, ValidHash("zz"+h[2:]))
	assert.True(t, Matches("secret", h))
	assert.False(t, Matches("secreT", h))
	a, err := Random(24)
	require.NoError(t, err)
	b, err := Random(24)
	require.NoError(t, err)
	assert.Len(t, a, 32)
	assert.NotEqual(t, a, b)
}
