// Package smtptest runs a small but real SMTP server on a loopback TCP
// port for tests: it speaks what net/smtp uses (EHLO/HELO, MAIL, RCPT,
// DATA, RSET, NOOP, QUIT, AUTH PLAIN) and records every delivered message.
// With Options it also speaks TLS with a certificate it generates: implicit
// TLS from the first byte (submissions on port 465) or STARTTLS.
package smtptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running test SMTP server.
type Server struct {
	ln   net.Listener
	opts Options
	tls  *tls.Config
	pool *x509.CertPool
	mu   sync.Mutex
	msgs []Message
	wg   sync.WaitGroup
}

// Message is one delivered message.
type Message struct {
	From string   // envelope sender
	To   []string // envelope recipients
	Data string   // headers and body, dot-unstuffed
	// User is the name given with AUTH PLAIN ("" without authentication).
	User string
	// TLS tells whether the message came over TLS (implicit or STARTTLS).
	TLS bool
}

// Options selects the server's TLS mode.
type Options struct {
	// ImplicitTLS speaks TLS from the first byte, as on port 465.
	ImplicitTLS bool
	// StartTLS offers the STARTTLS extension.
	StartTLS bool
}

// Start starts a plain-text server on 127.0.0.1 and stops it when the
// test ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith starts a server with the given TLS options. Its certificate
// (for 127.0.0.1 and localhost) is signed by itself: clients trust it
// through CertPool.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts}
	if opts.ImplicitTLS || opts.StartTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.pool = pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, s.tls)
	}
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// CertPool returns the pool that trusts the server's certificate (nil
// without TLS).
func (s *Server) CertPool() *x509.CertPool { return s.pool }

func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "smtptest"},
		NotBefore:    time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// Messages returns the messages delivered so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

func (s *Server) serve(c net.Conn) {
	defer func() { c.Close() }()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	reply := func(line string) { w.WriteString(line + "\r\n"); w.Flush() }
	_, overTLS := c.(*tls.Conn)
	if overTLS {
		if err := c.(*tls.Conn).Handshake(); err != nil {
			return
		}
	}
	reply("220 localhost test SMTP ready")
	var cur Message
	user := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		arg := strings.TrimSpace(strings.TrimPrefix(line, strings.SplitN(line, " ", 2)[0]))
		switch verb {
		case "EHLO":
			reply("250-localhost greets you")
			if s.opts.StartTLS && !overTLS {
				reply("250-STARTTLS")
			}
			reply("250-AUTH PLAIN")
			reply("250 8BITMIME")
		case "STARTTLS":
			if !s.opts.StartTLS || overTLS {
				reply("502 not implemented")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, overTLS = tc, true
			r, w = bufio.NewReader(c), bufio.NewWriter(c)
		case "AUTH":
			f := strings.Fields(arg)
			if len(f) != 2 || !strings.EqualFold(f[0], "PLAIN") {
				reply("504 only AUTH PLAIN with an initial response")
				continue
			}
			b, err := base64.StdEncoding.DecodeString(f[1])
			parts := strings.Split(string(b), "\x00")
			if err != nil || len(parts) != 3 {
				reply("501 malformed")
				continue
			}
			user = parts[1]
			reply("235 authenticated")
		case "HELO":
			reply("250 localhost")
		case "MAIL":
			cur = Message{From: angleAddr(arg), User: user, TLS: overTLS}
			reply("250 OK")
		case "RCPT":
			cur.To = append(cur.To, angleAddr(arg))
			reply("250 OK")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data = b.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			reply("250 queued")
		case "RSET", "NOOP":
			reply("250 OK")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

// angleAddr returns the address between angle brackets of a MAIL/RCPT
// argument such as "FROM:<a@b> BODY=8BITMIME".
func angleAddr(arg string) string {
	i, j := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>')
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}
