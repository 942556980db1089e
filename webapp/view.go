package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// viewName is the OutputRef.Name of a subsystem's view document: the
// store keeps one view per (run, subsystem, slice) and wants it unnamed.
const viewName = ""

func viewRef(run int, sys, slice string) overwatch.OutputRef {
	return overwatch.OutputRef{Run: run, Subsystem: sys, Slice: slice, Name: viewName, Kind: overwatch.OutputView}
}

// viewDoc decodes the view document written by processing (the JSON of
// processing.ViewDoc; only the fields the web app uses).
type viewDoc struct {
	Run       int          `json:"run"`
	Subsystem string       `json:"subsystem"`
	Source    string       `json:"source"`
	Slice     string       `json:"slice,omitempty"`
	Snapshot  snapshotDoc  `json:"snapshot"`
	From      *snapshotDoc `json:"from,omitempty"`
	NEvents   float64      `json:"nEvents"`
	Options   string       `json:"options"`
	Groups    []viewGroup  `json:"groups"`
	Complete  bool         `json:"complete"`
}

type snapshotDoc struct {
	Time int64  `json:"time"`
	Seq  int    `json:"seq,omitempty"`
	Path string `json:"path,omitempty"`
}

type viewGroup struct {
	Title string     `json:"title"`
	Grid  bool       `json:"grid,omitempty"`
	Hists []viewHist `json:"hists"`
}

type viewHist struct {
	Name       string            `json:"name"`
	PrettyName string            `json:"prettyName"`
	Class      string            `json:"class"`
	Quality    overwatch.Quality `json:"quality"`
}

// hints decodes the display document of one histogram
// (processing.Hints).
type hints struct {
	Name           string               `json:"name"`
	PrettyName     string               `json:"prettyName"`
	Class          string               `json:"class"`
	Group          string               `json:"group"`
	Display        overwatch.Display    `json:"display"`
	Info           []overwatch.InfoItem `json:"info,omitempty"`
	Quality        overwatch.Quality    `json:"quality"`
	QualityReasons []string             `json:"qualityReasons,omitempty"`
}

// hist finds a histogram of the view and its group.
func (v *viewDoc) hist(name string) (viewHist, *viewGroup, bool) {
	for gi := range v.Groups {
		for _, h := range v.Groups[gi].Hists {
			if h.Name == name {
				return h, &v.Groups[gi], true
			}
		}
	}
	return viewHist{}, nil, false
}

// group finds a group by title.
func (v *viewDoc) group(title string) (*viewGroup, bool) {
	for gi := range v.Groups {
		if v.Groups[gi].Title == title {
			return &v.Groups[gi], true
		}
	}
	return nil, false
}

// viewCache keeps decoded view documents, revalidated against the
// output's modification time on every use, so that the histogram
// endpoints (which check every name against the view) do not decode the
// view on each request.
type viewCache struct {
	store overwatch.OutputStore
	mu    sync.Mutex
	m     map[overwatch.OutputRef]cachedView
}

type cachedView struct {
	mod time.Time
	doc *viewDoc
}

func newViewCache(s overwatch.OutputStore) *viewCache {
	return &viewCache{store: s, m: map[overwatch.OutputRef]cachedView{}}
}

// get returns the view of (run, sys, slice) and when it was written. The
// error wraps overwatch.ErrNotFound when there is none.
func (c *viewCache) get(ctx context.Context, run int, sys, slice string) (*viewDoc, time.Time, error) {
	ref := viewRef(run, sys, slice)
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
	doc := new(viewDoc)
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
