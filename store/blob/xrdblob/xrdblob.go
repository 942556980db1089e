// Package xrdblob is the blob.Bucket backend on an XRootD server, which is
// how EOS is reached, through go-hep's pure-Go XRootD client. Keys are
// paths below a root directory (Root/Run123/EMC/EMChists….root: the
// original layout, readable with xrdcp and the EOS tools).
//
// XRootD has no rename that refuses to replace its target (kXR_mv
// overwrites) and shows a file while it is written, so a Put is:
//
//  1. write the bytes to a temporary file Root/\xrdblob/tmp/<random>
//     (hashing them on the way) and check its size on the server;
//  2. claim the key: write the SHA-256 and the size into a file of a new
//     directory and rename that directory onto Root/\xrdblob/claims/<key>;
//     renaming a directory onto a non-empty directory fails (rename(2)
//     on the server's file system), so of concurrent puts of a key
//     exactly one succeeds here and the others get blob.ErrExist (an open
//     with kXR_new is not exclusive: xrootd 5.5 lets several clients
//     create the same file at once, which the conformance suite caught;
//     kXR_mkdir accepts an existing directory);
//  3. refuse the key if an object is already there (a file written by
//     another tool without a claim);
//  4. rename the temporary file onto the key (atomic on the server's file
//     system: readers see nothing or the whole object).
//
// Names with a backslash are never keys (blob.ValidKey), so the
// \xrdblob directory never appears in listings. Claims stay as long as
// their object (Delete removes both). A process killed between steps 2
// and 4 leaves a claim without object: Put of that key then fails with
// ErrExist while Stat says ErrNotExist, until Delete(key) clears it; its
// temporary file stays in \xrdblob/tmp. Writers that bypass this package
// (xrdcp -f) can still replace objects.
//
// Every operation uses its own connection, closed when the operation (or
// the reader Open returns) ends. go-hep v0.40.0 panics, crashing the
// process, when the connection of a client breaks
// (cliSession.handleReadError): a server restarting, a network cut. So
// the client's connection goes through a relay of this package (see
// relay), which keeps a break to itself: the operation in progress fails
// at once with ErrConnLost and the client is closed quietly. (Connections
// the client opens itself on a redirect, as EOS redirects reads and writes
// to its disk servers, are sub-sessions: go-hep reports their breaks
// without panicking.) The client's other trap, a deadlock when
// a request is abandoned, is avoided by never cancelling a request (see
// conn): a cancelled operation returns at once and its connection is
// closed when the request in flight completes. A request the server does
// not answer within Config.Timeout fails its operation the same way.
package xrdblob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os/user"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"go-hep.org/x/hep/xrootd"
	"go-hep.org/x/hep/xrootd/xrdfs"
	"go-hep.org/x/hep/xrootd/xrdproto"

	"github.com/overwatch-dqm/overwatch/store/blob"
)

// Config addresses a directory of an XRootD server.
type Config struct {
	// Addr is host[:port] of the server (default port 1094).
	Addr string
	// Root is the absolute directory holding the objects, e.g.
	// /eos/experiment/alice/overwatch.
	Root string
	// User is the login name (default: the current user). Authentication
	// is what go-hep offers: kerberos 5 (a valid ticket), unix, host.
	User string
	// Timeout bounds connecting and each request: a server that does not
	// answer in time fails the operation (default DefaultTimeout).
	Timeout time.Duration
}

// DefaultTimeout is the default Config.Timeout.
const DefaultTimeout = time.Minute

// Bucket is a blob.Bucket on an XRootD directory.
type Bucket struct {
	cfg    Config
	direct bool // no relay: for the benchmark that measures its cost
}

var _ blob.Bucket = (*Bucket)(nil)

// internal is the directory of temporary files and claims; its name holds
// a backslash, which no key holds.
const internal = `\xrdblob`

// chunk is the size of one read or write request.
const chunk = 1 << 20

const dirMode = xrdfs.OpenModeOwnerRead | xrdfs.OpenModeOwnerWrite | xrdfs.OpenModeOwnerExecute |
	xrdfs.OpenModeGroupRead | xrdfs.OpenModeGroupExecute | xrdfs.OpenModeOtherRead | xrdfs.OpenModeOtherExecute

// sumName is the file of a claim directory recording the SHA-256 and the
// size of the object.
const sumName = `\sum`

const fileMode = xrdfs.OpenModeOwnerRead | xrdfs.OpenModeOwnerWrite | xrdfs.OpenModeGroupRead | xrdfs.OpenModeOtherRead

