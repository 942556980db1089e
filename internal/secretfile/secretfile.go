// Package secretfile keeps the small private JSON files of a data
// directory that hold credentials — the web app's users and API tokens,
// the DQM receiver's upload tokens: a file of mode 0600 in a directory of
// mode 0700, replaced atomically, re-read when it changes on disk (so
// that the command line's changes reach running servers), refused when
// others may read it; and the hashing of the secrets such files list
// (only a SHA-256 of each secret is stored, compared in constant time).
package secretfile

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/fsutil"
)

// File is one private JSON file. Its zero value (with Path set) has not
// been loaded yet. File is not safe for concurrent use: its owner holds
// its lock around Load and Save.
type File struct {
	// Path is the file's path.
	Path string
	// What names the file in errors, with its package: "webapp: users
	// file", "dqm: token file".
	What string
	// Format describes the expected JSON in decoding errors, e.g.
	// `{"users": [...]}`.
	Format string

	loaded  bool
	modTime time.Time
	size    int64
}

// Load reads the file into v and calls apply when the file changed since
// the last successful Load (always the first time): v is left as it is
// (the caller's zero value) when the file does not exist. The change is
// recorded only when apply returns nil, so an invalid file is read again
// next time. A file that group or others may access is an error.
func (f *File) Load(v any, apply func() error) error {
	st, err := os.Stat(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		if f.loaded && f.modTime.IsZero() && f.size == 0 {
			return nil
		}
		if err := apply(); err != nil {
			return err
		}
		f.loaded, f.modTime, f.size = true, time.Time{}, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", f.What, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s %s has mode %v, expected 0600 (chmod 600 it)", f.What, f.Path, st.Mode().Perm())
	}
	if f.loaded && st.ModTime().Equal(f.modTime) && st.Size() == f.size {
		return nil
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return fmt.Errorf("%s: %w", f.What, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s %s: expected JSON %s: %w", f.What, f.Path, f.Format, err)
	}
	if err := apply(); err != nil {
		return err
	}
	f.loaded, f.modTime, f.size = true, st.ModTime(), st.Size()
	return nil
}

// Save replaces the file with v as indented JSON (mode 0600; its directory
// is created, and made 0700), durably. The next Load reads it again.
func (f *File) Save(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := Write(f.Path, append(data, '\n')); err != nil {
		return fmt.Errorf("%s: write: %w", f.What, err)
	}
	f.loaded = false
	return nil
}

// Write durably replaces path with data, mode 0600, in a directory of
// mode 0700 (created when absent).
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, data, 0o600, true)
}

// Hash returns the hex SHA-256 of a secret: what the files store.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ValidHash reports whether h has the form of a Hash.
func ValidHash(h string) bool {
	b, err := hex.DecodeString(h)
	return err == nil && len(b) == sha256.Size
}

// Matches reports whether secret hashes to h, in time independent of
// where they differ.
func Matches(secret, h string) bool {
	return subtle.ConstantTimeCompare([]byte(Hash(secret)), []byte(h)) == 1
}

// Random returns n random bytes, base64url-encoded without padding.
func Random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
