package processing

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/bundle"
)

// memStore is an in-memory overwatch.Store for unit tests of the pipeline
// logic (the real store has its own tests and is used by the end-to-end
// tests). Subsystems without snapshots of their own borrow HLT's.
type memStore struct {
	mu       sync.Mutex
	subs     []string
	snaps    map[string][]overwatch.SnapshotInfo // run/sys
	data     map[overwatch.SnapshotRef][]byte
	modes    map[int]overwatch.HLTMode
	outs     map[overwatch.OutputRef][]byte
	outTimes map[overwatch.OutputRef]time.Time
	watchers []chan overwatch.SnapshotInfo
	puts     int // PutOutput calls
	quar     []overwatch.SnapshotRef
	alarms   map[string]overwatch.AlarmRecord
	events   []overwatch.AlarmEvent
}

func newMemStore(subs ...string) *memStore {
	if len(subs) == 0 {
		subs = []string{"EMC", "TPC", "HLT"}
	}
	return &memStore{subs: subs, snaps: map[string][]overwatch.SnapshotInfo{}, data: map[overwatch.SnapshotRef][]byte{},
		modes: map[int]overwatch.HLTMode{}, outs: map[overwatch.OutputRef][]byte{}, outTimes: map[overwatch.OutputRef]time.Time{}}
}

func (m *memStore) PutSnapshot(ctx context.Context, meta overwatch.SnapshotMeta, r io.Reader) (overwatch.SnapshotInfo, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return overwatch.SnapshotInfo{}, err
	}
	m.mu.Lock()
	k := fmt.Sprintf("%d/%s", meta.Run, meta.Subsystem)
	ref := overwatch.SnapshotRef{Run: meta.Run, Subsystem: meta.Subsystem, Time: meta.Time.Truncate(time.Second)}
	for _, s := range m.snaps[k] {
		if s.Time.Equal(ref.Time) && s.Seq >= ref.Seq {
			ref.Seq = s.Seq + 1
		}
	}
	info := overwatch.SnapshotInfo{SnapshotRef: ref, Mode: meta.Mode, Origin: meta.Origin, Path: k + "/" + ref.String(), Size: int64(len(b)), Accumulation: meta.Accumulation}
	m.snaps[k] = append(m.snaps[k], info)
	sort.Slice(m.snaps[k], func(i, j int) bool { return m.snaps[k][i].SnapshotRef.Before(m.snaps[k][j].SnapshotRef) })
	m.data[ref] = b
	if _, ok := m.modes[meta.Run]; !ok {
		m.modes[meta.Run] = meta.Mode
	}
	ws := append([]chan overwatch.SnapshotInfo(nil), m.watchers...)
	m.mu.Unlock()
	for _, w := range ws {
		select {
		case w <- info:
		default:
		}
	}
	return info, nil
}

func (m *memStore) OpenSnapshot(ctx context.Context, ref overwatch.SnapshotRef) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.data[ref]
	if !ok {
		return nil, fmt.Errorf("snapshot %s: %w", ref, overwatch.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) Snapshots(ctx context.Context, run int, sys string) ([]overwatch.SnapshotInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]overwatch.SnapshotInfo(nil), m.snaps[fmt.Sprintf("%d/%s", run, sys)]...), nil
}

func (m *memStore) runInfo(run int) (overwatch.RunInfo, bool) {
	ri := overwatch.RunInfo{Number: run, Mode: m.modes[run]}
	hlt := m.snaps[fmt.Sprintf("%d/HLT", run)]
	for _, sys := range m.subs {
		src := sys
		own := m.snaps[fmt.Sprintf("%d/%s", run, sys)]
		if len(own) == 0 {
			if len(hlt) == 0 {
				continue
			}
			src, own = "HLT", hlt
		}
		ri.Subsystems = append(ri.Subsystems, overwatch.SubsystemInfo{Run: run, Name: sys, FilesFrom: src,
			Start: own[0].Time, End: own[len(own)-1].Time, Snapshots: len(own), Last: own[len(own)-1].SnapshotRef})
	}
	return ri, len(ri.Subsystems) > 0
}

func (m *memStore) Runs(ctx context.Context, q overwatch.RunQuery) ([]overwatch.RunInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var nums []int
	for r := range m.modes {
		if q.Before == 0 || r < q.Before {
			nums = append(nums, r)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(nums)))
	var out []overwatch.RunInfo
	for _, n := range nums {
		if ri, ok := m.runInfo(n); ok {
			out = append(out, ri)
		}
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

func (m *memStore) RunInfo(ctx context.Context, n int) (overwatch.RunInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ri, ok := m.runInfo(n)
	if !ok {
		return ri, fmt.Errorf("run %d: %w", n, overwatch.ErrNotFound)
	}
	return ri, nil
}

func (m *memStore) CountRuns(ctx context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.modes), nil
}

func (m *memStore) PutOutput(ctx context.Context, ref overwatch.OutputRef, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outs[ref] = append([]byte(nil), data...)
	m.outTimes[ref] = time.Now()
	m.puts++
	return nil
}

func (m *memStore) Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.outs[ref]
	if !ok {
		return nil, fmt.Errorf("output %+v: %w", ref, overwatch.ErrNotFound)
	}
	return b, nil
}

