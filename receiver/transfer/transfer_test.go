package transfer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
	"github.com/overwatch-dqm/overwatch/receiver/dqm"
	"github.com/overwatch-dqm/overwatch/receiver/transfer"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	xrdtest.StopShared()
	os.Exit(code)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T) *store.Store {
	st, err := store.Open(t.TempDir(), store.Options{Logger: quiet()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// rootFile is a valid ROOT file holding one TH1F, different for each i.
func rootFile(t *testing.T, i int) []byte {
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "hist", "hist", overwatch.NewAxis(10, 0, 10))
	for k := 0; k <= i; k++ {
		require.NoError(t, h.Fill(1, float64(k%10)+0.5))
	}
	b, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "hist", Object: h}})
	require.NoError(t, err)
	return b
}

var base = time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)

// putSnapshots stores n snapshots (runs 100.., subsystems EMC and TPC)
// from index from, and returns their SHA-256 by path.
func putSnapshots(t *testing.T, st *store.Store, from, n int, sums map[string]string) {
	for i := from; i < from+n; i++ {
		sys := []string{"EMC", "TPC"}[i%2]
		p := rootFile(t, i)
		info, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{
			Run: 100 + i/4, Subsystem: sys, Mode: overwatch.ModeDQM, Time: base.Add(time.Duration(i) * time.Second), Origin: "dqm",
		}, bytes.NewReader(p))
		require.NoError(t, err)
		s := sha256.Sum256(p)
		sums[info.Path] = hex.EncodeToString(s[:])
	}
}

// counting wraps a destination and counts successful sends; after
// crashAfter successful sends (when > 0) it cancels the transfer, as a
// crash between a put and its progress record would stop it.
type counting struct {
	transfer.Destination
	ok, attempts atomic.Int64
	failFirst    atomic.Int64 // attempts to fail before passing them on
	crashAfter   int64
	crash        context.CancelFunc
}

var errInjected = errors.New("injected failure")

func (c *counting) Send(ctx context.Context, s overwatch.SnapshotInfo, r io.Reader) (string, error) {
	c.attempts.Add(1)
	if c.failFirst.Add(-1) >= 0 {
		return "", errInjected
	}
	loc, err := c.Destination.Send(ctx, s, r)
	if err == nil && c.ok.Add(1) == c.crashAfter && c.crash != nil {
		c.crash()
	}
	return loc, err
}

// run runs tr until every destination has want snapshots in its log (or
// the transfer stops), then stops it.
func run(t *testing.T, ctx context.Context, tr *transfer.Transfer, want int) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	deadline := time.After(60 * time.Second)
	for {
		all := true
		for _, s := range tr.Stats() {
			if s.Done < want {
				all = false
			}
		}
		if all {
			cancel()
			<-done
			return
		}
		select {
		case err := <-done:
			cancel()
			require.ErrorIs(t, err, context.Canceled)
			return
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("transfer did not finish: %+v", tr.Stats())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func s3Bucket(t testing.TB) blob.Bucket {
	srv := s3test.Shared(t)
	b, err := s3blob.New(s3blob.Config{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(t), Access: srv.Access, Secret: srv.Secret, Insecure: true})
	require.NoError(t, err)
	return b
}

func xrdBucket(t testing.TB) blob.Bucket {
	srv := xrdtest.Shared(t)
	b, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: srv.NewDir(t) + "/eos/overwatch"})
	require.NoError(t, err)
	return b
}

// checkBucket checks that b holds exactly the snapshots of sums, intact.
func checkBucket(t *testing.T, b blob.Bucket, sums map[string]string) {
	t.Helper()
	ctx := context.Background()
	got := map[string]string{}
	require.NoError(t, b.List(ctx, "", func(i blob.Info) error {
		rc, err := b.Open(ctx, i.Key, 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		h := sha256.New()
		if _, err := io.Copy(h, rc); err != nil {
			return err
		}
		got[i.Key] = hex.EncodeToString(h.Sum(nil))
		return nil
	}))
	assert.Equal(t, sums, got, "the destination holds every snapshot, intact, and nothing else")
}

// TestSnapshotsReachXRootDAndS3 sends snapshots stored before the
// transfer starts (found by the scan) and after (announced) to a real
// XRootD server and a real S3 server.
func TestSnapshotsReachXRootDAndS3(t *testing.T) {
	st := openStore(t)
	sums := map[string]string{}
	putSnapshots(t, st, 0, 6, sums)
	xb, sb := xrdBucket(t), s3Bucket(t)
	xd := &counting{Destination: &transfer.Bucket{ID: "eos", Bucket: xb}}
	sd := &counting{Destination: &transfer.Bucket{ID: "s3", Bucket: sb}}
	tr, err := transfer.New(transfer.Config{Source: st, Destinations: []transfer.Destination{xd, sd}, StateDir: t.TempDir(),
		Scan: 50 * time.Millisecond, RetryDelay: -1, Logger: quiet()})
	require.NoError(t, err)
	defer tr.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(100 * time.Millisecond)
		putSnapshots(t, st, 6, 4, sums) // while the transfer runs
	}()
	// sums is complete once the goroutine is done; run waits for 10.
	run(t, ctx, tr, 10)
	wg.Wait()
	checkBucket(t, xb, sums)
	checkBucket(t, sb, sums)
	assert.Equal(t, int64(10), xd.ok.Load(), "puts at the XRootD server")
	assert.Equal(t, int64(10), sd.ok.Load(), "puts at the S3 server")
	for _, s := range tr.Stats() {
		assert.Equal(t, int64(10), s.Sent, s.Destination)
		assert.Zero(t, s.Pending, s.Destination)
		assert.Zero(t, s.Lag, s.Destination)
		assert.Empty(t, s.LastError, s.Destination)
	}
}