// New returns the bucket of cfg; it does not contact the server.
func New(cfg Config) (*Bucket, error) {
	if cfg.Addr == "" {
		return nil, errors.New("xrdblob: server address is required")
	}
	if !strings.HasPrefix(cfg.Root, "/") {
		return nil, fmt.Errorf("xrdblob: root %q must be an absolute path", cfg.Root)
	}
	root := path.Clean(cfg.Root)
	if root != "/" && !blob.ValidKey(root[1:]) {
		return nil, fmt.Errorf("xrdblob: invalid root %q", cfg.Root)
	}
	cfg.Root = strings.TrimSuffix(root, "/")
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("xrdblob: negative timeout %v", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.User == "" {
		if u, err := user.Current(); err == nil {
			cfg.User = u.Username
		} else {
			cfg.User = "overwatch"
		}
	}
	return &Bucket{cfg: cfg}, nil
}

// String names the bucket as a root:// URL.
func (b *Bucket) String() string { return "root://" + b.cfg.Addr + "/" + b.cfg.Root }

func (b *Bucket) objPath(key string) string   { return b.cfg.Root + "/" + key }
func (b *Bucket) claimPath(key string) string { return b.cfg.Root + "/" + internal + "/claims/" + key }
func (b *Bucket) tmpPath() string {
	p := make([]byte, 12)
	_, _ = rand.Read(p)
	return b.cfg.Root + "/" + internal + "/tmp/" + hex.EncodeToString(p)
}

func (b *Bucket) dial(ctx context.Context) (*conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// go-hep's NewClient, cancelled in the middle of its handshake, can
	// block for ever in its own Close (see conn): it runs uncancelled and
	// a client that connects after the caller gave up is closed. The
	// client connects through a relay (see relay).
	c, gaveUp, err := await(ctx, b.cfg.Timeout, func() (*conn, error) {
		cn := &conn{timeout: b.cfg.Timeout}
		addr := b.cfg.Addr
		if !b.direct {
			r, err := dialRelay(context.Background(), addr, b.cfg.Timeout)
			if err != nil {
				return nil, err
			}
			cn.r, addr = r, r.addr()
		}
		var err error
		if cn.c, err = xrootd.NewClient(context.Background(), addr, b.cfg.User); err != nil {
			if cn.r != nil {
				cn.r.close()
			}
			return nil, err
		}
		return cn, nil
	}, func(c *conn, err error) {
		if err == nil {
			c.shut()
		}
	})
	if err != nil {
		if gaveUp && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("connecting to %s: %w", b.cfg.Addr, err)
	}
	return c, nil
}

func code(err error) xrdproto.ServerErrorCode {
	var se xrdproto.ServerError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// Error codes of the protocol: kXR_FSError, kXR_NotFile, kXR_isDirectory,
// kXR_ItExists.
const (
	errFSError     xrdproto.ServerErrorCode = 3005
	errNotFile     xrdproto.ServerErrorCode = 3015
	errIsDirectory xrdproto.ServerErrorCode = 3016
	errItExists    xrdproto.ServerErrorCode = 3018
)

// notFound reports whether err says that no file is there: not found, a
// directory, or a path through a file (ENOTDIR, reported as kXR_FSError).
func notFound(err error) bool {
	var se xrdproto.ServerError
	if !errors.As(err, &se) {
		return false
	}
	return se.Code == xrdproto.NotFound || se.Code == errIsDirectory || se.Code == errNotFile ||
		se.Code == errFSError && strings.Contains(se.Message, "not a directory")
}

// cleanupCtx bounds best-effort cleanups that must run even when the
// operation's context is cancelled.
func cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// bestEffort runs fn on a new connection, ignoring failures: cleanups
// after a failed operation, whose connection may have requests cancelled
// in flight, after which go-hep's client does not answer reliably.
func (b *Bucket) bestEffort(fn func(context.Context, *conn)) {
	ctx, cancel := cleanupCtx()
	defer cancel()
	c, err := b.dial(ctx)
	if err != nil {
		return
	}
	defer c.close()
	fn(ctx, c)
}

// cleanup removes files (best effort).
func (b *Bucket) cleanup(paths ...string) {
	b.bestEffort(func(ctx context.Context, c *conn) {
		for _, p := range paths {
			_ = c.removeFile(ctx, p)
		}
	})
}

// removeDir removes an empty directory (best effort).
func (b *Bucket) removeDir(dir string) {
	b.bestEffort(func(ctx context.Context, c *conn) { _ = c.removeDir(ctx, dir) })
}

// removeClaim removes the claim directory of key (best effort).
func (b *Bucket) removeClaim(key string) {
	b.bestEffort(func(ctx context.Context, c *conn) {
		_ = c.removeFile(ctx, b.claimPath(key)+"/"+sumName)
		_ = c.removeDir(ctx, b.claimPath(key))
	})
}

// Put stores r under key unless the key holds an object (see the package
// documentation for the steps).
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader) (blob.Info, error) {
	if err := blob.CheckKey("put", key); err != nil {
		return blob.Info{}, err
	}
	info, err := b.put(ctx, key, r)
	if err != nil {
		return blob.Info{}, fmt.Errorf("xrdblob: put %s: %w", key, err)
	}
	return info, nil
}

func (b *Bucket) put(ctx context.Context, key string, r io.Reader) (blob.Info, error) {
	c, err := b.dial(ctx)
	if err != nil {
		return blob.Info{}, err
	}
	defer c.close()
	tmp := b.tmpPath()
	size, sum, mtime, err := b.writeTemp(ctx, c, tmp, r)
	if err != nil {
		return blob.Info{}, err
	}
	committed, claimed := false, false
	defer func() {
		if !committed {
			b.cleanup(tmp)
			if claimed {
				b.removeClaim(key)
			}
		}
	}()
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	// Claim the key: rename a new directory holding the record onto the
	// claim. Renaming a directory onto a non-empty one fails (rename(2)),
	// so of concurrent puts exactly one succeeds. (An open with kXR_new is
	// not exclusive: xrootd shares the handle of a file being created among
	// the clients opening it; kXR_mkdir accepts an existing directory.)
	claim := b.claimPath(key)
	ctmp := tmp + ".claim"
	if err := c.mkdirAll(ctx, ctmp); err != nil {
		return blob.Info{}, fmt.Errorf("claiming: %w", err)
	}
	ctmpUsed := true
	defer func() {
		if ctmpUsed {
			b.cleanup(ctmp + "/" + sumName)
			b.removeDir(ctmp)
		}
	}()
	f, err := c.open(ctx, ctmp+"/"+sumName, fileMode, xrdfs.OpenOptionsNew)
	if err != nil {
		return blob.Info{}, fmt.Errorf("writing claim: %w", err)
	}
	rec := []byte(fmt.Sprintf("%s %d\n", sum, size))
	werr := f.writeAt(ctx, rec, 0)
	cerr := f.close(ctx)
	if werr != nil || cerr != nil {
		return blob.Info{}, fmt.Errorf("writing claim: %w", errors.Join(werr, cerr))
	}
	if err := c.mkdirAll(ctx, path.Dir(claim)); err != nil {
		return blob.Info{}, fmt.Errorf("claiming: %w", err)
	}
	if err := c.rename(ctx, ctmp, claim); err != nil {
		if st, serr := c.stat(ctx, claim); serr == nil && st.IsDir() {
			return blob.Info{}, blob.ErrExist
		}
		return blob.Info{}, fmt.Errorf("claiming: %w", err)
	}
	ctmpUsed, claimed = false, true
	// An object written without a claim (by another tool) is kept.
	if _, err := c.stat(ctx, b.objPath(key)); err == nil {
		claimed = false // the key is taken: the claim says so
		return blob.Info{}, blob.ErrExist
	} else if code(err) != xrdproto.NotFound {
		return blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	if dir := path.Dir(key); dir != "." {
		if err := c.mkdirAll(ctx, b.objPath(dir)); err != nil {
			return blob.Info{}, fmt.Errorf("making directory: %w", err)
		}
	}
	if err := c.rename(ctx, tmp, b.objPath(key)); err != nil {
		return blob.Info{}, fmt.Errorf("renaming into place: %w", err)
	}
	committed = true
	return blob.Info{Key: key, Size: size, ModTime: mtime, SHA256: sum}, nil
}

// writeTemp writes r to the new file tmp and checks its size on the
// server; it removes the file when anything fails.
func (b *Bucket) writeTemp(ctx context.Context, c *conn, tmp string, r io.Reader) (int64, string, time.Time, error) {
	f, err := c.open(ctx, tmp, fileMode, xrdfs.OpenOptionsNew|xrdfs.OpenOptionsMkPath)
	if err != nil {
		return 0, "", time.Time{}, fmt.Errorf("creating temporary file: %w", err)
	}
	h := sha256.New()
	buf := make([]byte, chunk)
	var off int64
	fail := func(err error) (int64, string, time.Time, error) {
		// The file handle is released with the connection.
		b.cleanup(tmp)
		return 0, "", time.Time{}, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			if err := f.writeAt(ctx, buf[:n], off); err != nil {
				return fail(fmt.Errorf("writing: %w", err))
			}
			off += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return fail(fmt.Errorf("reading: %w", rerr))
		}
	}
	if err := f.close(ctx); err != nil {
		return fail(fmt.Errorf("closing: %w", err))
	}
	st, err := c.stat(ctx, tmp)
	if err == nil && st.EntrySize != off {
		err = fmt.Errorf("server holds %d bytes, %d were written", st.EntrySize, off)
	}
	if err != nil {
		return fail(err)
	}
	return off, hex.EncodeToString(h.Sum(nil)), time.Unix(st.Mtime, 0), nil
}

// Stat describes the object of key; the SHA-256 comes from its claim.
func (b *Bucket) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.CheckKey("stat", key); err != nil {
		return blob.Info{}, err
	}
	c, err := b.dial(ctx)
	if err != nil {
		return blob.Info{}, fmt.Errorf("xrdblob: stat %s: %w", key, err)
	}
	defer c.close()
	st, err := c.stat(ctx, b.objPath(key))
	if err == nil && st.IsDir() {
		err = xrdproto.ServerError{Code: xrdproto.NotFound, Message: "a directory"}
	}
	if err != nil {
		if notFound(err) {
			return blob.Info{}, fmt.Errorf("xrdblob: stat %s: %w", key, blob.ErrNotExist)
		}
		return blob.Info{}, fmt.Errorf("xrdblob: stat %s: %w", key, err)
	}
	info := blob.Info{Key: key, Size: st.EntrySize, ModTime: time.Unix(st.Mtime, 0)}
	info.SHA256 = b.claimSum(ctx, c, key, st.EntrySize)
	return info, nil
}

