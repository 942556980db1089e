package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	bolt "go.etcd.io/bbolt"
)

// Trend points are kept in an append-only journal per subsystem,
// trending/<SYS>/points.jsonl, one JSON object per line, fsynced before
// the index is updated; the index records how far each journal has been
// indexed, so Open re-indexes whatever a crash left behind, and Rebuild
// replays the journals from the start (the last line for a point wins).
// A line torn by a crash is skipped and terminated before the next
// append.
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

func trendPrefix(sys, trend string) []byte {
	k := append([]byte(sys), 0)
	if trend != "" {
		k = append(k, trend...)
		k = append(k, 0)
	}
	return k
}

func trendKey(l trendLine) []byte {
	k := trendPrefix(l.Subsystem, l.Trend)
	k = append(k, orderedInt64(l.T)...)
	return binary.BigEndian.AppendUint32(k, uint32(l.Seq))
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
	offsets := map[string]int64{}
	for sys, lines := range bySys {
		end, err := s.appendJournal(sys, lines)
		if err != nil {
			return err
		}
		offsets[journalRel(sys)] = end
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, lines := range bySys {
			for _, l := range lines {
				if err := putTrendLine(tx, l); err != nil {
					return err
				}
			}
		}
		for rel, off := range offsets {
			if err := putOffset(tx, rel, off); err != nil {
				return err
			}
		}
		return nil
	})
}

// appendJournal appends lines to a subsystem's journal, fsyncs it and
// returns its new size.
func (s *Store) appendJournal(sys string, lines []trendLine) (int64, error) {
	rel := trendingDir + "/" + sys
	if err := mkdirs(s.dir, rel); err != nil {
		return 0, err
	}
	p := s.abs(journalRel(sys))
	_, statErr := os.Stat(p)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("store: open trend journal: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			buf.WriteByte('\n') // terminate a line torn by a crash
		}
	}
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			return 0, fmt.Errorf("store: encode trend point: %w", err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return 0, fmt.Errorf("store: append to trend journal %s: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("store: sync trend journal %s: %w", p, err)
	}
	if statErr != nil {
		if err := syncDir(filepath.Dir(p)); err != nil {
			return 0, err
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("store: stat trend journal %s: %w", p, err)
	}
	return fi.Size(), nil
}

func putTrendLine(tx *bolt.Tx, l trendLine) error {
	v, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bTrends).Put(trendKey(l), v); err != nil {
		return fmt.Errorf("store: index trend point: %w", err)
	}
	return nil
}

func putOffset(tx *bolt.Tx, rel string, off int64) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(off))
	return tx.Bucket(bTrendFiles).Put([]byte(rel), b[:])
}

// replayAllTrends indexes the journal lines past the recorded offsets
// (from the start when full is set). It returns the number of points in
// the index afterwards.
func replayAllTrends(tx *bolt.Tx, dir string, opts Options, full bool) (int, error) {
	ents, err := os.ReadDir(filepath.Join(dir, trendingDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("store: list trending: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() || !overwatch.ValidSubsystem(e.Name()) {
			continue
		}
		rel := journalRel(e.Name())
		var off int64
		if v := tx.Bucket(bTrendFiles).Get([]byte(rel)); !full && len(v) == 8 {
			off = int64(binary.BigEndian.Uint64(v))
		}
		end, n, bad, err := replayJournal(tx, filepath.Join(dir, filepath.FromSlash(rel)), e.Name(), off)
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
			if err := putOffset(tx, rel, end); err != nil {
				return 0, err
			}
		}
	}
	n := 0
	c := tx.Bucket(bTrends).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n, nil
}

// replayJournal indexes the complete lines of a journal from offset off
// and returns the offset after the last complete line (-1 when the
// journal does not exist), the points indexed and the lines skipped.
func replayJournal(tx *bolt.Tx, p, sys string, off int64) (int64, int, int, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("store: open trend journal %s: %w", p, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < off {
		off = 0 // journal replaced or truncated by hand: replay it all
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, 0, 0, fmt.Errorf("store: seek trend journal %s: %w", p, err)
	}
	r := bufio.NewReaderSize(f, 64<<10)
	n, bad := 0, 0
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return off, n, bad, nil // a partial last line stays unindexed
		}
		if err != nil {
			return 0, 0, 0, fmt.Errorf("store: read trend journal %s: %w", p, err)
		}
		off += int64(len(line))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var l trendLine
		if err := json.Unmarshal(line, &l); err != nil || l.Subsystem != sys || !validTrendName(l.Trend) {
			bad++
			continue
		}
		if err := putTrendLine(tx, l); err != nil {
			return 0, 0, 0, err
		}
		n++
	}
}

