package store

import (
	"bufio"
	"context"
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
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
	"github.com/overwatch-dqm/overwatch/store/storetest"
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
		delay := time.Duration(20+rng.IntN(300)) * time.Millisecond
		killAfterReady(t, cmd, delay)

		s, err := Open(dir, Options{Logger: quietLogger()})
		require.NoError(t, err, "reopen after kill %d", k)
		checkNoHalfFiles(t, dir)
		require.NoError(t, s.Verify(context.Background()), "after kill %d (after %v)", k, delay)
		n := 0
		require.NoError(t, storetest.EachSnapshot(context.Background(), s, func(sn overwatch.SnapshotInfo, b []byte) error {
			require.True(t, payload.Valid(b), "indexed snapshot %s is whole", sn.Path)
			n++
			return nil
		}))
		assert.GreaterOrEqual(t, n, total, "nothing indexed was lost")
		total = n
		require.NoError(t, s.Close())
	}
	t.Logf("%d kills, %d snapshots survived", kills, total)
	require.Positive(t, total)
}

// startReady starts cmd (its standard error to the test's) and waits for
// the "ready" line it prints once it is writing; it returns the rest of
// its standard output.
func startReady(t *testing.T, cmd *exec.Cmd) *bufio.Reader {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	rd := bufio.NewReader(stdout)
	line, err := rd.ReadString('\n')
	require.NoError(t, err, "helper did not start")
	require.Equal(t, "ready\n", line)
	return rd
}

// killAfterReady starts cmd, waits for its "ready" line, lets it run for
// delay and SIGKILLs it.
func killAfterReady(t *testing.T, cmd *exec.Cmd, delay time.Duration) {
	t.Helper()
	startReady(t, cmd)
	time.Sleep(delay)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
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
		case strings.HasPrefix(name, fsio.TmpPrefix) && strings.HasPrefix(rel, "Run"):
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

// TestIngestCrashSafety kills the helper while it ingests a drop folder,
// again and again until it finishes: every drop file ends up stored
// exactly once (a file stored before the kill removed it is recognised),
// and the index equals a rebuild.
func TestIngestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a helper program")
	}
	exe := filepath.Join(t.TempDir(), "crashtest")
	out, err := exec.Command("go", "build", "-o", exe, "github.com/overwatch-dqm/overwatch/store/internal/crashtest").CombinedOutput()
	require.NoError(t, err, "build helper: %s", out)
	dir, drop := t.TempDir(), t.TempDir()
	const files = 60
	t0 := time.Unix(1448384710, 0)
	want := map[int64]bool{}
	size := map[int64]int64{}
	for i := 0; i < files; i++ {
		tm := t0.Add(time.Duration(i) * time.Second)
		// Distinct objects: identical ones would be duplicates of the newest.
		data := otherSnapshot(t, float64(i+1))
		writeOld(t, drop, FormatReceiverName([]string{"EMC", "HLT", "TPC"}[i%3], 500+i%4, "C", tm, 0, false), data)
		want[tm.Unix()] = true
		size[tm.Unix()] = int64(len(data))
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	kills := 0
	for round := 0; round < 200; round++ {
		cmd := exec.Command(exe, "-dir", dir, "-drop", drop)
		rd := startReady(t, cmd)
		finished := make(chan string, 1)
		go func() { l, _ := rd.ReadString('\n'); finished <- l }()
		select {
		case l := <-finished:
			require.Equal(t, "done\n", l)
			require.NoError(t, cmd.Wait())
			round = 1 << 30
			continue
		case <-time.After(time.Duration(10+rng.IntN(150)) * time.Millisecond):
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		kills++
	}
	left, err := os.ReadDir(drop)
	require.NoError(t, err)
	require.Empty(t, left, "drop folder emptied")

	s := openTest(t, dir)
	require.NoError(t, s.Verify(context.Background()))
	got := map[int64]int{}
	runs, err := s.Runs(context.Background(), overwatch.RunQuery{})
	require.NoError(t, err)
	for _, r := range runs {
		for _, sys := range []string{"EMC", "HLT", "TPC"} {
			snaps, err := s.Snapshots(context.Background(), r.Number, sys)
			require.NoError(t, err)
			for _, sn := range snaps {
				got[sn.Time.Unix()]++
				assert.Equal(t, size[sn.Time.Unix()], sn.Size)
			}
		}
	}
	assert.Len(t, got, files)
	for tm, n := range got {
		assert.True(t, want[tm])
		assert.Equal(t, 1, n, "snapshot at %d stored once", tm)
	}
	t.Logf("%d drop files ingested exactly once across %d kills", files, kills)
}

// TestConcurrentProcesses runs two helper processes writing into one data
// directory at the same time (the index shared through SQLite, the trend
// journals and alarm documents shared on disk), kills them at random
// moments, and checks after each round that the store reopens whole:
// every indexed snapshot is readable and whole, and the index equals a
// rebuild.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills helper programs")
	}
	exe := filepath.Join(t.TempDir(), "crashtest")
	out, err := exec.Command("go", "build", "-o", exe, "github.com/overwatch-dqm/overwatch/store/internal/crashtest").CombinedOutput()
	require.NoError(t, err, "build helper: %s", out)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	total := 0
	for round := 0; round < 3; round++ {
		var cmds []*exec.Cmd
		for w := 0; w < 2; w++ {
			cmd := exec.Command(exe, "-dir", dir, "-seed", strconv.Itoa(10+2*round+w))
			startReady(t, cmd)
			cmds = append(cmds, cmd)
		}
		time.Sleep(time.Duration(200+rng.IntN(400)) * time.Millisecond)
		for _, cmd := range cmds {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			_ = cmd.Wait()
		}
		s, err := Open(dir, Options{Logger: quietLogger()})
		require.NoError(t, err)
		checkNoHalfFiles(t, dir)
		require.NoError(t, s.Verify(context.Background()), "round %d", round)
		n := 0
		writers := map[int]bool{}
		require.NoError(t, storetest.EachSnapshot(context.Background(), s, func(sn overwatch.SnapshotInfo, b []byte) error {
			require.True(t, payload.Valid(b), "indexed snapshot %s is whole", sn.Path)
			writers[sn.Run/1000] = true
			n++
			return nil
		}))
		assert.Greater(t, n, total, "both helpers wrote")
		assert.Len(t, writers, 2*(round+1), "every helper's runs are indexed")
		total = n
		require.NoError(t, s.Close())
	}
	t.Logf("3 rounds of 2 concurrent writers, %d snapshots", total)
}
