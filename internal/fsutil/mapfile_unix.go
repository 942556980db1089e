//go:build unix

package fsutil

import (
	"fmt"
	"os"
	"syscall"
)

// MapFile maps a file read-only into memory and returns its bytes and the
// function that unmaps them (the bytes must not be used after it). Pages
// are read from disk only when touched and belong to the page cache, not
// to the heap: validating a large upload that is rejected after its first
// bytes reads only those. An empty file gives no bytes.
func MapFile(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", path, err)
	}
	n := st.Size()
	if n == 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(n)) != n {
		return nil, nil, fmt.Errorf("map %s: %d bytes do not fit the address space", path, n)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", path, err)
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}
