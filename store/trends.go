package store

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
)

// Trend points are kept in an append-only journal per subsystem,
// trending/<SYS>/points.jsonl, one JSON object per line, fsynced before
// the index is updated; the index records how far each journal has been
// indexed, so Open re-indexes whatever a crash left behind, and Rebuild
// replays the journals from the start (the last line for a point wins).
// A line torn by a crash is skipped and terminated before the next
// append. On a bucket that is not the data directory the journals are
// segments on the bucket instead (journal_bucket.go).
const trendJournal = "points.jsonl"

// jfloat is a float64 whose JSON form also represents NaN and ±Inf (as
// the strings "NaN", "+Inf", "-Inf").
type jfloat float64

// MarshalJSON implements json.Marshaler.
func (f jfloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *jfloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = jfloat(math.NaN())
	case `"+Inf"`:
		*f = jfloat(math.Inf(1))
	case `"-Inf"`:
		*f = jfloat(math.Inf(-1))
	default:
		var v float64
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("store: trend value %s: %w", b, err)
		}
		*f = jfloat(v)
	}
	return nil
}

// trendLine is one journal line (and the index value of a point).
type trendLine struct {
	Subsystem string `json:"sys"`
	Trend     string `json:"trend"`
	Run       int    `json:"run"`
	T         int64  `json:"t"` // Unix nanoseconds
	Seq       int    `json:"seq"`
	Value     jfloat `json:"v"`
	Error     jfloat `json:"e"`
}

func (l trendLine) point() overwatch.TrendPoint {
	return overwatch.TrendPoint{
		Subsystem: l.Subsystem, Trend: l.Trend, Run: l.Run,
		Time: time.Unix(0, l.T).UTC(), Seq: l.Seq,
		Value: float64(l.Value), Error: float64(l.Error),
	}
}

func validTrendName(n string) bool {
	return n != "" && len(n) <= 1024 && !strings.ContainsRune(n, 0)
}

func journalRel(sys string) string { return trendingDir + "/" + sys + "/" + trendJournal }

