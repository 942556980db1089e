package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
)

// Alarm records are write-through documents: alarms/<OutName(ID)>.json is
// replaced atomically (and fsynced) inside the index transaction that
// stores the record, so the index and the documents agree; Open re-reads
// the documents. Alarm events are appended to the journal
// alarms/history.jsonl (fsynced) inside the same transaction; the index
// records how far the journal is indexed, like the trend journals. On a
// bucket that is not the data directory, each alarm write is instead one
// segment of the alarm journal on the bucket, holding the record and the
// events (journal_bucket.go).

func alarmFile(id string) string { return OutName(id) + ".json" }

const alarmEventsJournal = "history.jsonl" // the name of the bbolt store's history journal too: imported as it is

func alarmEventsRel() string { return alarmsDir + "/" + alarmEventsJournal }

// normAlarmID sets an empty ID to Subsystem/Trend/Alarm and checks it.
func normAlarmID(a *overwatch.AlarmRecord) error {
	if a.ID == "" && a.Subsystem != "" && a.Trend != "" && a.Alarm != "" {
		a.ID = a.Subsystem + "/" + a.Trend + "/" + a.Alarm
	}
	if a.ID == "" || len(a.ID) > 1024 {
		return fmt.Errorf("store: put alarm: ID must be 1–1024 bytes (or Subsystem, Trend and Alarm set), got %q", a.ID)
	}
	return nil
}

// PutAlarm stores an alarm's state, replacing the previous one. An empty
// ID is set to Subsystem/Trend/Alarm.
func (s *Store) PutAlarm(ctx context.Context, a overwatch.AlarmRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := normAlarmID(&a); err != nil {
		return err
	}
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	due := false
	err := s.x.tx(ctx, func(tx *sql.Tx) error {
		if err := s.x.lockAlarm(ctx, tx, a.ID); err != nil {
			return err
		}
		var err error
		due, err = s.writeAlarm(ctx, tx, a, nil)
		return err
	})
	if err == nil {
		s.compactAlarmsIfDue(ctx, due)
	}
	return err
}

// writeAlarm writes the document and the index row of a, and appends and
// indexes events, inside tx. On a bucket (journalsOnBucket) the record and
// the events are one segment of the alarm journal, and due reports that
// the journal should be compacted once tx is committed.
func (s *Store) writeAlarm(ctx context.Context, tx *sql.Tx, a overwatch.AlarmRecord, events []overwatch.AlarmEvent) (due bool, _ error) {
	b, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("store: encode alarm %q: %w", a.ID, err)
	}
	onBucket := s.journalsOnBucket()
	if !onBucket {
		if err := fsio.Mkdirs(s.dir, alarmsDir); err != nil {
			return false, err
		}
	}
	if len(events) > 0 || onBucket {
		lines := make([][]byte, 0, len(events))
		for i := range events {
			e := &events[i]
			e.AlarmID = a.ID
			if e.Subsystem == "" {
				e.Subsystem = a.Subsystem
			}
			if e.Trend == "" {
				e.Trend = a.Trend
			}
			if e.Alarm == "" {
				e.Alarm = a.Alarm
			}
			if e.Time.IsZero() {
				return false, fmt.Errorf("store: alarm %q: event %q without a time", a.ID, e.Kind)
			}
			l, err := json.Marshal(e)
			if err != nil {
				return false, fmt.Errorf("store: encode alarm event: %w", err)
			}
			lines = append(lines, l)
		}
		if onBucket {
			return s.writeAlarmSegment(ctx, tx, a, b, events, lines)
		}
		j, err := openLockedJournal(filepath.Join(s.abs(alarmsDir), alarmEventsJournal))
		if err != nil {
			return false, err
		}
		defer j.Close()
		var before int64
		if fi, err := j.f.Stat(); err == nil {
			before = fi.Size()
		}
		end, err := appendLocked(j.f, j.p, !j.exists, lines)
		if err != nil {
			return false, err
		}
		// Lines before ours that the index does not cover were appended by
		// a writer that died before its transaction committed: index them
		// (and ours) now, or the offset we record would pass over them.
		off, err := s.x.offset(ctx, tx, alarmEventsRel())
		if err != nil {
			return false, err
		}
		if off < before {
			if _, err := replayAlarmEvents(ctx, s.x, tx, s.dir, s.opts, false); err != nil {
				return false, err
			}
		}
		for i, e := range events {
			if err := s.x.putAlarmEvent(ctx, tx, e, lines[i]); err != nil {
				return false, err
			}
		}
		if err := s.x.putOffset(ctx, tx, alarmEventsRel(), end); err != nil {
			return false, err
		}
	}
	if err := fsio.WriteAtomic(s.abs(alarmsDir), alarmFile(a.ID), b, true); err != nil {
		return false, err
	}
	return false, s.x.putAlarm(ctx, tx, a, b)
}

