package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/overwatch-dqm/overwatch"
	bolt "go.etcd.io/bbolt"
)

// Alarm records are write-through documents: alarms/<OutName(ID)>.json is
// replaced atomically (and fsynced) before the index is updated. Open
// re-reads the documents, so the index always ends up equal to them.

func alarmFile(id string) string { return OutName(id) + ".json" }

// PutAlarm stores an alarm's state, replacing the previous one. An empty
// ID is set to Subsystem/Trend/Alarm.
func (s *Store) PutAlarm(ctx context.Context, a overwatch.AlarmRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a.ID == "" && a.Subsystem != "" && a.Trend != "" && a.Alarm != "" {
		a.ID = a.Subsystem + "/" + a.Trend + "/" + a.Alarm
	}
	if a.ID == "" || len(a.ID) > 1024 {
		return fmt.Errorf("store: put alarm: ID must be 1–1024 bytes (or Subsystem, Trend and Alarm set), got %q", a.ID)
	}
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("store: encode alarm %q: %w", a.ID, err)
	}
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	if err := mkdirs(s.dir, alarmsDir); err != nil {
		return err
	}
	if err := writeAtomic(s.abs(alarmsDir), alarmFile(a.ID), b, true); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bAlarms).Put([]byte(a.ID), b) })
}

// Alarm returns one alarm; the error wraps ErrNotFound when it is unknown.
func (s *Store) Alarm(ctx context.Context, id string) (overwatch.AlarmRecord, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.AlarmRecord{}, err
	}
	var a overwatch.AlarmRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bAlarms).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("store: alarm %q: %w", id, overwatch.ErrNotFound)
		}
		return json.Unmarshal(v, &a)
	})
	return a, err
}

// Alarms returns the alarms matching q, sorted by ID.
func (s *Store) Alarms(ctx context.Context, q overwatch.AlarmQuery) ([]overwatch.AlarmRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []overwatch.AlarmRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bAlarms).ForEach(func(k, v []byte) error {
			var a overwatch.AlarmRecord
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("store: index entry of alarm %q: %w", k, err)
			}
			if (q.Subsystem == "" || a.Subsystem == q.Subsystem) && (q.Trend == "" || a.Trend == q.Trend) &&
				(q.State == "" || a.State == q.State) {
				out = append(out, a)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// syncAlarms makes the alarm index equal to the alarm documents (and the
// event index equal to the alarm history journal) and returns their number. Unreadable documents are logged and skipped.
func syncAlarms(tx *bolt.Tx, dir string, opts Options, clean bool) (int, error) {
	ents, err := os.ReadDir(filepath.Join(dir, alarmsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("store: list alarms: %w", err)
	}
	docs := map[string][]byte{}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) {
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
		docs[a.ID] = b
	}
	bk := tx.Bucket(bAlarms)
	var stale [][]byte
	if err := bk.ForEach(func(k, _ []byte) error {
		if _, ok := docs[string(k)]; !ok {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, k := range stale {
		if err := bk.Delete(k); err != nil {
			return 0, err
		}
	}
	for id, b := range docs {
		if err := bk.Put([]byte(id), b); err != nil {
			return 0, err
		}
	}
	if err := syncAlarmEvents(tx, dir, opts, clean); err != nil {
		return 0, err
	}
	return len(docs), nil
}
