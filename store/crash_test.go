package store

import (
	"bufio"
	"context"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/internal/crashtest/payload"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCrashSafety builds internal/crashtest, lets it write into a store
// and SIGKILLs it at random moments, several times. After every kill the
// store is reopened: no file at a final name is partial, no temporary
// file survives in the folders being written, every indexed snapshot can
// be read, and the index equals a fresh rebuild.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a helper program")
	}
	exe := filepath.Join(t.TempDir(), "crashtest")
	build := exec.Command("go", "build", "-o", exe, "github.com/overwatch-dqm/overwatch/store/internal/crashtest")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build helper: %s", out)

	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	const kills = 6
	total := 0
	for k := 0; k < kills; k++ {
		cmd := exec.Command(exe, "-dir", dir, "-seed", strconv.Itoa(k+1))
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		line, err := bufio.NewReader(stdout).ReadString('\n')
		require.NoError(t, err, "helper did not start")
		require.Equal(t, "ready\n", line)
		delay := time.Duration(20+rng.IntN(300)) * time.Millisecond
		time.Sleep(delay)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()

		s, err := Open(dir, Options{Logger: quietLogger()})
		require.NoError(t, err, "reopen after kill %d", k)
		checkNoHalfFiles(t, dir)
		require.NoError(t, s.Verify(context.Background()), "after kill %d (after %v)", k, delay)
		ctx := context.Background()
		runs, err := s.Runs(ctx, overwatch.RunQuery{})
		require.NoError(t, err)
		n := 0
		for _, r := range runs {
			for _, sub := range r.Subsystems {
				if sub.Borrows() {
					continue
				}
				snaps, err := s.Snapshots(ctx, r.Number, sub.Name)
				require.NoError(t, err)
				for _, sn := range snaps {
					rc, err := s.OpenSnapshot(ctx, sn.SnapshotRef)
					require.NoError(t, err)
					b, err := io.ReadAll(rc)
					_ = rc.Close()
					require.NoError(t, err)
					require.True(t, payload.Valid(b), "indexed snapshot %s is whole", sn.Path)
					n++
				}
			}
		}
		assert.GreaterOrEqual(t, n, total, "nothing indexed was lost")
		total = n
		require.NoError(t, s.Close())
	}
	t.Logf("%d kills, %d snapshots survived", kills, total)
	require.Positive(t, total)
}

// checkNoHalfFiles checks every snapshot and output file of the tree and
// that the store's temporary files are gone from the run folders.
func checkNoHalfFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		switch {
		case strings.HasPrefix(name, tmpPrefix) && strings.HasPrefix(rel, "Run"):
			t.Errorf("temporary file left after reopen: %s", rel)
		case strings.HasSuffix(name, ".root") || (strings.HasSuffix(name, ".json") && strings.Contains(rel, "/json/")):
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.True(t, payload.Valid(b), "half file %s (%d bytes)", rel, len(b))
		}
		return nil
	})
	require.NoError(t, err)
}
