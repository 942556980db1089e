package store

// Where the original's store-related bugs (original-processing.md §10.1)
// are shown fixed:
//
//	 8  borrowing subsystems only at run creation  TestBugLateHLTCreatesBorrowingSubsystems
//	 9  dead "HLT exists, no new HLT files" branch TestBugBorrowFromExistingHLTWithoutNewFiles
//	10  lexicographic sorting of unpadded names    TestIngest, TestRebuildLegacyTree
//	11  DST rule, path-sensitive name parsing      TestWallTimeDST, TestFormatParseTimeRoundTrip,
//	                                               TestTimestampIgnoresDirectories
//	12  discovery by substring, temp files picked  TestIngest, TestParseReceiverName
//	25  "Run123_old" and empty subsystem folders   TestRebuildLegacyTree, TestParseRunDir
//	 6  (outputs of borrowing subsystems)          TestBorrowingSubsystemOutputsOwnNamespace

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The run dictionaries of original-processing.md §9.3 (run 123, mode C).
var (
	runDict = map[string][]string{
		"HLT": {"HLThists.2015_11_24_18_05_10.root", "HLThists.2015_11_24_18_09_12.root"},
		"EMC": {"EMChists.2015_11_24_18_05_12.root", "EMChists.2015_11_24_18_09_14.root"},
	}
	additionalRunDict = map[string][]string{
		"HLT": {"HLThists.2015_11_24_19_05_10.root", "HLThists.2015_11_24_19_09_12.root"},
		"EMC": {"EMChists.2015_11_24_19_05_11.root", "EMChists.2015_11_24_19_09_13.root"},
	}
	// The timestamps §9.3 states for those names.
	hltTimes = []int64{1448384710, 1448384952, 1448388310, 1448388552}
	emcTimes = []int64{1448384712, 1448384954, 1448388311, 1448388553}
)

// feed stores the moved names of the given subsystems (in the given order)
// through PutSnapshot, with the times their names carry.
func feed(t *testing.T, s *Store, dict map[string][]string, order ...string) {
	t.Helper()
	for _, sys := range order {
		for _, name := range dict[sys] {
			n, err := ParseMovedName(name)
			require.NoError(t, err)
			require.Equal(t, sys, n.Subsystem)
			info, err := s.PutSnapshot(context.Background(), overwatch.SnapshotMeta{
				Run: 123, Subsystem: sys, Mode: overwatch.ModeCompress, Time: n.Time, Origin: "test",
			}, strings.NewReader(name))
			require.NoError(t, err)
			require.Equal(t, "Run123/"+sys+"/"+name, info.Path, "the stored name is the moved name")
		}
	}
}

// checkSub checks a subsystem as §9.3's checkCreatedSubsystem does: its
// source, its snapshots' times and its start and end.
func checkSub(t *testing.T, s *Store, sys, source string, times []int64) {
	t.Helper()
	ctx := context.Background()
	r, err := s.RunInfo(ctx, 123)
	require.NoError(t, err)
	sub, ok := r.Subsystem(sys)
	require.True(t, ok, "subsystem %s exists", sys)
	assert.Equal(t, source, sub.FilesFrom, "%s source", sys)
	assert.Equal(t, len(times), sub.Snapshots, "%s snapshots", sys)
	assert.Equal(t, times[0], sub.Start.Unix(), "%s start", sys)
	assert.Equal(t, times[len(times)-1], sub.End.Unix(), "%s end", sys)
	assert.Equal(t, overwatch.SnapshotRef{Run: 123, Subsystem: source, Time: time.Unix(times[len(times)-1], 0).UTC()}, sub.Last)
	snaps, err := s.Snapshots(ctx, 123, sub.FilesFrom)
	require.NoError(t, err)
	var got []int64
	for _, sn := range snaps {
		got = append(got, sn.Time.Unix())
		assert.Equal(t, "Run123/"+source+"/"+FormatMovedName(source, sn.Time, 0), sn.Path)
	}
	assert.Equal(t, times, got, "%s snapshot times, oldest first", sys)
}

func subsystemNames(t *testing.T, s *Store) []string {
	t.Helper()
	r, err := s.RunInfo(context.Background(), 123)
	require.NoError(t, err)
	var names []string
	for _, sub := range r.Subsystems {
		names = append(names, sub.Name)
	}
	return names
}

// §9.3-1: one subsystem's files in an empty run.
func TestScenarioCreateOneSubsystem(t *testing.T) {
	t.Run("EMC", func(t *testing.T) {
		s := openTest(t, t.TempDir())
		feed(t, s, runDict, "EMC")
		assert.Equal(t, []string{"EMC"}, subsystemNames(t, s), "without HLT data nothing can borrow")
		checkSub(t, s, "EMC", "EMC", emcTimes[:2])
	})
	t.Run("HLT", func(t *testing.T) {
		s := openTest(t, t.TempDir())
		feed(t, s, runDict, "HLT")
		checkSub(t, s, "HLT", "HLT", hltTimes[:2])
	})
	t.Run("TPC", func(t *testing.T) {
		s := openTest(t, t.TempDir())
		feed(t, s, runDict, "HLT")
		checkSub(t, s, "TPC", "HLT", hltTimes[:2])
	})
}