// TestRestartSendsNothingTwiceMissesNothing stops the transfer right
// after a put and before its progress record (the worst moment), then
// restarts it with snapshots added meanwhile.
func TestRestartSendsNothingTwiceMissesNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		bucket func(testing.TB) blob.Bucket
	}{{"xrootd", xrdBucket}, {"s3", s3Bucket}} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			sums := map[string]string{}
			putSnapshots(t, st, 0, 8, sums)
			b := tc.bucket(t)
			state := t.TempDir()
			ctx, crash := context.WithCancel(context.Background())
			d := &counting{Destination: &transfer.Bucket{ID: "site", Bucket: b}, crashAfter: 3, crash: crash}
			tr, err := transfer.New(transfer.Config{Source: st, Destinations: []transfer.Destination{d}, StateDir: state, RetryDelay: -1, Logger: quiet()})
			require.NoError(t, err)
			run(t, ctx, tr, 8)
			first := tr.Stats()[0]
			require.NoError(t, tr.Close())
			assert.Equal(t, int64(3), d.ok.Load())
			assert.Equal(t, 2, first.Done, "the third put was not recorded: the transfer stopped first")

			putSnapshots(t, st, 8, 3, sums) // arrive while it is down
			d2 := &counting{Destination: &transfer.Bucket{ID: "site", Bucket: b}}
			tr2, err := transfer.New(transfer.Config{Source: st, Destinations: []transfer.Destination{d2}, StateDir: state, RetryDelay: -1, Logger: quiet()})
			require.NoError(t, err)
			defer tr2.Close()
			run(t, context.Background(), tr2, 11)
			s := tr2.Stats()[0]
			assert.Equal(t, int64(8), d2.ok.Load(), "the second run puts only what the first did not")
			assert.Equal(t, int64(11), d.ok.Load()+d2.ok.Load(), "every snapshot put exactly once")
			assert.Equal(t, int64(1), s.Known, "the put before the crash is recognised at the destination")
			assert.Equal(t, int64(9), d2.attempts.Load(), "nothing recorded is tried again")
			assert.Equal(t, 11, s.Done)
			checkBucket(t, b, sums)
		})
	}
}

// TestRetriesWithBackoff: failed attempts are retried (bounded) and
// counted; the snapshot still arrives.
func TestRetriesWithBackoff(t *testing.T) {
	st := openStore(t)
	sums := map[string]string{}
	putSnapshots(t, st, 0, 2, sums)
	b := xrdBucket(t)
	d := &counting{Destination: &transfer.Bucket{ID: "eos", Bucket: b}}
	d.failFirst.Store(2)
	tr, err := transfer.New(transfer.Config{Source: st, Destinations: []transfer.Destination{d}, StateDir: t.TempDir(),
		RetryDelay: 5 * time.Millisecond, Logger: quiet()})
	require.NoError(t, err)
	defer tr.Close()
	start := time.Now()
	run(t, context.Background(), tr, 2)
	assert.GreaterOrEqual(t, time.Since(start), 15*time.Millisecond, "back-off 5 ms then 10 ms")
	s := tr.Stats()[0]
	assert.Equal(t, int64(2), s.Failures)
	assert.Equal(t, int64(2), s.Sent)
	checkBucket(t, b, sums)
}

