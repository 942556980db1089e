package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/internal/syncbuf"
	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newS3Bucket returns a new empty bucket on the S3 server srv.
func newS3Bucket(t testing.TB, srv *s3test.Server) blob.Bucket {
	b := s3Bucket(t, srv)
	return b
}

// bucketSetup is an index engine with a bucket that is not the data
// directory.
type bucketSetup struct {
	name   string
	index  func(t *testing.T) string // a new empty index ("" SQLite in the data directory)
	bucket func(t *testing.T) blob.Bucket
}

// forBucketSetups runs fn on PostgreSQL + S3, SQLite + S3 and
// SQLite + XRootD.
func forBucketSetups(t *testing.T, fn func(t *testing.T, su bucketSetup)) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, S3 and XRootD servers")
	}
	t.Run("postgres+s3", func(t *testing.T) {
		srv := s3test.Start(t)
		fn(t, bucketSetup{"postgres+s3", func(t *testing.T) string { return pgtest.Start(t) }, func(t *testing.T) blob.Bucket { return newS3Bucket(t, srv) }})
	})
	t.Run("sqlite+s3", func(t *testing.T) {
		srv := s3test.Start(t)
		fn(t, bucketSetup{"sqlite+s3", func(*testing.T) string { return "" }, func(t *testing.T) blob.Bucket { return newS3Bucket(t, srv) }})
	})
	t.Run("sqlite+xrootd", func(t *testing.T) {
		srv := xrdtest.Start(t)
		fn(t, bucketSetup{"sqlite+xrootd", func(*testing.T) string { return "" }, func(t *testing.T) blob.Bucket {
			b, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: srv.NewDir(t) + "/overwatch"})
			require.NoError(t, err)
			return b
		}})
	})
}

func bucketKeys(t testing.TB, b blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	require.NoError(t, b.List(context.Background(), prefix, func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	}))
	return keys
}

// journalWrites writes trend points (new ones, and points written again
// with other values) and alarm updates with events through s; w names the
// writer.
func journalWrites(t *testing.T, s *Store, w, rounds int) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Unix(1448384710, 0).UTC()
	for i := 0; i < rounds; i++ {
		pts := []overwatch.TrendPoint{
			{Subsystem: "EMC", Trend: fmt.Sprintf("mean/w%d", w), Run: 1 + i, Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i), Error: 0.5},
			{Subsystem: "TPC", Trend: "shared", Run: 1, Time: t0.Add(time.Duration(w*1000+i) * time.Second), Value: math.Inf(1), Error: math.NaN()},
			{Subsystem: "EMC", Trend: "again", Run: 1, Time: t0, Value: float64(w*100 + i)},
		}
		require.NoError(t, s.PutTrendPoints(ctx, pts))
		_, err := s.UpdateAlarm(ctx, "EMC/mean/count", func(r *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
			n := 0
			if exists {
				fmt.Sscan(r.Message, &n)
			}
			r.Subsystem, r.Trend, r.Alarm, r.State, r.Message = "EMC", "mean", "count", overwatch.AlarmFiring, fmt.Sprint(n+1)
			return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventFired, Run: 1 + i, Time: t0.Add(time.Duration(n) * time.Second), Message: r.Message}}, nil
		})
		require.NoError(t, err)
		require.NoError(t, s.PutAlarm(ctx, overwatch.AlarmRecord{Subsystem: "TPC", Trend: "shared", Alarm: fmt.Sprintf("w%d", w), State: overwatch.AlarmResolved, Message: fmt.Sprint(i)}))
	}
}

