package xrdblob

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// relay is the connection to the server of one client, kept by the
// bucket. go-hep v0.40.0 panics (crashing the process) when the
// connection of a client's initial session breaks: its reader has no one
// to report the error to. So the client does not connect to the server:
// it connects to the relay's listener on the loopback interface, which
// accepts that one connection, and the relay copies the bytes both ways.
// When the server's side breaks, the relay does not pass the break on:
// it records it in lost, which fails the operation in progress at once
// (conn.do) with ErrConnLost, and the operation then closes the client.
// The client's side of the relay is closed by the client only, after it
// has cancelled its reader, which then ends quietly.
//
// One case is left: a break during the client's handshake (inside
// NewClient, which can be neither cancelled nor closed safely then, see
// conn). That dial fails after Config.Timeout with ErrNoAnswer, and the
// client's goroutines and the two loopback sockets stay: the server must
// go away within the few milliseconds of a handshake for this to happen,
// where without the relay the process crashed.
//
// The listener accepts the first connection that comes and closes: a
// local process that races the client to the port can only make that
// operation fail (it gets a connection to the server not yet logged in,
// which it could have opened itself).
type relay struct {
	ln   net.Listener
	up   net.Conn        // to the server
	lost context.Context // done when the server's side broke
	fail context.CancelCauseFunc
	shut atomic.Bool // the bucket closes the server's side: not a loss
	once sync.Once
}

// dialRelay connects to the server at addr and returns the relay the
// client is to connect to instead (relay.addr).
func dialRelay(ctx context.Context, addr string, timeout time.Duration) (*relay, error) {
	d := net.Dialer{Timeout: timeout}
	up, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		up.Close()
		return nil, fmt.Errorf("xrdblob: relay: %w", err)
	}
	r := &relay{ln: ln, up: up}
	r.lost, r.fail = context.WithCancelCause(context.Background())
	go r.serve(addr)
	return r, nil
}

// addr is the address the client connects to.
func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) serve(server string) {
	down, err := r.ln.Accept()
	r.ln.Close()
	if err != nil { // closed before the client connected
		r.close()
		return
	}
	go func() {
		// The server's answers to the client. When they end and the
		// bucket did not close this side itself, the server went away;
		// the client's side stays open (see relay).
		_, err := io.Copy(down, r.up)
		if !r.shut.Load() {
			if err == nil {
				err = io.EOF
			}
			r.fail(fmt.Errorf("%w (%s: %v)", ErrConnLost, server, err))
		}
	}()
	// The client's requests to the server, until the client closes its
	// side; once the server's side is gone (or closed by the bucket),
	// they are read and dropped, so the client never blocks writing and
	// its side is never closed under it.
	buf := make([]byte, 32<<10)
	forward := true
	for {
		n, err := down.Read(buf)
		if n > 0 && forward {
			if _, err := r.up.Write(buf[:n]); err != nil {
				forward = false
			}
		}
		if err != nil {
			break
		}
	}
	down.Close()
	r.close()
}

// close closes the server's side and the listener (the client closes its
// own side).
func (r *relay) close() {
	r.once.Do(func() {
		r.shut.Store(true)
		r.ln.Close()
		r.up.Close()
	})
}