// TestUnreachableDestinationLags: with the destination down nothing is
// lost: the snapshots stay pending, the lag grows and the error is shown.
func TestUnreachableDestinationLags(t *testing.T) {
	st := openStore(t)
	sums := map[string]string{}
	putSnapshots(t, st, 0, 3, sums)
	// A closed port: nothing listens there.
	srv := httptest.NewServer(nil)
	addr := srv.Listener.Addr().String()
	srv.Close()
	b, err := xrdblob.New(xrdblob.Config{Addr: addr, Root: "/eos"})
	require.NoError(t, err)
	state := t.TempDir()
	tr, err := transfer.New(transfer.Config{Source: st, Destinations: []transfer.Destination{&transfer.Bucket{ID: "down", Bucket: b}},
		StateDir: state, Retries: 1, RetryDelay: -1, Scan: time.Hour, Logger: quiet()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	require.Eventually(t, func() bool { return tr.Stats()[0].Failures >= 6 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	<-done
	s := tr.Stats()[0]
	assert.Equal(t, 3, s.Pending)
	assert.Equal(t, base, s.Oldest)
	assert.InDelta(t, time.Since(base).Seconds(), s.Lag.Seconds(), 5, "lag: age of the oldest pending snapshot")
	assert.Contains(t, s.LastError, "connect")
	assert.Zero(t, s.Done)
	require.NoError(t, tr.Close())
}

// TestToAnotherOverwatch uploads to a real DQM receiver (another
// Overwatch's store) and recognises its own uploads after a restart.
func TestToAnotherOverwatch(t *testing.T) {
	st := openStore(t)
	sums := map[string]string{}
	putSnapshots(t, st, 0, 4, sums)

	remoteDir := t.TempDir()
	remote, err := store.Open(remoteDir, store.Options{Logger: quiet()})
	require.NoError(t, err)
	defer remote.Close()
	toks, err := dqm.OpenTokens(dqm.TokensPath(remoteDir))
	require.NoError(t, err)
	tok, err := toks.Add("site-a", time.Now())
	require.NoError(t, err)
	h, err := dqm.New(dqm.Config{Store: remote, DataDir: remoteDir, Tokens: toks, Logger: quiet()})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	state := t.TempDir()
	for round, want := range []int64{4, 0} {
		d := &counting{Destination: &transfer.DQM{ID: "site-b", URL: srv.URL, Token: tok}}
		if round == 1 {
			// Forget the progress: every upload is found at the receiver.
			require.NoError(t, os.Remove(filepath.Join(state, "site-b.log")))
		}
		tr, err := transfer.New(transfer.Config{Source: st, Destinations: []transfer.Destination{d}, StateDir: state, RetryDelay: -1, Logger: quiet()})
		require.NoError(t, err)
		run(t, context.Background(), tr, 4)
		assert.Equal(t, want, d.ok.Load(), "round %d", round)
		assert.Equal(t, 4-want, tr.Stats()[0].Known, "round %d", round)
		require.NoError(t, tr.Close())
	}
	// The remote store holds the four snapshots, intact.
	got := map[string]bool{}
	for i := 0; i < 4; i++ {
		snaps, err := remote.Snapshots(context.Background(), 100+i/4, []string{"EMC", "TPC"}[i%2])
		require.NoError(t, err)
		for _, s := range snaps {
			rc, err := remote.OpenSnapshot(context.Background(), s.SnapshotRef)
			require.NoError(t, err)
			hh := sha256.New()
			_, err = io.Copy(hh, rc)
			rc.Close()
			require.NoError(t, err)
			got[hex.EncodeToString(hh.Sum(nil))] = true
		}
	}
	for path, sum := range sums {
		assert.True(t, got[sum], "%s reached the other Overwatch", path)
	}
}

// deaf is a source whose announcements are all lost.
type deaf struct{ *store.Store }

func (deaf) Watch(ctx context.Context) <-chan overwatch.SnapshotInfo {
	return make(chan overwatch.SnapshotInfo)
}

// TestScansCatchMissedAnnouncements: snapshots stored while the transfer
// runs, with old time stamps, and never announced, still arrive.
func TestScansCatchMissedAnnouncements(t *testing.T) {
	st := openStore(t)
	sums := map[string]string{}
	putSnapshots(t, st, 0, 2, sums)
	b := xrdBucket(t)
	tr, err := transfer.New(transfer.Config{Source: deaf{st}, Destinations: []transfer.Destination{&transfer.Bucket{ID: "eos", Bucket: b}},
		StateDir: t.TempDir(), Scan: 10 * time.Millisecond, RetryDelay: -1, Logger: quiet()})
	require.NoError(t, err)
	defer tr.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(50 * time.Millisecond)
		putSnapshots(t, st, 2, 3, sums)
	}()
	run(t, context.Background(), tr, 5)
	wg.Wait()
	checkBucket(t, b, sums)
}