// TestBucketJournalsRebuild writes trend points and alarms from two
// Stores on one index and one bucket, each with a data directory of its
// own on PostgreSQL (as two machines would), then rebuilds a new empty
// index in a new data directory from the bucket alone: the rebuilt index
// equals the index written.
func TestBucketJournalsRebuild(t *testing.T) {
	forBucketSetups(t, func(t *testing.T, su bucketSetup) {
		ctx := context.Background()
		bucket := su.bucket(t)
		dsn := su.index(t)
		dirA := t.TempDir()
		dirB := dirA
		if dsn != "" {
			dirB = t.TempDir() // no shared data directory
		}
		opts := Options{Logger: quietLogger(), Index: dsn, Bucket: bucket}
		a := openOpts(t, dirA, opts)
		b := openOpts(t, dirB, opts)
		var wg sync.WaitGroup
		for w, s := range []*Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				journalWrites(t, s, w, 12)
			}()
		}
		wg.Wait()
		// The last put of a point wins, also across the two stores.
		require.NoError(t, b.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "again", Run: 1, Time: time.Unix(1448384710, 0), Value: -7}}))
		got, err := a.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "again"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, -7.0, got[0].Value)
		rec, err := a.Alarm(ctx, "EMC/mean/count")
		require.NoError(t, err)
		assert.Equal(t, "24", rec.Message, "no update lost between the two stores")
		evs, err := b.AlarmEvents(ctx, overwatch.AlarmEventQuery{AlarmID: "EMC/mean/count"})
		require.NoError(t, err)
		assert.Len(t, evs, 24)

		want := dump(t, a)
		assert.Equal(t, want, dump(t, b))
		assert.Contains(t, want, `trend {"sys":"TPC","trend":"shared"`)
		require.NoError(t, a.Verify(ctx), "index = a rebuild from the bucket")

		// The journals are on the bucket, not in the data directories.
		for _, dir := range []string{dirA, dirB} {
			for _, sub := range []string{trendingDir, alarmsDir} {
				_, err := os.Stat(filepath.Join(dir, sub))
				assert.True(t, os.IsNotExist(err), "%s in %s", sub, dir)
			}
		}
		assert.NotEmpty(t, bucketKeys(t, bucket, trendPrefix("EMC")))
		assert.NotEmpty(t, bucketKeys(t, bucket, alarmSegmentsDir))
		require.NoError(t, a.Close())
		require.NoError(t, b.Close())

		// A new empty index and a new data directory: the bucket alone.
		fresh := Options{Logger: quietLogger(), Index: su.index(t), Bucket: bucket}
		dirC := t.TempDir()
		st, err := Rebuild(ctx, dirC, fresh)
		require.NoError(t, err)
		assert.Equal(t, 2*12+24+1, st.TrendPoints)
		assert.Equal(t, 3, st.Alarms)
		assert.Equal(t, 24, st.AlarmEvents)
		c := openOpts(t, dirC, fresh)
		assert.Equal(t, want, dump(t, c))
		// And the rebuilt index goes on: the heads were restored.
		require.NoError(t, c.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "again", Run: 1, Time: time.Unix(1448384710, 0), Value: 8}}))
		require.NoError(t, c.Verify(ctx))
	})
}

// putOrphan puts body as segment number next of the journal prefix, as a
// writer killed between its put and its commit leaves it, and returns
// that number.
func putOrphan(t *testing.T, s *Store, prefix string, body string) int64 {
	t.Helper()
	hs, err := s.x.heads(context.Background(), s.x.r)
	require.NoError(t, err)
	next := hs[prefix].next
	_, err = s.bucket.Put(context.Background(), segmentKey(prefix, next), strings.NewReader(body))
	require.NoError(t, err)
	return next
}

func trendSegment(t *testing.T, lines ...trendLine) string {
	b, err := encodeLines(lines)
	require.NoError(t, err)
	return string(b)
}

func alarmSegment(t *testing.T, a overwatch.AlarmRecord, events ...overwatch.AlarmEvent) string {
	var lines [][]byte
	for _, e := range events {
		line, err := json.Marshal(e)
		require.NoError(t, err)
		lines = append(lines, line)
	}
	doc, err := json.Marshal(a)
	require.NoError(t, err)
	b, err := encodeLines(alarmSegmentLines(doc, lines))
	require.NoError(t, err)
	return string(b)
}

func trendValue(t *testing.T, s *Store, sys, trend string) []float64 {
	t.Helper()
	pts, err := s.TrendPoints(context.Background(), overwatch.TrendQuery{Subsystem: sys, Trend: trend})
	require.NoError(t, err)
	var v []float64
	for _, p := range pts {
		v = append(v, p.Value)
	}
	return v
}

