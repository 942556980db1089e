package xrdblob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/blobtest"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
)

func TestMain(m *testing.M) { os.Exit(xrdtest.Main(m)) }

func newBucket(t *testing.T) (*xrdblob.Bucket, *xrdtest.Server, string) {
	srv := xrdtest.Shared(t)
	root := srv.NewDir(t)
	b, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: root + "/overwatch"})
	require.NoError(t, err)
	return b, srv, root + "/overwatch"
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Bucket { b, _, _ := newBucket(t); return b })
}

// TestServerNotAnswering: a server that accepts connections but answers
// nothing (its process stopped) fails operations within the bucket's
// timeout, or at once when the caller's context ends, instead of hanging;
// once it answers again, the bucket works and the abandoned requests'
// goroutines are gone.
func TestServerNotAnswering(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an XRootD server")
	}
	srv := xrdtest.Start(t)
	const timeout = 700 * time.Millisecond
	b, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: srv.NewDir(t) + "/overwatch", Timeout: timeout})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = b.Put(ctx, "a/b", strings.NewReader("object"))
	require.NoError(t, err)
	// The idle goroutines of this test binary, for the comparison at the end.
	before := runtime.NumGoroutine()

	srv.Pause(t)
	// Connecting (the handshake is not answered) and, on connections
	// opened before the pause, requests.
	start := time.Now()
	_, err = b.Stat(ctx, "a/b")
	require.ErrorIs(t, err, xrdblob.ErrNoAnswer)
	assert.Less(t, time.Since(start), 10*timeout, "the timeout holds")
	rc, openErr := func() (io.ReadCloser, error) {
		srv.Resume()
		defer srv.Pause(t)
		return b.Open(ctx, "a/b", 0, -1)
	}()
	require.NoError(t, openErr)
	start = time.Now()
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, xrdblob.ErrNoAnswer, "a read on a connection opened before the pause")
	assert.Less(t, time.Since(start), 10*timeout)
	_ = rc.Close() // not answered either: it gives up in time too

	// The caller's context ends first.
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = b.Stat(cctx, "a/b")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*timeout) // the error says the context ended it
	_, err = b.Put(cctx, "a/c", strings.NewReader("object"))
	require.Error(t, err)

	srv.Resume()
	info, err := b.Stat(ctx, "a/b")
	require.NoError(t, err)
	assert.EqualValues(t, len("object"), info.Size)
	rc, err = b.Open(ctx, "a/b", 0, -1)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "object", string(got))
	// The requests left waiting during the pause were answered and
	// their connections closed (a connection open when the server stops
	// would crash go-hep's client).
	noLeftovers(t, before)
}

// noLeftovers waits until no more goroutines run than before (a
// connection of go-hep's client has two at least), printing them if not.
func noLeftovers(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		var buf strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
		t.Fatalf("goroutines: %d before, %d now:\n%s", before, n, buf.String())
	}
}

// TestFailedRequestsThenClose: operations whose request is answered by an
// error (opening a missing key) close their connection at once; go-hep
// v0.40.0's Close, called before its reader is done with the failed
// request, blocked for ever (the conformance suite hung in CI, under
// load). Hundreds of them, in parallel and with busy goroutines competing
// for the processors, all return, and no Close is left blocked.
func TestFailedRequestsThenClose(t *testing.T) {
	b, _, _ := newBucket(t)
	ctx := context.Background()
	before := runtime.NumGoroutine()
	stop := make(chan struct{})
	var busy sync.WaitGroup
	for i := 0; i < 2*runtime.GOMAXPROCS(0); i++ {
		busy.Add(1)
		go func() {
			defer busy.Done()
			for x := 0; ; x++ {
				select {
				case <-stop:
					return
				default:
				}
				if x%64 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	const workers, each = 8, 30
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for i := 0; i < each; i++ {
				if _, err := b.Open(ctx, "missing/key", 0, -1); !errors.Is(err, blob.ErrNotExist) {
					errs <- fmt.Errorf("open of a missing key: %v", err)
					return
				}
				if _, err := b.Stat(ctx, "missing/key"); !errors.Is(err, blob.ErrNotExist) {
					errs <- fmt.Errorf("stat of a missing key: %v", err)
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		select {
		case err := <-errs:
			require.NoError(t, err)
		case <-time.After(2 * time.Minute):
			t.Fatal("operations on missing keys hang")
		}
	}
	close(stop)
	busy.Wait()
	noLeftovers(t, before) // no Close left blocked
}

// TestServerGoneMidOperation: the server goes away (its process killed, as
// when a disk server restarts) while an object is being read and while one
// is being written. The operations fail with ErrConnLost, at once, and the
// process goes on: go-hep v0.40.0's client panics when the connection of
// its initial session breaks, so the bucket keeps that connection to
// itself (see relay) and ends the client quietly.
func TestServerGoneMidOperation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts XRootD servers")
	}
	ctx := context.Background()
	obj := strings.Repeat("0123456789abcdef", 1<<18) // 4 MiB: several chunks

	t.Run("read", func(t *testing.T) {
		srv := xrdtest.Start(t)
		b, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: srv.NewDir(t) + "/overwatch", Timeout: 20 * time.Second})
		require.NoError(t, err)
		_, err = b.Put(ctx, "a/b", strings.NewReader(obj))
		require.NoError(t, err)
		before := runtime.NumGoroutine()
		rc, err := b.Open(ctx, "a/b", 0, -1)
		require.NoError(t, err)
		head := make([]byte, 16)
		_, err = io.ReadFull(rc, head)
		require.NoError(t, err)
		srv.Stop()
		time.Sleep(300 * time.Millisecond) // the client's reader sees the connection end
		start := time.Now()
		_, err = io.ReadAll(rc)
		require.ErrorIs(t, err, xrdblob.ErrConnLost)
		assert.Less(t, time.Since(start), 5*time.Second, "not the request timeout")
		_ = rc.Close()
		_, err = b.Stat(ctx, "a/b")
		require.Error(t, err, "the server is gone")
		noLeftovers(t, before)
	})

	t.Run("write", func(t *testing.T) {
		srv := xrdtest.Start(t)
		b, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: srv.NewDir(t) + "/overwatch", Timeout: 20 * time.Second})
		require.NoError(t, err)
		before := runtime.NumGoroutine()
		start := time.Now()
		_, err = b.Put(ctx, "a/c", &stopAfter{r: strings.NewReader(obj + obj + obj + obj), after: 64 << 10, stop: srv.Stop})
		require.ErrorIs(t, err, xrdblob.ErrConnLost)
		assert.Less(t, time.Since(start), 10*time.Second, "not the request timeout")
		noLeftovers(t, before)
	})
}

// stopAfter reads r and calls stop once after bytes of it were read, then
// waits a little (the connection ends) before it goes on.
type stopAfter struct {
	r     io.Reader
	after int
	stop  func()
	read  int
}

func (s *stopAfter) Read(p []byte) (int, error) {
	if s.stop != nil && s.read >= s.after {
		s.stop()
		s.stop = nil
		time.Sleep(300 * time.Millisecond)
	}
	if len(p) > 16<<10 {
		p = p[:16<<10]
	}
	n, err := s.r.Read(p)
	s.read += n
	return n, err
}
