package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
)

// DirBucket is a Bucket on a local directory: key "a/b/c" is the file
// root/a/b/c, so a store keeps the original Run<N>/<SYS>/… layout. Put
// writes a temporary file in the final directory (named with the store's
// temporary prefix ".tmp-", which reconciliation removes), fsyncs it,
// links it to its name — a link never replaces a file, so an existing key
// fails with ErrExist even against other processes — and fsyncs the
// directory. It is safe for concurrent use by goroutines and processes.
type DirBucket struct {
	root string
}

// Dir returns the bucket rooted at the directory root (created by the
// first Put when missing).
func Dir(root string) *DirBucket { return &DirBucket{root: root} }

// Root returns the bucket's directory.
func (d *DirBucket) Root() string { return d.root }

var _ Bucket = (*DirBucket)(nil)

func (d *DirBucket) path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

// hashingReader hashes what it reads.
type hashingReader struct {
	ctx context.Context // nil: not cancellable
	r   io.Reader
	h   hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	if h.ctx != nil {
		if err := h.ctx.Err(); err != nil {
			return 0, err
		}
	}
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// notExist reports whether err says a path is absent, also when one of its
// parents is a file (ENOTDIR): either way no object has that key.
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// Put stores r under key; see Bucket.
func (d *DirBucket) Put(ctx context.Context, key string, r io.Reader) (Info, error) {
	if err := CheckKey("put", key); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	dirRel, name := pathSplit(key)
	if err := os.MkdirAll(d.root, 0o755); err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := fsio.Mkdirs(d.root, dirRel); err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", key, err)
	}
	dir := d.path(dirRel)
	hr := &hashingReader{ctx: ctx, r: r, h: sha256.New()}
	tmp, size, err := fsio.WriteTemp(dir, name, hr, true)
	if err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer os.Remove(tmp)
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", key, err)
	}
	ok, err := fsio.LinkNew(tmp, dir, name)
	if err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if !ok {
		return Info{}, fmt.Errorf("blob: put %s: %w", key, ErrExist)
	}
	if err := fsio.SyncDir(dir); err != nil {
		return Info{}, fmt.Errorf("blob: put %s: %w", key, err)
	}
	info := Info{Key: key, Size: size, SHA256: hex.EncodeToString(hr.h.Sum(nil))}
	if fi, err := os.Stat(d.path(key)); err == nil {
		info.ModTime = fi.ModTime()
	}
	return info, nil
}

// Replace stores r under key atomically whether or not the key holds an
// object (readers see the old or the new object, never a part): the
// replaceable documents of a store (outputs) use it on a directory; on
// object stores they are new keys instead. sync selects the fsyncs.
func (d *DirBucket) Replace(ctx context.Context, key string, r io.Reader, sync bool) (Info, error) {
	if err := CheckKey("replace", key); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	dirRel, name := pathSplit(key)
	if err := fsio.Mkdirs(d.root, dirRel); err != nil {
		return Info{}, fmt.Errorf("blob: replace %s: %w", key, err)
	}
	dir := d.path(dirRel)
	hr := &hashingReader{r: r, h: sha256.New()}
	tmp, size, err := fsio.WriteTemp(dir, name, hr, sync)
	if err != nil {
		return Info{}, fmt.Errorf("blob: replace %s: %w", key, err)
	}
	if err := os.Rename(tmp, d.path(key)); err != nil {
		_ = os.Remove(tmp)
		return Info{}, fmt.Errorf("blob: replace %s: %w", key, err)
	}
	if sync {
		if err := fsio.SyncDir(dir); err != nil {
			return Info{}, fmt.Errorf("blob: replace %s: %w", key, err)
		}
	}
	return Info{Key: key, Size: size, SHA256: hex.EncodeToString(hr.h.Sum(nil))}, nil
}

func pathSplit(key string) (dir, name string) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return "", key
	}
	return key[:i], key[i+1:]
}

// section is an io.ReadCloser over a part of a file.
type section struct {
	io.Reader
	f *os.File
}

func (s *section) Close() error { return s.f.Close() }

// Open reads n bytes of key from off (n < 0: to the end); see Bucket.
func (d *DirBucket) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := CheckKey("open", key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("blob: open %s: negative offset %d", key, off)
	}
	f, err := os.Open(d.path(key))
	if notExist(err) {
		return nil, fmt.Errorf("blob: open %s: %w", key, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("blob: open %s: %w", key, ErrNotExist)
	}
	if off == 0 && n < 0 {
		return f, nil
	}
	var r io.Reader = io.NewSectionReader(f, off, 1<<62)
	if n >= 0 {
		r = io.NewSectionReader(f, off, n)
	}
	return &section{Reader: r, f: f}, nil
}

// Stat describes key; see Bucket. The SHA-256 is not stored on a
// directory and is left empty.
func (d *DirBucket) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey("stat", key); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(d.path(key))
	if notExist(err) || err == nil && !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, ErrNotExist)
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// List calls fn for every object whose key starts with prefix, in lexical
// key order; temporary files are not objects. It reads one directory at a
// time, so memory is bounded by the largest directory.
func (d *DirBucket) List(ctx context.Context, prefix string, fn func(Info) error) error {
	// Start in the deepest directory the prefix names entirely.
	start := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = prefix[:i]
		if !ValidKey(start) {
			return nil
		}
	}
	err := d.list(ctx, start, prefix, fn)
	if notExist(err) {
		return nil
	}
	return err
}

func (d *DirBucket) list(ctx context.Context, rel, prefix string, fn func(Info) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ents, err := os.ReadDir(d.path(rel))
	if err != nil {
		if rel != "" && notExist(err) {
			return nil // the prefix names a missing directory or an object
		}
		return fmt.Errorf("blob: list %s: %w", prefix, err)
	}
	type ent struct {
		key string
		dir bool
		e   fs.DirEntry
	}
	items := make([]ent, 0, len(ents))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), fsio.TmpPrefix) {
			continue
		}
		key := e.Name()
		if rel != "" {
			key = rel + "/" + key
		}
		items = append(items, ent{key: key, dir: e.IsDir(), e: e})
	}
	// Keys sort as strings: a directory's keys continue with '/'.
	sortKey := func(it ent) string {
		if it.dir {
			return it.key + "/"
		}
		return it.key
	}
	sort.Slice(items, func(i, j int) bool { return sortKey(items[i]) < sortKey(items[j]) })
	for _, it := range items {
		sk := sortKey(it)
		if !strings.HasPrefix(sk, prefix) && !strings.HasPrefix(prefix, sk) {
			continue
		}
		if it.dir {
			if err := d.list(ctx, it.key, prefix, fn); err != nil {
				return err
			}
			continue
		}
		if !it.e.Type().IsRegular() || !strings.HasPrefix(it.key, prefix) {
			continue
		}
		fi, err := it.e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if err := fn(Info{Key: it.key, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes key; an absent key is not an error.
func (d *DirBucket) Delete(ctx context.Context, key string) error {
	if err := CheckKey("delete", key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := d.path(key)
	fi, err := os.Lstat(p)
	if notExist(err) || err == nil && fi.IsDir() {
		return nil // no object has that key (a directory is a prefix, not an object)
	}
	if err := os.Remove(p); err != nil && !notExist(err) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}