// UpdateAlarm reads alarm id, lets fn change it and stores the record
// with the events fn returns, in one index transaction: on SQLite the
// transaction holds the database's write lock from its start, on
// PostgreSQL a transaction-scoped advisory lock of the alarm, so updates
// of the same alarm by any process never lose one another. fn must not
// call the store. An error from fn aborts the update and is returned; fn
// leaving an unknown alarm as it was (only its ID, no events) creates
// nothing.
func (s *Store) UpdateAlarm(ctx context.Context, id string, fn func(a *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error)) (overwatch.AlarmRecord, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.AlarmRecord{}, err
	}
	if id == "" || len(id) > 1024 {
		return overwatch.AlarmRecord{}, fmt.Errorf("store: update alarm: ID must be 1–1024 bytes, got %q", id)
	}
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	var out overwatch.AlarmRecord
	due := false
	err := s.x.tx(ctx, func(tx *sql.Tx) error {
		if err := s.x.lockAlarm(ctx, tx, id); err != nil {
			return err
		}
		a, exists, err := s.x.alarm(ctx, tx, id)
		if err != nil {
			return err
		}
		if !exists {
			a = overwatch.AlarmRecord{ID: id}
		}
		old := a
		events, err := fn(&a, exists)
		if err != nil {
			return err
		}
		if a.ID != id {
			return fmt.Errorf("store: update alarm %q: fn changed the ID to %q", id, a.ID)
		}
		if !exists && len(events) == 0 && a == (overwatch.AlarmRecord{ID: id}) {
			out = a // fn left an unknown alarm alone: nothing is created
			return nil
		}
		if exists && len(events) == 0 && a == old && s.journalsOnBucket() {
			out = a // nothing changed: no segment on the bucket
			return nil
		}
		if due, err = s.writeAlarm(ctx, tx, a, events); err != nil {
			return err
		}
		out = a
		return nil
	})
	if err == nil {
		s.compactAlarmsIfDue(ctx, due)
	}
	return out, err
}

// AlarmEvents returns the events matching q, oldest first (the newest
// q.Limit when it is positive).
func (s *Store) AlarmEvents(ctx context.Context, q overwatch.AlarmEventQuery) ([]overwatch.AlarmEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.x.alarmEvents(ctx, q)
}

// Alarm returns one alarm; the error wraps ErrNotFound when it is unknown.
func (s *Store) Alarm(ctx context.Context, id string) (overwatch.AlarmRecord, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.AlarmRecord{}, err
	}
	a, ok, err := s.x.alarm(ctx, s.x.r, id)
	if err != nil {
		return a, err
	}
	if !ok {
		return a, fmt.Errorf("store: alarm %q: %w", id, overwatch.ErrNotFound)
	}
	return a, nil
}

// Alarms returns the alarms matching q, sorted by ID.
func (s *Store) Alarms(ctx context.Context, q overwatch.AlarmQuery) ([]overwatch.AlarmRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.x.alarms(ctx, q)
}

// syncAlarms makes the alarm index equal to the alarm documents and
// returns their number. Unreadable documents are logged and skipped.
// clean removes temporary files.
func syncAlarms(ctx context.Context, x *db, tx execer, dir string, opts Options, clean bool) (int, error) {
	ents, err := os.ReadDir(filepath.Join(dir, alarmsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("store: list alarms: %w", err)
	}
	docs := map[string][]byte{}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, fsio.TmpPrefix) {
			if clean {
				_ = os.Remove(filepath.Join(dir, alarmsDir, name))
			}
			continue
		}
		if !strings.HasSuffix(name, ".json") || e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, alarmsDir, name))
		if err != nil {
			return 0, fmt.Errorf("store: read alarm %s: %w", name, err)
		}
		var a overwatch.AlarmRecord
		if err := json.Unmarshal(b, &a); err != nil || a.ID == "" || alarmFile(a.ID) != name {
			opts.Logger.Warn("store: unreadable alarm document skipped", "file", name, "err", err)
			continue
		}
		if err := x.putAlarm(ctx, tx, a, b); err != nil {
			return 0, err
		}
		docs[a.ID] = b
	}
	ids, err := x.alarmIDs(ctx, tx)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if _, ok := docs[id]; !ok {
			if _, err := tx.ExecContext(ctx, x.d.q("DELETE FROM alarms WHERE id = ?"), id); err != nil {
				return 0, fmt.Errorf("store: delete alarm %q from the index: %w", id, err)
			}
		}
	}
	return len(docs), nil
}

// replayAlarmEvents indexes the alarm-event journal past its recorded
// offset (from the start when full is set) and returns the number of
// events in the index afterwards.
func replayAlarmEvents(ctx context.Context, x *db, tx execer, dir string, opts Options, full bool) (int, error) {
	rel := alarmEventsRel()
	var off int64
	var err error
	if !full {
		if off, err = x.offset(ctx, tx, rel); err != nil {
			return 0, err
		}
	}
	var ierr error
	end, _, bad, err := replayJournal(filepath.Join(dir, filepath.FromSlash(rel)), off, func(line []byte) bool {
		var e overwatch.AlarmEvent
		if err := json.Unmarshal(line, &e); err != nil || e.AlarmID == "" {
			return false
		}
		if err := x.putAlarmEvent(ctx, tx, e, line); err != nil {
			ierr = err
			return false
		}
		return true
	})
	if err == nil {
		err = ierr
	}
	if err != nil {
		return 0, err
	}
	if bad > 0 {
		opts.Logger.Warn("store: skipped unreadable alarm event lines (torn by a crash?)", "journal", rel, "lines", bad)
	}
	if end >= 0 {
		if err := x.setOffset(ctx, tx, rel, end); err != nil {
			return 0, err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM alarm_events").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count alarm events: %w", err)
	}
	return n, nil
}
