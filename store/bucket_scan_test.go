package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forBucketEngines runs fn with snapshot buckets that are not the data
// directory: SQLite+S3, PostgreSQL+S3 (real versitygw and PostgreSQL
// servers, started by the test) and SQLite+XRootD. Each run gets a fresh
// data directory, bucket and database.
func forBucketEngines(t *testing.T, fn func(t *testing.T, dir string, opts Options)) {
	if testing.Short() {
		t.Skip("starts S3, PostgreSQL and XRootD servers")
	}
	srv := s3test.Start(t)
	t.Run("sqlite+s3", func(t *testing.T) {
		fn(t, t.TempDir(), Options{Logger: quietLogger(), Bucket: s3Bucket(t, srv)})
	})
	t.Run("postgres+s3", func(t *testing.T) {
		fn(t, t.TempDir(), Options{Logger: quietLogger(), Bucket: s3Bucket(t, srv), Index: pgtest.Start(t)})
	})
	t.Run("sqlite+xrootd", func(t *testing.T) {
		x := xrdtest.Start(t)
		b, err := xrdblob.New(xrdblob.Config{Addr: x.Addr, Root: x.NewDir(t)})
		require.NoError(t, err)
		fn(t, t.TempDir(), Options{Logger: quietLogger(), Bucket: b})
	})
}

// s3Bucket returns a new empty bucket on srv.
func s3Bucket(t testing.TB, srv *s3test.Server) blob.Bucket {
	t.Helper()
	b, err := s3blob.New(s3blob.Config{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(t), Access: srv.Access, Secret: srv.Secret, Insecure: true})
	require.NoError(t, err)
	return b
}

// putObject writes an object straight into the bucket, as another
// process (or a writer killed before it indexed) would have.
func putObject(t *testing.T, b blob.Bucket, key, data string) {
	t.Helper()
	_, err := b.Put(context.Background(), key, strings.NewReader(data))
	require.NoError(t, err)
}

// objectKeys lists the keys of b under prefix.
func objectKeys(t *testing.T, b blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	require.NoError(t, b.List(context.Background(), prefix, func(bi blob.Info) error {
		keys = append(keys, bi.Key)
		return nil
	}))
	return keys
}

func readKey(t *testing.T, b blob.Bucket, key string) string {
	t.Helper()
	rc, err := b.Open(context.Background(), key, 0, -1)
	require.NoError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(data)
}

// noLocalRuns checks that no snapshot went to the data directory.
func noLocalRuns(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		assert.False(t, strings.HasPrefix(e.Name(), "Run"), "%s in the data directory", e.Name())
	}
}

// fillBucketStore stores snapshots of several runs and subsystems (a
// sequence number, a declared accumulation, a replay snapshot) and puts
// objects a rebuild must skip or ignore.
func fillBucketStore(t *testing.T, s *Store, b blob.Bucket) {
	ctx := context.Background()
	put(t, s, 7, "HLT", "C", 1448384710, "h1")
	put(t, s, 7, "HLT", "C", 1448384710, "h2") // seq 1
	put(t, s, 7, "EMC", "C", 1448384711, "e1")
	_, err := s.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 12, Subsystem: "TPC", Mode: "B", Time: time.Unix(1448384800, 0), Accumulation: overwatch.Reset}, strings.NewReader("t1"))
	require.NoError(t, err)
	put(t, s, 12, "TPC", "C", 1448384801, "t2")
	put(t, s, 123456, "EMC", "A", 1448384900, "e")
	put(t, s, 13, "EMC", "E", 1448384900, "replay")
	putObject(t, b, "Run12/TPC/garbage.root", "not a snapshot name")                   // skipped
	putObject(t, b, "Run12/TPC/json/TPCQA%2Fh.json", "{}")                             // an output
	putObject(t, b, "Run12x/TPC/TPChists.2015_11_24_18_05_10.root", "x")               // not Run<N>: skipped
	putObject(t, b, "Run12/TPC/"+FormatCombinedName(2, time.Unix(1448384801, 0)), "c") // not a snapshot
	putObject(t, b, "Run12/notes.txt", "run-level file")
}

