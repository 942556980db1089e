package receiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeartbeat(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1448384710, 999_000_000)
	require.NoError(t, WriteHeartbeat(dir, "EMC", now))
	p := filepath.Join(dir, "heartbeat.EMCReceiver")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "1448384710", string(b), "decimal seconds, no newline")
	got, err := ReadHeartbeat(p)
	require.NoError(t, err)
	assert.Equal(t, int64(1448384710), got.Unix())

	require.NoError(t, WriteHeartbeat(dir, "EMC", now.Add(time.Minute)))
	b, err = os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "1448384770", string(b))

	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary files left")

	require.Error(t, WriteHeartbeat(dir, "", now))
	require.Error(t, WriteHeartbeat(dir, "../x", now))
	require.Error(t, WriteHeartbeat(filepath.Join(dir, "missing"), "EMC", now))
	_, err = ReadHeartbeat(filepath.Join(dir, "missing"))
	require.Error(t, err)
	require.NoError(t, os.WriteFile(p, []byte("soon"), 0o644))
	_, err = ReadHeartbeat(p)
	require.Error(t, err)
}

func TestWriteFileAtomicSync(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.root")
	require.NoError(t, WriteFileAtomic(p, []byte("one"), true))
	require.NoError(t, WriteFileAtomic(p, []byte("two"), true))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "two", string(b))
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}
