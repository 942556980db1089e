package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// The run and snapshot queries of the SQL index. Every function takes the
// execer it runs on (the reader pool, or a write transaction), so that
// the same query serves reads, writes and rebuilds on every engine.

// stamp is a snapshot's position in time: Unix seconds and sequence.
type stamp struct {
	T   int64 `json:"t"`
	Seq int   `json:"q,omitempty"`
}

func (s stamp) time() time.Time { return time.Unix(s.T, 0).UTC() }

func (s stamp) before(o stamp) bool { return s.T < o.T || s.T == o.T && s.Seq < o.Seq }

// subRecord summarises the snapshots of one receiver subsystem in a run.
type subRecord struct {
	N        int    `json:"n"`
	First    stamp  `json:"first"`
	Last     stamp  `json:"last"`
	LastName string `json:"lastName"`
}

// runRecord is the index entry of a run: its mode and the subsystems with
// snapshots of their own.
type runRecord struct {
	Mode overwatch.HLTMode     `json:"mode"`
	Subs map[string]*subRecord `json:"subs"`
}

// snapRecord is the index entry of a snapshot.
type snapRecord struct {
	Name         string
	Size         int64
	Source       string
	Accumulation overwatch.Accumulation
}

const subColumns = "run, sys, n, first_t, first_seq, last_t, last_seq, last_name"

func scanSub(sc interface{ Scan(...any) error }) (int, string, *subRecord, error) {
	var run int
	var sys string
	sr := &subRecord{}
	err := sc.Scan(&run, &sys, &sr.N, &sr.First.T, &sr.First.Seq, &sr.Last.T, &sr.Last.Seq, &sr.LastName)
	return run, sys, sr, err
}

// getRun returns the record of a run, nil when it is unknown.
func (x *db) getRun(ctx context.Context, e execer, run int) (*runRecord, error) {
	var mode string
	err := e.QueryRowContext(ctx, x.d.q("SELECT mode FROM runs WHERE run = ?"), run).Scan(&mode)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read run %d from the index: %w", run, err)
	}
	rec := &runRecord{Mode: overwatch.HLTMode(mode), Subs: map[string]*subRecord{}}
	rows, err := e.QueryContext(ctx, x.d.q("SELECT "+subColumns+" FROM subsystems WHERE run = ?"), run)
	if err != nil {
		return nil, fmt.Errorf("store: read run %d from the index: %w", run, err)
	}
	defer rows.Close()
	for rows.Next() {
		_, sys, sr, err := scanSub(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read run %d from the index: %w", run, err)
		}
		rec.Subs[sys] = sr
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read run %d from the index: %w", run, err)
	}
	return rec, nil
}

// numberedRun is a run record with its number.
type numberedRun struct {
	run int
	rec *runRecord
}

