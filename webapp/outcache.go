package webapp

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/render"
	"github.com/overwatch-dqm/overwatch/store/bundle"
)

// outputCacheBytes bounds the memory of histogram outputs kept.
const outputCacheBytes = 128 << 20

// outputCache keeps histogram outputs in memory, tied to the version of
// their view: processing writes the view in the same bundle as the outputs
// it lists, so while the view's (bundle's) write time is unchanged the
// outputs are too, and a request needs one stat instead of a read.
type outputCache struct {
	mu    sync.Mutex
	m     map[overwatch.OutputRef]cachedOutput
	bytes int
}

type cachedOutput struct {
	view time.Time // write time of the view it was read under
	mod  time.Time // write time of the output
	etag string    // quoted content hash
	data []byte
}

func newOutputCache() *outputCache { return &outputCache{m: map[overwatch.OutputRef]cachedOutput{}} }

func (c *outputCache) get(ref overwatch.OutputRef, view time.Time) (cachedOutput, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.m[ref]
	if !ok || !o.view.Equal(view) {
		return cachedOutput{}, false
	}
	return o, true
}

func (c *outputCache) put(ref overwatch.OutputRef, o cachedOutput) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[ref]; ok {
		c.bytes -= len(old.data)
	}
	if c.bytes+len(o.data) > outputCacheBytes {
		clear(c.m)
		c.bytes = 0
	}
	c.m[ref] = o
	c.bytes += len(o.data)
}

// imageCacheBytes bounds the memory of the images rendered on demand.
const imageCacheBytes = 32 << 20

// imageCache renders histogram images on demand from their bundle's JSON
// and hints and keeps them, least recently used first out, under the
// bundle's identity and the histogram's name: a new bundle (a new
// snapshot) gives new keys, so a cached image is never stale. Concurrent
// first requests for one image render it once.
type imageCache struct {
	outs     *bundle.Outputs
	mu       sync.Mutex
	lru      *list.List // of *imageEntry, most recent first
	m        map[imageKey]*list.Element
	inflight map[imageKey]chan struct{}
	bytes    int
}

type imageKey struct {
	bundle string
	name   string
}

type imageEntry struct {
	key  imageKey
	etag string
	data []byte
}

func newImageCache(outs *bundle.Outputs) *imageCache {
	return &imageCache{outs: outs, lru: list.New(), m: map[imageKey]*list.Element{}, inflight: map[imageKey]chan struct{}{}}
}

// image returns the PNG of a histogram output reference (Kind
// OutputPNG): the bundle's own PNG member when processing rendered it
// eagerly, else one rendered from the bundle's JSON and hints. The error
// wraps overwatch.ErrNotFound when there is nothing to draw it from.
func (c *imageCache) image(ctx context.Context, ref overwatch.OutputRef) (cachedOutput, error) {
	b, err := c.outs.Open(ctx, ref.Run, ref.Subsystem, ref.Slice)
	if errors.Is(err, overwatch.ErrNotFound) {
		// A store processed before bundles: the stored PNG, if any.
		o, err := c.outs.Read(ctx, ref)
		return cachedOutput{mod: o.Time, etag: o.ETag, data: o.Data}, err
	}
	if err != nil {
		return cachedOutput{}, err
	}
	if data, e, err := b.Read(ctx, bundle.MemberName(overwatch.OutputPNG, ref.Name)); err == nil {
		return cachedOutput{mod: b.Info.Time, etag: e.ETag(), data: data}, nil
	} else if !errors.Is(err, overwatch.ErrNotFound) {
		return cachedOutput{}, err
	}
	k := imageKey{bundle: b.ID(), name: ref.Name}
	for {
		c.mu.Lock()
		if el, ok := c.m[k]; ok {
			c.lru.MoveToFront(el)
			e := el.Value.(*imageEntry)
			c.mu.Unlock()
			return cachedOutput{mod: b.Info.Time, etag: e.etag, data: e.data}, nil
		}
		wait, busy := c.inflight[k]
		if !busy {
			done := make(chan struct{})
			c.inflight[k] = done
			c.mu.Unlock()
			data, err := renderMember(ctx, b, ref.Name)
			c.mu.Lock()
			delete(c.inflight, k)
			close(done)
			if err != nil {
				c.mu.Unlock()
				return cachedOutput{}, err
			}
			sum := sha256.Sum256(data)
			e := &imageEntry{key: k, etag: `"` + hex.EncodeToString(sum[:]) + `"`, data: data}
			c.add(e)
			c.mu.Unlock()
			return cachedOutput{mod: b.Info.Time, etag: e.etag, data: data}, nil
		}
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return cachedOutput{}, ctx.Err()
		}
	}
}

// add inserts an entry, evicting the least recently used beyond the bound
// (c.mu held).
func (c *imageCache) add(e *imageEntry) {
	if len(e.data) > imageCacheBytes {
		return
	}
	c.m[e.key] = c.lru.PushFront(e)
	c.bytes += len(e.data)
	for c.bytes > imageCacheBytes {
		el := c.lru.Back()
		old := el.Value.(*imageEntry)
		c.lru.Remove(el)
		delete(c.m, old.key)
		c.bytes -= len(old.data)
	}
}

// renderMember renders the PNG of histogram name of a bundle from its
// JSON and hints members, as processing renders it with images on eager
// (same drawing, thumbnail size).
func renderMember(ctx context.Context, b *bundle.Bundle, name string) ([]byte, error) {
	hb, _, err := b.Read(ctx, bundle.MemberName(overwatch.OutputHints, name))
	if err != nil {
		return nil, err
	}
	var hints overwatch.Hints
	if err := json.Unmarshal(hb, &hints); err != nil {
		return nil, fmt.Errorf("webapp: hints of %s: %w", name, err)
	}
	js, _, err := b.Read(ctx, bundle.MemberName(overwatch.OutputJSON, name))
	if err != nil {
		return nil, err
	}
	if hints.Class == overwatch.StackClass {
		title, members, err := overwatch.DecodeJSONStack(js)
		if err != nil {
			return nil, fmt.Errorf("webapp: JSON of stack %s: %w", name, err)
		}
		return render.Stack(members, title, &hints.Display, render.Thumbnail)
	}
	h, err := overwatch.DecodeJSONHist(js)
	if err != nil {
		return nil, fmt.Errorf("webapp: JSON of %s: %w", name, err)
	}
	return render.Hist(h, &hints.Display, render.Thumbnail)
}
