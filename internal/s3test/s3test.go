// Package s3test runs a real S3-compatible server for tests: the versitygw
// gateway (posix backend on a temporary directory, loopback port, random
// keys). Tests skip, naming the make target that installs it, when the
// binary is missing.
//
// A package starts one server for all its tests:
//
//	func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }
//
//	func TestX(t *testing.T) {
//		srv := s3test.Shared(t)
//		bucket := srv.NewBucket(t)
//		…
//	}
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is host:port of the S3 API (plain HTTP, loopback).
	Endpoint string
	// Access and Secret are the root credentials (random).
	Access, Secret string
	// Root is the directory holding the buckets.
	Root string

	cmd  *exec.Cmd
	tmp  string
	done chan struct{}
	mu   sync.Mutex
	n    int
}

// ErrMissing is returned by Launch when the versitygw binary is absent.
var ErrMissing = errors.New("s3test: versitygw not installed (run `make setup-system`)")

// Binary returns the path of the versitygw binary, or "".
func Binary() string {
	if p := os.Getenv("OVERWATCH_VERSITYGW"); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(gopath, "bin", "versitygw")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func randomHex(n int) string {
	p := make([]byte, n)
	_, _ = rand.Read(p)
	return hex.EncodeToString(p)
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// Launch starts a server; the caller stops it with Stop.
func Launch() (*Server, error) {
	bin := Binary()
	if bin == "" {
		return nil, ErrMissing
	}
	tmp, err := os.MkdirTemp("", "s3test-")
	if err != nil {
		return nil, err
	}
	root := filepath.Join(tmp, "root")
	if err := os.Mkdir(root, 0o700); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr, err := freePort()
		if err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		s := &Server{Endpoint: addr, Access: "AK" + randomHex(9), Secret: randomHex(20), Root: root, tmp: tmp, done: make(chan struct{})}
		log, err := os.Create(filepath.Join(tmp, "versitygw.log"))
		if err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		s.cmd = exec.Command(bin, "--access", s.Access, "--secret", s.Secret, "--port", addr, "posix", root)
		s.cmd.Stdout, s.cmd.Stderr = log, log
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
		if err := s.cmd.Start(); err != nil {
			log.Close()
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("s3test: start %s: %w", bin, err)
		}
		go func() { _ = s.cmd.Wait(); log.Close(); close(s.done) }()
		if lastErr = s.wait(15 * time.Second); lastErr == nil {
			return s, nil
		}
		s.kill()
		out, _ := os.ReadFile(filepath.Join(tmp, "versitygw.log"))
		lastErr = fmt.Errorf("%w; log:\n%s", lastErr, out)
	}
	os.RemoveAll(tmp)
	return nil, lastErr
}

// wait polls until the server answers HTTP.
func (s *Server) wait(d time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("s3test: versitygw exited")
		default:
		}
		resp, err := c.Get("http://" + s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("s3test: versitygw does not answer")
}

func (s *Server) kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	s.kill()
	os.RemoveAll(s.tmp)
}

// Start starts a server stopped at the end of the test; it skips the test
// when versitygw is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Launch()
	if errors.Is(err, ErrMissing) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the package's server, started on first use and stopped by
// Main; it skips the test when versitygw is missing.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = Launch() })
	if errors.Is(shared.err, ErrMissing) {
		t.Skip(shared.err)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.srv
}

// Main runs the tests and stops the shared server; use it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	StopShared()
	return code
}

// StopShared stops the shared server if it was started (for a TestMain
// that shares servers of several kinds).
func StopShared() {
	if shared.srv != nil {
		shared.srv.Stop()
	}
}

// NewBucket creates a new empty bucket with a unique name (S3 naming
// rules: lower case, digits, dashes) and returns its name. Buckets of the
// posix backend are directories of Root.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.n++
	name := fmt.Sprintf("b%d-%s", s.n, strings.ToLower(randomHex(4)))
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.createBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
	return name
}

// Client returns a minio client of the server.
func (s *Server) Client() (*minio.Client, error) {
	return minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.Access, s.Secret, ""), Secure: false, Region: "us-east-1"})
}

func (s *Server) createBucket(ctx context.Context, name string) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		return fmt.Errorf("s3test: make bucket %s: %w", name, err)
	}
	return nil
}
