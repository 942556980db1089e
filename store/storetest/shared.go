package storetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// second opens the second handle of a Shared check, closed when the
// subtest ends, or skips without Options.Second.
func (su *suite) second(t *testing.T, s overwatch.Store) overwatch.Store {
	t.Helper()
	if su.o.Second == nil {
		t.Skip("no Options.Second")
	}
	b := su.o.Second(t, s)
	require.NotNil(t, b, "Second returned a nil store")
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close second store: %v", err)
		}
	})
	return b
}

func testSharedVisible(t *testing.T, su *suite) {
	a := su.store(t).S
	b := su.second(t, a)
	ctx := context.Background()
	info := put(t, a, 30, "HLT", overwatch.ModeCompress, t0, "from a")
	assert.Equal(t, "from a", string(read(t, b, info.SnapshotRef)))
	assert.Equal(t, []overwatch.SnapshotInfo{info}, snapshots(t, b, 30, "HLT"))
	assert.Equal(t, runInfo(t, a, 30), runInfo(t, b, 30))
	binfo := put(t, b, 30, "HLT", overwatch.ModeCompress, t0, "from b")
	assert.Equal(t, 1, binfo.Seq, "b sees a's Seq 0")
	assert.Equal(t, []overwatch.SnapshotInfo{info, binfo}, snapshots(t, a, 30, "HLT"))
	assert.Equal(t, 1, countRuns(t, b))

	ref := overwatch.OutputRef{Run: 30, Subsystem: "TPC", Name: "h", Kind: overwatch.OutputJSON}
	require.NoError(t, a.PutOutput(ctx, ref, []byte("v1")))
	got, err := b.Output(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, "v1", string(got))
	require.NoError(t, b.PutOutput(ctx, ref, []byte("v2")))
	got, err = a.Output(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, "v2", string(got), "a replacement through b is seen by a")

	require.NoError(t, b.PutTrendPoints(ctx, []overwatch.TrendPoint{{Subsystem: "HLT", Trend: "clusters", Run: 30, Time: t0, Value: 3}}))
	assert.Equal(t, []float64{3}, values(trendPoints(t, a, overwatch.TrendQuery{Subsystem: "HLT", Trend: "clusters"})))
	require.NoError(t, a.PutAlarm(ctx, overwatch.AlarmRecord{Subsystem: "HLT", Trend: "clusters", Alarm: "max", State: overwatch.AlarmFiring}))
	assert.Equal(t, overwatch.AlarmFiring, alarm(t, b, "HLT/clusters/max").State)
	assert.Equal(t, mustDump(t, a, dumpOptions()), mustDump(t, b, dumpOptions()))
}

func testSharedSameSecond(t *testing.T, su *suite) {
	a := su.store(t).S
	b := su.second(t, a)
	const each = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := map[overwatch.SnapshotRef]string{}
	for i, s := range []overwatch.Store{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				data := fmt.Sprintf("writer %d #%d", i, j)
				info, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 31, Subsystem: "HLT", Mode: overwatch.ModeCompress, Time: t0, Origin: origin}, strings.NewReader(data))
				if err != nil {
					t.Errorf("put: %v", err)
					return
				}
				ref := norm(info).SnapshotRef
				mu.Lock()
				if prev, dup := stored[ref]; dup {
					t.Errorf("%s given to %q and %q", ref, prev, data)
				}
				stored[ref] = data
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, stored, 4*each)
	for ref, data := range stored {
		assert.Equal(t, data, string(read(t, a, ref)))
		assert.Equal(t, data, string(read(t, b, ref)))
	}
	assert.Len(t, snapshots(t, b, 31, "HLT"), 4*each)
}

func testSharedWatch(t *testing.T, su *suite) {
	a := su.store(t).S
	b := su.second(t, a)
	w := b.Watch(context.Background())
	var want []overwatch.SnapshotInfo
	for i := 0; i < 3; i++ {
		want = append(want, put(t, a, 32, "EMC", overwatch.ModeCompress, at(i), content(32, "EMC", i, 0)))
	}
	var got []overwatch.SnapshotInfo
	for range want {
		got = append(got, recv(t, w))
	}
	assert.ElementsMatch(t, want, got, "b announces what a stored")
	put(t, a, 33, "EMC", overwatch.ModeReplay, t0, "replay")
	noAnnouncement(t, w, "replay snapshots are not announced")
}

func testSharedAlarmHistory(t *testing.T, su *suite) {
	a := su.store(t).S
	ha := su.history(t, a)
	b := su.second(t, a)
	hb := su.history(t, b)
	const id, each = "EMC/mean/count", 8
	var wg sync.WaitGroup
	for _, h := range []overwatch.AlarmHistory{ha, hb, ha, hb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, err := h.UpdateAlarm(context.Background(), id, func(r *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
					n := 0
					if exists {
						var err error
						if n, err = strconv.Atoi(r.Message); err != nil {
							return nil, err
						}
					}
					r.Subsystem, r.Trend, r.Alarm, r.State, r.Message = "EMC", "mean", "count", overwatch.AlarmFiring, strconv.Itoa(n+1)
					return []overwatch.AlarmEvent{event(id, 1, overwatch.AlarmEventFired, at(n), r.Message)}, nil
				})
				if err != nil {
					t.Errorf("update: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, strconv.Itoa(4*each), alarm(t, a, id).Message, "no update lost between the two handles")
	assert.Len(t, events(t, hb, overwatch.AlarmEventQuery{AlarmID: id}), 4*each)
}
