package processing

import (
	"log/slog"

	"github.com/overwatch-dqm/overwatch"
)

// sumFiles sums reset-mode snapshots object by object (matched by path,
// ROOT's TH1::Add semantics). An object whose binning changed between
// snapshots restarts from the newer one, with a log line; objects that are
// not histograms keep their newest version.
func sumFiles(files []*overwatch.File, log *slog.Logger) *overwatch.File {
	out := &overwatch.File{}
	index := map[string]int{}
	for _, f := range files {
		out.Problems = append(out.Problems, f.Problems...)
		for _, e := range f.Entries {
			path := e.Path()
			i, seen := index[path]
			if !seen {
				index[path] = len(out.Entries)
				if h, ok := e.Object.(*overwatch.Hist); ok {
					e.Object = h.Clone()
				}
				out.Entries = append(out.Entries, e)
				continue
			}
			h, ok := e.Object.(*overwatch.Hist)
			acc, accOK := out.Entries[i].Object.(*overwatch.Hist)
			if !ok || !accOK {
				out.Entries[i] = e
				continue
			}
			if err := acc.Add(h, 1); err != nil {
				log.Warn("reset mode: histogram changed binning, restarting its sum", "hist", path, "err", err)
				out.Entries[i].Object = h.Clone()
			}
		}
	}
	return out
}
