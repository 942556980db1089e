// Package httpserve builds the hardened HTTP servers of every Overwatch
// listener (web app, DQM receiver, metrics): read, write and idle timeouts,
// a bound on header size, a bound on concurrent connections (in total and
// per remote address) enforced by a limiting net.Listener, and a bound on
// concurrent requests. A flood of idle or slow connections on one listener
// can therefore neither exhaust the process's file descriptors nor starve
// the other listeners (see docs/security.md).
package httpserve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Limits are the timeouts and bounds of one listener. Every field must be
// positive (Validate); the defaults are WebDefaults, DQMDefaults and
// MetricsDefaults.
type Limits struct {
	// ReadHeaderTimeout bounds the time to read a request's headers
	// (slow-header clients are cut off).
	ReadHeaderTimeout time.Duration `yaml:"readHeaderTimeout"`
	// ReadTimeout bounds the time to read a whole request, body included.
	ReadTimeout time.Duration `yaml:"readTimeout"`
	// WriteTimeout bounds the time to write a response (handlers that
	// stream, such as server-sent events, lift it per request).
	WriteTimeout time.Duration `yaml:"writeTimeout"`
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// MaxHeaderBytes bounds the size of a request's headers.
	MaxHeaderBytes int `yaml:"maxHeaderBytes"`
	// MaxConns bounds the open connections of the listener; connections
	// beyond it are closed at once (counted in Stats.RefusedFull).
	MaxConns int `yaml:"maxConns"`
	// MaxConnsPerIP bounds the open connections from one remote address
	// (exempt: Options.Exempt, e.g. a trusted reverse proxy); beyond it
	// connections are closed at once (Stats.RefusedPerIP).
	MaxConnsPerIP int `yaml:"maxConnsPerIP"`
	// MaxRequests bounds the requests handled at once; beyond it requests
	// get 503 with Retry-After (Stats.RequestsRefused).
	MaxRequests int `yaml:"maxRequests"`
}

// WebDefaults are the limits of the web app's listener.
func WebDefaults() Limits {
	return Limits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 60 * time.Second, MaxHeaderBytes: 64 << 10, MaxConns: 1024, MaxConnsPerIP: 64, MaxRequests: 256}
}

// DQMDefaults are the limits of the DQM receiver's listener: uploads of up
// to 256 MiB need minutes on a slow link, connections are few.
func DQMDefaults() Limits {
	return Limits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute,
		IdleTimeout: 60 * time.Second, MaxHeaderBytes: 64 << 10, MaxConns: 256, MaxConnsPerIP: 32, MaxRequests: 64}
}

// MetricsDefaults are the limits of the metrics listener (one scraper).
func MetricsDefaults() Limits {
	return Limits{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10, MaxConns: 64, MaxConnsPerIP: 16, MaxRequests: 16}
}

// Validate reports the first field that is not positive, naming it as in
// the configuration file.
func (l Limits) Validate() error {
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"readHeaderTimeout", l.ReadHeaderTimeout > 0}, {"readTimeout", l.ReadTimeout > 0},
		{"writeTimeout", l.WriteTimeout > 0}, {"idleTimeout", l.IdleTimeout > 0},
		{"maxHeaderBytes", l.MaxHeaderBytes > 0}, {"maxConns", l.MaxConns > 0},
		{"maxConnsPerIP", l.MaxConnsPerIP > 0}, {"maxRequests", l.MaxRequests > 0},
	} {
		if !f.ok {
			return fmt.Errorf("%s must be positive", f.name)
		}
	}
	if l.MaxConnsPerIP > l.MaxConns {
		return fmt.Errorf("maxConnsPerIP (%d) must not exceed maxConns (%d)", l.MaxConnsPerIP, l.MaxConns)
	}
	return nil
}

// Options configures a Server.
type Options struct {
	// Name names the server in logs ("web", "dqm", "metrics").
	Name string
	// Limits are the timeouts and bounds (required: see Limits.Validate).
	Limits Limits
	// Exempt lists remote addresses not subject to MaxConnsPerIP (a
	// trusted reverse proxy carries every user's connections).
	Exempt []netip.Prefix
	// TLSCert and TLSKey, when both set, serve HTTPS (TLS 1.2 or newer).
	TLSCert, TLSKey string
	// OnShutdown runs when the server starts shutting down (e.g. to end
	// long-lived event streams so that the shutdown need not wait).
	OnShutdown func()
	// ShutdownTimeout bounds the graceful shutdown (default 10 s).
	ShutdownTimeout time.Duration
	// Logger receives the server's errors (slog.Default when nil).
	Logger *slog.Logger
}

// Stats counts what a Server's limits did.
type Stats struct {
	Conns           int    // open connections now
	Accepted        uint64 // connections accepted
	RefusedFull     uint64 // connections closed at once: MaxConns reached
	RefusedPerIP    uint64 // connections closed at once: MaxConnsPerIP reached
	InFlight        int    // requests being handled now
	RequestsRefused uint64 // requests answered 503: MaxRequests reached
}

// Server is a hardened http.Server on a limiting listener.
type Server struct {
	opts     Options
	ln       *Listener
	srv      *http.Server
	inflight chan struct{}
	refused  atomic.Uint64
	lastLog  atomic.Int64 // unix nanoseconds of the last refusal logged
}

