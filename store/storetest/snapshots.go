package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testSnapshotRoundTrip(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	data := content(300005, "EMC", 0, 0)
	info, err := s.PutSnapshot(ctx, overwatch.SnapshotMeta{
		Run: 300005, Subsystem: "EMC", Mode: overwatch.ModeNoCompress, Time: t0.Add(700 * time.Millisecond), Origin: "dqm",
	}, strings.NewReader(data))
	require.NoError(t, err)
	info = norm(info)
	assert.Equal(t, overwatch.SnapshotRef{Run: 300005, Subsystem: "EMC", Time: t0, Seq: 0}, info.SnapshotRef, "time truncated to whole seconds")
	assert.Equal(t, overwatch.ModeNoCompress, info.Mode)
	assert.Equal(t, "dqm", info.Origin)
	assert.Equal(t, int64(len(data)), info.Size)
	assert.NotEmpty(t, info.Path)
	assert.Equal(t, data, string(read(t, s, info.SnapshotRef)))
	assert.Equal(t, []overwatch.SnapshotInfo{info}, snapshots(t, s, 300005, "EMC"))
	assert.Equal(t, 1, countRuns(t, s))
	r := runInfo(t, s, 300005)
	assert.Equal(t, overwatch.ModeNoCompress, r.Mode)

	// A file of a few MiB, streamed.
	big := make([]byte, 3<<20+17)
	_, _ = rand.Read(big)
	binfo, err := s.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 300005, Subsystem: "HLT", Mode: overwatch.ModeNoCompress, Time: at(1), Origin: "hlt"}, bytes.NewReader(big))
	require.NoError(t, err)
	assert.Equal(t, int64(len(big)), binfo.Size)
	got := read(t, s, binfo.SnapshotRef)
	assert.True(t, bytes.Equal(big, got), "3 MiB snapshot read back intact (%d bytes, want %d)", len(got), len(big))
}

func testSnapshotInvalid(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	before := su.files(t, s)
	for _, m := range []overwatch.SnapshotMeta{
		{Run: 0, Subsystem: "EMC", Mode: "C", Time: t0},
		{Run: -5, Subsystem: "EMC", Mode: "C", Time: t0},
		{Run: 1, Subsystem: "emc", Mode: "C", Time: t0},
		{Run: 1, Subsystem: "../x", Mode: "C", Time: t0},
		{Run: 1, Subsystem: "E", Mode: "C", Time: t0},
		{Run: 1, Subsystem: "EMCALORIMETER", Mode: "C", Time: t0},
		{Run: 1, Subsystem: "", Mode: "C", Time: t0},
		{Run: 1, Subsystem: "EMC", Mode: "Q", Time: t0},
	} {
		_, err := s.PutSnapshot(ctx, m, strings.NewReader("x"))
		assert.Error(t, err, "%+v", m)
	}
	assert.Zero(t, countRuns(t, s), "nothing stored")
	assert.Equal(t, before, su.files(t, s), "no file stored")
}

func testFailingReader(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	w := s.Watch(ctx)
	boom := errors.New("storetest: reader failed")
	before := su.files(t, s)
	meta := overwatch.SnapshotMeta{Run: 77, Subsystem: "EMC", Mode: overwatch.ModeCompress, Time: t0, Origin: origin}
	_, err := s.PutSnapshot(ctx, meta, &errReader{n: 100 << 10, err: boom})
	require.Error(t, err)
	assert.ErrorIs(t, err, boom, "the reader's error is wrapped")
	assert.Zero(t, countRuns(t, s), "no run")
	_, err = s.RunInfo(ctx, 77)
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "no run")
	_, err = s.OpenSnapshot(ctx, overwatch.SnapshotRef{Run: 77, Subsystem: "EMC", Time: t0})
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "no snapshot")
	assert.Equal(t, before, su.files(t, s), "no file left behind")
	noAnnouncement(t, w, "the put failed")

	// In an existing run: the run and its snapshots stay as they were.
	ok := put(t, s, 78, "EMC", overwatch.ModeCompress, t0, "kept")
	<-w
	r := runInfo(t, s, 78)
	before = su.files(t, s)
	for _, sys := range []string{"EMC", "HLT"} {
		meta := overwatch.SnapshotMeta{Run: 78, Subsystem: sys, Mode: overwatch.ModeCompress, Time: t0, Origin: origin}
		_, err = s.PutSnapshot(ctx, meta, &errReader{n: 10, err: boom})
		assert.ErrorIs(t, err, boom)
	}
	assert.Equal(t, r, runInfo(t, s, 78), "run unchanged")
	assert.Equal(t, []overwatch.SnapshotInfo{ok}, snapshots(t, s, 78, "EMC"))
	assert.Empty(t, snapshots(t, s, 78, "HLT"))
	assert.Equal(t, before, su.files(t, s), "no file left behind")
	noAnnouncement(t, w, "the puts failed")
	// The next put of the same second is the first one (Seq 0).
	again := put(t, s, 78, "HLT", overwatch.ModeCompress, t0, "after failures")
	assert.Equal(t, 0, again.Seq)
}

