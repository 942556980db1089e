package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/overwatch-dqm/overwatch"
)

// event is one live-update announcement sent to the browsers.
//
// Type "snapshot": a snapshot was stored (Subsystem is the receiver's);
// "update": the outputs of (Run, Subsystem) were rewritten by processing —
// pages showing them redraw.
type event struct {
	Type      string `json:"type"`
	Run       int    `json:"run"`
	Subsystem string `json:"subsystem"`
	Time      int64  `json:"time"`
}

// hub fans live updates out to the open event streams. It learns of new
// snapshots from the store's Watch and of new outputs by polling the view
// documents' write times of the newest runs (which also covers processing
// running in another process).
type hub struct {
	store    Store
	interval time.Duration
	log      *slog.Logger

	mu   sync.Mutex
	subs map[chan event]struct{}
	seen map[overwatch.OutputRef]time.Time
	// outputs reads the views' write times (through their bundles); the
	// store when nil.
	outputs outputReader
	// onChange, when set, is called before announcing a new snapshot or
	// new outputs (the app drops its cached run listings).
	onChange func()
}

// newestRunsWatched is how many of the newest runs the hub polls.
const newestRunsWatched = 3

func newHub(s Store, interval time.Duration, log *slog.Logger) *hub {
	return &hub{store: s, interval: interval, log: log, subs: map[chan event]struct{}{},
		seen: map[overwatch.OutputRef]time.Time{}}
}

func (h *hub) subscribe() chan event {
	ch := make(chan event, 32)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *hub) unsubscribe(ch chan event) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

// publish sends e to every subscriber without blocking: a subscriber whose
// buffer is full misses it (the page's next update catches up).
func (h *hub) publish(e event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

func (h *hub) run(ctx context.Context) {
	watch := h.store.Watch(ctx)
	t := time.NewTicker(h.interval)
	defer t.Stop()
	h.poll(ctx, true)
	fast := 0 // after a snapshot, poll quickly for a while: processing follows
	for {
		select {
		case <-ctx.Done():
			h.mu.Lock()
			for ch := range h.subs {
				close(ch)
				delete(h.subs, ch)
			}
			h.mu.Unlock()
			return
		case s, ok := <-watch:
			if !ok {
				watch = nil
				continue
			}
			if h.onChange != nil {
				h.onChange()
			}
			h.publish(event{Type: "snapshot", Run: s.Run, Subsystem: s.Subsystem, Time: s.Time.Unix()})
			fast = 20
			t.Reset(min(h.interval, 250*time.Millisecond))
		case <-t.C:
			h.poll(ctx, false)
			if fast > 0 {
				if fast--; fast == 0 {
					t.Reset(h.interval)
				}
			}
		}
	}
}

// poll compares the write times of the newest runs' views with the last
// seen ones and publishes "update" events for those that changed.
func (h *hub) poll(ctx context.Context, first bool) {
	runs, err := h.store.Runs(ctx, overwatch.RunQuery{Limit: newestRunsWatched})
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("live updates: listing runs failed", "err", err)
		}
		return
	}
	for _, ri := range runs {
		for _, s := range ri.Subsystems {
			ref := overwatch.ViewRef(ri.Number, s.Name, "")
			var out outputReader = h.store
			if h.outputs != nil {
				out = h.outputs
			}
			mod, err := out.OutputTime(ctx, ref)
			if err != nil {
				continue
			}
			h.mu.Lock()
			old, known := h.seen[ref]
			h.seen[ref] = mod
			h.mu.Unlock()
			if !first && (!known || !old.Equal(mod)) {
				if h.onChange != nil {
					h.onChange()
				}
				h.publish(event{Type: "update", Run: ri.Number, Subsystem: s.Name, Time: mod.Unix()})
			}
		}
	}
}

// apiEvents streams live updates as server-sent events.
func (a *App) apiEvents(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ *session) error {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ch := a.hub.subscribe()
	defer a.hub.unsubscribe(ch)
	if _, err := fmt.Fprint(w, "retry: 3000\n: connected\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case e, ok := <-ch:
			if !ok {
				return nil
			}
			data, _ := json.Marshal(e)
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, data); err != nil {
				return nil
			}
		case <-keep.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