// TestBucketJournalCrashRepair: segments put by writers killed before
// their commit (a segment numbered next, no index row) are indexed by the
// next writer of the journal — in another Store — and by the next Open;
// the base segment of a compaction killed before its commit is deleted
// by the next writer. After each repair the index equals a rebuild.
func TestBucketJournalCrashRepair(t *testing.T) {
	forBucketSetups(t, func(t *testing.T, su bucketSetup) {
		ctx := context.Background()
		dsn := su.index(t)
		opts := Options{Logger: quietLogger(), Index: dsn, Bucket: su.bucket(t)}
		dirA := t.TempDir()
		dirB := dirA
		if dsn != "" {
			dirB = t.TempDir()
		}
		a := openOpts(t, dirA, opts)
		b := openOpts(t, dirB, opts)
		t0 := time.Unix(1448384710, 0).UTC()
		require.NoError(t, a.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "x", Time: t0, Value: 1}}))

		// A dead writer's segment: a new point, and the first point again.
		n := putOrphan(t, a, trendPrefix("EMC"), trendSegment(t,
			trendLine{Subsystem: "EMC", Trend: "x", T: t0.Add(time.Second).UnixNano(), Value: 2},
			trendLine{Subsystem: "EMC", Trend: "x", T: t0.UnixNano(), Value: 10}))
		assert.Equal(t, []float64{1}, trendValue(t, b, "EMC", "x"), "not indexed yet")
		require.NoError(t, b.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "x", Time: t0.Add(2 * time.Second), Value: 3}}))
		assert.Equal(t, []float64{10, 2, 3}, trendValue(t, a, "EMC", "x"), "the next writer indexed the dead writer's segment first")
		hs, err := b.x.heads(ctx, b.x.r)
		require.NoError(t, err)
		assert.Equal(t, n+2, hs[trendPrefix("EMC")].next, "its own segment took the following number")
		require.NoError(t, a.Verify(ctx))

		// The same for the alarm journal: the dead writer's events stay.
		_, err = a.UpdateAlarm(ctx, "EMC/x/hi", func(r *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
			r.Subsystem, r.Trend, r.Alarm, r.State, r.Message = "EMC", "x", "hi", overwatch.AlarmFiring, "1"
			return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventFired, Run: 1, Time: t0, Message: "1"}}, nil
		})
		require.NoError(t, err)
		putOrphan(t, a, alarmSegmentsDir, alarmSegment(t,
			overwatch.AlarmRecord{ID: "EMC/x/hi", Subsystem: "EMC", Trend: "x", Alarm: "hi", State: overwatch.AlarmFiring, Message: "dead"},
			overwatch.AlarmEvent{AlarmID: "EMC/x/hi", Subsystem: "EMC", Kind: overwatch.AlarmEventAcknowledged, Run: 1, Time: t0.Add(time.Second), User: "dead"}))
		_, err = b.UpdateAlarm(ctx, "EMC/x/hi", func(r *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
			r.Message = "2"
			return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventFired, Run: 2, Time: t0.Add(2 * time.Second), Message: "2"}}, nil
		})
		require.NoError(t, err)
		evs, err := a.AlarmEvents(ctx, overwatch.AlarmEventQuery{AlarmID: "EMC/x/hi"})
		require.NoError(t, err)
		require.Len(t, evs, 3)
		assert.Equal(t, "dead", evs[1].User)
		rec, err := a.Alarm(ctx, "EMC/x/hi")
		require.NoError(t, err)
		assert.Equal(t, "2", rec.Message)
		require.NoError(t, a.Verify(ctx))

		// A compaction killed before its commit: its base is deleted and
		// never applied (it would forget the point at t0+2s).
		base := putOrphan(t, a, trendPrefix("EMC"), baseSegmentHeader+"\n"+trendSegment(t, trendLine{Subsystem: "EMC", Trend: "x", T: t0.UnixNano(), Value: 10}))
		require.NoError(t, b.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "TPC", Trend: "y", Time: t0, Value: 1}, {Subsystem: "EMC", Trend: "z", Time: t0, Value: 4}}))
		assert.Equal(t, []float64{10, 2, 3}, trendValue(t, a, "EMC", "x"))
		isBase, err := isBaseSegment(ctx, a.bucket, segmentKey(trendPrefix("EMC"), base))
		require.NoError(t, err)
		assert.False(t, isBase, "the unfinished base was replaced by the writer's own segment")
		require.NoError(t, a.Verify(ctx))

		// A dead writer's segment, then every Store closed: Open indexes it.
		putOrphan(t, a, trendPrefix("HLT"), trendSegment(t, trendLine{Subsystem: "HLT", Trend: "new", T: t0.UnixNano(), Value: 5}))
		putOrphan(t, a, alarmSegmentsDir, alarmSegment(t, overwatch.AlarmRecord{ID: "HLT/new/lo", Subsystem: "HLT", Trend: "new", Alarm: "lo", State: overwatch.AlarmFiring}))
		require.NoError(t, a.Close())
		require.NoError(t, b.Close())
		c := openOpts(t, dirB, opts)
		assert.Equal(t, []float64{5}, trendValue(t, c, "HLT", "new"))
		_, err = c.Alarm(ctx, "HLT/new/lo")
		require.NoError(t, err)
		require.NoError(t, c.Verify(ctx))
	})
}

