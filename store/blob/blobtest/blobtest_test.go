package blobtest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/blobtest"
)

// memBucket is the simplest correct Bucket: it checks that the suite
// passes on an implementation that keeps the contract (the backends'
// own tests check that it passes on them).
type memBucket struct {
	mu   sync.Mutex
	objs map[string]memObj
}

type memObj struct {
	data []byte
	info blob.Info
}

func newMem(*testing.T) blob.Bucket { return &memBucket{objs: map[string]memObj{}} }

// ctxReader fails reads once ctx is done.
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

func (m *memBucket) Put(ctx context.Context, key string, r io.Reader) (blob.Info, error) {
	if err := blob.CheckKey("put", key); err != nil {
		return blob.Info{}, err
	}
	p, err := io.ReadAll(ctxReader{ctx, r})
	if err != nil {
		return blob.Info{}, fmt.Errorf("mem: put %s: %w", key, err)
	}
	s := sha256.Sum256(p)
	info := blob.Info{Key: key, Size: int64(len(p)), ModTime: time.Now(), SHA256: hex.EncodeToString(s[:])}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; ok {
		return blob.Info{}, fmt.Errorf("mem: put %s: %w", key, blob.ErrExist)
	}
	m.objs[key] = memObj{p, info}
	return info, nil
}

func (m *memBucket) get(ctx context.Context, op, key string) (memObj, error) {
	if err := blob.CheckKey(op, key); err != nil {
		return memObj{}, err
	}
	if err := ctx.Err(); err != nil {
		return memObj{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[key]
	if !ok {
		return memObj{}, fmt.Errorf("mem: %s %s: %w", op, key, blob.ErrNotExist)
	}
	return o, nil
}

func (m *memBucket) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if off < 0 {
		return nil, fmt.Errorf("mem: open %s: negative offset", key)
	}
	o, err := m.get(ctx, "open", key)
	if err != nil {
		return nil, err
	}
	p := o.data[min(off, int64(len(o.data))):]
	if n >= 0 && n < int64(len(p)) {
		p = p[:n]
	}
	return io.NopCloser(bytes.NewReader(p)), nil
}

func (m *memBucket) Stat(ctx context.Context, key string) (blob.Info, error) {
	o, err := m.get(ctx, "stat", key)
	return o.info, err
}

func (m *memBucket) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	var infos []blob.Info
	for k, o := range m.objs {
		if strings.HasPrefix(k, prefix) {
			infos = append(infos, o.info)
		}
	}
	m.mu.Unlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Key < infos[j].Key })
	for _, i := range infos {
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}

func (m *memBucket) Delete(ctx context.Context, key string) error {
	if err := blob.CheckKey("delete", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
	return nil
}

func TestMemory(t *testing.T) {
	blobtest.Run(t, newMem)
}
