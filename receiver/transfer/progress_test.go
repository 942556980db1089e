package transfer

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProgressSurvivesATornLine(t *testing.T) {
	dir := t.TempDir()
	sum := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	log := "ok " + sum + ` "Run1/EMC/a.root"` + "\n" +
		"conflict - \"Run1/EMC/b.root\"\n" +
		"garbage line\n" +
		"ok " + sum + ` "Run1/EMC/c.ro` // torn by a crash
	require.NoError(t, os.WriteFile(filepath.Join(dir, "site.log"), []byte(log), 0o600))
	p, err := openProgress(dir, "site")
	require.NoError(t, err)
	assert.True(t, p.has("Run1/EMC/a.root"))
	assert.True(t, p.has("Run1/EMC/b.root"), "conflicts are done: never retried")
	assert.False(t, p.has("Run1/EMC/c.root"), "a torn record does not count")
	require.NoError(t, p.add(recOK, sum, "Run1/EMC/c.root"))
	require.NoError(t, p.close())
	p, err = openProgress(dir, "site")
	require.NoError(t, err)
	defer p.close()
	assert.True(t, p.has("Run1/EMC/c.root"), "the record after a torn line is read back")
	assert.Equal(t, 3, p.len())
	st, err := os.Stat(filepath.Join(dir, "site.log"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestProgressIsExclusive(t *testing.T) {
	dir := t.TempDir()
	p, err := openProgress(dir, "site")
	require.NoError(t, err)
	_, err = openProgress(dir, "site")
	assert.ErrorContains(t, err, "in use by another transfer")
	require.NoError(t, p.close())
	p, err = openProgress(dir, "site")
	require.NoError(t, err)
	require.NoError(t, p.close())
}

func FuzzParseRecord(f *testing.F) {
	f.Add(`ok ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad "Run1/EMC/a.root"`)
	f.Add(`conflict - "Run1/EMC/b.root"`)
	f.Add(`ok x "\x00"`)
	f.Fuzz(func(t *testing.T, line string) {
		path, ok := parseRecord(line)
		if !ok {
			return
		}
		if path == "" {
			t.Fatal("an empty path accepted")
		}
		// What add writes for that path reads back as the same path.
		again, ok := parseRecord(recConflict + " - " + strconv.Quote(path))
		if !ok || again != path {
			t.Fatalf("%q does not round-trip (%q)", path, again)
		}
	})
}
