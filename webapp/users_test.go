package webapp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsers(t *testing.T) {
	dir := t.TempDir()
	u, err := OpenUsers(UsersPath(dir))
	require.NoError(t, err)
	names, err := u.Names()
	require.NoError(t, err)
	assert.Empty(t, names, "no default users")
	assert.False(t, u.Verify("admin", "admin"))

	require.NoError(t, u.Add("bob", "a long password", RoleViewer))
	assert.ErrorIs(t, u.Add("bob", "another long one", RoleViewer), ErrUserExists)
	assert.ErrorContains(t, u.Add("b b", "a long password", RoleViewer), "invalid user name")
	assert.ErrorContains(t, u.Add("carol", "short", RoleViewer), "too short")
	assert.ErrorContains(t, u.Add("carol", strings.Repeat("x", 80), RoleViewer), "too long")
	assert.True(t, u.Verify("bob", "a long password"))
	assert.False(t, u.Verify("bob", "a long passworD"))
	assert.False(t, u.Verify("nobody", "a long password"))

	st, err := os.Stat(UsersPath(dir))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	data, err := os.ReadFile(UsersPath(dir))
	require.NoError(t, err)
	assert.NotContains(t, string(data), "a long password", "only hashes are stored")
	assert.Contains(t, string(data), "$2a$")

	// Another handle (the CLI) sees and changes the same file.
	u2, err := OpenUsers(UsersPath(dir))
	require.NoError(t, err)
	require.NoError(t, u2.SetPassword("bob", "a new long password"))
	assert.False(t, u.Verify("bob", "a long password"))
	assert.True(t, u.Verify("bob", "a new long password"))
	assert.ErrorIs(t, u2.SetPassword("nobody", "a new long password"), ErrUnknownUser)
	require.NoError(t, u2.Remove("bob"))
	assert.False(t, u.Verify("bob", "a new long password"))
	assert.ErrorIs(t, u2.Remove("bob"), ErrUnknownUser)

	// A users file readable by others is refused.
	require.NoError(t, u.Add("dave", "a long password", RoleViewer))
	require.NoError(t, os.Chmod(UsersPath(dir), 0o644))
	_, err = OpenUsers(UsersPath(dir))
	assert.ErrorContains(t, err, "expected 0600")
	assert.False(t, u.Verify("dave", "a long password"), "refused file: nobody logs in")

	// Corrupt file.
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{nope"), 0o600))
	_, err = OpenUsers(bad)
	assert.ErrorContains(t, err, "expected JSON")
}

func TestValidUserName(t *testing.T) {
	for name, ok := range map[string]bool{
		"alice": true, "a.b-c_d@cern.ch": true, "A1": true,
		"": false, "with space": false, "new\nline": false, "semi;colon": false, "pipe|x": false,
		strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
	} {
		assert.Equal(t, ok, ValidUserName(name), name)
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		pw, err := GeneratePassword()
		require.NoError(t, err)
		assert.Len(t, pw, 20)
		assert.NoError(t, checkPassword(pw))
		assert.False(t, seen[pw])
		seen[pw] = true
		assert.False(t, strings.ContainsAny(pw, "0O1lI"), "unambiguous alphabet")
	}
}
