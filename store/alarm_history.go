package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/overwatch-dqm/overwatch"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Alarm history: every event an UpdateAlarm returns is appended, one JSON
// line each and fsynced, to the journal alarms/history.jsonl before the
// alarm document is replaced and the index updated, all under the store's
// alarm lock (the lock PutAlarm takes too: an update never loses another).
// The index keeps the events in bAlarmEvents keyed by run and sequence
// number; reconcile (every Open) and rebuild replay the journal into it,
// dropping a torn last line left by a crash. A crash between the journal
// append and the document write keeps the event and the older document:
// the history says what was decided, the next update rewrites the state.

const alarmJournal = "history.jsonl"

// bAlarmEvents: run (8 bytes, big endian) | seq (8 bytes) → AlarmEvent JSON.
var bAlarmEvents = []byte("alarmEvents")

func eventKey(run int, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(max(run, 0)))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// UpdateAlarm atomically reads alarm id, lets fn change it and stores the
// changed record with the events fn returns (see overwatch.AlarmHistory).
// When fn changes nothing and returns no event nothing is written (so an
// unknown alarm that fn leaves alone is not created). Events get the
// alarm's ID, its Subsystem, Trend and Alarm when empty, and the current
// time when Time is zero.
func (s *Store) UpdateAlarm(ctx context.Context, id string, fn func(a *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error)) (overwatch.AlarmRecord, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.AlarmRecord{}, err
	}
	if id == "" || len(id) > 1024 {
		return overwatch.AlarmRecord{}, fmt.Errorf("store: update alarm: ID must be 1–1024 bytes, got %q", id)
	}
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	var before []byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		before = append([]byte(nil), tx.Bucket(bAlarms).Get([]byte(id))...)
		return nil
	}); err != nil {
		return overwatch.AlarmRecord{}, fmt.Errorf("store: read alarm %q: %w", id, err)
	}
	exists := len(before) > 0
	rec := overwatch.AlarmRecord{ID: id}
	if exists {
		if err := json.Unmarshal(before, &rec); err != nil {
			return overwatch.AlarmRecord{}, fmt.Errorf("store: index entry of alarm %q: %w", id, err)
		}
	} else {
		before, _ = json.Marshal(rec)
	}
	old := rec
	events, err := fn(&rec, exists)
	if err != nil {
		return old, err
	}
	rec.ID = id
	after, err := json.Marshal(rec)
	if err != nil {
		return old, fmt.Errorf("store: encode alarm %q: %w", id, err)
	}
	if len(events) == 0 && bytes.Equal(before, after) {
		return rec, nil
	}
	now := time.Now()
	lines := make([][]byte, len(events))
	var journal bytes.Buffer
	for i := range events {
		ev := &events[i]
		ev.AlarmID = id
		if ev.Subsystem == "" {
			ev.Subsystem = rec.Subsystem
		}
		if ev.Trend == "" {
			ev.Trend = rec.Trend
		}
		if ev.Alarm == "" {
			ev.Alarm = rec.Alarm
		}
		if ev.Time.IsZero() {
			ev.Time = now
		}
		if lines[i], err = json.Marshal(ev); err != nil {
			return old, fmt.Errorf("store: encode alarm event: %w", err)
		}
		journal.Write(lines[i])
		journal.WriteByte('\n')
	}
	if err := mkdirs(s.dir, alarmsDir); err != nil {
		return old, err
	}
	if journal.Len() > 0 {
		if err := appendSync(filepath.Join(s.abs(alarmsDir), alarmJournal), journal.Bytes()); err != nil {
			return old, fmt.Errorf("store: alarm history: %w", err)
		}
	}
	if !bytes.Equal(before, after) || !exists {
		if err := writeAtomic(s.abs(alarmsDir), alarmFile(id), after, true); err != nil {
			return old, err
		}
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bAlarms).Put([]byte(id), after); err != nil {
			return err
		}
		bk := tx.Bucket(bAlarmEvents)
		for i, ev := range events {
			seq, err := bk.NextSequence()
			if err != nil {
				return err
			}
			if err := bk.Put(eventKey(ev.Run, seq), lines[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return old, fmt.Errorf("store: index alarm %q: %w", id, err)
	}
	return rec, nil
}

// appendSync appends data to a file and fsyncs it.
func appendSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type seqEvent struct {
	seq uint64
	ev  overwatch.AlarmEvent
}

// AlarmEvents returns the alarm events matching q, oldest first (by time,
// then in the order they were stored); Limit > 0 keeps the newest Limit.
func (s *Store) AlarmEvents(ctx context.Context, q overwatch.AlarmEventQuery) ([]overwatch.AlarmEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var found []seqEvent
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAlarmEvents).Cursor()
		k, v := c.First()
		var prefix []byte
		if q.Run > 0 {
			prefix = eventKey(q.Run, 0)[:8]
			k, v = c.Seek(prefix)
		}
		for ; k != nil && (prefix == nil || bytes.HasPrefix(k, prefix)); k, v = c.Next() {
			var ev overwatch.AlarmEvent
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("store: index entry of alarm event: %w", err)
			}
			if (q.AlarmID == "" || ev.AlarmID == q.AlarmID) && (q.Subsystem == "" || ev.Subsystem == q.Subsystem) &&
				(q.From.IsZero() || !ev.Time.Before(q.From)) && (q.To.IsZero() || !ev.Time.After(q.To)) {
				found = append(found, seqEvent{binary.BigEndian.Uint64(k[8:]), ev})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(found, func(i, j int) bool {
		if !found[i].ev.Time.Equal(found[j].ev.Time) {
			return found[i].ev.Time.Before(found[j].ev.Time)
		}
		return found[i].seq < found[j].seq
	})
	if q.Limit > 0 && len(found) > q.Limit {
		found = found[len(found)-q.Limit:]
	}
	out := make([]overwatch.AlarmEvent, len(found))
	for i, f := range found {
		out[i] = f.ev
	}
	return out, nil
}

// syncAlarmEvents rebuilds the event index from the journal. A torn last
// line (a crash during an append) is dropped, and cut from the file when
// clean is set so that the next append starts on a fresh line; other
// unreadable lines are logged and skipped.
func syncAlarmEvents(tx *bolt.Tx, dir string, opts Options, clean bool) error {
	if err := tx.DeleteBucket(bAlarmEvents); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
		return err
	}
	bk, err := tx.CreateBucket(bAlarmEvents)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, alarmsDir, alarmJournal)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: read alarm history: %w", err)
	}
	good := len(data)
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		good = i + 1 // torn last line
		opts.Logger.Warn("store: torn last line of the alarm history dropped", "file", path, "bytes", len(data)-good)
		if clean {
			if err := os.Truncate(path, int64(good)); err != nil {
				return fmt.Errorf("store: repair alarm history: %w", err)
			}
		}
	}
	var seq uint64
	sc := bufio.NewScanner(bytes.NewReader(data[:good]))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var ev overwatch.AlarmEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.AlarmID == "" {
			opts.Logger.Warn("store: unreadable alarm history line skipped", "file", path, "err", err)
			continue
		}
		seq++
		if err := bk.Put(eventKey(ev.Run, seq), append([]byte(nil), sc.Bytes()...)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("store: read alarm history: %w", err)
	}
	return bk.SetSequence(seq)
}

// Check that Store implements the alarm history.
var _ overwatch.AlarmHistory = (*Store)(nil)
