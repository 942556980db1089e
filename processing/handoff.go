package processing

import (
	"sync"
	"sync/atomic"

	"github.com/overwatch-dqm/overwatch"
)

// DefaultHandoffFiles bounds the decoded snapshots a Handoff holds when
// NewHandoff is given 0.
const DefaultHandoffFiles = 8

// Handoff carries decoded snapshots from a receiver to the processor of the
// same process (serve, demo), so that a snapshot is decoded once: the
// receiver offers the objects it decoded and stored, the processor takes
// them instead of reading and decoding the stored file (which stays the
// durable record, read after a restart or by another process). It holds
// at most a bounded number of files, one per run and subsystem (a newer
// snapshot replaces an older one, which the processor's coalescing skips
// anyway); a file is taken once. It is safe for concurrent use.
type Handoff struct {
	mu    sync.Mutex
	max   int
	files map[overwatch.SnapshotRef]*overwatch.File
	order []overwatch.SnapshotRef // oldest offer first
	hits  atomic.Int64
}

// NewHandoff returns a hand-off holding at most max files
// (DefaultHandoffFiles when max ≤ 0).
func NewHandoff(max int) *Handoff {
	if max <= 0 {
		max = DefaultHandoffFiles
	}
	return &Handoff{max: max, files: map[overwatch.SnapshotRef]*overwatch.File{}}
}

// Offer hands over the decoded entries of a stored snapshot. The caller
// must not modify them afterwards.
func (h *Handoff) Offer(s overwatch.SnapshotInfo, entries []overwatch.Entry) {
	if h == nil || len(entries) == 0 {
		return
	}
	f := &overwatch.File{Entries: entries}
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.order[:0]
	for _, r := range h.order {
		if r.Run == s.Run && r.Subsystem == s.Subsystem {
			delete(h.files, r)
			continue
		}
		kept = append(kept, r)
	}
	h.order = kept
	for len(h.order) >= h.max {
		delete(h.files, h.order[0])
		h.order = h.order[1:]
	}
	h.files[s.SnapshotRef] = f
	h.order = append(h.order, s.SnapshotRef)
}

// take removes and returns the decoded file of ref, if offered.
func (h *Handoff) take(ref overwatch.SnapshotRef) (*overwatch.File, bool) {
	if h == nil {
		return nil, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.files[ref]
	if !ok {
		return nil, false
	}
	delete(h.files, ref)
	for i, r := range h.order {
		if r == ref {
			h.order = append(h.order[:i], h.order[i+1:]...)
			break
		}
	}
	h.hits.Add(1)
	return f, true
}

// Hits returns how many snapshots were taken from the hand-off instead of
// being decoded again.
func (h *Handoff) Hits() int64 { return h.hits.Load() }