// claimSum reads the SHA-256 recorded by the claim of key, or "" when
// there is none or it does not describe an object of size.
func (b *Bucket) claimSum(ctx context.Context, c *conn, key string, size int64) string {
	f, err := c.open(ctx, b.claimPath(key)+"/"+sumName, 0, xrdfs.OpenOptionsOpenRead)
	if err != nil {
		return ""
	}
	defer f.close(ctx)
	p := make([]byte, 128)
	n, err := f.readAt(ctx, p, 0)
	if err != nil && err != io.EOF {
		return ""
	}
	fields := strings.Fields(string(p[:n]))
	if len(fields) != 2 || len(fields[0]) != 64 || fields[1] != strconv.FormatInt(size, 10) {
		return ""
	}
	if _, err := hex.DecodeString(fields[0]); err != nil {
		return ""
	}
	return fields[0]
}

// Open reads n bytes of the object from off (n < 0: to the end); reading
// at or past the end yields nothing. The reader holds a connection until
// it is closed.
func (b *Bucket) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := blob.CheckKey("open", key); err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("xrdblob: open %s: negative offset %d", key, off)
	}
	c, err := b.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("xrdblob: open %s: %w", key, err)
	}
	f, err := c.open(ctx, b.objPath(key), 0, xrdfs.OpenOptionsOpenRead|xrdfs.OpenOptionsReturnStatus)
	if err != nil {
		c.close()
		if notFound(err) {
			return nil, fmt.Errorf("xrdblob: open %s: %w", key, blob.ErrNotExist)
		}
		return nil, fmt.Errorf("xrdblob: open %s: %w", key, err)
	}
	st, err := f.stat(ctx)
	if err != nil {
		_ = f.close(ctx)
		c.close()
		return nil, fmt.Errorf("xrdblob: open %s: %w", key, err)
	}
	size := st.EntrySize
	end := size
	if n >= 0 && off+n < size {
		end = off + n
	}
	return &reader{ctx: ctx, c: c, f: f, off: off, end: end}, nil
}