func TestBucketRebuildEqualsIndex(t *testing.T) {
	forBucketEngines(t, func(t *testing.T, dir string, opts Options) {
		ctx := context.Background()
		s := openOpts(t, dir, opts)
		fillBucketStore(t, s, opts.Bucket)
		noLocalRuns(t, dir)
		require.NoError(t, s.Verify(ctx), "index equals a rebuild from the bucket")
		before := dump(t, s)
		assert.Contains(t, before, "snap 12 TPC 1448384800.0 TPChists.2015_11_24_18_06_40.root 2 \"\" reset")
		require.NoError(t, s.Close())

		st, err := Rebuild(ctx, dir, opts)
		require.NoError(t, err)
		assert.Equal(t, 3, st.Runs)
		assert.Equal(t, 4, st.Subsystems)
		assert.Equal(t, 6, st.Snapshots)
		assert.Equal(t, 2, st.Skipped, "garbage.root and Run12x")
		s2 := openOpts(t, dir, opts)
		assert.Equal(t, before, dump(t, s2))
		r, err := s2.RunInfo(ctx, 12)
		require.NoError(t, err)
		assert.Equal(t, overwatch.HLTMode("B"), r.Mode, "runInfo.yaml read from the bucket")
		require.NoError(t, s2.Close())

		// Another machine: an empty data directory, the same bucket
		// (and, on PostgreSQL, the same database) rebuilds the same
		// snapshot index.
		other := t.TempDir()
		_, err = Rebuild(ctx, other, opts)
		require.NoError(t, err)
		s3 := openOpts(t, other, opts)
		assert.Equal(t, before, dump(t, s3))
		noLocalRuns(t, other)
	})
}

// A writer killed after its Put and before indexing leaves an object the
// index lacks (objects are atomic: never half of one); one killed before
// its Put leaves nothing. Its crash marker makes the next Open reconcile
// the folder from the bucket's listing, which also drops entries whose
// object is gone.
func TestBucketReconcileKilledWriter(t *testing.T) {
	forBucketEngines(t, func(t *testing.T, dir string, opts Options) {
		ctx := context.Background()
		s, err := Open(dir, opts)
		require.NoError(t, err)
		put(t, s, 1, "EMC", "C", 1448384710, "a")
		gone := put(t, s, 1, "EMC", "C", 1448384711, "b")
		// Killed after the Put of a third snapshot (its folder marked,
		// the object stored, no index entry), and before the Put of a
		// first TPC snapshot (marked, nothing stored).
		putObject(t, opts.Bucket, snapshotDir(1, "EMC")+"/"+FormatMovedName("EMC", time.Unix(1448384712, 0), 0), "c")
		s.mu.Lock()
		require.NoError(t, s.markDirty(snapshotDir(1, "TPC")))
		s.mu.Unlock()
		require.NoError(t, opts.Bucket.Delete(ctx, gone.Path))
		crash(t, s)

		s2 := openOpts(t, dir, opts)
		snaps, err := s2.Snapshots(ctx, 1, "EMC")
		require.NoError(t, err)
		var got []int64
		for _, sn := range snaps {
			got = append(got, sn.Time.Unix())
		}
		assert.Equal(t, []int64{1448384710, 1448384712}, got)
		r, err := s2.RunInfo(ctx, 1)
		require.NoError(t, err)
		tpc, ok := r.Subsystem("TPC")
		assert.True(t, !ok || tpc.Borrows(), "no TPC snapshot of its own")
		var marks int
		require.NoError(t, s2.x.r.QueryRowContext(ctx, s2.x.d.q("SELECT COUNT(*) FROM dirty WHERE writer <> ?"), s2.writer).Scan(&marks))
		assert.Zero(t, marks, "the dead writer's marks are cleared")
		require.NoError(t, s2.Verify(ctx))
	})
}

