package xrdblob

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go-hep.org/x/hep/xrootd"
	"go-hep.org/x/hep/xrootd/xrdfs"
	"go-hep.org/x/hep/xrootd/xrdproto/ping"
)

// conn is one connection, used by one operation.
//
// go-hep v0.40.0 deadlocks a connection when a request is abandoned (its
// context cancelled before the answer came: the answer is then sent to a
// channel nobody reads, under the lock Close needs), and its Close can
// block for ever on such a request. So requests run with a context that is
// never cancelled, in a goroutine; an operation whose context ends, or
// whose request gets no answer within the bucket's timeout, stops waiting,
// marks the connection broken (no further requests) and leaves closing it
// to the request when it completes. Closing never holds the operation up
// for more than closeWait.
type conn struct {
	c       *xrootd.Client
	r       *relay        // the client's connection to the server
	timeout time.Duration // of one request
	once    sync.Once     // of shut

	mu       sync.Mutex
	inflight int
	closing  bool
	broken   bool
	failed   bool // a request ended with an error (see shut)
}

var errBroken = errors.New("xrdblob: connection abandoned by a cancelled request")

// ErrNoAnswer is returned (wrapped) when the server does not answer a
// connection or a request within Config.Timeout.
var ErrNoAnswer = errors.New("xrdblob: no answer from the server")

// ErrConnLost is returned (wrapped) when the connection to the server
// breaks during an operation (the server went away).
var ErrConnLost = errors.New("xrdblob: connection to the server lost")

// closeWait bounds how long closing a connection holds the caller up.
const closeWait = 5 * time.Second

