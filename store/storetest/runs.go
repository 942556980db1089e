package storetest

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func subsystemNames(r overwatch.RunInfo) []string {
	var names []string
	for _, s := range r.Subsystems {
		names = append(names, s.Name)
	}
	return names
}

func testRunInfo(t *testing.T, su *suite) {
	s := su.store(t).S
	put(t, s, 12, "EMC", overwatch.ModeCompress, at(10), "e0")
	put(t, s, 12, "EMC", overwatch.ModeCompress, at(70), "e1")
	e2 := put(t, s, 12, "EMC", overwatch.ModeCompress, at(70), "e2") // Seq 1
	put(t, s, 12, unconfigured, overwatch.ModeCompress, at(5), "z0")
	z1 := put(t, s, 12, unconfigured, overwatch.ModeCompress, at(90), "z1")
	put(t, s, 12, "EMC", overwatch.ModeCompress, at(20), "late, older") // arrives late

	r := runInfo(t, s, 12)
	assert.Equal(t, 12, r.Number)
	assert.Equal(t, overwatch.ModeCompress, r.Mode)
	assert.True(t, r.Start.Equal(at(5)), "start %v: first snapshot over all subsystems", r.Start)
	assert.True(t, r.End.Equal(at(90)), "end %v: last snapshot over all subsystems", r.End)
	assert.Equal(t, []string{"EMC", unconfigured}, subsystemNames(r), "no HLT snapshots: nothing borrows")
	assert.True(t, sort.StringsAreSorted(subsystemNames(r)))
	emc, _ := r.Subsystem("EMC")
	assert.Equal(t, overwatch.SubsystemInfo{
		Run: 12, Name: "EMC", FilesFrom: "EMC", Start: at(10), End: at(70), Snapshots: 4, Last: e2.SnapshotRef,
	}, emc)
	assert.False(t, emc.Borrows())
	z, _ := r.Subsystem(unconfigured)
	assert.Equal(t, overwatch.SubsystemInfo{
		Run: 12, Name: unconfigured, FilesFrom: unconfigured, Start: at(5), End: at(90), Snapshots: 2, Last: z1.SnapshotRef,
	}, z)
}

func testHLTBorrowing(t *testing.T, su *suite) {
	s := su.store(t).S
	var configured []string
	for _, c := range su.o.Subsystems {
		if c != overwatch.HLTSubsystem {
			configured = append(configured, c)
		}
	}
	check := func(r overwatch.RunInfo, sys, from string, start, end int, n int, last overwatch.SnapshotRef) {
		t.Helper()
		sub, ok := r.Subsystem(sys)
		require.True(t, ok, "run %d lists %s (%v)", r.Number, sys, subsystemNames(r))
		assert.Equal(t, overwatch.SubsystemInfo{
			Run: r.Number, Name: sys, FilesFrom: from, Start: at(start), End: at(end), Snapshots: n, Last: last,
		}, sub, "%s of run %d", sys, r.Number)
		assert.Equal(t, from != sys, sub.Borrows())
	}

	// Only EMC files: nothing to borrow.
	put(t, s, 20, "EMC", overwatch.ModeCompress, at(2), "emc")
	assert.Equal(t, []string{"EMC"}, subsystemNames(runInfo(t, s, 20)))

	// HLT files arrive later: every configured subsystem without files of
	// its own borrows them, at once.
	put(t, s, 20, "HLT", overwatch.ModeCompress, at(0), "hlt0")
	h1 := put(t, s, 20, "HLT", overwatch.ModeCompress, at(242), "hlt1")
	r := runInfo(t, s, 20)
	want := slices.Clone(su.o.Subsystems)
	slices.Sort(want)
	assert.Equal(t, want, subsystemNames(r))
	check(r, "HLT", "HLT", 0, 242, 2, h1.SnapshotRef)
	for _, c := range configured {
		if c != "EMC" {
			check(r, c, "HLT", 0, 242, 2, h1.SnapshotRef)
		}
	}
	check(r, "EMC", "EMC", 2, 2, 1, overwatch.SnapshotRef{Run: 20, Subsystem: "EMC", Time: at(2)})
	assert.Empty(t, snapshots(t, s, 20, "TPC"), "a borrowing subsystem has no snapshots of its own")

	// More HLT files: the borrowing follows.
	h2 := put(t, s, 20, "HLT", overwatch.ModeCompress, at(600), "hlt2")
	check(runInfo(t, s, 20), "TPC", "HLT", 0, 600, 3, h2.SnapshotRef)

	// TPC's own files convert it.
	tp := put(t, s, 20, "TPC", overwatch.ModeCompress, at(601), "tpc")
	r = runInfo(t, s, 20)
	check(r, "TPC", "TPC", 601, 601, 1, tp.SnapshotRef)
	check(r, "HLT", "HLT", 0, 600, 3, h2.SnapshotRef)
	assert.Equal(t, want, subsystemNames(r))

	// An unconfigured subsystem never borrows, but its own files list it.
	_, ok := r.Subsystem(unconfigured)
	assert.False(t, ok, "%s is not configured: it does not borrow", unconfigured)
	put(t, s, 20, unconfigured, overwatch.ModeCompress, at(3), "zdc")
	r = runInfo(t, s, 20)
	check(r, unconfigured, unconfigured, 3, 3, 1, overwatch.SnapshotRef{Run: 20, Subsystem: unconfigured, Time: at(3)})

	// A run of HLT files only: all configured subsystems borrow.
	only := put(t, s, 21, "HLT", overwatch.ModeCompress, at(0), "hlt")
	r = runInfo(t, s, 21)
	assert.Equal(t, want, subsystemNames(r))
	for _, c := range configured {
		check(r, c, "HLT", 0, 0, 1, only.SnapshotRef)
	}
	// Runs lists the same subsystems as RunInfo.
	runs, err := s.Runs(context.Background(), overwatch.RunQuery{})
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, r, normRun(runs[0]))
}

