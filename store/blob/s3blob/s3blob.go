// Package s3blob is the blob.Bucket backend on an S3-compatible object
// store (AWS S3, MinIO, Ceph RGW, versitygw, …) through minio-go.
//
// Immutability: every Put is a single PUT with `If-None-Match: *`, so the
// server itself refuses to replace an object (412 → blob.ErrExist) and, of
// concurrent puts of one key, exactly one wins. Servers that ignore the
// condition replace objects silently; for them Config.StatBeforePut adds a
// Stat before the PUT, which refuses existing keys but leaves a race
// window: two writers that both Stat before either PUT completes both
// succeed and the last one's bytes stay. versitygw (posix backend, v1.8.0)
// and AWS S3 honour the condition.
//
// Atomicity: an S3 PUT is atomic (readers see the old state or the whole
// object). The body is spooled first (memory up to 8 MiB, a temporary file
// beyond), so its size and SHA-256 are known before anything is sent and a
// failing reader sends nothing. The SHA-256 is stored as the object's user
// metadata `x-amz-meta-sha256` and returned by Stat; List, which reads
// only the listing, leaves it empty. Objects are limited to 5 GiB (one PUT).
package s3blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/overwatch-dqm/overwatch/store/blob"
)

// Config addresses a bucket.
type Config struct {
	// Endpoint is host[:port] of the S3 API.
	Endpoint string
	// Bucket is the bucket name; it must exist.
	Bucket string
	// Prefix is prepended to every key (e.g. "overwatch/"), so that one
	// bucket can hold several stores; empty for none.
	Prefix string
	// Access and Secret are the credentials (from the environment or a
	// secret file, never a default).
	Access, Secret string
	// Region defaults to "us-east-1".
	Region string
	// Insecure uses plain HTTP instead of HTTPS.
	Insecure bool
	// StatBeforePut is for servers that ignore If-None-Match (see the
	// package documentation for the race window it leaves).
	StatBeforePut bool
	// TempDir holds bodies larger than 8 MiB while they are spooled
	// (default os.TempDir()).
	TempDir string
	// ListPage is the number of keys asked per listing request (default
	// 1000, the S3 maximum).
	ListPage int
}

// Bucket is a blob.Bucket on an S3 bucket (or a prefix of one).
type Bucket struct {
	c   *minio.Client
	cfg Config
}

var _ blob.Bucket = (*Bucket)(nil)

// maxObject is the largest object of one PUT.
const maxObject = 5 << 30

// memSpool is the largest body spooled in memory.
const memSpool = 8 << 20

// metaSHA is the user-metadata name of the SHA-256 (x-amz-meta-sha256).
const metaSHA = "Sha256"

// New returns the bucket of cfg; it does not contact the server.
func New(cfg Config) (*Bucket, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("s3blob: endpoint and bucket are required")
	}
	if cfg.Access == "" || cfg.Secret == "" {
		return nil, errors.New("s3blob: access key and secret are required")
	}
	if cfg.Prefix != "" && (!strings.HasSuffix(cfg.Prefix, "/") || !blob.ValidKey(strings.TrimSuffix(cfg.Prefix, "/"))) {
		return nil, fmt.Errorf("s3blob: prefix %q must be a valid key followed by /", cfg.Prefix)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.ListPage <= 0 || cfg.ListPage > 1000 {
		cfg.ListPage = 1000
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.Access, cfg.Secret, ""),
		Secure: !cfg.Insecure,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3blob: %w", err)
	}
	return &Bucket{c: c, cfg: cfg}, nil
}

// String names the bucket (no credentials).
func (b *Bucket) String() string {
	scheme := "s3"
	return fmt.Sprintf("%s://%s/%s/%s", scheme, b.cfg.Endpoint, b.cfg.Bucket, b.cfg.Prefix)
}

func (b *Bucket) name(key string) string { return b.cfg.Prefix + key }

// ctxReader fails once ctx is done, so that spooling a slow body stops.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// spool reads r into memory or a temporary file; it returns a reader of
// the body, its size, its SHA-256 and a cleanup.
func (b *Bucket) spool(ctx context.Context, r io.Reader) (io.ReadSeeker, int64, string, func(), error) {
	h := sha256.New()
	src := io.TeeReader(ctxReader{ctx, r}, h)
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, src, memSpool+1)
	if err != nil && err != io.EOF {
		return nil, 0, "", nil, err
	}
	if n <= memSpool {
		return bytes.NewReader(buf.Bytes()), n, hex.EncodeToString(h.Sum(nil)), func() {}, nil
	}
	f, err := os.CreateTemp(b.cfg.TempDir, "s3blob-*")
	if err != nil {
		return nil, 0, "", nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := f.Write(buf.Bytes()); err != nil {
		cleanup()
		return nil, 0, "", nil, err
	}
	m, err := io.Copy(f, io.LimitReader(src, maxObject))
	if err != nil {
		cleanup()
		return nil, 0, "", nil, err
	}
	n += m
	if n > maxObject {
		cleanup()
		return nil, 0, "", nil, fmt.Errorf("larger than %d bytes", maxObject)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, 0, "", nil, err
	}
	return f, n, hex.EncodeToString(h.Sum(nil)), cleanup, nil
}

