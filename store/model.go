package store

import (
	"sort"

	"github.com/overwatch-dqm/overwatch"
)

// The run model: the domain rules above the index engines. An engine
// stores only what the files say (runs, their mode, the snapshots of each
// receiver subsystem and their summaries); which subsystems a run shows
// and where their files come from is derived here, on read, for every
// engine alike. Output naming lives in layout.go (OutputPath, OutName).

// runInfo turns an index record into the public RunInfo: every subsystem
// with snapshots of its own, plus every configured subsystem without
// snapshots of its own that borrows the HLT receiver's files when the run
// has HLT snapshots (whenever they arrived — not only at run creation).
func (s *Store) runInfo(run int, r *runRecord) overwatch.RunInfo {
	info := overwatch.RunInfo{Number: run, Mode: r.Mode}
	mk := func(name, source string, sr *subRecord) overwatch.SubsystemInfo {
		return overwatch.SubsystemInfo{
			Run: run, Name: name, FilesFrom: source,
			Start: sr.First.time(), End: sr.Last.time(), Snapshots: sr.N,
			Last: overwatch.SnapshotRef{Run: run, Subsystem: source, Time: sr.Last.time(), Seq: sr.Last.Seq},
		}
	}
	first := true
	for name, sr := range r.Subs {
		info.Subsystems = append(info.Subsystems, mk(name, name, sr))
		if first || sr.First.time().Before(info.Start) {
			info.Start = sr.First.time()
		}
		if first || sr.Last.time().After(info.End) {
			info.End = sr.Last.time()
		}
		first = false
	}
	if hlt, ok := r.Subs[overwatch.HLTSubsystem]; ok {
		for _, name := range s.subsystems {
			if _, own := r.Subs[name]; !own {
				info.Subsystems = append(info.Subsystems, mk(name, overwatch.HLTSubsystem, hlt))
			}
		}
	}
	sort.Slice(info.Subsystems, func(i, j int) bool { return info.Subsystems[i].Name < info.Subsystems[j].Name })
	return info
}
