package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// The trend queries of the SQL index. NaN is stored as NULL with a flag
// (SQLite has no NaN), so that every engine returns exactly the value
// stored; ±Inf are ordinary values on both engines.

const (
	nanValue = 1 << iota
	nanError
)

func nanFlags(l trendLine) (v, e any, flags int) {
	v, e = float64(l.Value), float64(l.Error)
	if math.IsNaN(float64(l.Value)) {
		v, flags = nil, flags|nanValue
	}
	if math.IsNaN(float64(l.Error)) {
		e, flags = nil, flags|nanError
	}
	return v, e, flags
}

const upsertTrend = `INSERT INTO trend_points (sys, trend, t, seq, run, value, err, nan) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (sys, trend, t, seq) DO UPDATE SET run = excluded.run, value = excluded.value, err = excluded.err, nan = excluded.nan`

const insertTrendName = "INSERT INTO trend_names (sys, trend) VALUES (?, ?) ON CONFLICT (sys, trend) DO NOTHING"

// trendWriter stores trend points in one transaction with statements
// prepared once (preparing is most of the cost of a small insert).
type trendWriter struct {
	point, name *sql.Stmt
	names       map[[2]string]bool
}

func (x *db) newTrendWriter(ctx context.Context, tx *sql.Tx) (*trendWriter, error) {
	p, err := tx.PrepareContext(ctx, x.d.q(upsertTrend))
	if err != nil {
		return nil, fmt.Errorf("store: index trend points: %w", err)
	}
	n, err := tx.PrepareContext(ctx, x.d.q(insertTrendName))
	if err != nil {
		_ = p.Close()
		return nil, fmt.Errorf("store: index trend points: %w", err)
	}
	return &trendWriter{point: p, name: n, names: map[[2]string]bool{}}, nil
}

func (w *trendWriter) close() {
	_ = w.point.Close()
	_ = w.name.Close()
}

// put stores one point (replacing the point of the same identity) and
// its trend's name.
func (w *trendWriter) put(ctx context.Context, l trendLine) error {
	v, er, flags := nanFlags(l)
	if _, err := w.point.ExecContext(ctx, l.Subsystem, l.Trend, l.T, l.Seq, l.Run, v, er, flags); err != nil {
		return fmt.Errorf("store: index trend point: %w", err)
	}
	if k := [2]string{l.Subsystem, l.Trend}; !w.names[k] {
		if _, err := w.name.ExecContext(ctx, l.Subsystem, l.Trend); err != nil {
			return fmt.Errorf("store: index trend point: %w", err)
		}
		w.names[k] = true
	}
	return nil
}

// putOffset records how far a journal is indexed; it never moves back
// (another process may have indexed further).
func (x *db) putOffset(ctx context.Context, e execer, rel string, off int64) error {
	_, err := e.ExecContext(ctx, x.d.q(`INSERT INTO journals (path, off) VALUES (?, ?)
		ON CONFLICT (path) DO UPDATE SET off = CASE WHEN excluded.off > journals.off THEN excluded.off ELSE journals.off END`), rel, off)
	if err != nil {
		return fmt.Errorf("store: index journal offset: %w", err)
	}
	return nil
}

// setOffset records a journal's offset exactly (after a rewrite).
func (x *db) setOffset(ctx context.Context, e execer, rel string, off int64) error {
	_, err := e.ExecContext(ctx, x.d.q(`INSERT INTO journals (path, off) VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET off = excluded.off`), rel, off)
	if err != nil {
		return fmt.Errorf("store: index journal offset: %w", err)
	}
	return nil
}

// offset returns how far a journal is indexed (0 when unknown).
func (x *db) offset(ctx context.Context, e execer, rel string) (int64, error) {
	var off int64
	err := e.QueryRowContext(ctx, x.d.q("SELECT off FROM journals WHERE path = ?"), rel).Scan(&off)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: read journal offset: %w", err)
	}
	return off, nil
}

const trendColumns = "sys, trend, run, t, seq, value, err, nan"