// await runs fn in a goroutine and waits for it, for ctx and for timeout:
// it returns fn's result, or ctx's error or ErrNoAnswer with gaveUp set.
// abandoned, when fn's result came too late, is called with it (from fn's
// goroutine).
func await[T any](ctx context.Context, timeout time.Duration, fn func() (T, error), abandoned func(T, error)) (v T, gaveUp bool, err error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	var mu sync.Mutex
	late := false
	go func() {
		v, err := fn()
		mu.Lock()
		defer mu.Unlock()
		if late {
			if abandoned != nil {
				abandoned(v, err)
			}
			return
		}
		done <- result{v, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.v, false, r.err
	case <-ctx.Done():
		err = context.Cause(ctx)
	case <-timer.C:
		err = fmt.Errorf("%w within %v", ErrNoAnswer, timeout)
	}
	mu.Lock()
	defer mu.Unlock()
	select {
	case r := <-done: // it came after all
		return r.v, false, r.err
	default:
	}
	late = true
	return v, true, err
}

// do runs fn, returning early with ctx's error when ctx ends first, with
// ErrNoAnswer when fn takes longer than the connection's timeout, and
// with ErrConnLost when the connection breaks (the client is then closed
// at once).
func (c *conn) do(ctx context.Context, fn func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.r != nil {
		if c.r.lost.Err() != nil {
			c.lose()
			return context.Cause(c.r.lost)
		}
		octx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(c.r.lost, func() { cancel(context.Cause(c.r.lost)) })
		defer stop()
		ctx = octx
	}
	c.mu.Lock()
	if c.broken || c.closing {
		c.mu.Unlock()
		return errBroken
	}
	c.inflight++
	c.mu.Unlock()
	finished := func() {
		c.mu.Lock()
		c.inflight--
		last := c.closing && c.inflight == 0
		c.mu.Unlock()
		if last {
			c.shut()
		}
	}
	_, gaveUp, err := await(ctx, c.timeout, func() (struct{}, error) {
		err := fn(context.Background())
		if err != nil {
			c.mu.Lock()
			c.failed = true
			c.mu.Unlock()
		}
		return struct{}{}, err
	}, func(struct{}, error) { finished() })
	if gaveUp {
		c.mu.Lock()
		c.broken = true
		c.mu.Unlock()
		if errors.Is(err, ErrConnLost) {
			c.lose()
		}
		return err
	}
	finished()
	return err
}

// lose closes a connection that broke, without waiting for its requests:
// no answer will come; closing the client hands them an error.
func (c *conn) lose() {
	c.mu.Lock()
	c.broken, c.closing = true, true
	c.mu.Unlock()
	c.shut()
}

// close closes the connection now, or when its last request completes.
func (c *conn) close() {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	n := c.inflight
	c.mu.Unlock()
	if n == 0 {
		c.shut()
	}
}

// shut closes the client, waiting at most closeWait for go-hep's Close.
//
// A request answered by an error returns as soon as the answer is handed
// over, before go-hep's reader forgets the request; closing the client in
// between blocks its Close for ever (it hands the forgotten request an
// error nobody reads, holding the lock the reader needs). The reader
// handles answers in order, so after a request failed a ping is sent
// first: when its answer is in, the reader is done with the failed one.
func (c *conn) shut() { c.once.Do(c.shutOnce) }

func (c *conn) shutOnce() {
	c.mu.Lock()
	failed := c.failed
	c.mu.Unlock()
	if failed && (c.r == nil || c.r.lost.Err() == nil) {
		_, _, _ = await(context.Background(), c.timeout, func() (string, error) {
			return c.c.Send(context.Background(), nil, &ping.Request{})
		}, nil)
	}
	done := make(chan struct{})
	go func() { _ = c.c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(closeWait):
	}
	if c.r != nil {
		c.r.close()
	}
}

// The file-system requests of an operation, through do.

func (c *conn) open(ctx context.Context, p string, mode xrdfs.OpenMode, opts xrdfs.OpenOptions) (*file, error) {
	var f xrdfs.File
	err := c.do(ctx, func(ctx context.Context) (err error) { f, err = c.c.FS().Open(ctx, p, mode, opts); return err })
	if err != nil {
		return nil, err
	}
	return &file{c: c, f: f}, nil
}

func (c *conn) stat(ctx context.Context, p string) (xrdfs.EntryStat, error) {
	var st xrdfs.EntryStat
	err := c.do(ctx, func(ctx context.Context) (err error) { st, err = c.c.FS().Stat(ctx, p); return err })
	return st, err
}

func (c *conn) dirlist(ctx context.Context, p string) ([]xrdfs.EntryStat, error) {
	var es []xrdfs.EntryStat
	err := c.do(ctx, func(ctx context.Context) (err error) { es, err = c.c.FS().Dirlist(ctx, p); return err })
	return es, err
}

func (c *conn) removeFile(ctx context.Context, p string) error {
	return c.do(ctx, func(ctx context.Context) error { return c.c.FS().RemoveFile(ctx, p) })
}

func (c *conn) removeDir(ctx context.Context, p string) error {
	return c.do(ctx, func(ctx context.Context) error { return c.c.FS().RemoveDir(ctx, p) })
}

func (c *conn) mkdirAll(ctx context.Context, p string) error {
	return c.do(ctx, func(ctx context.Context) error { return c.c.FS().MkdirAll(ctx, p, dirMode) })
}

func (c *conn) rename(ctx context.Context, from, to string) error {
	return c.do(ctx, func(ctx context.Context) error { return c.c.FS().Rename(ctx, from, to) })
}

// file is an open file of a conn.
type file struct {
	c *conn
	f xrdfs.File
}

func (f *file) writeAt(ctx context.Context, p []byte, off int64) error {
	return f.c.do(ctx, func(ctx context.Context) error { return f.f.WriteAtContext(ctx, p, off) })
}

func (f *file) readAt(ctx context.Context, p []byte, off int64) (int, error) {
	var n int
	err := f.c.do(ctx, func(ctx context.Context) (err error) { n, err = f.f.ReadAtContext(ctx, p, off); return err })
	return n, err
}

func (f *file) stat(ctx context.Context) (xrdfs.EntryStat, error) {
	if st := f.f.Info(); st != nil && st.HasStatInfo {
		return *st, nil
	}
	var st xrdfs.EntryStat
	err := f.c.do(ctx, func(ctx context.Context) (err error) { st, err = f.f.Stat(ctx); return err })
	return st, err
}

func (f *file) close(ctx context.Context) error {
	return f.c.do(ctx, func(ctx context.Context) error { return f.f.Close(ctx) })
}
