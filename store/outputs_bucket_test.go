package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withGrace sets the garbage grace period and sweep interval for a test.
func withGrace(t *testing.T, grace, every time.Duration) {
	g, e := outputGrace, outputSweepEvery
	outputGrace, outputSweepEvery = grace, every
	t.Cleanup(func() { outputGrace, outputSweepEvery = g, e })
}

// objectsUnder lists the keys of the bucket under prefix.
func objectsUnder(t testing.TB, b blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	require.NoError(t, b.List(context.Background(), prefix, func(i blob.Info) error {
		keys = append(keys, i.Key)
		return nil
	}))
	return keys
}

// garbageCount is the number of rows of output_garbage.
func garbageCount(t testing.TB, s *Store) int {
	t.Helper()
	var n int
	require.NoError(t, s.x.r.QueryRow("SELECT COUNT(*) FROM output_garbage").Scan(&n))
	return n
}

func TestOutputsOnBucketOnlyOffTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	assert.False(t, outputsOnBucket(dir, nil))
	assert.False(t, outputsOnBucket(dir, blob.Dir(dir)))
	assert.False(t, outputsOnBucket(dir, blob.Dir(dir+"/")), "the same directory spelled differently")
	assert.True(t, outputsOnBucket(dir, blob.Dir(t.TempDir())), "another directory is another bucket")
	s := openOpts(t, dir, Options{Logger: quietLogger(), Bucket: blob.Dir(dir)})
	ref := overwatch.OutputRef{Run: 1, Subsystem: "EMC", Kind: overwatch.OutputBundle}
	require.NoError(t, s.PutOutput(context.Background(), ref, []byte("b")))
	_, err := os.Stat(s.abs("Run1/EMC/bundle.owb"))
	assert.NoError(t, err, "the default bucket keeps the original layout")
	assert.Empty(t, objectsUnder(t, blob.Dir(dir), outputsDir+"/"))
}

func TestOutputKeys(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	k := outputKey("Run12/EMC/slices/k/view.json", 1764720000123456789, sum)
	assert.Equal(t, "outputs/Run12/EMC/slices/k/view.json/1764720000123456789-"+sum, k)
	rel, v, got, ok := parseOutputKey(k)
	require.True(t, ok)
	assert.Equal(t, "Run12/EMC/slices/k/view.json", rel)
	assert.Equal(t, int64(1764720000123456789), v)
	assert.Equal(t, sum, got)
	assert.Less(t, outputKey("Run1/EMC/bundle.owb", 999, sum), outputKey("Run1/EMC/bundle.owb", 1000, sum), "lexical order is time order")
	for _, bad := range []string{
		"outputs/Run1/EMC/bundle.owb",
		"outputs/1764720000123456789-" + sum,
		"outputs/Run1/EMC/bundle.owb/176472000012345678-" + sum,
		"outputs/Run1/EMC/bundle.owb/1764720000123456789-" + strings.ToUpper(sum),
		"outputs/Run1/EMC/bundle.owb/1764720000123456789-" + sum[:63],
		"outputs/Run1/EMC/bundle.owb/1764720000123456789" + sum,
		"outputs/etc/EMC/bundle.owb/1764720000123456789-" + sum,
		"documents/x/1764720000123456789-" + sum,
	} {
		_, _, _, ok := parseOutputKey(bad)
		assert.False(t, ok, bad)
	}
}