// PutTrendPoints stores points idempotently: (Subsystem, Trend, Time,
// Seq) identifies a point and storing it again replaces it. The points
// are appended to their subsystem's journal and fsynced before they are
// indexed.
func (s *Store) PutTrendPoints(ctx context.Context, pts []overwatch.TrendPoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	bySys := map[string][]trendLine{}
	for _, p := range pts {
		if !overwatch.ValidSubsystem(p.Subsystem) {
			return fmt.Errorf("store: trend point: subsystem %q is not valid", p.Subsystem)
		}
		if !validTrendName(p.Trend) {
			return fmt.Errorf("store: trend point: trend name %q must be 1–1024 bytes without NUL", p.Trend)
		}
		if p.Time.IsZero() {
			return fmt.Errorf("store: trend point %s/%s: time must be set", p.Subsystem, p.Trend)
		}
		bySys[p.Subsystem] = append(bySys[p.Subsystem], trendLine{
			Subsystem: p.Subsystem, Trend: p.Trend, Run: p.Run, T: p.Time.UnixNano(), Seq: p.Seq,
			Value: jfloat(p.Value), Error: jfloat(p.Error),
		})
	}
	s.trendMu.Lock()
	defer s.trendMu.Unlock()
	if s.journalsOnBucket() {
		return s.putTrendSegments(ctx, bySys, sortedKeys(bySys))
	}
	// Each journal stays locked until its lines are indexed, so that a
	// compaction or prune (by any process) that holds the lock sees every
	// line of the journal in the index. Locks are taken in subsystem
	// order: two writers never wait for each other in a cycle.
	systems := sortedKeys(bySys)
	offsets := map[string]int64{}
	before := map[string]int64{} // each journal's size before our lines
	paths := map[string]string{}
	for _, sys := range systems {
		j, err := s.lockJournal(sys)
		if err != nil {
			return err
		}
		defer j.Close()
		if fi, err := j.f.Stat(); err == nil {
			before[sys] = fi.Size()
		}
		end, err := j.append(bySys[sys])
		if err != nil {
			return err
		}
		offsets[journalRel(sys)], paths[sys] = end, j.p
	}
	ictx := context.WithoutCancel(ctx) // the journal has them: index them
	return s.x.tx(ictx, func(tx *sql.Tx) error {
		w, err := s.x.newTrendWriter(ictx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		// Lines before ours that the index does not cover were appended by
		// a writer that died before indexing them (every writer holds the
		// lock until it has indexed): index them now, or the offset we
		// record would pass over them.
		for _, sys := range systems {
			off, err := s.x.offset(ictx, tx, journalRel(sys))
			if err != nil {
				return err
			}
			if off >= before[sys] {
				continue
			}
			if err := replayLines(ictx, w, paths[sys], sys, off, s.opts.Logger); err != nil {
				return err
			}
		}
		for _, lines := range bySys {
			for _, l := range lines {
				if err := w.put(ictx, l); err != nil {
					return err
				}
			}
		}
		for rel, off := range offsets {
			if err := s.x.putOffset(ictx, tx, rel, off); err != nil {
				return err
			}
		}
		return nil
	})
}

// journal is a trend journal opened for appending and locked (flock,
// exclusive) against the appends, compactions and prunes of every process.
type journal struct {
	f      *os.File
	p      string
	exists bool // the file existed before it was opened
}

// lockJournal opens and locks the journal of sys. A compaction replaces
// the file by a rename: a writer that locked the file it had opened
// before the rename would append to a file no longer in the tree, so the
// lock is only kept when the path still names the opened file.
func (s *Store) lockJournal(sys string) (*journal, error) {
	rel := trendingDir + "/" + sys
	if err := fsio.Mkdirs(s.dir, rel); err != nil {
		return nil, err
	}
	return openLockedJournal(filepath.Join(s.abs(rel), trendJournal))
}

func openLockedJournal(p string) (*journal, error) {
	for {
		_, statErr := os.Stat(p)
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("store: open journal: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("store: lock journal %s: %w", p, err)
		}
		held, err1 := f.Stat()
		named, err2 := os.Stat(p)
		if err1 == nil && err2 == nil && os.SameFile(held, named) {
			return &journal{f: f, p: p, exists: statErr == nil}, nil
		}
		f.Close() // replaced while we waited: lock the new one
		if err1 != nil {
			return nil, fmt.Errorf("store: stat journal %s: %w", p, err1)
		}
		if err2 != nil && !errors.Is(err2, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: stat journal %s: %w", p, err2)
		}
	}
}

// Close releases the lock.
func (j *journal) Close() error { return j.f.Close() }

// append encodes lines, appends them, fsyncs and returns the journal's
// new size.
func (j *journal) append(lines []trendLine) (int64, error) {
	enc := make([][]byte, 0, len(lines))
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			return 0, fmt.Errorf("store: encode trend point: %w", err)
		}
		enc = append(enc, b)
	}
	return appendLocked(j.f, j.p, !j.exists, enc)
}

// appendLocked appends lines to the locked journal f at path p; created
// says that the file is new (its directory is fsynced too).
func appendLocked(f *os.File, p string, created bool, lines [][]byte) (int64, error) {
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			buf.WriteByte('\n') // terminate a line torn by a crash
		}
	}
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return 0, fmt.Errorf("store: append to journal %s: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("store: sync journal %s: %w", p, err)
	}
	if created {
		if err := fsio.SyncDir(filepath.Dir(p)); err != nil {
			return 0, err
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("store: stat journal %s: %w", p, err)
	}
	return fi.Size(), nil
}