// TestBucketJournalCompaction: journals are compacted after compactEvery
// segments, so the number of objects stays bounded; segments a compaction
// left behind (killed before its deletes) do not change a rebuild; and
// PruneTrends forgets old points in the index, the bucket and a rebuild.
func TestBucketJournalCompaction(t *testing.T) {
	saved := compactEvery
	compactEvery = 4
	t.Cleanup(func() { compactEvery = saved })
	forBucketSetups(t, func(t *testing.T, su bucketSetup) {
		ctx := context.Background()
		dsn := su.index(t)
		bucket := su.bucket(t)
		opts := Options{Logger: quietLogger(), Index: dsn, Bucket: bucket}
		dir := t.TempDir()
		s := openOpts(t, dir, opts)
		const rounds = 30
		journalWrites(t, s, 0, rounds)
		before := dump(t, s)
		for _, p := range []string{trendPrefix("EMC"), trendPrefix("TPC"), alarmSegmentsDir} {
			keys := bucketKeys(t, bucket, p)
			assert.LessOrEqual(t, len(keys), int(compactEvery)+2, "%s: %v", p, keys)
			isBase, err := isBaseSegment(ctx, bucket, keys[0])
			require.NoError(t, err)
			assert.True(t, isBase, "%s begins with a base", p)
		}
		require.NoError(t, s.Verify(ctx))

		// Segments a compaction replaced but did not delete (killed
		// first), with values the base superseded and events it holds.
		_, err := bucket.Put(ctx, segmentKey(trendPrefix("EMC"), 0), strings.NewReader(trendSegment(t, trendLine{Subsystem: "EMC", Trend: "again", T: time.Unix(1448384710, 0).UnixNano(), Value: 999})))
		require.NoError(t, err)
		evs, err := s.AlarmEvents(ctx, overwatch.AlarmEventQuery{AlarmID: "EMC/mean/count"})
		require.NoError(t, err)
		require.Len(t, evs, rounds)
		_, err = bucket.Put(ctx, segmentKey(alarmSegmentsDir, 0), strings.NewReader(alarmSegment(t, overwatch.AlarmRecord{ID: "EMC/mean/count", Message: "stale"}, evs[0])))
		require.NoError(t, err)
		require.NoError(t, s.Verify(ctx), "segments before the newest base do not count")
		assert.Equal(t, before, dump(t, s))

		// Compaction deletes them; a new base replaces everything.
		require.NoError(t, s.CompactTrends(ctx))
		for _, p := range []string{trendPrefix("EMC"), trendPrefix("TPC"), alarmSegmentsDir} {
			assert.Len(t, bucketKeys(t, bucket, p), 1, p)
		}
		assert.Equal(t, before, dump(t, s))
		require.NoError(t, s.Verify(ctx))

		// Retention: the points before the cut go, from the index and the
		// bucket (a rebuild does not bring them back).
		cut := time.Unix(1448384710, 0).Add(10 * time.Second)
		n, err := s.PruneTrends(ctx, cut)
		require.NoError(t, err)
		assert.Equal(t, 10+10+1, n, "mean/w0 and TPC shared below 10 s, again at 0 s")
		pts, err := s.TrendPoints(ctx, overwatch.TrendQuery{To: cut.Add(-time.Nanosecond)})
		require.NoError(t, err)
		assert.Empty(t, pts)
		names, err := s.Trends(ctx, "EMC")
		require.NoError(t, err)
		assert.Equal(t, []string{"mean/w0"}, names, "a trend without points is no longer listed")
		require.NoError(t, s.Verify(ctx))
		require.NoError(t, s.Close())
		st, err := Rebuild(ctx, dir, opts)
		require.NoError(t, err)
		assert.Equal(t, 2*(rounds-10), st.TrendPoints)
		s2 := openOpts(t, dir, opts)
		require.NoError(t, s2.Verify(ctx))
	})
}