// reader reads the range [off, end) of an open file in requests of up to
// chunk bytes, whatever the size of the caller's reads (io.Copy reads 32
// KiB at a time: one round trip each would be slow).
type reader struct {
	ctx      context.Context
	c        *conn
	f        *file
	off, end int64 // the next byte to request, the end of the range
	buf      []byte
	pos      int // next unread byte of buf
	closed   bool
}

func (r *reader) Read(p []byte) (int, error) {
	if r.pos < len(r.buf) {
		n := copy(p, r.buf[r.pos:])
		r.pos += n
		return n, nil
	}
	if r.off >= r.end {
		return 0, io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	want := min(r.end-r.off, chunk)
	if int64(len(p)) >= want {
		// Large reads go straight to the caller.
		n, err := r.fill(p[:want])
		return n, err
	}
	if cap(r.buf) < int(want) {
		r.buf = make([]byte, want)
	}
	n, err := r.fill(r.buf[:want])
	r.buf, r.pos = r.buf[:n], 0
	if err != nil {
		return 0, err
	}
	m := copy(p, r.buf)
	r.pos = m
	return m, nil
}

// fill reads len(p) bytes at r.off (fewer only at an error).
func (r *reader) fill(p []byte) (int, error) {
	n, err := r.f.readAt(r.ctx, p, r.off)
	r.off += int64(n)
	if err != nil {
		return n, fmt.Errorf("xrdblob: read: %w", err)
	}
	if n == 0 {
		return 0, io.ErrUnexpectedEOF // the file shrank under us
	}
	return n, nil
}

func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	cctx, cancel := cleanupCtx()
	defer cancel()
	err := r.f.close(cctx)
	r.c.close()
	return err
}