// Superseded versions stay readable for the grace period, then the sweep
// of a later write deletes them: versions never accumulate.
func TestOutputsBucketSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	srv := s3test.Start(t)
	b := srv.NewBlobBucket(t)
	withGrace(t, time.Hour, 0)
	dir := t.TempDir()
	s := openOpts(t, dir, Options{Logger: quietLogger(), Bucket: b})
	ctx := context.Background()
	ref := overwatch.OutputRef{Run: 3, Subsystem: "EMC", Kind: overwatch.OutputBundle}
	prefix := outputsDir + "/Run3/EMC/bundle.owb/"
	for i := 0; i < 5; i++ {
		require.NoError(t, s.PutOutput(ctx, ref, fmt.Appendf(nil, "version %d", i)))
	}
	s.outSweep.wg.Wait()
	assert.Len(t, objectsUnder(t, b, prefix), 5, "within the grace period superseded versions stay")
	assert.Equal(t, 4, garbageCount(t, s))

	// (A grace long enough for a put on a loaded machine: a put slower
	// than half of it fails.)
	outputGrace = time.Second
	time.Sleep(outputGrace + 200*time.Millisecond)
	require.NoError(t, s.PutOutput(ctx, ref, []byte("last")))
	s.outSweep.wg.Wait()
	keys := objectsUnder(t, b, prefix)
	require.Len(t, keys, 2, "the sweep deleted the versions past their grace; the one just superseded waits")
	time.Sleep(outputGrace + 200*time.Millisecond)
	n, err := s.sweepOutputs(ctx, time.Now().Add(-outputGrace))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	info, err := s.OutputInfo(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, []string{outputKey("Run3/EMC/bundle.owb", info.Time.UnixNano(), info.SHA256)}, objectsUnder(t, b, prefix), "only the current version is left")
	assert.Equal(t, 0, garbageCount(t, s))
	got, err := s.Output(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, "last", string(got))

	// Many writes, each sweep in the background: what is kept is bounded
	// by the writes of one grace period.
	for i := 0; i < 40; i++ {
		require.NoError(t, s.PutOutput(ctx, ref, fmt.Appendf(nil, "burst %d", i)))
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(outputGrace + 200*time.Millisecond)
	require.NoError(t, s.PutOutput(ctx, ref, []byte("end")))
	s.outSweep.wg.Wait()
	assert.LessOrEqual(t, len(objectsUnder(t, b, prefix)), 3, "superseded versions are swept as writes go on")

	// A store that only reads (a web replica) sweeps what earlier
	// sessions left when it opens.
	require.NoError(t, s.Close())
	time.Sleep(outputGrace + 200*time.Millisecond)
	s2 := openOpts(t, dir, Options{Logger: quietLogger(), Bucket: b})
	s2.outSweep.wg.Wait()
	assert.Len(t, objectsUnder(t, b, prefix), 1, "the next Open swept the garbage")
	assert.Equal(t, 0, garbageCount(t, s2))
}

// A writer killed between the object's put and the index update leaves
// an object that nobody reads (the index still points at the previous
// version, whole) and that is garbage: the sweep of a later write deletes
// it. A rebuild before that takes the newest whole object.
func TestOutputsBucketDeadWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	srv := s3test.Start(t)
	forEngines(t, func(t *testing.T, dir string, opts Options) {
		withGrace(t, time.Hour, 0)
		b := srv.NewBlobBucket(t)
		opts.Bucket = b
		s, err := Open(dir, opts)
		require.NoError(t, err)
		ctx := context.Background()
		ref := overwatch.OutputRef{Run: 4, Subsystem: "TPC", Kind: overwatch.OutputBundle}
		rel, err := OutputPath(ref)
		require.NoError(t, err)
		require.NoError(t, s.PutOutput(ctx, ref, []byte("version 1")))
		v1, err := s.OutputInfo(ctx, ref)
		require.NoError(t, err)

		// The dead writer: intent and object, no index update.
		dead := []byte("version 2, never indexed")
		p, err := s.beginOutputVersion(ctx, rel, dead)
		require.NoError(t, err)
		require.NoError(t, s.storeOutputVersion(ctx, p, dead))
		got, err := s.Output(ctx, ref)
		require.NoError(t, err)
		assert.Equal(t, "version 1", string(got), "readers see the indexed version")
		info, err := s.OutputInfo(ctx, ref)
		require.NoError(t, err)
		assert.Equal(t, v1, info)
		assert.Len(t, objectsUnder(t, b, outputsDir+"/"+rel+"/"), 2)
		assert.Equal(t, 1, garbageCount(t, s), "the dead writer's object is garbage")

		// A rebuild now takes the newest whole object.
		require.NoError(t, s.Close())
		_, err = Rebuild(ctx, dir, opts)
		require.NoError(t, err)
		s = openOpts(t, dir, opts)
		got, err = s.Output(ctx, ref)
		require.NoError(t, err)
		assert.Equal(t, string(dead), string(got), "after a rebuild: the newest whole version")
		assert.Equal(t, 1, garbageCount(t, s), "the older version is garbage")

		// The next write supersedes it; once the grace has passed, the
		// sweep leaves only the current object.
		require.NoError(t, s.PutOutput(ctx, ref, []byte("version 3")))
		outputGrace = time.Millisecond
		time.Sleep(5 * time.Millisecond)
		_, err = s.sweepOutputs(ctx, time.Now().Add(-outputGrace))
		require.NoError(t, err)
		info, err = s.OutputInfo(ctx, ref)
		require.NoError(t, err)
		assert.Equal(t, []string{outputKey(rel, info.Time.UnixNano(), info.SHA256)}, objectsUnder(t, b, outputsDir+"/"))
		assert.Equal(t, 0, garbageCount(t, s))
	})
}