// New returns a server for h on ln (which it takes over: Serve closes it).
func New(ln net.Listener, h http.Handler, opts Options) (*Server, error) {
	if err := opts.Limits.Validate(); err != nil {
		return nil, fmt.Errorf("httpserve: %s: %w", opts.Name, err)
	}
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return nil, fmt.Errorf("httpserve: %s: TLSCert and TLSKey go together", opts.Name)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	lim := opts.Limits
	s := &Server{opts: opts, inflight: make(chan struct{}, lim.MaxRequests)}
	s.ln = NewListener(ln, lim.MaxConns, lim.MaxConnsPerIP, opts.Exempt)
	s.ln.onRefuse = s.logRefusal
	s.srv = &http.Server{
		Handler:           s.limitRequests(h),
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if opts.OnShutdown != nil {
		s.srv.RegisterOnShutdown(opts.OnShutdown)
	}
	return s, nil
}

// Addr returns the listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	st := s.ln.Stats()
	st.InFlight = len(s.inflight)
	st.RequestsRefused = s.refused.Load()
	return st
}

func (s *Server) limitRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.inflight <- struct{}{}:
			defer func() { <-s.inflight }()
			h.ServeHTTP(w, r)
		default:
			s.refused.Add(1)
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Connection", "close")
			http.Error(w, "server busy: too many requests in progress, retry later", http.StatusServiceUnavailable)
		}
	})
}

func (s *Server) logRefusal(reason string, remote netip.Addr) {
	now := time.Now().UnixNano()
	last := s.lastLog.Load()
	if now-last < int64(10*time.Second) || !s.lastLog.CompareAndSwap(last, now) {
		return
	}
	s.opts.Logger.Warn("connection refused by the listener's limits (logged at most every 10 s; see the metrics)",
		"server", s.opts.Name, "reason", reason, "remote", remote.String(),
		"maxConns", s.opts.Limits.MaxConns, "maxConnsPerIP", s.opts.Limits.MaxConnsPerIP)
}

// Serve serves until ctx is done, then shuts down gracefully (bounded by
// ShutdownTimeout) and returns nil; it returns the error that stopped it
// otherwise.
func (s *Server) Serve(ctx context.Context) error {
	s.srv.BaseContext = func(net.Listener) context.Context { return ctx }
	errc := make(chan error, 1)
	go func() {
		if s.opts.TLSCert != "" {
			errc <- s.srv.ServeTLS(s.ln, s.opts.TLSCert, s.opts.TLSKey)
		} else {
			errc <- s.srv.Serve(s.ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	<-errc
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpserve: %s: shutdown: %w", s.opts.Name, err)
	}
	return nil
}

// Listener is a net.Listener that bounds its open connections, in total
// and per remote address: a connection beyond a bound is closed as soon
// as it is accepted, so that it holds a file descriptor only for an
// instant.
type Listener struct {
	net.Listener
	max, perIP int
	exempt     []netip.Prefix
	onRefuse   func(reason string, remote netip.Addr)

	mu     sync.Mutex
	active int
	byIP   map[netip.Addr]int

	accepted, refusedFull, refusedIP atomic.Uint64
}

// NewListener wraps ln; max and perIP of 0 mean no bound.
func NewListener(ln net.Listener, max, perIP int, exempt []netip.Prefix) *Listener {
	return &Listener{Listener: ln, max: max, perIP: perIP, exempt: exempt, byIP: map[netip.Addr]int{}}
}

// Stats returns the connection counters (the request fields are zero).
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	n := l.active
	l.mu.Unlock()
	return Stats{Conns: n, Accepted: l.accepted.Load(), RefusedFull: l.refusedFull.Load(), RefusedPerIP: l.refusedIP.Load()}
}

func remoteAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func (l *Listener) isExempt(a netip.Addr) bool { return In(a, l.exempt) }

// In reports whether an address is in one of the prefixes.
func In(a netip.Addr, prefixes []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// RemoteIn reports whether a request's peer (http.Request.RemoteAddr,
// "host:port") is in one of the prefixes, e.g. a trusted proxy.
func RemoteIn(remoteAddr string, prefixes []netip.Prefix) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	return err == nil && In(a, prefixes)
}

// Accept returns the next connection within the bounds.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteAddr(c)
		reason := ""
		l.mu.Lock()
		switch {
		case l.max > 0 && l.active >= l.max:
			reason = "maxConns"
			l.refusedFull.Add(1)
		case l.perIP > 0 && l.byIP[ip] >= l.perIP && !l.isExempt(ip):
			reason = "maxConnsPerIP"
			l.refusedIP.Add(1)
		default:
			l.active++
			l.byIP[ip]++
		}
		l.mu.Unlock()
		if reason != "" {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // reset: free the socket at once
			}
			_ = c.Close()
			if l.onRefuse != nil {
				l.onRefuse(reason, ip)
			}
			continue
		}
		l.accepted.Add(1)
		return &conn{Conn: c, l: l, ip: ip}, nil
	}
}

func (l *Listener) release(ip netip.Addr) {
	l.mu.Lock()
	l.active--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
	l.mu.Unlock()
}

type conn struct {
	net.Conn
	l    *Listener
	ip   netip.Addr
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
