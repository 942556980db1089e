package receiver

import (
	"github.com/overwatch-dqm/overwatch/heartbeat"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDataStatusRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := DataStatus{Run: 290000, LastData: time.Unix(1700000000, 0)}
	require.NoError(t, WriteDataStatus(dir, "EMC", s))
	b, err := os.ReadFile(filepath.Join(dir, "datastatus.EMCReceiver"))
	require.NoError(t, err)
	assert.Equal(t, "run=290000 last=1700000000", string(b))
	got, err := ReadDataStatus(filepath.Join(dir, DataStatusName("EMC")))
	require.NoError(t, err)
	assert.Equal(t, s.Run, got.Run)
	assert.True(t, s.LastData.Equal(got.LastData))
	require.NoError(t, os.WriteFile(filepath.Join(dir, DataStatusName("TPC")), []byte("run=x"), 0o644))
	_, err = ReadDataStatus(filepath.Join(dir, DataStatusName("TPC")))
	assert.Error(t, err)
	assert.Error(t, WriteDataStatus(dir, "../x", s))
}

// TestForwardHeartbeats: the heartbeats and data status that a drop-folder
// receiver writes reach the data directory; an older heartbeat never
// replaces a newer one; garbage is skipped.
func TestForwardHeartbeats(t *testing.T) {
	drop, data := t.TempDir(), t.TempDir()
	now := time.Unix(1700000000, 0)
	require.NoError(t, heartbeat.Write(drop, "EMC", now))
	require.NoError(t, WriteDataStatus(drop, "EMC", DataStatus{Run: 7, LastData: now.Add(-time.Minute)}))
	require.NoError(t, os.WriteFile(filepath.Join(drop, "heartbeat.TPCReceiver"), []byte("garbage"), 0o644))
	require.NoError(t, ForwardHeartbeats(drop, data))
	got, err := heartbeat.ReadFile(filepath.Join(data, heartbeat.Name("EMC")))
	require.NoError(t, err)
	assert.True(t, got.Equal(now))
	ds, err := ReadDataStatus(filepath.Join(data, DataStatusName("EMC")))
	require.NoError(t, err)
	assert.Equal(t, 7, ds.Run)
	_, err = os.Stat(filepath.Join(data, heartbeat.Name("TPC")))
	assert.True(t, os.IsNotExist(err))

	require.NoError(t, heartbeat.Write(data, "EMC", now.Add(time.Hour))) // a receiver writing to data directly
	require.NoError(t, ForwardHeartbeats(drop, data))
	got, err = heartbeat.ReadFile(filepath.Join(data, heartbeat.Name("EMC")))
	require.NoError(t, err)
	assert.True(t, got.Equal(now.Add(time.Hour)), "never older")
}

// FuzzReadDataStatus: data status files come from drop folders; any
// content gives a status or an error, never a panic, and a written status
// reads back.
func FuzzReadDataStatus(f *testing.F) {
	f.Add("run=290000 last=1700000000", int64(5), int64(1700000000))
	f.Add("run=-1 last=x", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, content string, run, last int64) {
		dir := t.TempDir()
		p := filepath.Join(dir, DataStatusName("EMC"))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = ReadDataStatus(p)
		s := DataStatus{Run: int(run % 1_000_000_000), LastData: time.Unix(last%(1<<40), 0)}
		if err := WriteDataStatus(dir, "EMC", s); err != nil {
			t.Fatal(err)
		}
		got, err := ReadDataStatus(p)
		if err != nil || got.Run != s.Run || !got.LastData.Equal(s.LastData) {
			t.Fatalf("round trip of %+v: %+v, %v", s, got, err)
		}
	})
}