// A writer slower than half the grace period does not index its object,
// which a sweep may be deleting: the write fails and the previous version
// stays.
func TestOutputsBucketSlowWriterFails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	srv := s3test.Start(t)
	withGrace(t, time.Hour, 0)
	s := openOpts(t, t.TempDir(), Options{Logger: quietLogger(), Bucket: srv.NewBlobBucket(t)})
	ctx := context.Background()
	ref := overwatch.OutputRef{Run: 5, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON}
	rel, _ := OutputPath(ref)
	require.NoError(t, s.PutOutput(ctx, ref, []byte("one")))
	p, err := s.beginOutputVersion(ctx, rel, []byte("two"))
	require.NoError(t, err)
	require.NoError(t, s.storeOutputVersion(ctx, p, []byte("two")))
	p.start = p.start.Add(-outputGrace)
	assert.ErrorContains(t, s.commitOutputVersion(ctx, p), "longer than half the garbage grace")
	got, err := s.Output(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, "one", string(got))
}

// crashPayload is version n of output i of the SIGKILL test: 64–320 KiB
// whose every byte follows from (n, i), so that a mix of two versions or a
// truncation is detected.
func crashPayload(n, i int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), uint64(i)))
	b := make([]byte, 64<<10+r.IntN(256<<10))
	for j := range b {
		b[j] = byte(r.Uint32())
	}
	return append(fmt.Appendf(nil, "%d %d\n", n, i), b...)
}

// checkCrashPayload reports whether b is a whole crashPayload.
func checkCrashPayload(b []byte) bool {
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return false
	}
	var n, i int
	if _, err := fmt.Sscan(string(line), &n, &i); err != nil {
		return false
	}
	return bytes.Equal(b, crashPayload(n, i))
}

var crashRefs = []overwatch.OutputRef{
	{Run: 9, Subsystem: "EMC", Kind: overwatch.OutputBundle},
	{Run: 9, Subsystem: "EMC", Kind: overwatch.OutputView},
	{Run: 0, Subsystem: "EMC", Name: "mean", Kind: overwatch.OutputJSON},
}

