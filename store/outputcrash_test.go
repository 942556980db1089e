package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A process that writes only outputs into a run's folder (processing of
// a backlog, no snapshot of that run in this session) and dies during a
// write leaves a temporary file there: the folder must be marked like a
// snapshot write's, so that the next Open removes it. (It was not, and
// processing's TestCrashResume found a temporary bundle left behind.)
func TestOutputWriteCrashIsRepaired(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	ref := overwatch.OutputRef{Run: 7, Subsystem: "EMC", Kind: overwatch.OutputJSON, Name: "h"}
	require.NoError(t, s.PutOutput(ctx, ref, []byte(`{}`)))
	// The process dies in its next output write: the temporary file is
	// there, the writer's lock is gone, Close never runs.
	tmp := filepath.Join(dir, "Run7", "EMC", fsio.TmpPrefix+"bundle.owb-0123456789ab")
	require.NoError(t, os.WriteFile(tmp, []byte("half"), 0o644))
	s.releaseWriterLock()
	defer s.x.close()

	s2, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	defer s2.Close()
	_, err = os.Stat(tmp)
	assert.True(t, os.IsNotExist(err), "the temporary file of the dead writer's output is removed: %v", err)
	b, err := s2.Output(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b), "the output written before the crash stays")
}

// The same for the trending outputs (Run 0): a process that dies while
// writing a trend plot leaves a temporary file in trending/<SYS>/json;
// the next Open removes it (processing's TestCrashResume found one).
func TestTrendOutputWriteCrashIsRepaired(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	ref := overwatch.OutputRef{Run: 0, Subsystem: "EMC", Kind: overwatch.OutputJSON, Name: "stdDevEvents"}
	require.NoError(t, s.PutOutput(ctx, ref, []byte(`{}`)))
	tmp := filepath.Join(dir, "trending", "EMC", "json", fsio.TmpPrefix+"stdDevEvents.json-0123456789ab")
	require.NoError(t, os.WriteFile(tmp, []byte("half"), 0o644))
	s.releaseWriterLock()
	defer s.x.close()

	s2, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	defer s2.Close()
	_, err = os.Stat(tmp)
	assert.True(t, os.IsNotExist(err), "the temporary file of the dead writer's trend output is removed: %v", err)
	b, err := s2.Output(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b))
	require.NoError(t, s2.Verify(ctx))
}
