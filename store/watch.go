package store

import (
	"context"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Watch returns a channel receiving every snapshot indexed after the
// call, until ctx is done or the store is closed (then the channel is
// closed). Sending never blocks the writer: a subscriber whose buffer is
// full misses the announcement (counted by Dropped).
func (s *Store) Watch(ctx context.Context) <-chan overwatch.SnapshotInfo {
	ch := make(chan overwatch.SnapshotInfo, s.opts.WatchBuffer)
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.closed {
		close(ch)
		return ch
	}
	s.watchers[ch] = struct{}{}
	go func() {
		select {
		case <-ctx.Done():
		case <-s.done:
		}
		s.watchMu.Lock()
		defer s.watchMu.Unlock()
		if _, ok := s.watchers[ch]; ok {
			delete(s.watchers, ch)
			close(ch)
		}
	}()
	return ch
}

// Dropped returns how many announcements were dropped because a Watch
// subscriber was not reading fast enough.
func (s *Store) Dropped() int64 { return s.dropped.Load() }

func (s *Store) announce(info overwatch.SnapshotInfo) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for ch := range s.watchers {
		select {
		case ch <- info:
		default:
			s.dropped.Add(1)
		}
	}
}

// poll announces the snapshots other processes index, until the store is
// closed. On PostgreSQL it listens for their notifications; on SQLite
// every Options.PollInterval one query on the snapshots' primary
// key asks for the rows after the last one seen (SQLite assigns the
// numbers in commit order, as its writers are serialised). Rows of this
// Store were announced when they were written and are skipped.
func (s *Store) poll() {
	defer close(s.polled)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.done
		cancel()
	}()
	if s.x.d.dollar {
		s.listen(ctx)
		return
	}
	last, err := s.x.maxSnapshotID(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("store: announcements of other processes unavailable", "err", err)
	}
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		s.watchMu.Lock()
		n := len(s.watchers)
		s.watchMu.Unlock()
		if n == 0 {
			// Nobody listens: only follow the sequence.
			if m, err := s.x.maxSnapshotID(ctx); err == nil {
				last = m
			}
			continue
		}
		for {
			infos, next, more, err := s.x.snapshotsAfter(ctx, last, s.writer, 512)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Debug("store: poll for snapshots of other processes", "err", err)
				}
				break
			}
			last = next
			for _, info := range infos {
				s.announce(info)
			}
			if !more {
				break
			}
		}
	}
}