// Stores that share a PostgreSQL index and a bucket but each have their
// own data directory cannot see each other's writer files: a Store
// opening must take the other's marks as those of a live writer.
func TestBucketOtherDataDirWriterIsAlive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts S3 and PostgreSQL")
	}
	srv := s3test.Start(t)
	b := s3Bucket(t, srv)
	opts := Options{Logger: quietLogger(), Bucket: b, Index: pgtest.Start(t)}
	a := openOpts(t, t.TempDir(), opts)
	put(t, a, 5, "EMC", "C", 1448384710, "a")
	countMarks := func() int {
		var n int
		require.NoError(t, a.x.r.QueryRowContext(context.Background(), a.x.d.q("SELECT COUNT(*) FROM dirty WHERE writer = ?"), a.writer).Scan(&n))
		return n
	}
	require.Equal(t, 1, countMarks())
	bs := openOpts(t, t.TempDir(), opts)
	assert.NotEqual(t, machineID(a.dir), machineID(bs.dir))
	assert.Equal(t, 1, countMarks(), "a live writer's marks stay")
}

func TestBucketQuarantine(t *testing.T) {
	forBucketEngines(t, func(t *testing.T, dir string, opts Options) {
		ctx := context.Background()
		s := openOpts(t, dir, opts)
		bad := put(t, s, 3, "EMC", "C", 1448384710, "corrupted bytes")
		put(t, s, 3, "EMC", "C", 1448384711, "fine")
		require.NoError(t, s.QuarantineSnapshot(ctx, bad.SnapshotRef, "decoder: bad key"))
		key := quarantineDir + "/" + bad.Path
		assert.Equal(t, "corrupted bytes", readKey(t, opts.Bucket, key))
		assert.Contains(t, readKey(t, opts.Bucket, key+reasonSuffix), "decoder: bad key")
		_, err := opts.Bucket.Stat(ctx, bad.Path)
		assert.ErrorIs(t, err, blob.ErrNotExist, "the original is deleted")
		snaps, err := s.Snapshots(ctx, 3, "EMC")
		require.NoError(t, err)
		require.Len(t, snaps, 1)
		assert.ErrorIs(t, s.QuarantineSnapshot(ctx, bad.SnapshotRef, "again"), overwatch.ErrNotFound)
		require.NoError(t, s.Verify(ctx))
		noLocalRuns(t, dir)
	})
}

// The quarantine keeps at most quarantineMaxEntries entries (a file and
// its note), evicting the oldest; the DQM receiver's own quarantine is
// left alone.
func TestQuarantineBounded(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	b := blob.Dir(dir)
	ctx := context.Background()
	old := time.Now().Add(-time.Hour)
	for i := 0; i < quarantineMaxEntries+2; i++ {
		name := fmt.Sprintf("Run1/EMC/EMChists.%04d.root", i)
		putObject(t, b, quarantineDir+"/"+name, "x")
		putObject(t, b, quarantineDir+"/"+name+reasonSuffix, "why")
		if i < 2 {
			for _, k := range []string{name, name + reasonSuffix} {
				p := filepath.Join(dir, quarantineDir, filepath.FromSlash(k))
				require.NoError(t, os.Chtimes(p, old, old))
			}
		}
	}
	putObject(t, b, quarantineDir+"/dqm/20260101T000000.000000000-upload.root", "dqm")
	n, err := s.boundQuarantine(ctx, b)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	keys := objectKeys(t, b, quarantineDir+"/")
	assert.Len(t, keys, 2*quarantineMaxEntries+1)
	assert.NotContains(t, keys, quarantineDir+"/Run1/EMC/EMChists.0000.root")
	assert.NotContains(t, keys, quarantineDir+"/Run1/EMC/EMChists.0001.root"+reasonSuffix)
	assert.Contains(t, keys, quarantineDir+"/Run1/EMC/EMChists.0002.root")
	assert.Contains(t, keys, quarantineDir+"/dqm/20260101T000000.000000000-upload.root")
	n, err = s.boundQuarantine(ctx, b)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestBucketPrune(t *testing.T) {
	forBucketEngines(t, func(t *testing.T, dir string, opts Options) {
		ctx := context.Background()
		s := openOpts(t, dir, opts)
		a := put(t, s, 4, "EMC", "C", 1448384710, "aaaa")
		put(t, s, 4, "EMC", "C", 1448384711, "bb")
		_, err := s.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 4, Subsystem: "TPC", Mode: "C", Time: time.Unix(1448384712, 0), Accumulation: overwatch.Cumulative}, strings.NewReader("ccc"))
		require.NoError(t, err)
		put(t, s, 5, "EMC", "C", 1448384710, "keep")
		putObject(t, opts.Bucket, "Run4/EMC/json/x.json", "{}") // an output object

		var want int64
		require.NoError(t, opts.Bucket.List(ctx, "Run4/", func(bi blob.Info) error {
			want += bi.Size
			return nil
		}))
		n, err := s.RunBytes(ctx, 4)
		require.NoError(t, err)
		assert.Equal(t, want, n)
		assert.GreaterOrEqual(t, n, int64(4+2+3+2))

		require.NoError(t, s.DeleteSnapshot(ctx, a.SnapshotRef))
		_, err = opts.Bucket.Stat(ctx, a.Path)
		assert.ErrorIs(t, err, blob.ErrNotExist)
		assert.ErrorIs(t, s.DeleteSnapshot(ctx, a.SnapshotRef), overwatch.ErrNotFound)
		require.NoError(t, s.Verify(ctx))

		require.NoError(t, s.DeleteRun(ctx, 4))
		assert.Empty(t, objectKeys(t, opts.Bucket, "Run4/"), "snapshots, sidecars and outputs of the run deleted")
		assert.NotEmpty(t, objectKeys(t, opts.Bucket, "Run5/"))
		n, err = s.RunBytes(ctx, 4)
		require.NoError(t, err)
		assert.Zero(t, n)
		_, err = s.RunInfo(ctx, 4)
		assert.ErrorIs(t, err, overwatch.ErrNotFound)
		require.NoError(t, s.Verify(ctx))
	})
}

