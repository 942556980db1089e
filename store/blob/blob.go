// Package blob is the storage of immutable byte objects under
// slash-separated keys: the part of the store that holds snapshot files and
// processing outputs, behind one small interface with several backends
// (a local directory keeping the original Run<N>/<SYS>/… layout, an
// S3-compatible object store, XRootD/EOS).
//
// Objects are written once: Put never replaces an object, so a reader sees
// either the whole object or nothing, on every backend. Replacing a
// document is writing a new key and pointing the index at it.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNotExist is wrapped by errors about a key that holds no object.
var ErrNotExist = errors.New("blob: no such object")

// ErrExist is wrapped by Put errors about a key that already holds an
// object.
var ErrExist = errors.New("blob: object exists")

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
	// SHA256 is the lower-case hex SHA-256 of the content when the backend
	// knows it (always after Put; on Stat and List when the backend stores
	// it), empty otherwise.
	SHA256 string
}

// Bucket is a set of immutable objects. Implementations are safe for
// concurrent use by several goroutines and, where the backend allows it,
// by several processes and machines.
type Bucket interface {
	// Put stores the bytes read from r under key, atomically: readers see
	// the whole object or nothing. It fails with an error wrapping ErrExist
	// when the key already holds an object, and leaves nothing behind when
	// r fails. The returned Info carries the size and SHA-256.
	Put(ctx context.Context, key string, r io.Reader) (Info, error)
	// Open reads n bytes of an object starting at off; n < 0 reads to the
	// end. The error wraps ErrNotExist when there is no object. A range
	// past the end is cut at the end (off at or past it reads nothing, no
	// error); a negative off is an error.
	Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
	// Stat describes one object; the error wraps ErrNotExist when absent.
	Stat(ctx context.Context, key string) (Info, error)
	// List calls fn for every object whose key starts with prefix, in
	// lexical key order, and stops at the first error fn returns.
	List(ctx context.Context, prefix string, fn func(Info) error) error
	// Delete removes an object; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
}

// ValidKey reports whether key is a valid object key: non-empty, at most
// 1024 bytes, slash-separated segments that are neither empty, "." nor "..",
// with no NUL, backslash or control character. Every backend refuses other
// keys, so a key can never leave its bucket.
func ValidKey(key string) bool {
	if key == "" || len(key) > 1024 {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

// CheckKey returns an error naming op when key is not valid.
func CheckKey(op, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("blob: %s: invalid key %q", op, key)
	}
	return nil
}
