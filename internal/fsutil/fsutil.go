// Package fsutil holds the small file-system helpers shared by the
// receivers, the web app and the DQM token store: atomic replacement of a
// small file, directory fsync and read-only mapping of a large file (the
// DQM receiver validates uploads without reading them whole). (The store
// has its own writer, tied to its crash-recovery naming of temporary
// files.)
package fsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data through a temporary file in the
// same directory (named ".<base>.*.tmp", which directory scanners ignore),
// given mode perm before any byte is written, and a rename: readers see
// the old or the new content, never a part. With sync the file and its
// directory are fsynced, making the write durable.
func WriteFileAtomic(path string, data []byte, perm os.FileMode, sync bool) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if sync {
		return SyncDir(dir)
	}
	return nil
}

// SyncDir fsyncs a directory so that a rename or link in it is durable.
// File systems that cannot sync directories are tolerated.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
