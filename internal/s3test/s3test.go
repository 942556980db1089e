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
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/overwatch-dqm/overwatch/internal/servertest"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is host:port of the S3 API (plain HTTP, loopback).
	Endpoint string
	// Access and Secret are the root credentials (random).
	Access, Secret string
	// Root is the directory holding the buckets.
	Root string

	proc *servertest.Proc
	tmp  string
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
	logPath := filepath.Join(tmp, "versitygw.log")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := servertest.FreePort()
		if err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		s := &Server{Endpoint: addr, Access: "AK" + randomHex(9), Secret: randomHex(20), Root: root, tmp: tmp}
		s.proc, err = servertest.StartProc(exec.Command(bin, "--access", s.Access, "--secret", s.Secret, "--port", addr, "posix", root), logPath)
		if err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("s3test: start %s: %w", bin, err)
		}
		c := &http.Client{Timeout: time.Second}
		lastErr = s.proc.WaitReady(15*time.Second, func() bool {
			resp, err := c.Get("http://" + addr + "/")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil
		})
		if lastErr == nil {
			return s, nil
		}
		s.proc.Stop()
		out, _ := os.ReadFile(logPath)
		lastErr = fmt.Errorf("s3test: versitygw: %w; log:\n%s", lastErr, out)
	}
	os.RemoveAll(tmp)
	return nil, lastErr
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	s.proc.Stop()
	os.RemoveAll(s.tmp)
}

// Start starts a server stopped at the end of the test; it skips the test
// when versitygw is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	return servertest.Start(t, Launch, (*Server).Stop, ErrMissing)
}

var shared = servertest.Shared[*Server]{Launch: Launch, Stop: (*Server).Stop, Missing: ErrMissing}

// Shared returns the package's server, started on first use and stopped by
// Main; it skips the test when versitygw is missing.
func Shared(t testing.TB) *Server {
	t.Helper()
	return shared.Get(t)
}

// Main runs the tests and stops the shared server; use it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	StopShared()
	return code
}

// StopShared stops the shared server if it was started (for a TestMain
// that shares servers of several kinds).
func StopShared() { shared.Close() }

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
