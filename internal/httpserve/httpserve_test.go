package httpserve

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func start(t *testing.T, h http.Handler, lim Limits, exempt ...netip.Prefix) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s, err := New(ln, h, Options{Name: "test", Limits: lim, Exempt: exempt, Logger: quiet()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return s, ln.Addr().String()
}

// dialFrom connects to addr from a given loopback source address, so that
// tests can play several clients.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// flood opens n connections from src and leaves them idle; connections
// the server resets at once are fine.
func flood(t *testing.T, src, addr string, n int) {
	t.Helper()
	for range n {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
		if c, err := d.Dial("tcp", addr); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
}

func ok(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }

func get(t *testing.T, src, addr string) (int, error) {
	t.Helper()
	c := dialFrom(t, src, addr)
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestLimitsValidate(t *testing.T) {
	for _, l := range []Limits{WebDefaults(), DQMDefaults(), MetricsDefaults()} {
		assert.NoError(t, l.Validate())
	}
	l := WebDefaults()
	l.IdleTimeout = 0
	assert.ErrorContains(t, l.Validate(), "idleTimeout")
	l = WebDefaults()
	l.MaxConnsPerIP = l.MaxConns + 1
	assert.ErrorContains(t, l.Validate(), "maxConnsPerIP")
	_, err := New(nil, http.HandlerFunc(ok), Options{Limits: Limits{}})
	assert.Error(t, err)
}

// TestConnectionBounds: one address cannot hold more than MaxConnsPerIP
// connections, the listener never more than MaxConns, and another address
// is still served while the first one floods.
func TestConnectionBounds(t *testing.T) {
	lim := WebDefaults()
	lim.MaxConns, lim.MaxConnsPerIP = 12, 4
	s, addr := start(t, http.HandlerFunc(ok), lim)
	flood(t, "127.0.0.2", addr, 10)
	require.Eventually(t, func() bool { return s.Stats().RefusedPerIP >= 6 }, 2*time.Second, 10*time.Millisecond)
	assert.Equal(t, 4, s.Stats().Conns)
	code, err := get(t, "127.0.0.1", addr)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code, "another client is served during the flood")

	for _, src := range []string{"127.0.0.3", "127.0.0.4", "127.0.0.5"} {
		flood(t, src, addr, 4)
	}
	require.Eventually(t, func() bool { return s.Stats().RefusedFull >= 4 }, 2*time.Second, 10*time.Millisecond)
	assert.LessOrEqual(t, s.Stats().Conns, 12)
}

// TestExemptAddressesHaveNoPerIPBound: a trusted proxy carries many users.
func TestExemptAddressesHaveNoPerIPBound(t *testing.T) {
	lim := WebDefaults()
	lim.MaxConns, lim.MaxConnsPerIP = 20, 2
	s, addr := start(t, http.HandlerFunc(ok), lim, netip.MustParsePrefix("127.0.0.7/32"))
	flood(t, "127.0.0.7", addr, 8)
	require.Eventually(t, func() bool { return s.Stats().Conns == 8 }, 2*time.Second, 10*time.Millisecond)
	assert.Zero(t, s.Stats().RefusedPerIP)
}

// TestIdleAndSlowConnectionsAreClosed: a keep-alive connection left idle
// and a client sending its headers byte by byte are both cut off by the
// timeouts, which frees their slots.
func TestIdleAndSlowConnectionsAreClosed(t *testing.T) {
	lim := WebDefaults()
	lim.IdleTimeout, lim.ReadHeaderTimeout, lim.ReadTimeout = 300*time.Millisecond, 300*time.Millisecond, time.Second
	s, addr := start(t, http.HandlerFunc(ok), lim)
	idle := dialFrom(t, "127.0.0.1", addr)
	_, err := io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	resp.Body.Close()
	slow := dialFrom(t, "127.0.0.2", addr)
	_, err = io.WriteString(slow, "GET / HTTP/1.1\r\nHo")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return s.Stats().Conns == 2 }, time.Second, 10*time.Millisecond)
	start := time.Now()
	for _, c := range []net.Conn{idle, slow} {
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, err := io.Copy(io.Discard, c) // returns when the server closes
		assert.NoError(t, err)
	}
	assert.Less(t, time.Since(start), 2*time.Second)
	require.Eventually(t, func() bool { return s.Stats().Conns == 0 }, time.Second, 10*time.Millisecond)
}

// TestRequestBound: beyond MaxRequests in flight, requests get 503 with
// Retry-After at once.
func TestRequestBound(t *testing.T) {
	lim := WebDefaults()
	lim.MaxRequests = 2
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered.Done()
			<-release
		}
		ok(w, r)
	})
	s, addr := start(t, h, lim)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get("http://" + addr + "/slow")
			if assert.NoError(t, err) {
				resp.Body.Close()
			}
		}()
	}
	entered.Wait()
	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Equal(t, uint64(1), s.Stats().RequestsRefused)
	close(release)
	wg.Wait()
	resp, err = http.Get("http://" + addr + "/")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.True(t, strings.HasPrefix(string(b), "ok"))
}

func TestRemoteIn(t *testing.T) {
	ps := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		remote string
		want   bool
	}{
		{"10.1.0.7:4242", true}, {"10.1.1.7:4242", false}, {"[::1]:80", true},
		{"[::ffff:10.1.0.9]:80", true}, {"10.1.0.7", true}, {"nonsense", false}, {"", false},
	} {
		assert.Equal(t, tc.want, RemoteIn(tc.remote, ps), tc.remote)
	}
}