func testSameSecond(t *testing.T, su *suite) {
	s := su.store(t).S
	var infos []overwatch.SnapshotInfo
	paths := map[string]bool{}
	for i := 0; i < 3; i++ {
		info, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{
			Run: 5, Subsystem: "HLT", Mode: overwatch.ModeCompress, Time: t0.Add(time.Duration(i) * 300 * time.Millisecond), Origin: origin,
		}, strings.NewReader(content(5, "HLT", 0, i)))
		require.NoError(t, err, "a snapshot of the same second is never refused")
		require.NotErrorIs(t, err, overwatch.ErrExists)
		info = norm(info)
		assert.Equal(t, i, info.Seq)
		assert.True(t, info.Time.Equal(t0))
		assert.False(t, paths[info.Path], "distinct path %s", info.Path)
		paths[info.Path] = true
		infos = append(infos, info)
	}
	for i, info := range infos {
		assert.Equal(t, content(5, "HLT", 0, i), string(read(t, s, info.SnapshotRef)), "snapshot %d keeps its bytes (no overwrite)", i)
	}
	assert.Equal(t, infos, snapshots(t, s, 5, "HLT"))
	next := put(t, s, 5, "HLT", overwatch.ModeCompress, at(1), "next second")
	assert.Equal(t, 0, next.Seq, "a new second starts at Seq 0")
	other := put(t, s, 5, "EMC", overwatch.ModeCompress, t0, "other subsystem")
	assert.Equal(t, 0, other.Seq, "Seq counts per run and subsystem")
	r := runInfo(t, s, 5)
	hlt, ok := r.Subsystem("HLT")
	require.True(t, ok)
	assert.Equal(t, 4, hlt.Snapshots)
	assert.Equal(t, next.SnapshotRef, hlt.Last)
}

func testSnapshotOrder(t *testing.T, su *suite) {
	s := su.store(t).S
	// Put out of order; same-second pairs too.
	var want []overwatch.SnapshotInfo
	byKey := map[int][]overwatch.SnapshotInfo{}
	for _, sec := range []int{300, 5, 3600, 5, 0, 86400, 300, 59} {
		info := put(t, s, 9, "EMC", overwatch.ModeCompress, at(sec), content(9, "EMC", sec, len(byKey[sec])))
		byKey[sec] = append(byKey[sec], info)
	}
	put(t, s, 9, "HLT", overwatch.ModeCompress, at(1), "other subsystem")
	for _, sec := range []int{0, 5, 59, 300, 3600, 86400} {
		want = append(want, byKey[sec]...)
	}
	got := snapshots(t, s, 9, "EMC")
	assert.Equal(t, want, got, "oldest first, by time then Seq")
	for i := 1; i < len(got); i++ {
		assert.True(t, got[i-1].SnapshotRef.Before(got[i].SnapshotRef))
	}
	l, err := s.Snapshots(context.Background(), 9, "TPC")
	require.NoError(t, err, "known run, no snapshots of TPC")
	assert.Empty(t, l)
	l, err = s.Snapshots(context.Background(), 9, unconfigured)
	require.NoError(t, err)
	assert.Empty(t, l)
}