// §9.3-2: all three created, then the additional files.
func TestScenarioExistingSubsystems(t *testing.T) {
	s := openTest(t, t.TempDir())
	feed(t, s, runDict, "HLT", "EMC")
	r, err := s.RunInfo(context.Background(), 123)
	require.NoError(t, err)
	assert.Equal(t, overwatch.ModeCompress, r.Mode)
	assert.Equal(t, []string{"EMC", "HLT", "TPC"}, subsystemNames(t, s), "TPC exists although it has no files of its own")
	checkSub(t, s, "TPC", "HLT", hltTimes[:2])
	feed(t, s, additionalRunDict, "HLT", "EMC")
	checkSub(t, s, "EMC", "EMC", emcTimes)
	checkSub(t, s, "HLT", "HLT", hltTimes)
	checkSub(t, s, "TPC", "HLT", hltTimes)
	r, err = s.RunInfo(context.Background(), 123)
	require.NoError(t, err)
	assert.Equal(t, int64(1448384710), r.Start.Unix())
	assert.Equal(t, int64(1448388553), r.End.Unix())
}

// §9.3-3: the additional files arrive one subsystem at a time.
func TestScenarioNewFileArrival(t *testing.T) {
	s := openTest(t, t.TempDir())
	feed(t, s, runDict, "EMC", "HLT")
	feed(t, s, additionalRunDict, "HLT")
	checkSub(t, s, "TPC", "HLT", hltTimes)
	checkSub(t, s, "EMC", "EMC", emcTimes[:2])
	feed(t, s, additionalRunDict, "EMC")
	checkSub(t, s, "EMC", "EMC", emcTimes)
	checkSub(t, s, "HLT", "HLT", hltTimes)
	checkSub(t, s, "TPC", "HLT", hltTimes)
}

// §9.3-4 (scenario 1A): HLT data first, so EMC borrows; its own files
// convert it.
func TestScenarioInitialFileArrival(t *testing.T) {
	s := openTest(t, t.TempDir())
	feed(t, s, runDict, "HLT")
	assert.Equal(t, []string{"EMC", "HLT", "TPC"}, subsystemNames(t, s))
	checkSub(t, s, "EMC", "HLT", hltTimes[:2])
	checkSub(t, s, "TPC", "HLT", hltTimes[:2])
	feed(t, s, runDict, "EMC")
	checkSub(t, s, "EMC", "EMC", emcTimes[:2])
	checkSub(t, s, "HLT", "HLT", hltTimes[:2])
	checkSub(t, s, "TPC", "HLT", hltTimes[:2])
	feed(t, s, additionalRunDict, "HLT")
	feed(t, s, additionalRunDict, "EMC")
	checkSub(t, s, "EMC", "EMC", emcTimes)
	checkSub(t, s, "HLT", "HLT", hltTimes)
	checkSub(t, s, "TPC", "HLT", hltTimes)
}

// Original bug §10.1-8: a subsystem depending on HLT appears whenever HLT
// data arrive, not only when the run is created.
func TestBugLateHLTCreatesBorrowingSubsystems(t *testing.T) {
	s := openTest(t, t.TempDir())
	feed(t, s, runDict, "EMC")
	assert.Equal(t, []string{"EMC"}, subsystemNames(t, s))
	feed(t, s, runDict, "HLT")
	assert.Equal(t, []string{"EMC", "HLT", "TPC"}, subsystemNames(t, s))
	checkSub(t, s, "TPC", "HLT", hltTimes[:2])
	checkSub(t, s, "EMC", "EMC", emcTimes[:2])
}

// Original bug §10.1-9: a borrowing subsystem is created from an existing
// HLT subsystem even when no new HLT files come (the original's dead,
// failing branch) — here a subsystem configured later, after the HLT
// data, with only EMC data arriving meanwhile.
func TestBugBorrowFromExistingHLTWithoutNewFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	feed(t, s, runDict, "HLT", "EMC")
	require.NoError(t, s.Close())
	s2, err := Open(dir, Options{Logger: quietLogger(), Subsystems: []string{"EMC", "HLT", "TPC", "ZDC"}})
	require.NoError(t, err)
	defer s2.Close()
	feed(t, s2, additionalRunDict, "EMC")
	assert.Equal(t, []string{"EMC", "HLT", "TPC", "ZDC"}, subsystemNames(t, s2))
	checkSub(t, s2, "ZDC", "HLT", hltTimes[:2])
}