// Put stores r under key unless the key holds an object.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader) (blob.Info, error) {
	if err := blob.CheckKey("put", key); err != nil {
		return blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("s3blob: put %s: %w", key, err)
	}
	body, size, sum, cleanup, err := b.spool(ctx, r)
	if err != nil {
		return blob.Info{}, fmt.Errorf("s3blob: put %s: reading: %w", key, err)
	}
	defer cleanup()
	if b.cfg.StatBeforePut {
		if _, err := b.Stat(ctx, key); err == nil {
			return blob.Info{}, fmt.Errorf("s3blob: put %s: %w", key, blob.ErrExist)
		} else if !errors.Is(err, blob.ErrNotExist) {
			return blob.Info{}, err
		}
	}
	opts := minio.PutObjectOptions{
		UserMetadata:     map[string]string{metaSHA: sum},
		ContentType:      "application/octet-stream",
		DisableMultipart: true,
	}
	opts.SetMatchETagExcept("*")
	// The body is read once more for the request: the context stops it.
	up, err := b.c.PutObject(ctx, b.cfg.Bucket, b.name(key), ctxReadSeeker{ctx, body}, size, opts)
	if err != nil {
		return blob.Info{}, b.putErr(ctx, key, err)
	}
	info := blob.Info{Key: key, Size: size, ModTime: up.LastModified, SHA256: sum}
	if info.ModTime.IsZero() {
		if st, err := b.Stat(ctx, key); err == nil {
			info.ModTime = st.ModTime
		}
	}
	return info, nil
}

// ctxReadSeeker is ctxReader keeping the Seek minio-go needs to retry.
type ctxReadSeeker struct {
	ctx context.Context
	r   io.ReadSeeker
}

func (c ctxReadSeeker) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (c ctxReadSeeker) Seek(off int64, whence int) (int64, error) { return c.r.Seek(off, whence) }

// putErr maps a PUT failure: a failed condition means the key exists.
func (b *Bucket) putErr(ctx context.Context, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.StatusCode == http.StatusPreconditionFailed || resp.Code == "PreconditionFailed":
		return fmt.Errorf("s3blob: put %s: %w", key, blob.ErrExist)
	case resp.StatusCode == http.StatusConflict:
		// A concurrent conditional write won the race (AWS answers 409
		// ConditionalRequestConflict); the key exists if the winner
		// completed.
		if _, serr := b.Stat(ctx, key); serr == nil {
			return fmt.Errorf("s3blob: put %s: %w", key, blob.ErrExist)
		}
	}
	return fmt.Errorf("s3blob: put %s: %w", key, err)
}

func (b *Bucket) notFound(err error) bool {
	resp := minio.ToErrorResponse(err)
	return resp.StatusCode == http.StatusNotFound || resp.Code == "NoSuchKey"
}

// Stat describes the object of key.
func (b *Bucket) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.CheckKey("stat", key); err != nil {
		return blob.Info{}, err
	}
	oi, err := b.c.StatObject(ctx, b.cfg.Bucket, b.name(key), minio.StatObjectOptions{})
	if err != nil {
		if b.notFound(err) {
			return blob.Info{}, fmt.Errorf("s3blob: stat %s: %w", key, blob.ErrNotExist)
		}
		return blob.Info{}, fmt.Errorf("s3blob: stat %s: %w", key, err)
	}
	if strings.HasSuffix(oi.Key, "/") {
		return blob.Info{}, fmt.Errorf("s3blob: stat %s: %w", key, blob.ErrNotExist)
	}
	sum := oi.UserMetadata[metaSHA]
	if sum == "" {
		sum = oi.Metadata.Get("X-Amz-Meta-Sha256")
	}
	return blob.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified, SHA256: strings.ToLower(sum)}, nil
}

// Open reads n bytes of the object from off (n < 0: to the end); reading
// at or past the end yields nothing.
func (b *Bucket) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := blob.CheckKey("open", key); err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("s3blob: open %s: negative offset %d", key, off)
	}
	if n == 0 {
		if _, err := b.Stat(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	opts := minio.GetObjectOptions{}
	if off > 0 || n > 0 {
		end := int64(-1)
		if n > 0 {
			end = off + n - 1
		}
		var err error
		if end >= 0 {
			err = opts.SetRange(off, end)
		} else {
			err = opts.SetRange(off, 0)
		}
		if err != nil {
			return nil, fmt.Errorf("s3blob: open %s: %w", key, err)
		}
	}
	core := minio.Core{Client: b.c}
	rc, _, _, err := core.GetObject(ctx, b.cfg.Bucket, b.name(key), opts)
	if err != nil {
		resp := minio.ToErrorResponse(err)
		if resp.StatusCode == http.StatusRequestedRangeNotSatisfiable || resp.Code == "InvalidRange" {
			// The object exists and is shorter than off.
			if _, serr := b.Stat(ctx, key); serr != nil {
				return nil, serr
			}
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		if b.notFound(err) {
			return nil, fmt.Errorf("s3blob: open %s: %w", key, blob.ErrNotExist)
		}
		return nil, fmt.Errorf("s3blob: open %s: %w", key, err)
	}
	return rc, nil
}

// List calls fn for the objects whose key starts with prefix, in lexical
// order (the order of S3 listings), page by page.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3blob: list %s: %w", prefix, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine when fn stops early
	for oi := range b.c.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{
		Prefix: b.name(prefix), Recursive: true, MaxKeys: b.cfg.ListPage,
	}) {
		if oi.Err != nil {
			return fmt.Errorf("s3blob: list %s: %w", prefix, oi.Err)
		}
		key := strings.TrimPrefix(oi.Key, b.cfg.Prefix)
		if !blob.ValidKey(key) || !strings.HasPrefix(key, prefix) {
			continue // directory markers and names we would never write
		}
		if err := fn(blob.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Delete removes the object of key; an absent key is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := blob.CheckKey("delete", key); err != nil {
		return err
	}
	if err := b.c.RemoveObject(ctx, b.cfg.Bucket, b.name(key), minio.RemoveObjectOptions{}); err != nil && !b.notFound(err) {
		return fmt.Errorf("s3blob: delete %s: %w", key, err)
	}
	return nil
}