// TestJournalsOnBucket: the journals move to the bucket only when it is
// not the data directory itself.
func TestJournalsOnBucket(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(dir, link))
	assert.False(t, journalsOnBucket(dir, nil))
	assert.False(t, journalsOnBucket(dir, blob.Dir(dir)))
	assert.False(t, journalsOnBucket(dir, blob.Dir(link)), "the same directory by another path")
	assert.False(t, journalsOnBucket(dir, blob.Dir(dir+"/")))
	assert.True(t, journalsOnBucket(dir, blob.Dir(t.TempDir())))
	type otherBucket struct{ *blob.DirBucket }
	assert.True(t, journalsOnBucket(dir, otherBucket{blob.Dir(dir)}), "a bucket of another kind")

	// The default keeps the journal files of the data directory.
	s := openTest(t, dir)
	require.NoError(t, s.PutTrendPoints(context.Background(), []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "x", Time: time.Unix(1448384710, 0), Value: 1}}))
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(journalRel("EMC"))))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, journalsDir))
	assert.True(t, os.IsNotExist(err))
}

func TestParseSegmentKey(t *testing.T) {
	for _, key := range []string{segmentKey(trendPrefix("EMC"), 42), segmentKey(alarmSegmentsDir, 0)} {
		p, seq, ok := parseSegmentKey(key)
		require.True(t, ok, key)
		assert.Equal(t, key, segmentKey(p, seq))
	}
	for _, bad := range []string{"journals/trends/emc/0000000000000001.jsonl", "journals/trends/EMC/1.jsonl", "journals/trends/EMC/x/0000000000000001.jsonl",
		"journals/alarms/000000000000000a.jsonl", "journals/other/0000000000000001.jsonl", "journals/alarms/0000000000000001.json"} {
		_, _, ok := parseSegmentKey(bad)
		assert.False(t, ok, bad)
	}
}

// BenchmarkTrendAppend appends one snapshot's trend points (20 points of
// one subsystem) per operation, to the journal file of the data directory
// and to segments on S3 (compactions after every compactEvery appends
// included), on SQLite.
func BenchmarkTrendAppend(b *testing.B) {
	run := func(b *testing.B, opts Options) {
		s, err := Open(b.TempDir(), opts)
		require.NoError(b, err)
		b.Cleanup(func() { _ = s.Close() })
		ctx := context.Background()
		t0 := time.Unix(1448384710, 0)
		pts := make([]overwatch.TrendPoint, 20)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for k := range pts {
				pts[k] = overwatch.TrendPoint{Subsystem: "EMC", Trend: fmt.Sprintf("t%d", k), Run: 1, Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i)}
			}
			if err := s.PutTrendPoints(ctx, pts); err != nil {
				b.Fatal(err)
			}
		}
	}
	srv := s3test.Start(b)
	b.Run("dir", func(b *testing.B) { run(b, Options{Logger: quietLogger()}) })
	b.Run("s3", func(b *testing.B) { run(b, Options{Logger: quietLogger(), Bucket: newS3Bucket(b, srv)}) })
}

// Environment of the writer process of TestBucketJournalsSurviveSIGKILL.
const (
	envKillWriter = "OVERWATCH_TEST_JOURNAL_WRITER" // its data directory
	envKillIndex  = "OVERWATCH_TEST_JOURNAL_INDEX"
	envKillS3     = "OVERWATCH_TEST_JOURNAL_S3" // endpoint bucket access secret
)

