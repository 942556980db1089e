package transfer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// progress is a destination's durable log of finished snapshots: one line
// per snapshot, "ok <sha256> <quoted path>" or "conflict - <quoted path>",
// appended and fsynced before the snapshot counts as done. A torn last line
// (a crash while appending) is ignored and that snapshot done again, which
// the destination recognises.
type progress struct {
	mu   sync.Mutex
	f    *os.File
	done map[string]bool
}

const (
	recOK       = "ok"
	recConflict = "conflict"
)

func openProgress(dir, name string) (*progress, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	path := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	// One transfer per state directory: a second process would send the
	// same snapshots (the destinations would refuse the copies, but the
	// work would be done twice).
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("transfer: %s is in use by another transfer: %w", path, err)
	}
	p := &progress{f: f, done: map[string]bool{}}
	br := bufio.NewReader(f)
	var size int64
	torn := false
	for {
		line, err := br.ReadString('\n')
		size += int64(len(line))
		if err == io.EOF {
			torn = line != ""
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("transfer: reading %s: %w", path, err)
		}
		if path, ok := parseRecord(strings.TrimSuffix(line, "\n")); ok {
			p.done[path] = true
		}
	}
	if torn { // end the torn line so that the next record starts afresh
		if _, err := f.WriteAt([]byte("\n"), size); err != nil {
			f.Close()
			return nil, fmt.Errorf("transfer: %s: %w", path, err)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, fmt.Errorf("transfer: %s: %w", path, err)
	}
	return p, nil
}

func parseRecord(line string) (string, bool) {
	f := strings.SplitN(line, " ", 3)
	if len(f) != 3 || (f[0] != recOK && f[0] != recConflict) {
		return "", false
	}
	if f[0] == recOK && len(f[1]) != 64 {
		return "", false
	}
	path, err := strconv.Unquote(f[2])
	if err != nil || path == "" {
		return "", false
	}
	return path, true
}

func (p *progress) has(path string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done[path]
}

func (p *progress) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.done)
}

// add records a finished snapshot durably.
func (p *progress) add(kind, sum, path string) error {
	if sum == "" {
		sum = "-"
	}
	line := kind + " " + sum + " " + strconv.Quote(path) + "\n"
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return errors.New("transfer: progress log closed")
	}
	if _, err := p.f.WriteString(line); err != nil {
		return fmt.Errorf("transfer: recording progress: %w", err)
	}
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("transfer: recording progress: %w", err)
	}
	p.done[path] = true
	return nil
}

func (p *progress) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return nil
	}
	err := p.f.Close()
	p.f = nil
	return err
}
