package dqm

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// quarantineTimeFormat prefixes quarantined files: names sort by age.
const quarantineTimeFormat = "20060102T150405.000000000"

func (s *Server) quarantineDir() string { return filepath.Join(s.cfg.DataDir, "quarantine", "dqm") }

// quarantine moves an invalid upload aside with a note of why, then
// evicts the oldest quarantined uploads beyond the bounds.
func (s *Server) quarantine(tmp, name string, cause error) string {
	dir := s.quarantineDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.log.Error("dqm: quarantine", "err", err)
		return ""
	}
	now := time.Now()
	dst := filepath.Join(dir, now.UTC().Format(quarantineTimeFormat)+"-"+name)
	if err := os.Rename(tmp, dst); err != nil {
		s.log.Error("dqm: quarantine", "err", err)
		return ""
	}
	s.quarantined.Add(1)
	_ = os.WriteFile(dst+".reason", []byte(cause.Error()+"\n"), 0o644)
	s.pruneQuarantine(now)
	return dst
}

// quarantined is one quarantined upload: its file and its ".reason" note.
type quarantined struct {
	paths []string
	size  int64
	time  time.Time
}

// pruneQuarantine evicts quarantined uploads older than QuarantineMaxAge,
// then the oldest until the total is within QuarantineMaxBytes, and
// records the total.
func (s *Server) pruneQuarantine(now time.Time) {
	s.quarantineMu.Lock()
	defer s.quarantineMu.Unlock()
	dir := s.quarantineDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.log.Error("dqm: listing the quarantine", "err", err)
		}
		s.quarantineBytes.Store(0)
		return
	}
	groups := map[string]*quarantined{}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		base := strings.TrimSuffix(e.Name(), ".reason")
		g := groups[base]
		if g == nil {
			g = &quarantined{time: info.ModTime()}
			if t, err := time.Parse(quarantineTimeFormat, strings.SplitN(base, "-", 2)[0]); err == nil {
				g.time = t
			}
			groups[base] = g
		}
		g.paths = append(g.paths, filepath.Join(dir, e.Name()))
		g.size += info.Size()
	}
	list := make([]*quarantined, 0, len(groups))
	var total int64
	for _, g := range groups {
		list = append(list, g)
		total += g.size
	}
	sort.Slice(list, func(i, j int) bool { return list[i].time.Before(list[j].time) })
	for _, g := range list {
		if total <= s.cfg.QuarantineMaxBytes && now.Sub(g.time) <= s.cfg.QuarantineMaxAge {
			break
		}
		for _, p := range g.paths {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				s.log.Error("dqm: evicting from the quarantine", "err", err)
			}
		}
		total -= g.size
		s.evicted.Add(1)
		s.log.Warn("dqm: quarantined upload evicted (quarantine bounds)", "file", filepath.Base(g.paths[0]),
			"bytes", g.size, "maxBytes", s.cfg.QuarantineMaxBytes, "maxAge", s.cfg.QuarantineMaxAge)
	}
	s.quarantineBytes.Store(total)
}

// removeStaleTemporaries deletes the temporary files of uploads that a
// crash interrupted.
func (s *Server) removeStaleTemporaries() {
	old, _ := filepath.Glob(filepath.Join(s.cfg.DataDir, "tmp", "dqm-upload-*"))
	for _, p := range old {
		_ = os.Remove(p)
	}
}