// replayAllTrends indexes the journal lines past the recorded offsets
// (from the start when full is set). It returns the number of points in
// the index afterwards.
func replayAllTrends(ctx context.Context, x *db, tx *sql.Tx, dir string, opts Options, full bool) (int, error) {
	ents, err := os.ReadDir(filepath.Join(dir, trendingDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("store: list trending: %w", err)
	}
	w, err := x.newTrendWriter(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer w.close()
	for _, e := range ents {
		if !e.IsDir() || !overwatch.ValidSubsystem(e.Name()) {
			continue
		}
		rel := journalRel(e.Name())
		var off int64
		if !full {
			if off, err = x.offset(ctx, tx, rel); err != nil {
				return 0, err
			}
		}
		var ierr error
		end, n, bad, err := replayJournal(filepath.Join(dir, filepath.FromSlash(rel)), off, func(line []byte) bool {
			var l trendLine
			if err := json.Unmarshal(line, &l); err != nil || l.Subsystem != e.Name() || !validTrendName(l.Trend) {
				return false
			}
			if err := w.put(ctx, l); err != nil {
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
			opts.Logger.Warn("store: skipped unreadable trend journal lines (torn by a crash?)", "journal", rel, "lines", bad)
		}
		if n > 0 && !full {
			opts.Logger.Info("store: re-indexed trend points written before an unclean shutdown", "journal", rel, "points", n)
		}
		if end >= 0 {
			if err := x.setOffset(ctx, tx, rel, end); err != nil {
				return 0, err
			}
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM trend_points").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count trend points: %w", err)
	}
	return n, nil
}

// replayJournal calls index for the complete lines of a journal from
// offset off (index reports whether it took the line) and returns the
// offset after the last complete line (-1 when the journal does not
// exist), the lines taken and the lines skipped.
func replayJournal(p string, off int64, index func(line []byte) bool) (int64, int, int, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("store: open journal %s: %w", p, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < off {
		off = 0 // journal replaced or truncated by hand: replay it all
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, 0, 0, fmt.Errorf("store: seek journal %s: %w", p, err)
	}
	r := bufio.NewReaderSize(f, 64<<10)
	n, bad := 0, 0
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return off, n, bad, nil // a partial last line stays unindexed
		}
		if err != nil {
			return 0, 0, 0, fmt.Errorf("store: read journal %s: %w", p, err)
		}
		off += int64(len(line))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if index(line) {
			n++
		} else {
			bad++
		}
	}
}

// TrendPoints returns the points matching q, oldest first (by time, then
// subsystem, trend and sequence). With q.Limit > 0 only the newest Limit
// points are returned.
func (s *Store) TrendPoints(ctx context.Context, q overwatch.TrendQuery) ([]overwatch.TrendPoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.x.trendPoints(ctx, q)
}

// Trends lists, sorted, the trend names that have points for a subsystem.
func (s *Store) Trends(ctx context.Context, sys string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.x.trendNames(ctx, sys)
}

// CompactTrends rewrites every trend journal with exactly the points of
// the index (one line per point, in key order), dropping the lines that
// later puts of the same point superseded. It is PruneTrends without a
// cut: safe while other processes append (see there).
func (s *Store) CompactTrends(ctx context.Context) error {
	_, err := s.PruneTrends(ctx, time.Time{})
	return err
}

// replayLines indexes the lines of the journal p of sys from offset off
// (the journal is locked by the caller).
func replayLines(ctx context.Context, w *trendWriter, p, sys string, off int64, log *slog.Logger) error {
	var ierr error
	_, n, bad, err := replayJournal(p, off, func(line []byte) bool {
		var l trendLine
		if err := json.Unmarshal(line, &l); err != nil || l.Subsystem != sys || !validTrendName(l.Trend) {
			return false
		}
		if err := w.put(ctx, l); err != nil {
			ierr = err
			return false
		}
		return true
	})
	if err == nil {
		err = ierr
	}
	if err != nil {
		return err
	}
	if bad > 0 {
		log.Warn("store: skipped unreadable trend journal lines (torn by a crash?)", "journal", p, "lines", bad)
	}
	if n > 0 {
		log.Debug("store: indexed trend points a writer that died left unindexed", "journal", p, "lines", n)
	}
	return nil
}

// PruneTrends forgets the trend points older than before (none when
// before is zero) and rewrites every trend journal with exactly the points
// left in the index, dropping the lines that later puts of the same point
// superseded; it returns how many points were deleted. Retention's
// Policy.TrendMaxAge is applied through it, and so the journals, the
// index and (on SQLite) its write-ahead log stay bounded however long
// trends are written.
//
// It is safe while other processes of the store append: each journal is
// rewritten under the lock every append holds until its lines are
// indexed, after indexing any lines a crashed writer left unindexed; the
// new journal replaces the old one atomically (a crash leaves the old or
// the new journal, and both replay to the index), and writers that opened
// the old file before the rename reopen the new one.
func (s *Store) PruneTrends(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.trendMu.Lock()
	defer s.trendMu.Unlock()
	if s.journalsOnBucket() {
		return s.pruneBucketTrends(ctx, before)
	}
	ents, err := os.ReadDir(s.abs(trendingDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("store: prune trends: %w", err)
	}
	deleted := 0
	for _, e := range ents {
		if !e.IsDir() || !overwatch.ValidSubsystem(e.Name()) {
			continue
		}
		if _, err := os.Stat(s.abs(journalRel(e.Name()))); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		n, err := s.pruneJournal(ctx, e.Name(), before)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	if deleted > 0 {
		s.x.checkpoint(ctx, s.opts.Logger)
	}
	return deleted, nil
}

// pruneJournal deletes the points of sys older than before and rewrites
// its journal from the index, holding the journal's lock.
func (s *Store) pruneJournal(ctx context.Context, sys string, before time.Time) (int, error) {
	j, err := s.lockJournal(sys)
	if err != nil {
		return 0, err
	}
	defer j.Close()
	rel := journalRel(sys)
	deleted := 0
	err = s.x.tx(ctx, func(tx *sql.Tx) error {
		// Lines appended by a writer that died before indexing them.
		off, err := s.x.offset(ctx, tx, rel)
		if err != nil {
			return err
		}
		w, err := s.x.newTrendWriter(ctx, tx)
		if err != nil {
			return err
		}
		err = replayLines(ctx, w, j.p, sys, off, s.opts.Logger)
		w.close()
		if err != nil {
			return err
		}
		if !before.IsZero() {
			if deleted, err = s.x.deleteTrendsBefore(ctx, tx, sys, before); err != nil {
				return err
			}
		}
		var buf bytes.Buffer
		err = s.x.trendLines(ctx, tx, "SELECT "+trendColumns+" FROM trend_points WHERE sys = ? ORDER BY trend, t, seq", []any{sys}, func(l trendLine) error {
			b, err := json.Marshal(l)
			if err != nil {
				return err
			}
			buf.Write(b)
			buf.WriteByte('\n')
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: compact trends of %s: %w", sys, err)
		}
		// The new journal is in place before the transaction commits: a
		// crash after the rename and before the commit leaves a journal
		// without the deleted points and an index with them — the next
		// prune deletes them again; the offset is rechecked by Open (a
		// shorter journal is replayed whole).
		if err := fsio.WriteAtomic(filepath.Dir(j.p), trendJournal, buf.Bytes(), true); err != nil {
			return err
		}
		return s.x.setOffset(ctx, tx, rel, int64(buf.Len()))
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune trends of %s: %w", sys, err)
	}
	return deleted, nil
}

// deleteTrendsBefore deletes the points of sys older than before, and the
// names of the trends left without points; it returns how many points it
// deleted.
func (x *db) deleteTrendsBefore(ctx context.Context, tx *sql.Tx, sys string, before time.Time) (int, error) {
	res, err := tx.ExecContext(ctx, x.d.q("DELETE FROM trend_points WHERE sys = ? AND t < ?"), sys, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: prune trend points of %s: %w", sys, err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		// A trend whose every point is gone is no longer listed.
		if _, err := tx.ExecContext(ctx, x.d.q(`DELETE FROM trend_names WHERE sys = ? AND NOT EXISTS
			(SELECT 1 FROM trend_points p WHERE p.sys = trend_names.sys AND p.trend = trend_names.trend)`), sys); err != nil {
			return 0, fmt.Errorf("store: prune trend names of %s: %w", sys, err)
		}
	}
	return int(n), nil
}