// Ingest reads the local drop folder and stores through the bucket.
func TestBucketIngest(t *testing.T) {
	root := rootFixture(t)
	forBucketEngines(t, func(t *testing.T, dir string, opts Options) {
		ctx := context.Background()
		drop := t.TempDir()
		s := openOpts(t, dir, opts)
		writeOld(t, drop, "EMChistos_123_C_2015_11_24_18_5_9.root", root)
		writeOld(t, drop, "TPChistos_123_C_2015_11_24_18_5_11.root", []byte("garbage, not ROOT"))
		st, err := s.Ingest(ctx, drop)
		require.NoError(t, err)
		assert.Equal(t, IngestStats{Ingested: 1, Quarantined: 1}, st)
		assert.True(t, bytes.Equal(root, []byte(readKey(t, opts.Bucket, "Run123/EMC/EMChists.2015_11_24_18_05_09.root"))))
		noLocalRuns(t, dir)
		_, err = os.Stat(filepath.Join(dir, quarantineDir, "TPChistos_123_C_2015_11_24_18_5_11.root"))
		require.NoError(t, err, "drop-folder files are quarantined in the local data directory")
		// Put back (a crash before its removal): recognised, not stored twice.
		writeOld(t, drop, "EMChistos_123_C_2015_11_24_18_5_9.root", root)
		st, err = s.Ingest(ctx, drop)
		require.NoError(t, err)
		assert.Equal(t, 1, st.Duplicates)
		require.NoError(t, s.Verify(ctx))
	})
}

// Every bucket lists in key order (the rebuild
// relies on each Run<N>/ prefix coming in one piece).
func TestBucketListOrderGroupsRuns(t *testing.T) {
	forBucketEngines(t, func(t *testing.T, dir string, opts Options) {
		if !strings.HasPrefix(t.Name(), "TestBucketListOrderGroupsRuns/sqlite+") {
			t.Skip("one index engine is enough")
		}
		for _, k := range []string{"Run1/EMC/a", "Run10/EMC/a", "Run1.bak/x", "Run100/EMC/a", "Run1/runInfo.yaml", "Run11/a"} {
			putObject(t, opts.Bucket, k, "x")
		}
		keys := objectKeys(t, opts.Bucket, "Run")
		assert.True(t, sort.StringsAreSorted(keys), "%v", keys)
	})
}

