// Package fsio holds the store's file-system primitives, shared by the
// store and its local-directory blob backend: temporary files with one
// recognisable prefix (removed by reconciliation and rebuilds), atomic
// replacement, linking that never replaces, directory fsyncs.
package fsio

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// TmpPrefix starts the name of every temporary file of the store. Files
// with this prefix are never data; they are removed when a directory is
// reconciled or rebuilt.
const TmpPrefix = ".tmp-"

// SyncDir fsyncs a directory so that renames and creations in it survive
// a power loss.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: open directory %s to sync: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) { // some file systems cannot sync directories
		return fmt.Errorf("store: sync directory %s: %w", dir, err)
	}
	return nil
}

// Mkdirs creates root/rel and every missing parent below root, syncing the
// parent of each directory it creates.
func Mkdirs(root, rel string) error {
	cur := root
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if part == "" {
			continue
		}
		next := filepath.Join(cur, part)
		err := os.Mkdir(next, 0o755)
		switch {
		case err == nil:
			if err := SyncDir(cur); err != nil {
				return err
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return fmt.Errorf("store: create directory %s: %w", next, err)
		}
		cur = next
	}
	return nil
}

// TempFile creates a new temporary file in dir.
func TempFile(dir, base string) (*os.File, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	if len(base) > 64 {
		base = base[:64]
	}
	name := filepath.Join(dir, TmpPrefix+base+"-"+hex.EncodeToString(b[:]))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: create temporary file in %s: %w", dir, err)
	}
	return f, nil
}

// WriteTemp copies r into a new temporary file of dir, fsynced when sync
// is set, and returns its path and size.
func WriteTemp(dir, base string, r io.Reader, sync bool) (string, int64, error) {
	f, err := TempFile(dir, base)
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(f, r)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", 0, fmt.Errorf("store: write %s: %w", f.Name(), err)
	}
	return f.Name(), n, nil
}

// WriteAtomic replaces dir/name with data: temporary file in the same
// directory, fsync, rename, fsync of the directory (the syncs only when
// sync is set). A reader sees the old or the new content, never a part.
func WriteAtomic(dir, name string, data []byte, sync bool) error {
	tmp, _, err := WriteTemp(dir, name, strings.NewReader(string(data)), sync)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("store: rename %s into place: %w", tmp, err)
	}
	if sync {
		return SyncDir(dir)
	}
	return nil
}

// LinkNew gives the temporary file tmp the name dir/name if that name is
// free, without ever replacing an existing file. It reports false when
// the name is taken.
func LinkNew(tmp, dir, name string) (bool, error) {
	dst := filepath.Join(dir, name)
	err := os.Link(tmp, dst)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	}
	// File systems without hard links: check, then rename. The store's
	// writer lock makes the check safe against its own writers.
	if _, serr := os.Lstat(dst); serr == nil {
		return false, nil
	}
	if rerr := os.Rename(tmp, dst); rerr != nil {
		return false, fmt.Errorf("store: move %s to %s: %w (link failed: %v)", tmp, dst, rerr, err)
	}
	return true, nil
}

// RemoveTemps deletes the store's temporary files left in dir by a crash.
func RemoveTemps(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), TmpPrefix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
