package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/overwatch-dqm/overwatch"
)

// A snapshot's accumulation (cumulative or reset, overwatch.Accumulation)
// cannot be carried by the file-name grammar. The store records it twice:
// in the index (column snapshots.accumulation) and, so that a rebuild from
// the files keeps it, in the sidecar Run<N>/<SYS>/subsystemInfo.yaml
// ("accumulation: reset"), written once, put-if-absent, by the first
// snapshot of the run and subsystem that declares one. Like the HLT mode
// of a run (runInfo.yaml), the first declaration wins: later snapshots of
// the run and subsystem take the sidecar's value, so that the index and a
// rebuilt index agree. A run and subsystem whose first snapshot declared
// nothing (an older receiver) keeps no sidecar and stays unset.

// subsystemInfoFile is the sidecar of a run's subsystem folder.
const subsystemInfoFile = "subsystemInfo.yaml"

// subsystemInfoMax bounds the sidecar read.
const subsystemInfoMax = 64 << 10

// parseSubsystemInfo reads the accumulation of a subsystemInfo.yaml
// document.
func parseSubsystemInfo(b []byte) (overwatch.Accumulation, error) {
	var doc struct {
		Accumulation string `yaml:"accumulation"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return overwatch.AccumulationUnset, err
	}
	return overwatch.ParseAccumulation(doc.Accumulation)
}

// ReadAccumulation reads the accumulation recorded for the snapshots of a
// Run<N>/<SYS> folder on disk (its subsystemInfo.yaml): unset when the
// folder has none. A replay of a data directory carries it over.
func ReadAccumulation(subsystemDir string) (overwatch.Accumulation, error) {
	return readSubsystemAccumulation(subsystemDir)
}

// readSubsystemAccumulation reads the sidecar of a subsystem folder on
// disk (a rebuild); unset when it does not exist.
func readSubsystemAccumulation(subDir string) (overwatch.Accumulation, error) {
	f, err := os.Open(filepath.Join(subDir, subsystemInfoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return overwatch.AccumulationUnset, nil
	}
	if err != nil {
		return overwatch.AccumulationUnset, fmt.Errorf("store: read %s: %w", subsystemInfoFile, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, subsystemInfoMax))
	if err != nil {
		return overwatch.AccumulationUnset, fmt.Errorf("store: read %s in %s: %w", subsystemInfoFile, subDir, err)
	}
	a, err := parseSubsystemInfo(b)
	if err != nil {
		return overwatch.AccumulationUnset, fmt.Errorf("store: %s in %s: %w", subsystemInfoFile, subDir, err)
	}
	return a, nil
}

// snapshotAccumulation returns the accumulation a new snapshot of (run,
// sys) is recorded with: the sidecar's when it exists; else declared,
// writing the sidecar, when the run and subsystem have no snapshot yet
// (known is false); else unset.
func (s *Store) snapshotAccumulation(ctx context.Context, run int, sys string, declared overwatch.Accumulation, known bool) (overwatch.Accumulation, error) {
	// Read each time, not cached: another process may delete the run
	// (retention) and a later one recreate it. The sidecar is a few
	// bytes beside a snapshot that is written and synced.
	key := snapshotDir(run, sys) + "/" + subsystemInfoFile
	b, ok, err := s.firstWins(ctx, key, subsystemInfoMax, func() (string, bool) {
		if declared == overwatch.AccumulationUnset || known {
			return "", false
		}
		return fmt.Sprintf("accumulation: %s\n", declared), true
	})
	if err != nil || !ok {
		return overwatch.AccumulationUnset, err
	}
	a, perr := parseSubsystemInfo(b)
	if perr != nil {
		s.log.Warn("store: unreadable subsystem info, accumulation left unset", "run", run, "subsystem", sys, "err", perr)
	}
	return a, nil
}
