//go:build !unix

package fsutil

import (
	"fmt"
	"os"
)

// MapFile reads a file into memory (platforms without mmap) and returns
// its bytes and a no-op release function.
func MapFile(path string) ([]byte, func() error, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", path, err)
	}
	return b, func() error { return nil }, nil
}
