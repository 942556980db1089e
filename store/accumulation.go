package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
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
	key := snapshotDir(run, sys) + "/" + subsystemInfoFile
	s.mu.Lock()
	a, ok := s.accumulations[key]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	for attempt := 0; attempt < 3; attempt++ {
		rc, err := s.bucket.Open(ctx, key, 0, subsystemInfoMax)
		if err == nil {
			b, rerr := io.ReadAll(rc)
			_ = rc.Close()
			if rerr != nil {
				return "", fmt.Errorf("store: read %s: %w", key, rerr)
			}
			a, perr := parseSubsystemInfo(b)
			if perr != nil {
				s.log.Warn("store: unreadable subsystem info, accumulation left unset", "run", run, "subsystem", sys, "err", perr)
			}
			s.rememberAccumulation(key, a)
			return a, nil
		}
		if !errors.Is(err, blob.ErrNotExist) {
			return "", fmt.Errorf("store: read %s: %w", key, err)
		}
		if declared == overwatch.AccumulationUnset || known {
			return overwatch.AccumulationUnset, nil
		}
		_, err = s.bucket.Put(ctx, key, strings.NewReader(fmt.Sprintf("accumulation: %s\n", declared)))
		if err == nil {
			s.rememberAccumulation(key, declared)
			return declared, nil
		}
		if !errors.Is(err, blob.ErrExist) { // ErrExist: another process was first
			return "", fmt.Errorf("store: write %s: %w", key, err)
		}
	}
	return "", fmt.Errorf("store: %s: cannot read or write it", key)
}

// rememberAccumulation caches a sidecar's value (sidecars are never
// rewritten); the cache is emptied when it holds many run folders.
func (s *Store) rememberAccumulation(key string, a overwatch.Accumulation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.accumulations) >= 4096 {
		clear(s.accumulations)
	}
	s.accumulations[key] = a
}
