// Package servertest holds what the harnesses running real servers for
// tests share (internal/s3test, internal/xrdtest): a free loopback port,
// a child process that dies with the test binary and is stopped politely,
// and one server per test package started on first use.
package servertest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FreePort returns a TCP port free on 127.0.0.1 right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

// Proc is a running server process.
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// StartProc starts cmd with its output appended to logPath, in its own
// process group, killed when the test binary dies (PR_SET_PDEATHSIG).
// cmd.SysProcAttr may already hold credentials.
func StartProc(cmd *exec.Cmd, logPath string) (*Proc, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); log.Close(); close(p.done) }()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// WaitReady polls ready every 20 ms until it succeeds, the process exits
// or d passes.
func (p *Proc) WaitReady(d time.Duration, ready func() bool) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return errors.New("the server exited")
		default:
		}
		if ready() {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the server does not answer")
}

// Signal sends sig to the process (SIGSTOP and SIGCONT make a server
// that accepts connections but does not answer, then answers again).
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Pause sends SIGSTOP and waits until the kernel reports the process
// stopped (a signal is delivered after kill(2) returns).
func (p *Proc) Pause() error {
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	statPath := fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(statPath)
		if err != nil {
			return err
		}
		// pid (comm) state ...: comm may hold spaces and parentheses.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && (b[i+2] == 'T' || b[i+2] == 't') {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return errors.New("servertest: the process did not stop")
}

// Stop sends SIGTERM, then SIGKILL after 5 s, and waits for the exit.
func (p *Proc) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Shared is one server of type S per test binary, launched on first use.
type Shared[S any] struct {
	// Launch starts a server; an error wrapping Missing skips the tests.
	Launch func() (S, error)
	// Stop stops a server.
	Stop func(S)
	// Missing is the error of a missing binary.
	Missing error

	once    sync.Once
	srv     S
	err     error
	started bool
}

// Get returns the server, launching it on first use; it skips t when the
// binary is missing and fails it when the server does not start.
func (s *Shared[S]) Get(t testing.TB) S {
	t.Helper()
	s.once.Do(func() {
		s.srv, s.err = s.Launch()
		s.started = s.err == nil
	})
	if errors.Is(s.err, s.Missing) {
		t.Skip(s.err)
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.srv
}

// Close stops the server if it was launched.
func (s *Shared[S]) Close() {
	if s.started {
		s.Stop(s.srv)
		s.started = false
	}
}

// Start launches a server for one test, stopped when the test ends; it
// skips t when the binary is missing and fails it when the server does
// not start (the per-test counterpart of Shared).
func Start[S any](t testing.TB, launch func() (S, error), stop func(S), missing error) S {
	t.Helper()
	srv, err := launch()
	if errors.Is(err, missing) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(srv) })
	return srv
}