func testRunMode(t *testing.T, su *suite) {
	s := su.store(t).S
	put(t, s, 7, "HLT", overwatch.ModeCompress, t0, "a")
	info := put(t, s, 7, "EMC", overwatch.ModeNoCompress, at(2), "b")
	assert.Equal(t, overwatch.ModeCompress, info.Mode, "the run's mode (first snapshot) wins")
	assert.Equal(t, overwatch.ModeCompress, runInfo(t, s, 7).Mode)
	for _, sn := range snapshots(t, s, 7, "EMC") {
		assert.Equal(t, overwatch.ModeCompress, sn.Mode)
	}
	u := put(t, s, 8, "EMC", "", t0, "no mode")
	assert.Equal(t, overwatch.ModeUnknown, u.Mode, "an empty mode is U")
	assert.Equal(t, overwatch.ModeUnknown, runInfo(t, s, 8).Mode)
	l := put(t, s, 9, "EMC", "c", t0, "lower-case mode")
	assert.Equal(t, overwatch.ModeCompress, l.Mode, "modes are upper-cased")
}

func testReplay(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	w := s.Watch(ctx)
	info := put(t, s, 300005, "EMC", overwatch.ModeReplay, t0, "replay")
	assert.Equal(t, overwatch.ModeReplay, info.Mode)
	_, err := s.RunInfo(ctx, 300005)
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "a replay snapshot makes no run")
	assert.Zero(t, countRuns(t, s))
	runs, err := s.Runs(ctx, overwatch.RunQuery{})
	require.NoError(t, err)
	assert.Empty(t, runs)
	noAnnouncement(t, w, "replay snapshots are not announced")
	assert.Equal(t, "replay", string(read(t, s, info.SnapshotRef)), "a replay snapshot is stored")
}

// putAcc puts a snapshot that declares its accumulation.
func putAcc(t *testing.T, s overwatch.Store, run int, sys string, when time.Time, acc overwatch.Accumulation, data string) overwatch.SnapshotInfo {
	t.Helper()
	info, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{
		Run: run, Subsystem: sys, Mode: overwatch.ModeCompress, Time: when, Origin: origin, Accumulation: acc,
	}, strings.NewReader(data))
	require.NoError(t, err, "put snapshot run %d %s %v", run, sys, when)
	return norm(info)
}

func testAccumulation(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := s.Watch(ctx)
	r1 := putAcc(t, s, 40, "EMC", t0, overwatch.Reset, "r1")
	assert.Equal(t, overwatch.Reset, r1.Accumulation, "PutSnapshot returns the accumulation")
	assert.Equal(t, r1, norm(recv(t, w)), "the announcement carries it")
	r2 := putAcc(t, s, 40, "EMC", at(60), overwatch.Cumulative, "r2")
	assert.Equal(t, overwatch.Reset, r2.Accumulation, "the first snapshot of the run's subsystem fixes it")
	r3 := putAcc(t, s, 40, "EMC", at(120), overwatch.AccumulationUnset, "r3")
	assert.Equal(t, overwatch.Reset, r3.Accumulation, "a snapshot that declares none takes the subsystem's")
	c1 := putAcc(t, s, 40, "HLT", at(5), overwatch.Cumulative, "c1")
	assert.Equal(t, overwatch.Cumulative, c1.Accumulation, "another subsystem has its own")
	assert.Equal(t, []overwatch.SnapshotInfo{r1, r2, r3}, normAll(snapshots(t, s, 40, "EMC")))
	assert.Equal(t, []overwatch.SnapshotInfo{c1}, normAll(snapshots(t, s, 40, "HLT")))

	u1 := putAcc(t, s, 41, "EMC", t0, overwatch.AccumulationUnset, "u1")
	assert.Equal(t, overwatch.AccumulationUnset, u1.Accumulation)
	u2 := putAcc(t, s, 41, "EMC", at(60), overwatch.Reset, "u2")
	assert.Equal(t, overwatch.AccumulationUnset, u2.Accumulation, "a subsystem that started without one stays unset")
	assert.Equal(t, []overwatch.SnapshotInfo{u1, u2}, normAll(snapshots(t, s, 41, "EMC")))

	_, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 42, Subsystem: "EMC", Mode: overwatch.ModeCompress,
		Time: t0, Origin: origin, Accumulation: "sometimes"}, strings.NewReader("bad"))
	require.Error(t, err, "an unknown accumulation is rejected")
	_, err = s.RunInfo(context.Background(), 42)
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "nothing is stored")
}