func numbers(runs []overwatch.RunInfo) []int {
	out := []int{}
	for _, r := range runs {
		out = append(out, r.Number)
	}
	return out
}

func listRuns(t *testing.T, s overwatch.Store, q overwatch.RunQuery) []int {
	t.Helper()
	runs, err := s.Runs(context.Background(), q)
	require.NoError(t, err, "%+v", q)
	return numbers(runs)
}

func testRunsNewestFirst(t *testing.T, su *suite) {
	s := su.store(t).S
	for i, run := range []int{30, 10, 300000, 20, 255, 1} {
		put(t, s, run, "EMC", overwatch.ModeCompress, at(i), "x")
	}
	assert.Equal(t, []int{300000, 255, 30, 20, 10, 1}, listRuns(t, s, overwatch.RunQuery{}))
	assert.Equal(t, []int{300000, 255}, listRuns(t, s, overwatch.RunQuery{Limit: 2}))
	assert.Equal(t, []int{20, 10, 1}, listRuns(t, s, overwatch.RunQuery{Before: 30}))
	assert.Equal(t, []int{30, 20}, listRuns(t, s, overwatch.RunQuery{Before: 254, Limit: 2}))
	assert.Equal(t, []int{}, listRuns(t, s, overwatch.RunQuery{Before: 1}))
	assert.Equal(t, 6, countRuns(t, s))
}

func testKeyset(t *testing.T, su *suite) {
	s := su.store(t).S
	n := su.o.Runs
	// Irregular numbers, created in a shuffled order.
	var all []int
	for i := 0; i < n; i++ {
		all = append(all, 1000+i*7+i%3*2)
	}
	order := slices.Clone(all)
	for i := range order { // deterministic shuffle
		j := (i*31 + 7) % len(order)
		order[i], order[j] = order[j], order[i]
	}
	for i, run := range order {
		put(t, s, run, "EMC", overwatch.ModeCompress, at(i), "x")
	}
	slices.Reverse(all) // newest first
	assert.Equal(t, n, countRuns(t, s))
	assert.Equal(t, all, listRuns(t, s, overwatch.RunQuery{}))
	for _, limit := range []int{1, 7, 50, n, n + 5} {
		var seen []int
		q := overwatch.RunQuery{Limit: limit}
		for pages := 0; ; pages++ {
			require.LessOrEqual(t, pages, n+1, "pagination does not end")
			runs, err := s.Runs(context.Background(), q)
			require.NoError(t, err)
			require.LessOrEqual(t, len(runs), limit)
			if len(runs) == 0 {
				break
			}
			for _, r := range runs[:min(2, len(runs))] {
				assert.Equal(t, runInfo(t, s, r.Number), normRun(r), "Runs and RunInfo agree on run %d", r.Number)
			}
			seen = append(seen, numbers(runs)...)
			q.Before = runs[len(runs)-1].Number
		}
		assert.Equal(t, all, seen, "pages of %d: every run once, in order", limit)
	}
	// Before need not be a run number; above every run lists from the newest.
	assert.Equal(t, all[3:6], listRuns(t, s, overwatch.RunQuery{Before: all[2] - 1, Limit: 3}))
	assert.Equal(t, all[:2], listRuns(t, s, overwatch.RunQuery{Before: all[0] + 1000, Limit: 2}))
}

func testNotFound(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	put(t, s, 1, "EMC", overwatch.ModeCompress, t0, "x")
	_, err := s.RunInfo(ctx, 42)
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "RunInfo of an unknown run")
	_, err = s.Snapshots(ctx, 42, "EMC")
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "Snapshots of an unknown run")
	_, err = s.OpenSnapshot(ctx, overwatch.SnapshotRef{Run: 42, Subsystem: "EMC", Time: t0})
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "OpenSnapshot of an unknown run")
	_, err = s.OpenSnapshot(ctx, overwatch.SnapshotRef{Run: 1, Subsystem: "EMC", Time: at(1)})
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "OpenSnapshot of an unknown time")
	_, err = s.OpenSnapshot(ctx, overwatch.SnapshotRef{Run: 1, Subsystem: "EMC", Time: t0, Seq: 1})
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "OpenSnapshot of an unknown Seq")
	_, err = s.OpenSnapshot(ctx, overwatch.SnapshotRef{Run: 1, Subsystem: "HLT", Time: t0})
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "OpenSnapshot of an unknown subsystem")
	ref := overwatch.OutputRef{Run: 1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON}
	_, err = s.Output(ctx, ref)
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "Output")
	_, err = s.OutputTime(ctx, ref)
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "OutputTime")
	_, err = s.Alarm(ctx, "EMC/mean/high")
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "Alarm")
}