// runsPage returns runs below before (no bound when 0), newest first, at
// most limit (all when ≤ 0): one query on the runs' primary key, one on
// the subsystems' primary key range of the page.
func (x *db) runsPage(ctx context.Context, before, limit int) ([]numberedRun, error) {
	b, l := int64(math.MaxInt64), int64(math.MaxInt64)
	if before > 0 {
		b = int64(before)
	}
	if limit > 0 {
		l = int64(limit)
	}
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT run, mode FROM runs WHERE run < ? ORDER BY run DESC LIMIT ?"), b, l)
	if err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	var out []numberedRun
	byRun := map[int]*runRecord{}
	for rows.Next() {
		var n numberedRun
		var mode string
		if err := rows.Scan(&n.run, &mode); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list runs: %w", err)
		}
		n.rec = &runRecord{Mode: overwatch.HLTMode(mode), Subs: map[string]*subRecord{}}
		byRun[n.run] = n.rec
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	lo, hi := out[len(out)-1].run, out[0].run
	rows, err = x.r.QueryContext(ctx, x.d.q("SELECT "+subColumns+" FROM subsystems WHERE run >= ? AND run <= ?"), lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		run, sys, sr, err := scanSub(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list runs: %w", err)
		}
		if rec := byRun[run]; rec != nil {
			rec.Subs[sys] = sr
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	return out, nil
}

func (x *db) countRuns(ctx context.Context) (int, error) {
	var n int
	if err := x.r.QueryRowContext(ctx, "SELECT count(*) FROM runs").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count runs: %w", err)
	}
	return n, nil
}

// ensureRun creates the run with mode unless it exists, and returns the
// run's mode (the first writer's).
func (x *db) ensureRun(ctx context.Context, e execer, run int, mode overwatch.HLTMode) (overwatch.HLTMode, error) {
	if _, err := e.ExecContext(ctx, x.d.q("INSERT INTO runs (run, mode) VALUES (?, ?) ON CONFLICT (run) DO NOTHING"), run, string(mode)); err != nil {
		return "", fmt.Errorf("store: index run %d: %w", run, err)
	}
	var m string
	if err := e.QueryRowContext(ctx, x.d.q("SELECT mode FROM runs WHERE run = ?"), run).Scan(&m); err != nil {
		return "", fmt.Errorf("store: index run %d: %w", run, err)
	}
	return overwatch.HLTMode(m), nil
}

// upsertSub adds one snapshot (st, name) to the summary of (run, sys).
const upsertSub = `INSERT INTO subsystems (` + subColumns + `) VALUES (?, ?, 1, ?, ?, ?, ?, ?)
ON CONFLICT (run, sys) DO UPDATE SET
	n = subsystems.n + 1,
	first_t = CASE WHEN excluded.first_t < subsystems.first_t OR (excluded.first_t = subsystems.first_t AND excluded.first_seq < subsystems.first_seq) THEN excluded.first_t ELSE subsystems.first_t END,
	first_seq = CASE WHEN excluded.first_t < subsystems.first_t OR (excluded.first_t = subsystems.first_t AND excluded.first_seq < subsystems.first_seq) THEN excluded.first_seq ELSE subsystems.first_seq END,
	last_t = CASE WHEN excluded.last_t > subsystems.last_t OR (excluded.last_t = subsystems.last_t AND excluded.last_seq > subsystems.last_seq) THEN excluded.last_t ELSE subsystems.last_t END,
	last_seq = CASE WHEN excluded.last_t > subsystems.last_t OR (excluded.last_t = subsystems.last_t AND excluded.last_seq > subsystems.last_seq) THEN excluded.last_seq ELSE subsystems.last_seq END,
	last_name = CASE WHEN excluded.last_t > subsystems.last_t OR (excluded.last_t = subsystems.last_t AND excluded.last_seq > subsystems.last_seq) THEN excluded.last_name ELSE subsystems.last_name END`

const insertSnap = `INSERT INTO snapshots (run, sys, t, seq, name, size, origin, writer, accumulation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run, sys, t, seq) DO NOTHING`

// insertSnapshot indexes one snapshot file of an existing run and adds it
// to its subsystem's summary. A snapshot already indexed is left as it is
// (inserted false), so that the summary counts every snapshot once
// whichever process indexes it.
func (x *db) insertSnapshot(ctx context.Context, e execer, run int, sys string, st stamp, rec snapRecord, writer string) (bool, error) {
	res, err := e.ExecContext(ctx, x.d.q(insertSnap), run, sys, st.T, st.Seq, rec.Name, rec.Size, rec.Source, writer, string(rec.Accumulation))
	if err != nil {
		return false, fmt.Errorf("store: index snapshot %s/%s: %w", snapshotDir(run, sys), rec.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if _, err := e.ExecContext(ctx, x.d.q(upsertSub), run, sys, st.T, st.Seq, st.T, st.Seq, rec.Name); err != nil {
		return false, fmt.Errorf("store: index snapshot %s/%s: %w", snapshotDir(run, sys), rec.Name, err)
	}
	return true, nil
}

// recomputeSub rebuilds the summary of (run, sys) from its snapshot rows
// after deletions, and deletes the run when no subsystem is left.
func (x *db) recomputeSub(ctx context.Context, e execer, run int, sys string) error {
	if _, err := e.ExecContext(ctx, x.d.q("DELETE FROM subsystems WHERE run = ? AND sys = ?"), run, sys); err != nil {
		return fmt.Errorf("store: index run %d: %w", run, err)
	}
	var n int
	if err := e.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM snapshots WHERE run = ? AND sys = ?"), run, sys).Scan(&n); err != nil {
		return fmt.Errorf("store: index run %d: %w", run, err)
	}
	if n > 0 {
		sr := subRecord{N: n}
		if err := e.QueryRowContext(ctx, x.d.q("SELECT t, seq FROM snapshots WHERE run = ? AND sys = ? ORDER BY t, seq LIMIT 1"), run, sys).
			Scan(&sr.First.T, &sr.First.Seq); err != nil {
			return fmt.Errorf("store: index run %d: %w", run, err)
		}
		if err := e.QueryRowContext(ctx, x.d.q("SELECT t, seq, name FROM snapshots WHERE run = ? AND sys = ? ORDER BY t DESC, seq DESC LIMIT 1"), run, sys).
			Scan(&sr.Last.T, &sr.Last.Seq, &sr.LastName); err != nil {
			return fmt.Errorf("store: index run %d: %w", run, err)
		}
		if _, err := e.ExecContext(ctx, x.d.q("INSERT INTO subsystems ("+subColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
			run, sys, sr.N, sr.First.T, sr.First.Seq, sr.Last.T, sr.Last.Seq, sr.LastName); err != nil {
			return fmt.Errorf("store: index run %d: %w", run, err)
		}
		return nil
	}
	var left int
	if err := e.QueryRowContext(ctx, x.d.q("SELECT count(*) FROM subsystems WHERE run = ?"), run).Scan(&left); err != nil {
		return fmt.Errorf("store: index run %d: %w", run, err)
	}
	if left == 0 {
		if _, err := e.ExecContext(ctx, x.d.q("DELETE FROM runs WHERE run = ?"), run); err != nil {
			return fmt.Errorf("store: delete run %d from the index: %w", run, err)
		}
	}
	return nil
}

// snapshotRows lists the snapshots of (run, sys) by time then sequence.
func (x *db) snapshotRows(ctx context.Context, e execer, run int, sys string, fn func(st stamp, rec snapRecord) error) error {
	rows, err := e.QueryContext(ctx, x.d.q("SELECT t, seq, name, size, origin, accumulation FROM snapshots WHERE run = ? AND sys = ? ORDER BY t, seq"), run, sys)
	if err != nil {
		return fmt.Errorf("store: list snapshots of %s: %w", snapshotDir(run, sys), err)
	}
	defer rows.Close()
	for rows.Next() {
		var st stamp
		var rec snapRecord
		if err := rows.Scan(&st.T, &st.Seq, &rec.Name, &rec.Size, &rec.Source, (*string)(&rec.Accumulation)); err != nil {
			return fmt.Errorf("store: list snapshots of %s: %w", snapshotDir(run, sys), err)
		}
		if err := fn(st, rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: list snapshots of %s: %w", snapshotDir(run, sys), err)
	}
	return nil
}

// snapshot returns the index entry of one snapshot (ok false when absent).
func (x *db) snapshot(ctx context.Context, e execer, ref overwatch.SnapshotRef) (snapRecord, bool, error) {
	var rec snapRecord
	err := e.QueryRowContext(ctx, x.d.q("SELECT name, size, origin, accumulation FROM snapshots WHERE run = ? AND sys = ? AND t = ? AND seq = ?"),
		ref.Run, ref.Subsystem, ref.Time.Unix(), ref.Seq).Scan(&rec.Name, &rec.Size, &rec.Source, (*string)(&rec.Accumulation))
	if errors.Is(err, sql.ErrNoRows) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("store: read snapshot %s from the index: %w", ref, err)
	}
	return rec, true, nil
}

// usedSeqs returns the sequence numbers indexed for (run, sys) at second t.
func (x *db) usedSeqs(ctx context.Context, run int, sys string, t int64) (map[int]bool, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT seq FROM snapshots WHERE run = ? AND sys = ? AND t = ?"), run, sys, t)
	if err != nil {
		return nil, fmt.Errorf("store: read the index: %w", err)
	}
	defer rows.Close()
	used := map[int]bool{}
	for rows.Next() {
		var q int
		if err := rows.Scan(&q); err != nil {
			return nil, fmt.Errorf("store: read the index: %w", err)
		}
		used[q] = true
	}
	return used, rows.Err()
}

// deleteSnapshot removes one snapshot row and updates its run.
func (x *db) deleteSnapshot(ctx context.Context, e execer, run int, sys string, st stamp) error {
	if _, err := e.ExecContext(ctx, x.d.q("DELETE FROM snapshots WHERE run = ? AND sys = ? AND t = ? AND seq = ?"), run, sys, st.T, st.Seq); err != nil {
		return fmt.Errorf("store: delete snapshot from the index: %w", err)
	}
	return x.recomputeSub(ctx, e, run, sys)
}

// maxSnapshotID returns the highest snapshot row number (0 when none).
func (x *db) maxSnapshotID(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	if err := x.r.QueryRowContext(ctx, "SELECT max(id) FROM snapshots").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: read the index: %w", err)
	}
	return n.Int64, nil
}

// snapshotsAfter returns up to limit snapshots with a row number above
// after, written by other Stores than writer, in row order, and the
// highest row number seen; more reports a full page (ask again).
func (x *db) snapshotsAfter(ctx context.Context, after int64, writer string, limit int) (_ []overwatch.SnapshotInfo, _ int64, more bool, _ error) {
	rows, err := x.r.QueryContext(ctx, x.d.q(`SELECT s.id, s.run, s.sys, s.t, s.seq, s.name, s.size, s.origin, s.writer, r.mode, s.accumulation
		FROM snapshots s JOIN runs r ON r.run = s.run WHERE s.id > ? ORDER BY s.id LIMIT ?`), after, limit)
	if err != nil {
		return nil, after, false, fmt.Errorf("store: read new snapshots: %w", err)
	}
	defer rows.Close()
	var out []overwatch.SnapshotInfo
	n := 0
	for rows.Next() {
		var id int64
		var run int
		var sys, w, mode string
		var st stamp
		var rec snapRecord
		if err := rows.Scan(&id, &run, &sys, &st.T, &st.Seq, &rec.Name, &rec.Size, &rec.Source, &w, &mode, (*string)(&rec.Accumulation)); err != nil {
			return nil, after, false, fmt.Errorf("store: read new snapshots: %w", err)
		}
		n++
		after = id
		if w != writer {
			out = append(out, snapInfo(run, sys, st, overwatch.HLTMode(mode), rec))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, after, false, fmt.Errorf("store: read new snapshots: %w", err)
	}
	return out, after, n == limit, nil
}

// deleteRun removes a run with its subsystems and snapshots from the
// index (retention deletes runs through it).
func (x *db) deleteRun(ctx context.Context, run int) error {
	return x.tx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"snapshots", "subsystems", "runs"} {
			if _, err := tx.ExecContext(ctx, x.d.q("DELETE FROM "+t+" WHERE run = ?"), run); err != nil {
				return fmt.Errorf("store: delete run %d from the index: %w", run, err)
			}
		}
		return nil
	})
}
