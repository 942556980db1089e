package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// What the listing queries of the index share: a WHERE clause made of the
// fields a query sets, the order (the newest Limit rows, read backwards
// and returned oldest first), and the scanning of string and JSON
// document columns.

// filter collects the conditions of a listing query.
type filter struct {
	where []string
	args  []any
}

// eq adds "column = v" when set.
func (f *filter) eq(column string, v any, set bool) {
	if set {
		f.where, f.args = append(f.where, column+" = ?"), append(f.args, v)
	}
}

// timeRange adds the inclusive range [from, to] on column t in Unix
// nanoseconds; a zero bound is open.
func (f *filter) timeRange(from, to time.Time) {
	if !from.IsZero() {
		f.where, f.args = append(f.where, "t >= ?"), append(f.args, from.UnixNano())
	}
	if !to.IsZero() {
		f.where, f.args = append(f.where, "t <= ?"), append(f.args, to.UnixNano())
	}
}

// query returns selectFrom with the WHERE clause and the order: with a
// positive limit the newest limit rows by the columns of order, descending
// (the caller reverses them, see newestFirst), else all rows ascending.
func (f *filter) query(selectFrom string, order []string, limit int) (string, []any) {
	q := selectFrom
	if len(f.where) > 0 {
		q += " WHERE " + strings.Join(f.where, " AND ")
	}
	args := f.args
	if limit > 0 {
		return q + " ORDER BY " + strings.Join(order, " DESC, ") + " DESC LIMIT ?", append(args, limit)
	}
	return q + " ORDER BY " + strings.Join(order, ", "), args
}

// queryStrings runs a query of one string column.
func queryStrings(ctx context.Context, e execer, what, query string, args ...any) ([]string, error) {
	rows, err := e.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// queryDocs runs a query of (key, JSON document) columns and decodes the
// documents; kind names them in errors ("alarm", "alarm event").
func queryDocs[T any](ctx context.Context, e execer, kind, query string, args ...any) ([]T, error) {
	rows, err := e.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list %ss: %w", kind, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var key, doc string
		if err := rows.Scan(&key, &doc); err != nil {
			return nil, fmt.Errorf("store: list %ss: %w", kind, err)
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, fmt.Errorf("store: index entry of %s %q: %w", kind, key, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list %ss: %w", kind, err)
	}
	return out, nil
}