// List calls fn for the objects whose key starts with prefix, in lexical
// key order: each directory is listed (kXR_dirlist) and its entries are
// visited in the order of their names, a directory's name followed by "/",
// which is the lexical order of the keys below.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("xrdblob: list %s: %w", prefix, err)
	}
	dirKey := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dirKey = prefix[:i]
		if !blob.ValidKey(dirKey) {
			return nil // no key starts with it
		}
	}
	c, err := b.dial(ctx)
	if err != nil {
		return fmt.Errorf("xrdblob: list %s: %w", prefix, err)
	}
	defer c.close()
	return b.walk(ctx, c, dirKey, prefix, fn)
}

func (b *Bucket) walk(ctx context.Context, c *conn, dirKey, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("xrdblob: list %s: %w", prefix, err)
	}
	dir := b.cfg.Root
	if dirKey != "" {
		dir += "/" + dirKey
	}
	entries, err := c.dirlist(ctx, dir)
	if err != nil {
		if notFound(err) {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("xrdblob: list %s: %w", prefix, ctx.Err())
		}
		return fmt.Errorf("xrdblob: list %s: %w", dir, err)
	}
	type entry struct {
		sortName string
		key      string
		st       xrdfs.EntryStat
	}
	var es []entry
	for _, e := range entries {
		name := e.EntryName
		if name == "" || name == "." || name == ".." || strings.Contains(name, "/") || !blob.ValidKey(name) {
			continue // internal files, names we never write
		}
		key := name
		if dirKey != "" {
			key = dirKey + "/" + name
		}
		sortName := name
		if e.IsDir() {
			sortName += "/"
		}
		es = append(es, entry{sortName, key, e})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].sortName < es[j].sortName })
	for _, e := range es {
		if e.st.IsDir() {
			if strings.HasPrefix(e.key+"/", prefix) || strings.HasPrefix(prefix, e.key+"/") {
				if err := b.walk(ctx, c, e.key, prefix, fn); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasPrefix(e.key, prefix) {
			continue
		}
		if err := fn(blob.Info{Key: e.key, Size: e.st.EntrySize, ModTime: time.Unix(e.st.Mtime, 0)}); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the object of key and its claim; an absent key is not an
// error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := blob.CheckKey("delete", key); err != nil {
		return err
	}
	c, err := b.dial(ctx)
	if err != nil {
		return fmt.Errorf("xrdblob: delete %s: %w", key, err)
	}
	defer c.close()
	if err := c.removeFile(ctx, b.objPath(key)); err != nil && !notFound(err) {
		// A directory (a prefix of other keys) is no object.
		if st, serr := c.stat(ctx, b.objPath(key)); serr != nil || !st.IsDir() {
			return fmt.Errorf("xrdblob: delete %s: %w", key, err)
		}
	}
	if err := c.removeFile(ctx, b.claimPath(key)+"/"+sumName); err != nil && !notFound(err) {
		return fmt.Errorf("xrdblob: delete %s: claim: %w", key, err)
	}
	if err := c.removeDir(ctx, b.claimPath(key)); err != nil && !notFound(err) {
		// Claims of longer keys below it keep the directory (and the key
		// taken: it is a directory of the object tree).
		if st, serr := c.stat(ctx, b.claimPath(key)); serr != nil || !st.IsDir() {
			return fmt.Errorf("xrdblob: delete %s: claim: %w", key, err)
		}
	}
	return nil
}