// BenchmarkRebuildFromBucket rebuilds the index of 300 runs × 3
// subsystems × 10 snapshots from a directory and from the same tree
// copied to an S3 bucket (versitygw on loopback), side by side; dir-s and
// s3-s are the medians of b.N rebuilds each:
//
//	go test ./store/ -run '^$' -bench RebuildFromBucket -benchtime 3x
func BenchmarkRebuildFromBucket(b *testing.B) {
	const runs = 300
	srv := s3test.Start(b)
	bucket, err := s3blob.New(s3blob.Config{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(b), Access: srv.Access, Secret: srv.Secret, Insecure: true})
	require.NoError(b, err)
	tree := b.TempDir()
	genTree(b, tree, runs, 10)
	src := blob.Dir(tree)
	var keys []string
	require.NoError(b, src.List(context.Background(), "Run", func(bi blob.Info) error {
		keys = append(keys, bi.Key)
		return nil
	}))
	inParallel(len(keys), func(i int) {
		rc, err := src.Open(context.Background(), keys[i], 0, -1)
		if err == nil {
			_, err = bucket.Put(context.Background(), keys[i], rc)
			rc.Close()
		}
		if err != nil {
			b.Error(err)
		}
	})
	median := func(opts Options, dir string) time.Duration {
		var times []time.Duration
		for i := 0; i < b.N; i++ {
			start := time.Now()
			st, err := Rebuild(context.Background(), dir, opts)
			require.NoError(b, err)
			times = append(times, time.Since(start))
			require.Equal(b, runs, st.Runs)
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		return times[len(times)/2]
	}
	b.ResetTimer()
	d := median(Options{Logger: quietLogger()}, tree)
	s := median(Options{Logger: quietLogger(), Bucket: bucket}, b.TempDir())
	b.ReportMetric(d.Seconds(), "dir-s")
	b.ReportMetric(s.Seconds(), "s3-s")
	b.Logf("%d objects: rebuild from the directory %v, from S3 %v (×%.1f)", len(keys), d, s, s.Seconds()/d.Seconds())
}

// A writer of another host or of another data directory is taken as
// alive; one of this directory (also in the identity form of earlier
// versions, without the directory) is alive only while its file is locked.
func TestWriterAliveAcrossDataDirs(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	host, _ := os.Hostname()
	assert.True(t, writerAlive(dir, "elsewhere.example~1~ab"))
	assert.True(t, writerAlive(dir, machineID(other)+"~1~ab"))
	assert.False(t, writerAlive(dir, machineID(dir)+"~1~ab"))
	assert.False(t, writerAlive(dir, OutName(host)+"~1~ab"), "an identity of earlier versions")
	s := openTest(t, dir)
	assert.True(t, writerAlive(dir, s.writer))
	assert.True(t, strings.HasPrefix(s.writer, machineID(dir)+"~"))
}

// Processes with data directories of their own opening a new PostgreSQL
// index on a bucket that already holds snapshots at once: one rebuilds,
// the others find the index built (no unique-key conflicts of two
// rebuilds filling one database).
func TestBucketManyFirstOpensOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts S3 and PostgreSQL")
	}
	srv := s3test.Start(t)
	b := s3Bucket(t, srv)
	for run := 1; run <= 20; run++ {
		putObject(t, b, RunDir(run)+"/runInfo.yaml", "hltMode: C\n")
		for _, sys := range []string{"EMC", "HLT"} {
			putObject(t, b, snapshotDir(run, sys)+"/"+FormatMovedName(sys, time.Unix(1448384710+int64(run), 0), 0), "root")
		}
	}
	opts := Options{Logger: quietLogger(), Bucket: b, Index: pgtest.Start(t), LockTimeout: time.Minute}
	const n = 4
	errs := make(chan error, n)
	stores := make(chan *Store, n)
	for i := 0; i < n; i++ {
		go func() {
			s, err := Open(t.TempDir(), opts)
			if err == nil {
				stores <- s
			}
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		assert.NoError(t, <-errs)
	}
	close(stores)
	for s := range stores {
		c, err := s.CountRuns(context.Background())
		assert.NoError(t, err)
		assert.Equal(t, 20, c)
		require.NoError(t, s.Close())
	}
}
