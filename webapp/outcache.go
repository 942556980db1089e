package webapp

import (
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// outputCacheBytes bounds the memory of histogram outputs kept.
const outputCacheBytes = 128 << 20

// outputCache keeps histogram outputs in memory, tied to the version of
// their view: processing writes a view after all the outputs it lists, so
// while the view's write time is unchanged the outputs are too, and a
// request needs one stat (of the view) instead of reading the output.
type outputCache struct {
	mu    sync.Mutex
	m     map[overwatch.OutputRef]cachedOutput
	bytes int
}

type cachedOutput struct {
	view time.Time // write time of the view it was read under
	mod  time.Time // write time of the output
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
