package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/overwatch-dqm/overwatch"
)

// The alarm queries of the SQL index. A record is kept as its JSON
// document plus the columns that queries select on.

// lockAlarm serialises the transactions that update one alarm. SQLite
// write transactions start with the database's write lock (BEGIN
// IMMEDIATE), which already excludes every other writer; PostgreSQL
// takes a transaction-scoped advisory lock of the alarm's ID (the row may
// not exist yet, so a row lock cannot do it).
func (x *db) lockAlarm(ctx context.Context, tx *sql.Tx, id string) error {
	if !x.d.dollar {
		return nil
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("store: lock alarm %q: %w", id, err)
	}
	return nil
}

func (x *db) alarm(ctx context.Context, e execer, id string) (overwatch.AlarmRecord, bool, error) {
	var a overwatch.AlarmRecord
	var doc string
	err := e.QueryRowContext(ctx, x.d.q("SELECT doc FROM alarms WHERE id = ?"), id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("store: read alarm %q: %w", id, err)
	}
	if err := json.Unmarshal([]byte(doc), &a); err != nil {
		return a, false, fmt.Errorf("store: index entry of alarm %q: %w", id, err)
	}
	return a, true, nil
}

func (x *db) putAlarm(ctx context.Context, e execer, a overwatch.AlarmRecord, doc []byte) error {
	_, err := e.ExecContext(ctx, x.d.q(`INSERT INTO alarms (id, sys, trend, state, doc) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET sys = excluded.sys, trend = excluded.trend, state = excluded.state, doc = excluded.doc`),
		a.ID, a.Subsystem, a.Trend, string(a.State), string(doc))
	if err != nil {
		return fmt.Errorf("store: index alarm %q: %w", a.ID, err)
	}
	return nil
}

func (x *db) alarmIDs(ctx context.Context, e execer) ([]string, error) {
	return queryStrings(ctx, e, "list alarms", "SELECT id FROM alarms")
}

func (x *db) alarms(ctx context.Context, q overwatch.AlarmQuery) ([]overwatch.AlarmRecord, error) {
	var f filter
	f.eq("sys", q.Subsystem, q.Subsystem != "")
	f.eq("trend", q.Trend, q.Trend != "")
	f.eq("state", string(q.State), q.State != "")
	query, args := f.query("SELECT id, doc FROM alarms", []string{"id"}, 0)
	return queryDocs[overwatch.AlarmRecord](ctx, x.r, "alarm", x.d.q(query), args...)
}

// putAlarmEvent indexes one event with its journal line; the same line
// indexed twice (a replay) is kept once.
func (x *db) putAlarmEvent(ctx context.Context, e execer, ev overwatch.AlarmEvent, line []byte) error {
	sum := sha256.Sum256(line)
	_, err := e.ExecContext(ctx, x.d.q(`INSERT INTO alarm_events (alarm_id, sys, run, t, h, doc) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (h) DO NOTHING`), ev.AlarmID, ev.Subsystem, ev.Run, ev.Time.UnixNano(), hex.EncodeToString(sum[:]), string(line))
	if err != nil {
		return fmt.Errorf("store: index alarm event: %w", err)
	}
	return nil
}

func (x *db) alarmEvents(ctx context.Context, q overwatch.AlarmEventQuery) ([]overwatch.AlarmEvent, error) {
	var f filter
	f.eq("alarm_id", q.AlarmID, q.AlarmID != "")
	f.eq("sys", q.Subsystem, q.Subsystem != "")
	f.eq("run", q.Run, q.Run != 0)
	f.timeRange(q.From, q.To)
	query, args := f.query("SELECT h, doc FROM alarm_events", []string{"t", "id"}, q.Limit)
	out, err := queryDocs[overwatch.AlarmEvent](ctx, x.r, "alarm event", x.d.q(query), args...)
	if err != nil {
		return nil, err
	}
	if q.Limit > 0 {
		slices.Reverse(out) // the newest Limit, oldest first
	}
	return out, nil
}