// TestBucketJournalsSurviveSIGKILL runs a writer process on PostgreSQL +
// S3 (its own data directory, as on another machine) that appends trend
// points and updates an alarm as fast as it can, and SIGKILLs it at
// random moments, several times. After each kill a Store opened in
// another data directory repairs what the writer left: the index equals
// a rebuild from the bucket, the trend points are 0…n without a gap, and
// the alarm's counter equals its number of events.
func TestBucketJournalsSurviveSIGKILL(t *testing.T) {
	if os.Getenv(envKillWriter) != "" {
		killWriter(t)
		return
	}
	if testing.Short() {
		t.Skip("starts PostgreSQL and S3, kills a writer process")
	}
	srv := s3test.Start(t)
	name := srv.NewBucket(t)
	bucket, err := s3blob.New(s3blob.Config{Endpoint: srv.Endpoint, Bucket: name, Access: srv.Access, Secret: srv.Secret, Insecure: true})
	require.NoError(t, err)
	dsn := pgtest.Start(t)
	opts := Options{Logger: quietLogger(), Index: dsn, Bucket: bucket}
	ctx := context.Background()
	for k := 0; k < 4; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBucketJournalsSurviveSIGKILL$")
		cmd.Env = append(os.Environ(), envKillWriter+"="+t.TempDir(), envKillIndex+"="+dsn,
			envKillS3+"="+strings.Join([]string{srv.Endpoint, name, srv.Access, srv.Secret}, " "))
		delay := time.Duration(100+rand.IntN(400)) * time.Millisecond
		killAfterReady(t, cmd, delay)

		var logs syncbuf.Buffer
		o := opts
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		s, err := Open(t.TempDir(), o)
		require.NoError(t, err, "open after kill %d", k)
		repaired := strings.Count(logs.String(), "left unindexed")
		require.NoError(t, s.Verify(ctx), "after kill %d (after %v)", k, delay)
		v := trendValue(t, s, "EMC", "n")
		require.NotEmpty(t, v, "kill %d: nothing written in %v", k, delay)
		for i, x := range v {
			require.Equal(t, float64(i), x, "kill %d: point %d", k, i)
		}
		rec, err := s.Alarm(ctx, "EMC/n/count")
		require.NoError(t, err)
		evs, err := s.AlarmEvents(ctx, overwatch.AlarmEventQuery{AlarmID: "EMC/n/count"})
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(len(evs)), rec.Message, "kill %d: one event per update", k)
		t.Logf("kill %d after %v: %d points, %d alarm updates, %d segments of the killed writer indexed by Open", k, delay, len(v), len(evs), repaired)
		require.NoError(t, s.Close())
	}
}

// killWriter is the writer process: point n of trend EMC/n has value n
// (continuing from the index), and every round increments the counter
// of alarm EMC/n/count with one event.
func killWriter(t *testing.T) {
	f := strings.Fields(os.Getenv(envKillS3))
	require.Len(t, f, 4)
	bucket, err := s3blob.New(s3blob.Config{Endpoint: f[0], Bucket: f[1], Access: f[2], Secret: f[3], Insecure: true})
	require.NoError(t, err)
	s, err := Open(os.Getenv(envKillWriter), Options{Logger: quietLogger(), Index: os.Getenv(envKillIndex), Bucket: bucket})
	require.NoError(t, err)
	ctx := context.Background()
	t0 := time.Unix(1448384710, 0)
	next := len(trendValue(t, s, "EMC", "n"))
	fmt.Println("ready")
	for i := next; ; i++ {
		require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "EMC", Trend: "n", Run: 1, Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i)}}))
		_, err := s.UpdateAlarm(ctx, "EMC/n/count", func(r *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
			n := 0
			if exists {
				fmt.Sscan(r.Message, &n)
			}
			r.Subsystem, r.Trend, r.Alarm, r.State, r.Message = "EMC", "n", "count", overwatch.AlarmFiring, fmt.Sprint(n+1)
			return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventFired, Run: 1, Time: t0.Add(time.Duration(n) * time.Second), Message: r.Message}}, nil
		})
		require.NoError(t, err)
	}
}
