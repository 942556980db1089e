package heartbeat

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1448384710, 999_000_000)
	require.NoError(t, Write(dir, "EMC", now))
	p := filepath.Join(dir, "heartbeat.EMCReceiver")
	assert.Equal(t, p, Path(dir, "EMC"))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "1448384710", string(b), "decimal seconds, no newline")
	got, err := ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, int64(1448384710), got.Unix())

	require.NoError(t, Write(dir, "EMC", now.Add(time.Minute)))
	b, err = os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "1448384770", string(b))

	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary files left")

	require.Error(t, Write(dir, "", now))
	require.Error(t, Write(dir, "../x", now))
	require.Error(t, Write(filepath.Join(dir, "missing"), "EMC", now))
	_, err = ReadFile(filepath.Join(dir, "missing"))
	require.Error(t, err)
	require.NoError(t, os.WriteFile(p, []byte("soon"), 0o644))
	_, err = ReadFile(p)
	require.Error(t, err)
}

func TestUnix(t *testing.T) {
	dir := t.TempDir()
	assert.Equal(t, int64(-1), Unix(dir, "EMC"), "missing file")
	require.NoError(t, os.WriteFile(Path(dir, "EMC"), []byte("1541792926"), 0o644))
	assert.Equal(t, int64(1541792926), Unix(dir, "EMC"))
	require.NoError(t, os.WriteFile(Path(dir, "EMC"), []byte("hello world"), 0o644))
	assert.Equal(t, int64(-1), Unix(dir, "EMC"))
}

func TestDeadRule(t *testing.T) {
	now := time.Unix(10_000, 0)
	for _, tc := range []struct {
		hb   int64
		dead bool
	}{
		{10_000 - 299, false},
		{10_000 - 300, true},
		{10_000 + 299, false},
		{10_000 + 300, true},
		{-1, true},
	} {
		assert.Equal(t, tc.dead, Dead(tc.hb, now), tc.hb)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1541792926+100, 0)
	for _, tc := range []struct {
		content string
		alive   bool
	}{
		{"1541792926", true},
		{"1541792926\n", true},
		{strconv.Itoa(1541792926 + 100 - 299), true},
		{strconv.Itoa(1541792926 + 100 - 300), false},
		{strconv.Itoa(1541792926 + 100 + 300), false},
		{"hello world", false},
		{"", false},
		{"0", false},
	} {
		require.NoError(t, os.WriteFile(Path(dir, "EMC"), []byte(tc.content), 0o644))
		s := Check(dir, "EMC", now)
		assert.Equal(t, tc.alive, s.Alive, tc.content)
		assert.Equal(t, "EMC", s.Subsystem)
		if !tc.alive && s.Time.IsZero() {
			assert.Contains(t, s.Error, "Unix seconds", tc.content)
		}
	}
	require.NoError(t, os.WriteFile(Path(dir, "EMC"), []byte("1541792926"), 0o644))
	assert.Equal(t, 100.0, Check(dir, "EMC", now).Age)
	assert.Equal(t, "no heartbeat file", Check(dir, "ZZZ", now).Error)
}