func (m *memStore) OutputTime(ctx context.Context, ref overwatch.OutputRef) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.outTimes[ref]
	if !ok {
		return t, overwatch.ErrNotFound
	}
	return t, nil
}

func (m *memStore) PutTrendPoints(context.Context, []overwatch.TrendPoint) error { return nil }
func (m *memStore) TrendPoints(context.Context, overwatch.TrendQuery) ([]overwatch.TrendPoint, error) {
	return nil, nil
}
func (m *memStore) Trends(context.Context, string) ([]string, error) { return nil, nil }

// Alarms: kept in memory, updated atomically under m.mu (the semantics of
// overwatch.AlarmHistory).
func (m *memStore) PutAlarm(_ context.Context, a overwatch.AlarmRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.alarms == nil {
		m.alarms = map[string]overwatch.AlarmRecord{}
	}
	m.alarms[a.ID] = a
	return nil
}

func (m *memStore) Alarm(_ context.Context, id string) (overwatch.AlarmRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.alarms[id]
	if !ok {
		return a, fmt.Errorf("alarm %s: %w", id, overwatch.ErrNotFound)
	}
	return a, nil
}

func (m *memStore) Alarms(_ context.Context, q overwatch.AlarmQuery) ([]overwatch.AlarmRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []overwatch.AlarmRecord
	for _, a := range m.alarms {
		if (q.Subsystem == "" || a.Subsystem == q.Subsystem) && (q.Trend == "" || a.Trend == q.Trend) && (q.State == "" || a.State == q.State) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memStore) UpdateAlarm(_ context.Context, id string, fn func(*overwatch.AlarmRecord, bool) ([]overwatch.AlarmEvent, error)) (overwatch.AlarmRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.alarms[id]
	if !ok {
		a = overwatch.AlarmRecord{ID: id}
	}
	old := a
	evs, err := fn(&a, ok)
	if err != nil {
		return old, err
	}
	a.ID = id
	if !ok && len(evs) == 0 && a == old {
		return a, nil
	}
	if m.alarms == nil {
		m.alarms = map[string]overwatch.AlarmRecord{}
	}
	m.alarms[id] = a
	for _, ev := range evs {
		ev.AlarmID = id
		if ev.Subsystem == "" {
			ev.Subsystem, ev.Trend, ev.Alarm = a.Subsystem, a.Trend, a.Alarm
		}
		m.events = append(m.events, ev)
	}
	return a, nil
}

func (m *memStore) AlarmEvents(_ context.Context, q overwatch.AlarmEventQuery) ([]overwatch.AlarmEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []overwatch.AlarmEvent
	for _, ev := range m.events {
		if (q.AlarmID == "" || ev.AlarmID == q.AlarmID) && (q.Subsystem == "" || ev.Subsystem == q.Subsystem) && (q.Run == 0 || ev.Run == q.Run) &&
			(q.From.IsZero() || !ev.Time.Before(q.From)) && (q.To.IsZero() || !ev.Time.After(q.To)) {
			out = append(out, ev)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[len(out)-q.Limit:]
	}
	return out, nil
}

var _ overwatch.AlarmHistory = (*memStore)(nil)

func (m *memStore) Watch(ctx context.Context) <-chan overwatch.SnapshotInfo {
	ch := make(chan overwatch.SnapshotInfo, 64)
	m.mu.Lock()
	m.watchers = append(m.watchers, ch)
	m.mu.Unlock()
	go func() {
		<-ctx.Done()
		m.mu.Lock()
		for i, w := range m.watchers {
			if w == ch {
				m.watchers = append(m.watchers[:i], m.watchers[i+1:]...)
				break
			}
		}
		m.mu.Unlock()
		close(ch)
	}()
	return ch
}

func (m *memStore) Close() error { return nil }

// QuarantineSnapshot removes a snapshot from the lists (Quarantiner).
func (m *memStore) QuarantineSnapshot(ctx context.Context, ref overwatch.SnapshotRef, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := fmt.Sprintf("%d/%s", ref.Run, ref.Subsystem)
	s := m.snaps[k]
	for i := range s {
		if s[i].SnapshotRef == ref {
			m.snaps[k] = append(s[:i:i], s[i+1:]...)
			break
		}
	}
	m.quar = append(m.quar, ref)
	return nil
}

// output reads an output through its bundle (nil when absent).
func (m *memStore) output(ref overwatch.OutputRef) []byte {
	b, _ := bundle.NewOutputs(m).Output(context.Background(), ref)
	return b
}

func (m *memStore) OpenOutput(ctx context.Context, ref overwatch.OutputRef, off, n int64) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.outs[ref]
	if !ok {
		return nil, fmt.Errorf("output %+v: %w", ref, overwatch.ErrNotFound)
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	b = b[off:]
	if n >= 0 && n < int64(len(b)) {
		b = b[:n]
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) OutputInfo(ctx context.Context, ref overwatch.OutputRef) (overwatch.OutputInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.outs[ref]
	if !ok {
		return overwatch.OutputInfo{}, fmt.Errorf("output %+v: %w", ref, overwatch.ErrNotFound)
	}
	return overwatch.OutputInfo{Size: int64(len(b)), Time: m.outTimes[ref]}, nil
}