func scanTrend(sc interface{ Scan(...any) error }) (trendLine, error) {
	var l trendLine
	var v, e sql.NullFloat64
	var flags int
	if err := sc.Scan(&l.Subsystem, &l.Trend, &l.Run, &l.T, &l.Seq, &v, &e, &flags); err != nil {
		return l, err
	}
	l.Value, l.Error = jfloat(v.Float64), jfloat(e.Float64)
	if flags&nanValue != 0 {
		l.Value = jfloat(math.NaN())
	}
	if flags&nanError != 0 {
		l.Error = jfloat(math.NaN())
	}
	return l, nil
}

// trendLines runs a trend query and calls fn for every line.
func (x *db) trendLines(ctx context.Context, e execer, query string, args []any, fn func(trendLine) error) error {
	rows, err := e.QueryContext(ctx, x.d.q(query), args...)
	if err != nil {
		return fmt.Errorf("store: query trend points: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanTrend(rows)
		if err != nil {
			return fmt.Errorf("store: query trend points: %w", err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: query trend points: %w", err)
	}
	return nil
}

// trendPoints answers a TrendQuery: the WHERE clause is built from the
// fields set, so that a series query is a range scan of the primary key
// (subsystem, trend, time, seq) and a Limit reads only the newest rows.
func (x *db) trendPoints(ctx context.Context, q overwatch.TrendQuery) ([]overwatch.TrendPoint, error) {
	var f filter
	f.eq("sys", q.Subsystem, q.Subsystem != "")
	f.eq("trend", q.Trend, q.Trend != "")
	f.eq("run", q.Run, q.Run != 0)
	if q.RunFrom != 0 {
		f.where, f.args = append(f.where, "run >= ?"), append(f.args, q.RunFrom)
	}
	if q.RunTo != 0 {
		f.where, f.args = append(f.where, "run <= ?"), append(f.args, q.RunTo)
	}
	f.timeRange(q.From, q.To)
	series := q.Subsystem != "" && q.Trend != ""
	selectFrom := "SELECT " + trendColumns + " FROM trend_points"
	if series {
		// One series: the subsystem and trend are known, and each
		// column less is an allocation less per point.
		selectFrom = "SELECT run, t, seq, value, err, nan FROM trend_points"
	}
	query, args := f.query(selectFrom, []string{"t", "sys", "trend", "seq"}, q.Limit)
	var out []overwatch.TrendPoint
	var err error
	if series {
		out, err = x.seriesPoints(ctx, query, args, q.Subsystem, q.Trend)
	} else {
		err = x.trendLines(ctx, x.r, query, args, func(l trendLine) error {
			out = append(out, l.point())
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	if q.Limit > 0 {
		slices.Reverse(out) // the newest Limit, oldest first
	}
	return out, nil
}

// trendNames lists the trends of a subsystem, sorted bytewise.
func (x *db) trendNames(ctx context.Context, sys string) ([]string, error) {
	return queryStrings(ctx, x.r, "list trends", x.d.q("SELECT trend FROM trend_names WHERE sys = ? ORDER BY trend"), sys)
}

// seriesPoints runs a query of one series's (run, t, seq, value, err,
// nan) columns.
func (x *db) seriesPoints(ctx context.Context, query string, args []any, sys, trend string) ([]overwatch.TrendPoint, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: query trend points: %w", err)
	}
	defer rows.Close()
	var out []overwatch.TrendPoint
	for rows.Next() {
		p := overwatch.TrendPoint{Subsystem: sys, Trend: trend}
		var t int64
		var v, e sql.NullFloat64
		var flags int
		if err := rows.Scan(&p.Run, &t, &p.Seq, &v, &e, &flags); err != nil {
			return nil, fmt.Errorf("store: query trend points: %w", err)
		}
		p.Time = time.Unix(0, t).UTC()
		p.Value, p.Error = v.Float64, e.Float64
		if flags&nanValue != 0 {
			p.Value = math.NaN()
		}
		if flags&nanError != 0 {
			p.Error = math.NaN()
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: query trend points: %w", err)
	}
	return out, nil
}
