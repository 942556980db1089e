package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// The SQL side of outputs on a bucket (outputs_bucket.go): the table
// outputs, one row per output path pointing at its current object, and
// output_garbage, the objects to delete (superseded versions, and the
// intents of writes under way) with the time they became garbage.

// prefixRange returns the bounds [lo, hi) of the paths starting with
// prefix, which ends with '/' ('0' is the byte after '/').
func prefixRange(prefix string) (lo, hi string) {
	return prefix, prefix[:len(prefix)-1] + "0"
}

func (x *db) outputRow(ctx context.Context, e execer, rel string) (outputRow, bool, error) {
	var r outputRow
	err := e.QueryRowContext(ctx, x.d.q("SELECT objkey, size, sha256, mtime FROM outputs WHERE path = ?"), rel).Scan(&r.Key, &r.Size, &r.SHA256, &r.MTime)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("store: read output %s from the index: %w", rel, err)
	}
	return r, true, nil
}

func (x *db) addOutputGarbage(ctx context.Context, e execer, key string, t int64) error {
	_, err := e.ExecContext(ctx, x.d.q("INSERT INTO output_garbage (objkey, t) VALUES (?, ?) ON CONFLICT (objkey) DO NOTHING"), key, t)
	if err != nil {
		return fmt.Errorf("store: record output object %s as garbage: %w", key, err)
	}
	return nil
}

// setOutputRow points the row of rel at row.Key unless it points at a
// greater (newer) key already, clears the intent of row.Key when it
// became (or was) current, and records the superseded key as garbage of
// time now.
func (x *db) setOutputRow(ctx context.Context, tx *sql.Tx, rel string, row outputRow, now int64) error {
	wrap := func(err error) error { return fmt.Errorf("store: index output %s: %w", rel, err) }
	for attempt := 0; attempt < 3; attempt++ {
		res, err := tx.ExecContext(ctx, x.d.q("INSERT INTO outputs (path, objkey, size, sha256, mtime) VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO NOTHING"),
			rel, row.Key, row.Size, row.SHA256, row.MTime)
		if err != nil {
			return wrap(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return wrap(err)
		} else if n == 1 {
			return x.dropOutputGarbage(ctx, tx, []string{row.Key})
		}
		// The path has a row: lock it (a concurrent writer's transaction
		// commits first on PostgreSQL; SQLite's write lock is the
		// database's), then read it.
		if _, err := tx.ExecContext(ctx, x.d.q("UPDATE outputs SET mtime = mtime WHERE path = ?"), rel); err != nil {
			return wrap(err)
		}
		cur, ok, err := x.outputRow(ctx, tx, rel)
		if err != nil {
			return err
		}
		if !ok {
			continue // deleted meanwhile (DeleteRun): insert again
		}
		switch {
		case cur.Key > row.Key:
			// A newer version is current: ours stays garbage (its
			// intent), never read by anyone.
			return nil
		case cur.Key < row.Key:
			if _, err := tx.ExecContext(ctx, x.d.q("UPDATE outputs SET objkey = ?, size = ?, sha256 = ?, mtime = ? WHERE path = ?"),
				row.Key, row.Size, row.SHA256, row.MTime, rel); err != nil {
				return wrap(err)
			}
			if err := x.addOutputGarbage(ctx, tx, cur.Key, now); err != nil {
				return err
			}
		}
		return x.dropOutputGarbage(ctx, tx, []string{row.Key})
	}
	return wrap(errors.New("its row keeps disappearing"))
}

// insertOutputRow indexes an output in a rebuild (the greater key wins
// should a path come twice).
func (x *db) insertOutputRow(ctx context.Context, e execer, rel string, row outputRow) error {
	_, err := e.ExecContext(ctx, x.d.q(`INSERT INTO outputs (path, objkey, size, sha256, mtime) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET objkey = excluded.objkey, size = excluded.size, sha256 = excluded.sha256, mtime = excluded.mtime
		WHERE outputs.objkey < excluded.objkey`), rel, row.Key, row.Size, row.SHA256, row.MTime)
	if err != nil {
		return fmt.Errorf("store: index output %s: %w", rel, err)
	}
	return nil
}

// outputGarbage returns at most limit garbage keys older than before,
// oldest first.
func (x *db) outputGarbage(ctx context.Context, before int64, limit int) ([]string, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT objkey FROM output_garbage WHERE t < ? ORDER BY t, objkey LIMIT ?"), before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read output garbage: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("store: read output garbage: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read output garbage: %w", err)
	}
	return keys, nil
}

func (x *db) dropOutputGarbage(ctx context.Context, e execer, keys []string) error {
	for _, k := range keys {
		if _, err := e.ExecContext(ctx, x.d.q("DELETE FROM output_garbage WHERE objkey = ?"), k); err != nil {
			return fmt.Errorf("store: forget output garbage %s: %w", k, err)
		}
	}
	return nil
}

// discardOutputs drops the rows of the outputs under prefix, their
// objects becoming garbage of time 0 (deleted by the next sweep).
func (x *db) discardOutputs(ctx context.Context, e execer, prefix string) error {
	lo, hi := prefixRange(prefix)
	if _, err := e.ExecContext(ctx, x.d.q(`INSERT INTO output_garbage (objkey, t) SELECT objkey, 0 FROM outputs WHERE path >= ? AND path < ?
		ON CONFLICT (objkey) DO UPDATE SET t = 0`), lo, hi); err != nil {
		return fmt.Errorf("store: discard outputs under %s: %w", prefix, err)
	}
	if _, err := e.ExecContext(ctx, x.d.q("DELETE FROM outputs WHERE path >= ? AND path < ?"), lo, hi); err != nil {
		return fmt.Errorf("store: discard outputs under %s: %w", prefix, err)
	}
	return nil
}

// outputBytes sums the sizes of the current outputs under prefix.
func (x *db) outputBytes(ctx context.Context, prefix string) (int64, error) {
	lo, hi := prefixRange(prefix)
	var n sql.NullInt64
	if err := x.r.QueryRowContext(ctx, x.d.q("SELECT SUM(size) FROM outputs WHERE path >= ? AND path < ?"), lo, hi).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: size of outputs under %s: %w", prefix, err)
	}
	return n.Int64, nil
}