// TrendPoints returns the points matching q, oldest first (by time, then
// subsystem, trend and sequence). With q.Limit > 0 only the newest Limit
// points are returned.
func (s *Store) TrendPoints(ctx context.Context, q overwatch.TrendQuery) ([]overwatch.TrendPoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []overwatch.TrendPoint
	match := func(l trendLine) bool {
		if q.Run != 0 && l.Run != q.Run {
			return false
		}
		if !q.From.IsZero() && l.T < q.From.UnixNano() {
			return false
		}
		if !q.To.IsZero() && l.T > q.To.UnixNano() {
			return false
		}
		return q.Trend == "" || l.Trend == q.Trend
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bTrends).Cursor()
		if q.Subsystem != "" && q.Trend != "" {
			// One series: walk it backwards from To so that Limit
			// stops early.
			p := trendPrefix(q.Subsystem, q.Trend)
			upper := append(append([]byte(nil), p...), 0xff)
			if !q.To.IsZero() {
				upper = append(append(append([]byte(nil), p...), orderedInt64(q.To.UnixNano())...), 0xff, 0xff, 0xff, 0xff, 0xff)
			}
			var k, v []byte
			if sk, _ := c.Seek(upper); sk == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
			for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Prev() {
				var l trendLine
				if err := json.Unmarshal(v, &l); err != nil {
					return fmt.Errorf("store: index entry of trend %s/%s: %w", q.Subsystem, q.Trend, err)
				}
				if !q.From.IsZero() && l.T < q.From.UnixNano() {
					break
				}
				if match(l) {
					out = append(out, l.point())
					if q.Limit > 0 && len(out) >= q.Limit {
						break
					}
				}
			}
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
			return nil
		}
		var p []byte
		if q.Subsystem != "" {
			p = trendPrefix(q.Subsystem, "")
		}
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			var l trendLine
			if err := json.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("store: index entry of a trend point: %w", err)
			}
			if match(l) {
				out = append(out, l.point())
			}
		}
		sort.SliceStable(out, func(i, j int) bool {
			a, b := out[i], out[j]
			if !a.Time.Equal(b.Time) {
				return a.Time.Before(b.Time)
			}
			if a.Subsystem != b.Subsystem {
				return a.Subsystem < b.Subsystem
			}
			if a.Trend != b.Trend {
				return a.Trend < b.Trend
			}
			return a.Seq < b.Seq
		})
		if q.Limit > 0 && len(out) > q.Limit {
			out = out[len(out)-q.Limit:]
		}
		return nil
	})
	return out, err
}

// Trends lists, sorted, the trend names that have points for a subsystem.
func (s *Store) Trends(ctx context.Context, sys string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bTrends).Cursor()
		p := trendPrefix(sys, "")
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); {
			rest := k[len(p):]
			i := bytes.IndexByte(rest, 0)
			if i < 0 {
				return fmt.Errorf("store: malformed trend key %x", k)
			}
			name := string(rest[:i])
			out = append(out, name)
			// Skip to the next trend name.
			next := append(trendPrefix(sys, name), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
			k, _ = c.Seek(next)
		}
		return nil
	})
	return out, err
}

// CompactTrends rewrites every trend journal with exactly the points of
// the index (one line per point, in key order), dropping the lines that
// later puts of the same point superseded. Each journal is replaced
// atomically; a crash leaves the old or the new journal, and both replay
// to the same index.
func (s *Store) CompactTrends(ctx context.Context) error {
	s.trendMu.Lock()
	defer s.trendMu.Unlock()
	var systems []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bTrendFiles).ForEach(func(k, _ []byte) error {
			rel := string(k)
			sys := strings.TrimSuffix(strings.TrimPrefix(rel, trendingDir+"/"), "/"+trendJournal)
			if journalRel(sys) == rel && overwatch.ValidSubsystem(sys) {
				systems = append(systems, sys)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("store: compact trends: %w", err)
	}
	for _, sys := range systems {
		if err := ctx.Err(); err != nil {
			return err
		}
		var buf bytes.Buffer
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bTrends).Cursor()
			p := trendPrefix(sys, "")
			for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
				buf.Write(v)
				buf.WriteByte('\n')
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: compact trends of %s: %w", sys, err)
		}
		dir := s.abs(trendingDir + "/" + sys)
		if err := writeAtomic(dir, trendJournal, buf.Bytes(), true); err != nil {
			return err
		}
		err = s.db.Update(func(tx *bolt.Tx) error { return putOffset(tx, journalRel(sys), int64(buf.Len())) })
		if err != nil {
			return fmt.Errorf("store: compact trends of %s: %w", sys, err)
		}
	}
	return nil
}