// TestOutputsBucketCrashHelper is the writer TestOutputsBucketSIGKILL
// kills: it replaces the outputs of crashRefs in a loop, two goroutines
// racing on each.
func TestOutputsBucketCrashHelper(t *testing.T) {
	dir := os.Getenv("OW_OUTCRASH_DIR")
	if dir == "" {
		t.Skip("the helper process of TestOutputsBucketSIGKILL")
	}
	b, err := s3blob.New(s3blob.Config{Endpoint: os.Getenv("OW_OUTCRASH_S3"), Bucket: os.Getenv("OW_OUTCRASH_BUCKET"),
		Access: os.Getenv("OW_OUTCRASH_ACCESS"), Secret: os.Getenv("OW_OUTCRASH_SECRET"), Insecure: true})
	require.NoError(t, err)
	s, err := Open(dir, Options{Logger: quietLogger(), Bucket: b})
	require.NoError(t, err)
	seed, _ := strconv.Atoi(os.Getenv("OW_OUTCRASH_SEED"))
	fmt.Println("ready")
	errs := make(chan error)
	for w := 0; w < 2; w++ {
		go func() {
			for n := seed*1000000 + w*100000; ; n++ {
				for i, ref := range crashRefs {
					if err := s.PutOutput(context.Background(), ref, crashPayload(n, i)); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	t.Fatal(<-errs)
}

// TestOutputsBucketSIGKILL kills a process replacing outputs on S3 at
// random moments: every time, each output reads back as one whole version
// (Output, ranged reads and OutputInfo agree), and once the dead writers'
// objects are swept, the bucket holds exactly the indexed versions and a
// rebuild finds the same index.
func TestOutputsBucketSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server and kills a helper process")
	}
	srv := s3test.Start(t)
	bucket := srv.NewBucket(t)
	b, err := s3blob.New(s3blob.Config{Endpoint: srv.Endpoint, Bucket: bucket, Access: srv.Access, Secret: srv.Secret, Insecure: true})
	require.NoError(t, err)
	dir := t.TempDir()
	opts := Options{Logger: quietLogger(), Bucket: b}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	for k := 0; k < 5; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOutputsBucketCrashHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "OW_OUTCRASH_DIR="+dir, "OW_OUTCRASH_S3="+srv.Endpoint, "OW_OUTCRASH_BUCKET="+bucket,
			"OW_OUTCRASH_ACCESS="+srv.Access, "OW_OUTCRASH_SECRET="+srv.Secret, "OW_OUTCRASH_SEED="+strconv.Itoa(k+1))
		delay := time.Duration(150+rng.IntN(600)) * time.Millisecond
		killAfterReady(t, cmd, delay)

		s, err := Open(dir, opts)
		require.NoError(t, err, "reopen after kill %d", k)
		for _, ref := range crashRefs {
			got, err := s.Output(ctx, ref)
			if k == 0 && errors.Is(err, overwatch.ErrNotFound) {
				continue // killed before its first write of this output
			}
			require.NoError(t, err, "kill %d (after %v): %+v", k, delay, ref)
			require.True(t, checkCrashPayload(got), "kill %d: %+v is one whole version (%d bytes)", k, ref, len(got))
			info, err := s.OutputInfo(ctx, ref)
			require.NoError(t, err)
			sum := sha256.Sum256(got)
			assert.Equal(t, hex.EncodeToString(sum[:]), info.SHA256)
			assert.Equal(t, int64(len(got)), info.Size)
			rc, err := s.OpenOutput(ctx, ref, 0, -1)
			require.NoError(t, err)
			var whole bytes.Buffer
			_, err = whole.ReadFrom(rc)
			rc.Close()
			require.NoError(t, err)
			assert.Equal(t, got, whole.Bytes())
		}
		require.NoError(t, s.Close())
	}

	// Sweep everything (no reader is left): the bucket holds the indexed
	// versions only, and a rebuild finds them.
	withGrace(t, time.Millisecond, 0)
	s := openOpts(t, dir, opts)
	time.Sleep(5 * time.Millisecond)
	_, err = s.sweepOutputs(ctx, time.Now())
	require.NoError(t, err)
	assert.Equal(t, 0, garbageCount(t, s))
	var want []string
	rows := map[string]outputRow{}
	for _, ref := range crashRefs {
		rel, _ := OutputPath(ref)
		row, err := s.outputObject(ctx, rel)
		if err == nil {
			want = append(want, row.Key)
			rows[rel] = row
		}
	}
	require.NotEmpty(t, want)
	assert.ElementsMatch(t, want, objectsUnder(t, b, outputsDir+"/"), "no object but the indexed versions")
	require.NoError(t, s.Close())
	_, err = Rebuild(ctx, dir, opts)
	require.NoError(t, err)
	s = openOpts(t, dir, opts)
	for rel, row := range rows {
		got, err := s.outputObject(ctx, rel)
		require.NoError(t, err)
		assert.Equal(t, row, got, "rebuild equals the index: %s", rel)
	}
}
