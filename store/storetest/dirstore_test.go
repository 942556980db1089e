package storetest_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/storetest"
	"github.com/stretchr/testify/require"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openDir opens today's directory store on a fresh temporary directory.
func openDir(t *testing.T) overwatch.Store {
	s, err := store.Open(t.TempDir(), store.Options{Logger: quiet()})
	require.NoError(t, err)
	return s
}

func dirOf(t *testing.T, s overwatch.Store) string {
	t.Helper()
	switch s := s.(type) {
	case *store.Store:
		return s.Dir()
	case interface{ Unwrap() overwatch.Store }:
		return dirOf(t, s.Unwrap())
	}
	t.Fatalf("%T is not a directory store", s)
	return ""
}

// dirFiles lists the files of a directory store but its index and
// bookkeeping: the top-level overwatch.* files (the bbolt index; the
// SQLite index and its journals) and locks/ (process locks).
func dirFiles(t *testing.T, s overwatch.Store) []string {
	dir := dirOf(t, s)
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.Type().IsRegular() && !strings.HasPrefix(rel, "overwatch.") && !strings.HasPrefix(rel, "locks/") {
			out = append(out, rel)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func reopenDir(t *testing.T, s overwatch.Store) overwatch.Store {
	dir := dirOf(t, s)
	require.NoError(t, s.Close())
	s2, err := store.Open(dir, store.Options{Logger: quiet()})
	require.NoError(t, err)
	return s2
}

func rebuildDir(t *testing.T, s overwatch.Store) overwatch.Store {
	dir := dirOf(t, s)
	require.NoError(t, s.Close())
	_, err := store.Rebuild(context.Background(), dir, store.Options{Logger: quiet()})
	require.NoError(t, err)
	s2, err := store.Open(dir, store.Options{Logger: quiet()})
	require.NoError(t, err)
	return s2
}

// shared is a second handle on a store in this process (the directory
// store allows one per data directory): closing it leaves the store open.
// It embeds the concrete store so that the optional interfaces it
// implements (overwatch.DocumentStore, …) are seen through it too.
type shared struct{ *store.Store }

func (shared) Close() error { return nil }

func (s shared) Unwrap() overwatch.Store { return s.Store }

func secondDir(_ *testing.T, s overwatch.Store) overwatch.Store { return shared{s.(*store.Store)} }

var dirOptions = storetest.Options{
	Files:              dirFiles,
	Second:             secondDir,
	Reopen:             reopenDir,
	Rebuild:            rebuildDir,
	RebuildLosesOrigin: true, // the directory store keeps origins in its index only
}

// TestDirStore runs the suite on today's directory store (bbolt index).
// It does not implement overwatch.AlarmHistory yet, so those checks skip
// here and run in TestDirStoreWithHistory.
func TestDirStore(t *testing.T) {
	storetest.Run(t, openDir, dirOptions)
}

// historyStore adds a reference overwatch.AlarmHistory to the directory
// store for the suite's own test: a mutex makes UpdateAlarm atomic within
// the process and events are kept in memory. It is not an engine (events
// are lost on close): it shows that the AlarmHistory checks pass on a
// correct implementation and, in the mutants, fail on wrong ones.
type historyStore struct {
	*store.Store
	mu     sync.Mutex
	events []overwatch.AlarmEvent
	racy   bool // a mutant: read-modify-write without the lock
}

func (h *historyStore) Unwrap() overwatch.Store { return h.Store }

func (h *historyStore) UpdateAlarm(ctx context.Context, id string, fn func(*overwatch.AlarmRecord, bool) ([]overwatch.AlarmEvent, error)) (overwatch.AlarmRecord, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.AlarmRecord{}, err
	}
	if !h.racy {
		h.mu.Lock()
		defer h.mu.Unlock()
	}
	a, err := h.Alarm(ctx, id)
	exists := err == nil
	if err != nil {
		a = overwatch.AlarmRecord{ID: id}
	}
	if h.racy {
		runtime.Gosched() // widen the window between read and write
	}
	evs, err := fn(&a, exists)
	if err != nil {
		return overwatch.AlarmRecord{}, err
	}
	a.ID = id
	if err := h.PutAlarm(ctx, a); err != nil {
		return overwatch.AlarmRecord{}, err
	}
	if h.racy {
		h.mu.Lock()
		defer h.mu.Unlock()
	}
	h.events = append(h.events, evs...)
	return a, nil
}

func (h *historyStore) AlarmEvents(ctx context.Context, q overwatch.AlarmEventQuery) ([]overwatch.AlarmEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []overwatch.AlarmEvent
	for _, e := range h.events {
		if (q.AlarmID == "" || e.AlarmID == q.AlarmID) && (q.Subsystem == "" || e.Subsystem == q.Subsystem) &&
			(q.Run == 0 || e.Run == q.Run) && (q.From.IsZero() || !e.Time.Before(q.From)) && (q.To.IsZero() || !e.Time.After(q.To)) {
			out = append(out, e)
		}
	}
	// Stable by time: events of one update keep their order.
	sortEvents(out)
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[len(out)-q.Limit:]
	}
	return out, nil
}

// sharedHistory is a second handle on a historyStore.
type sharedHistory struct{ *historyStore }

func (sharedHistory) Close() error { return nil }

func openWithHistory(t *testing.T) overwatch.Store {
	return &historyStore{Store: openDir(t).(*store.Store)}
}

// TestDirStoreWithHistory runs the AlarmHistory checks on the reference
// implementation above (the others ran in TestDirStore).
func TestDirStoreWithHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) overwatch.Store {
		return openWithHistory(t)
	}, storetest.Options{AlarmHistory: true, Files: dirFiles, Runs: 12,
		Second: func(_ *testing.T, s overwatch.Store) overwatch.Store { return sharedHistory{s.(*historyStore)} }})
}

func sortEvents(evs []overwatch.AlarmEvent) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
}

// BenchmarkDirStore runs the engine benchmarks on the directory store.
func BenchmarkDirStore(b *testing.B) {
	storetest.Bench(b, func(tb testing.TB) overwatch.Store {
		s, err := store.Open(tb.TempDir(), store.Options{Logger: quiet()})
		if err != nil {
			tb.Fatal(err)
		}
		return s
	})
}
