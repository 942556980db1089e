package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// viewCache keeps decoded view documents, revalidated against the
// output's modification time on every use, so that the histogram
// endpoints (which check every name against the view) do not decode the
// view on each request.
type viewCache struct {
	store outputReader
	mu    sync.Mutex
	m     map[overwatch.OutputRef]cachedView
}

type cachedView struct {
	mod time.Time
	doc *overwatch.ViewDoc
}

func newViewCache(s outputReader) *viewCache {
	return &viewCache{store: s, m: map[overwatch.OutputRef]cachedView{}}
}

// get returns the view of (run, sys, slice) and when it was written. The
// error wraps overwatch.ErrNotFound when there is none.
func (c *viewCache) get(ctx context.Context, run int, sys, slice string) (*overwatch.ViewDoc, time.Time, error) {
	ref := overwatch.ViewRef(run, sys, slice)
	mod, err := c.store.OutputTime(ctx, ref)
	if err != nil {
		return nil, time.Time{}, err
	}
	c.mu.Lock()
	cv, ok := c.m[ref]
	c.mu.Unlock()
	if ok && cv.mod.Equal(mod) {
		return cv.doc, mod, nil
	}
	data, err := c.store.Output(ctx, ref)
	if err != nil {
		return nil, time.Time{}, err
	}
	doc := new(overwatch.ViewDoc)
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, time.Time{}, fmt.Errorf("webapp: view of Run%d/%s is not a valid view document: %w", run, sys, err)
	}
	c.mu.Lock()
	if len(c.m) > 4096 { // bound memory: views of old runs are rarely revisited
		clear(c.m)
	}
	c.m[ref] = cachedView{mod: mod, doc: doc}
	c.mu.Unlock()
	return doc, mod, nil
}
