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
	"strings"

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
	rows, err := e.QueryContext(ctx, "SELECT id FROM alarms")
	if err != nil {
		return nil, fmt.Errorf("store: list alarms: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: list alarms: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (x *db) alarms(ctx context.Context, q overwatch.AlarmQuery) ([]overwatch.AlarmRecord, error) {
	var where []string
	var args []any
	if q.Subsystem != "" {
		where, args = append(where, "sys = ?"), append(args, q.Subsystem)
	}
	if q.Trend != "" {
		where, args = append(where, "trend = ?"), append(args, q.Trend)
	}
	if q.State != "" {
		where, args = append(where, "state = ?"), append(args, string(q.State))
	}
	query := "SELECT id, doc FROM alarms"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := x.r.QueryContext(ctx, x.d.q(query+" ORDER BY id"), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list alarms: %w", err)
	}
	defer rows.Close()
	var out []overwatch.AlarmRecord
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, fmt.Errorf("store: list alarms: %w", err)
		}
		var a overwatch.AlarmRecord
		if err := json.Unmarshal([]byte(doc), &a); err != nil {
			return nil, fmt.Errorf("store: index entry of alarm %q: %w", id, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
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
	var where []string
	var args []any
	if q.AlarmID != "" {
		where, args = append(where, "alarm_id = ?"), append(args, q.AlarmID)
	}
	if q.Subsystem != "" {
		where, args = append(where, "sys = ?"), append(args, q.Subsystem)
	}
	if q.Run != 0 {
		where, args = append(where, "run = ?"), append(args, q.Run)
	}
	if !q.From.IsZero() {
		where, args = append(where, "t >= ?"), append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where, args = append(where, "t <= ?"), append(args, q.To.UnixNano())
	}
	query := "SELECT doc FROM alarm_events"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if q.Limit > 0 {
		query += " ORDER BY t DESC, id DESC LIMIT ?"
		args = append(args, q.Limit)
	} else {
		query += " ORDER BY t, id"
	}
	rows, err := x.r.QueryContext(ctx, x.d.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list alarm events: %w", err)
	}
	defer rows.Close()
	var out []overwatch.AlarmEvent
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("store: list alarm events: %w", err)
		}
		var ev overwatch.AlarmEvent
		if err := json.Unmarshal([]byte(doc), &ev); err != nil {
			return nil, fmt.Errorf("store: index entry of an alarm event: %w", err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list alarm events: %w", err)
	}
	if q.Limit > 0 {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}
