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
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
)

// Journals on a bucket. When Options.Bucket is not the data directory
// itself (S3, XRootD), the trend journals, the alarm documents and the
// alarm-event journal live on the bucket, so that an index can be rebuilt
// from the bucket alone, with no data directory shared between machines.
// Objects are immutable and cannot be appended to, so a journal is a
// sequence of immutable segments, one object per append:
//
//	journals/trends/<SYS>/<seq, 16 digits>.jsonl  the points of one PutTrendPoints
//	journals/alarms/<seq, 16 digits>.jsonl        the record and events of one alarm write
//
// The index numbers the segments: table journal_heads holds, per journal
// (its key prefix), the number of the next segment and of the newest base
// segment. A writer locks its journal's row (PostgreSQL: SELECT … FOR
// UPDATE; SQLite: the write transaction's database lock), puts segment
// number next, indexes its lines and advances next in that one
// transaction. Segment numbers are therefore assigned in the order the
// index applies them — the order a rebuild replays them in (the last line
// for a trend point wins, as in a journal file) — whatever the clocks of
// the machines. A writer killed between the put and the commit leaves a
// segment numbered next that the index does not cover: the next writer's
// put of that number fails (put-if-absent), so it indexes the dead
// writer's segment first and takes the following number; Open does the
// same for every journal whose listing goes past its next. So a write
// whose segment was put is never lost, even when its transaction fails
// afterwards (a crash, a lost connection): it is applied by the repair,
// at most later.
//
// Growth is bounded by compaction: a base segment (first line
// {"base":true}) holds the whole state of its journal as the index has it
// — every point of a subsystem, or every alarm record and event — and
// replaces every segment before it. Compaction takes the next number for
// the base, records it in the same transaction, and deletes the older
// segments after the commit; a crash before the deletes leaves segments
// that a rebuild replays before the base, which resets the journal's state
// (points are idempotent by key and events by content either way). A base
// segment the index does not cover (a compaction that died before its
// commit) is deleted by the next writer: everything in it is still in the
// older segments. A journal is compacted after compactEvery appends since
// its base, by CompactTrends and by PruneTrends, which also forgets the
// points older than its cut.

const (
	journalsDir        = "journals"
	trendSegmentsDir   = journalsDir + "/trends/"
	alarmSegmentsDir   = journalsDir + "/alarms/"
	segmentSuffix      = ".jsonl"
	baseSegmentHeader  = `{"base":true}`
	segmentSeqDigits   = 16
	maxSegmentLineSize = 64 << 20
)

// compactEvery is the number of segments after a journal's base that
// makes its next append compact it.
var compactEvery int64 = 512

// journalsOnBucket reports whether the journals of the store rooted at dir
// live on bucket b: b is set and is not the directory itself.
func journalsOnBucket(dir string, b blob.Bucket) bool {
	if b == nil {
		return false
	}
	d, ok := b.(*blob.DirBucket)
	if !ok {
		return true
	}
	if d.Root() == dir {
		return false
	}
	fa, err1 := os.Stat(d.Root())
	fb, err2 := os.Stat(dir)
	if err1 == nil && err2 == nil {
		return !os.SameFile(fa, fb)
	}
	a, _ := filepath.Abs(d.Root())
	c, _ := filepath.Abs(dir)
	return filepath.Clean(a) != filepath.Clean(c)
}

func trendPrefix(sys string) string { return trendSegmentsDir + sys + "/" }

func segmentKey(prefix string, seq int64) string {
	return fmt.Sprintf("%s%0*d%s", prefix, segmentSeqDigits, seq, segmentSuffix)
}

// parseSegmentKey splits a segment key into its journal prefix and number.
func parseSegmentKey(key string) (prefix string, seq int64, ok bool) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return "", 0, false
	}
	prefix, name := key[:i+1], key[i+1:]
	digits, found := strings.CutSuffix(name, segmentSuffix)
	if !found || len(digits) != segmentSeqDigits {
		return "", 0, false
	}
	seq, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || seq < 0 {
		return "", 0, false
	}
	if prefix != alarmSegmentsDir {
		sys, ok := strings.CutPrefix(prefix, trendSegmentsDir)
		if !ok || !overwatch.ValidSubsystem(strings.TrimSuffix(sys, "/")) || strings.Count(sys, "/") != 1 {
			return "", 0, false
		}
	}
	return prefix, seq, true
}

// head is a journal's row of journal_heads: the number of its next
// segment and of its newest base segment (-1: none).
type head struct{ next, base int64 }

// lockHead reads the head of a journal, creating it, and locks it until
// tx ends (SQLite's write transaction already excludes other writers).
func (x *db) lockHead(ctx context.Context, tx *sql.Tx, prefix string) (head, error) {
	q := "SELECT next, base FROM journal_heads WHERE prefix = ?"
	if x.d.dollar {
		q += " FOR UPDATE"
	}
	for attempt := 0; attempt < 10; attempt++ {
		if _, err := tx.ExecContext(ctx, x.d.q("INSERT INTO journal_heads (prefix, next, base) VALUES (?, 0, -1) ON CONFLICT (prefix) DO NOTHING"), prefix); err != nil {
			return head{}, fmt.Errorf("store: lock journal %s: %w", prefix, err)
		}
		var h head
		err := tx.QueryRowContext(ctx, x.d.q(q), prefix).Scan(&h.next, &h.base)
		if errors.Is(err, sql.ErrNoRows) {
			continue // deleted while we waited (a rebuild): read it again
		}
		if err != nil {
			return head{}, fmt.Errorf("store: lock journal %s: %w", prefix, err)
		}
		return h, nil
	}
	return head{}, fmt.Errorf("store: lock journal %s: its row keeps disappearing", prefix)
}

func (x *db) setHead(ctx context.Context, e execer, prefix string, h head) error {
	_, err := e.ExecContext(ctx, x.d.q(`INSERT INTO journal_heads (prefix, next, base) VALUES (?, ?, ?)
		ON CONFLICT (prefix) DO UPDATE SET next = excluded.next, base = excluded.base`), prefix, h.next, h.base)
	if err != nil {
		return fmt.Errorf("store: record journal %s: %w", prefix, err)
	}
	return nil
}

// heads reads every journal head.
func (x *db) heads(ctx context.Context, e execer) (map[string]head, error) {
	rows, err := e.QueryContext(ctx, "SELECT prefix, next, base FROM journal_heads")
	if err != nil {
		return nil, fmt.Errorf("store: read journal heads: %w", err)
	}
	defer rows.Close()
	out := map[string]head{}
	for rows.Next() {
		var p string
		var h head
		if err := rows.Scan(&p, &h.next, &h.base); err != nil {
			return nil, fmt.Errorf("store: read journal heads: %w", err)
		}
		out[p] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read journal heads: %w", err)
	}
	return out, nil
}

// segApplier indexes the lines of one journal's segments in a
// transaction.
type segApplier interface {
	// apply indexes one line; false reports an unreadable line (skipped).
	apply(ctx context.Context, line []byte) (bool, error)
	// reset forgets the journal's state in the index: a base segment,
	// which holds all of it, follows.
	reset(ctx context.Context) error
}

// trendApplier indexes the points of one subsystem's segments.
type trendApplier struct {
	x   *db
	tx  *sql.Tx
	w   *trendWriter
	sys string
}

func (a *trendApplier) apply(ctx context.Context, line []byte) (bool, error) {
	var l trendLine
	if err := json.Unmarshal(line, &l); err != nil || l.Subsystem != a.sys || !validTrendName(l.Trend) {
		return false, nil
	}
	return true, a.w.put(ctx, l)
}

func (a *trendApplier) reset(ctx context.Context) error {
	for _, q := range []string{"DELETE FROM trend_points WHERE sys = ?", "DELETE FROM trend_names WHERE sys = ?"} {
		if _, err := a.tx.ExecContext(ctx, a.x.d.q(q), a.sys); err != nil {
			return fmt.Errorf("store: reset trend points of %s: %w", a.sys, err)
		}
	}
	for k := range a.w.names {
		if k[0] == a.sys {
			delete(a.w.names, k)
		}
	}
	return nil
}

// alarmSegLine is one line of an alarm segment: an alarm record (the
// index's document of it) or an event (the line indexed, whose hash
// identifies it).
type alarmSegLine struct {
	Alarm json.RawMessage `json:"alarm,omitempty"`
	Event json.RawMessage `json:"event,omitempty"`
}

// alarmApplier indexes alarm segments.
type alarmApplier struct {
	x  *db
	tx *sql.Tx
}

func (a *alarmApplier) apply(ctx context.Context, line []byte) (bool, error) {
	var sl alarmSegLine
	if err := json.Unmarshal(line, &sl); err != nil {
		return false, nil
	}
	switch {
	case len(sl.Alarm) > 0 && len(sl.Event) == 0:
		var r overwatch.AlarmRecord
		if err := json.Unmarshal(sl.Alarm, &r); err != nil || r.ID == "" {
			return false, nil
		}
		return true, a.x.putAlarm(ctx, a.tx, r, sl.Alarm)
	case len(sl.Event) > 0 && len(sl.Alarm) == 0:
		var e overwatch.AlarmEvent
		if err := json.Unmarshal(sl.Event, &e); err != nil || e.AlarmID == "" {
			return false, nil
		}
		return true, a.x.putAlarmEvent(ctx, a.tx, e, sl.Event)
	}
	return false, nil
}

func (a *alarmApplier) reset(ctx context.Context) error {
	for _, q := range []string{"DELETE FROM alarms", "DELETE FROM alarm_events"} {
		if _, err := a.tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: reset alarms: %w", err)
		}
	}
	return nil
}

// journalAppliers makes the appliers of one transaction, one per
// journal, on first use; close releases their statements.
type journalAppliers struct {
	x   *db
	tx  *sql.Tx
	w   *trendWriter
	all map[string]segApplier
}

func newJournalAppliers(x *db, tx *sql.Tx) *journalAppliers {
	return &journalAppliers{x: x, tx: tx, all: map[string]segApplier{}}
}

func (j *journalAppliers) get(ctx context.Context, prefix string) (segApplier, error) {
	if a, ok := j.all[prefix]; ok {
		return a, nil
	}
	var a segApplier
	if prefix == alarmSegmentsDir {
		a = &alarmApplier{x: j.x, tx: j.tx}
	} else {
		sys, ok := strings.CutPrefix(prefix, trendSegmentsDir)
		sys = strings.TrimSuffix(sys, "/")
		if !ok || !overwatch.ValidSubsystem(sys) {
			return nil, fmt.Errorf("store: %q is not a journal", prefix)
		}
		if j.w == nil {
			w, err := j.x.newTrendWriter(ctx, j.tx)
			if err != nil {
				return nil, err
			}
			j.w = w
		}
		a = &trendApplier{x: j.x, tx: j.tx, w: j.w, sys: sys}
	}
	j.all[prefix] = a
	return a, nil
}

func (j *journalAppliers) close() {
	if j.w != nil {
		j.w.close()
	}
}

// readSegment calls fn for every line of the segment key after its
// header, and onBase first when the segment is a base.
func readSegment(ctx context.Context, b blob.Bucket, key string, onBase func() error, fn func(line []byte) error) error {
	rc, err := b.Open(ctx, key, 0, -1)
	if err != nil {
		return fmt.Errorf("store: read journal segment %s: %w", key, err)
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 64<<10)
	for first := true; ; first = false {
		line, err := readLine(r)
		if len(line) > 0 {
			if first && string(line) == baseSegmentHeader {
				if berr := onBase(); berr != nil {
					return berr
				}
			} else if ferr := fn(line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: read journal segment %s: %w", key, err)
		}
	}
}

// readLine reads one line (without its end and surrounding space) of at
// most maxSegmentLineSize bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := r.ReadSlice('\n')
		line = append(line, part...)
		if len(line) > maxSegmentLineSize {
			return nil, fmt.Errorf("line longer than %d bytes", maxSegmentLineSize)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSpace(line), err
	}
}

// indexSegment indexes one segment with a (resetting the journal's state
// first when it is a base) and returns whether it is a base and the lines
// taken and skipped.
func indexSegment(ctx context.Context, b blob.Bucket, key string, a segApplier) (base bool, n, bad int, err error) {
	err = readSegment(ctx, b, key, func() error { base = true; return a.reset(ctx) }, func(line []byte) error {
		ok, err := a.apply(ctx, line)
		if ok {
			n++
		} else if err == nil {
			bad++
		}
		return err
	})
	return base, n, bad, err
}

// isBaseSegment reports whether the segment key is a base (reading its
// first bytes only).
func isBaseSegment(ctx context.Context, b blob.Bucket, key string) (bool, error) {
	rc, err := b.Open(ctx, key, 0, int64(len(baseSegmentHeader)))
	if err != nil {
		return false, fmt.Errorf("store: read journal segment %s: %w", key, err)
	}
	defer rc.Close()
	first, err := io.ReadAll(rc)
	if err != nil {
		return false, fmt.Errorf("store: read journal segment %s: %w", key, err)
	}
	return string(first) == baseSegmentHeader, nil
}

// repairSegment handles the segment numbered h.next, which the index does
// not cover, under the journal's lock: a plain segment (a writer killed
// before its commit) is indexed and h.next advanced; a base segment (a
// compaction killed before its commit) is deleted, since the segments it
// would replace are all still there.
func (s *Store) repairSegment(ctx context.Context, tx *sql.Tx, ap *journalAppliers, prefix string, h *head) error {
	key := segmentKey(prefix, h.next)
	a, err := ap.get(ctx, prefix)
	if err != nil {
		return err
	}
	isBase, err := isBaseSegment(ctx, s.bucket, key)
	if err != nil {
		return err
	}
	if isBase {
		if err := s.bucket.Delete(ctx, key); err != nil {
			return fmt.Errorf("store: delete the base segment of a compaction that did not finish: %w", err)
		}
		s.log.Info("store: deleted the segment of a journal compaction that did not finish", "key", key)
		return nil
	}
	_, n, bad, err := indexSegment(ctx, s.bucket, key, a)
	if err != nil {
		return err
	}
	if bad > 0 {
		s.log.Warn("store: skipped unreadable journal lines", "key", key, "lines", bad)
	}
	s.log.Info("store: indexed a journal segment a writer that died left unindexed", "key", key, "lines", n)
	h.next++
	return s.x.setHead(ctx, tx, prefix, *h)
}

// appendSegment puts body as the next segment of the journal prefix and
// advances its head, inside tx, first indexing (with ap) a segment a dead
// writer left unindexed. It returns the head afterwards; the caller
// indexes body's lines in tx.
func (s *Store) appendSegment(ctx context.Context, tx *sql.Tx, ap *journalAppliers, prefix string, body []byte) (head, error) {
	h, err := s.x.lockHead(ctx, tx, prefix)
	if err != nil {
		return h, err
	}
	for attempt := 0; ; attempt++ {
		_, err := s.bucket.Put(ctx, segmentKey(prefix, h.next), bytes.NewReader(body))
		if err == nil {
			break
		}
		if !errors.Is(err, blob.ErrExist) {
			return h, fmt.Errorf("store: append to journal %s: %w", prefix, err)
		}
		if attempt >= 64 {
			return h, fmt.Errorf("store: append to journal %s: segment %d keeps existing: %w", prefix, h.next, err)
		}
		if err := s.repairSegment(context.WithoutCancel(ctx), tx, ap, prefix, &h); err != nil {
			return h, err
		}
	}
	h.next++
	return h, s.x.setHead(context.WithoutCancel(ctx), tx, prefix, h)
}

// needsCompaction reports whether a journal with head h is due.
func needsCompaction(h head) bool { return h.next-h.base-1 > compactEvery }

// putTrendSegments is PutTrendPoints on a bucket: one segment per
// subsystem, indexed in one transaction.
func (s *Store) putTrendSegments(ctx context.Context, bySys map[string][]trendLine, systems []string) error {
	bodies := make(map[string][]byte, len(systems))
	for _, sys := range systems {
		b, err := encodeLines(bySys[sys])
		if err != nil {
			return fmt.Errorf("store: encode trend points: %w", err)
		}
		bodies[sys] = b
	}
	var due []string
	err := s.x.tx(ctx, func(tx *sql.Tx) error {
		ap := newJournalAppliers(s.x, tx)
		defer ap.close()
		ictx := context.WithoutCancel(ctx) // once a segment is put, it is indexed
		for i, sys := range systems {
			c := ctx
			if i > 0 {
				c = ictx // a segment of this call is put: no half call
			}
			h, err := s.appendSegment(c, tx, ap, trendPrefix(sys), bodies[sys])
			if err != nil {
				return err
			}
			if needsCompaction(h) {
				due = append(due, sys)
			}
			a, err := ap.get(ictx, trendPrefix(sys))
			if err != nil {
				return err
			}
			for _, l := range bySys[sys] {
				if err := a.(*trendApplier).w.put(ictx, l); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, sys := range due {
		if _, err := s.compactJournal(context.WithoutCancel(ctx), trendPrefix(sys), time.Time{}); err != nil {
			s.log.Warn("store: compact trend journal", "sys", sys, "err", err)
		}
	}
	return nil
}

// encodeLines encodes values as JSON lines: the body of a segment.
func encodeLines[T any](values []T) ([]byte, error) {
	var buf bytes.Buffer
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// alarmSegmentLines are the lines of the alarm segment of one write: its
// events, then the record.
func alarmSegmentLines(doc []byte, events [][]byte) []alarmSegLine {
	out := make([]alarmSegLine, 0, len(events)+1)
	for _, l := range events {
		out = append(out, alarmSegLine{Event: l})
	}
	return append(out, alarmSegLine{Alarm: doc})
}

// writeAlarmSegment is writeAlarm on a bucket: the record (encoded as doc)
// and the event lines are one segment of the alarm journal, indexed in tx.
// It reports whether the journal is due for compaction.
func (s *Store) writeAlarmSegment(ctx context.Context, tx *sql.Tx, a overwatch.AlarmRecord, doc []byte, events []overwatch.AlarmEvent, lines [][]byte) (bool, error) {
	body, err := encodeLines(alarmSegmentLines(doc, lines))
	if err != nil {
		return false, fmt.Errorf("store: encode alarm %q: %w", a.ID, err)
	}
	ap := newJournalAppliers(s.x, tx)
	defer ap.close()
	h, err := s.appendSegment(ctx, tx, ap, alarmSegmentsDir, body)
	if err != nil {
		return false, err
	}
	ictx := context.WithoutCancel(ctx)
	for i, e := range events {
		if err := s.x.putAlarmEvent(ictx, tx, e, lines[i]); err != nil {
			return false, err
		}
	}
	return needsCompaction(h), s.x.putAlarm(ictx, tx, a, doc)
}

// compactAlarmsIfDue compacts the alarm journal after a write that found
// it due.
func (s *Store) compactAlarmsIfDue(ctx context.Context, due bool) {
	if !due {
		return
	}
	if _, err := s.compactJournal(context.WithoutCancel(ctx), alarmSegmentsDir, time.Time{}); err != nil {
		s.log.Warn("store: compact alarm journal", "err", err)
	}
}

// listSegments lists the segments of every journal under prefix, by
// journal, each in number order.
func listSegments(ctx context.Context, b blob.Bucket, prefix string, log func(msg string, args ...any)) (map[string][]int64, error) {
	out := map[string][]int64{}
	err := b.List(ctx, prefix, func(info blob.Info) error {
		p, seq, ok := parseSegmentKey(info.Key)
		if !ok {
			log("store: not a journal segment, ignored", "key", info.Key)
			return nil
		}
		out[p] = append(out[p], seq)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list journal segments: %w", err)
	}
	for _, seqs := range out {
		sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	}
	return out, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rebuildBucketJournals replays every journal segment of the bucket into
// the empty index tx, each journal in number order (a base resets the
// journal's state), and records the heads. Memory holds the segment
// numbers of the listing and one line at a time.
func rebuildBucketJournals(ctx context.Context, x *db, tx *sql.Tx, b blob.Bucket, opts Options) error {
	all, err := listSegments(ctx, b, journalsDir+"/", opts.Logger.Warn)
	if err != nil {
		return err
	}
	ap := newJournalAppliers(x, tx)
	defer ap.close()
	for _, prefix := range sortedKeys(all) {
		a, err := ap.get(ctx, prefix)
		if err != nil {
			return err
		}
		seqs := all[prefix]
		h := head{next: seqs[len(seqs)-1] + 1, base: -1}
		// Segments before the newest base (left by a compaction that died
		// before deleting them) are replayed too, then reset by the base:
		// reading them costs less than looking for the base first, in
		// the usual listing that begins with the base.
		bad := 0
		for _, seq := range seqs {
			if err := ctx.Err(); err != nil {
				return err
			}
			isBase, _, nbad, err := indexSegment(ctx, b, segmentKey(prefix, seq), a)
			if errors.Is(err, blob.ErrNotExist) {
				continue // deleted by a compaction since the listing
			}
			if err != nil {
				return err
			}
			if isBase {
				h.base = seq
			}
			bad += nbad
		}
		if bad > 0 {
			opts.Logger.Warn("store: rebuild: skipped unreadable journal lines", "journal", prefix, "lines", bad)
		}
		if err := x.setHead(ctx, tx, prefix, h); err != nil {
			return err
		}
	}
	return nil
}

// reconcileBucketJournals indexes, under each journal's lock, the
// segments numbered from its head on: those of writers that died between
// their put and their commit.
func (s *Store) reconcileBucketJournals(ctx context.Context, tx *sql.Tx) error {
	all, err := listSegments(ctx, s.bucket, journalsDir+"/", s.log.Debug)
	if err != nil {
		return err
	}
	known, err := s.x.heads(ctx, tx)
	if err != nil {
		return err
	}
	ap := newJournalAppliers(s.x, tx)
	defer ap.close()
	for _, prefix := range sortedKeys(all) {
		seqs := all[prefix]
		if h, ok := known[prefix]; ok && seqs[len(seqs)-1] < h.next {
			continue
		}
		h, err := s.x.lockHead(ctx, tx, prefix)
		if err != nil {
			return err
		}
		if err := s.repairOrphans(ctx, tx, ap, prefix, &h); err != nil {
			return err
		}
	}
	return nil
}

// repairOrphans repairs (repairSegment) the segments numbered from h.next
// on, under the journal's lock: left by writers that died before their
// commit.
func (s *Store) repairOrphans(ctx context.Context, tx *sql.Tx, ap *journalAppliers, prefix string, h *head) error {
	for {
		_, err := s.bucket.Stat(ctx, segmentKey(prefix, h.next))
		if errors.Is(err, blob.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: stat journal segment: %w", err)
		}
		before := h.next
		if err := s.repairSegment(ctx, tx, ap, prefix, h); err != nil {
			return err
		}
		if h.next == before {
			return nil // an unfinished compaction's base, deleted
		}
	}
}

// compactJournal replaces the segments of the journal prefix by one base
// segment holding the journal's state in the index — after forgetting the
// trend points older than cut (none when zero) — and deletes them; it
// returns the number of points forgotten.
func (s *Store) compactJournal(ctx context.Context, prefix string, cut time.Time) (int, error) {
	sys := ""
	if prefix != alarmSegmentsDir {
		sys = strings.TrimSuffix(strings.TrimPrefix(prefix, trendSegmentsDir), "/")
	}
	deleted := 0
	base := int64(-1)
	err := s.x.tx(ctx, func(tx *sql.Tx) error {
		h, err := s.x.lockHead(ctx, tx, prefix)
		if err != nil {
			return err
		}
		ap := newJournalAppliers(s.x, tx)
		defer ap.close()
		if err := s.repairOrphans(ctx, tx, ap, prefix, &h); err != nil {
			return err
		}
		if sys != "" && !cut.IsZero() {
			if deleted, err = s.x.deleteTrendsBefore(ctx, tx, sys, cut); err != nil {
				return err
			}
		}
		if h.next == h.base+1 && deleted == 0 {
			base = h.base // nothing since the last base: only delete what it replaced
			return nil
		}
		f, err := os.CreateTemp(s.dir, fsio.TmpPrefix+"segment-")
		if err != nil {
			return fmt.Errorf("store: compact journal %s: %w", prefix, err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		bw := bufio.NewWriterSize(f, 64<<10)
		bw.WriteString(baseSegmentHeader + "\n")
		if sys != "" {
			err = s.x.trendLines(ctx, tx, "SELECT "+trendColumns+" FROM trend_points WHERE sys = ? ORDER BY trend, t, seq", []any{sys}, func(l trendLine) error {
				b, err := json.Marshal(l)
				if err != nil {
					return err
				}
				bw.Write(b)
				return bw.WriteByte('\n')
			})
		} else {
			err = s.x.writeAlarmBase(ctx, tx, bw)
		}
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			return fmt.Errorf("store: compact journal %s: %w", prefix, err)
		}
		key := segmentKey(prefix, h.next)
		if _, err := s.bucket.Put(ctx, key, f); err != nil {
			return fmt.Errorf("store: compact journal %s: %w", prefix, err)
		}
		h.base, h.next = h.next, h.next+1
		base = h.base
		return s.x.setHead(ctx, tx, prefix, h)
	})
	if err != nil {
		return 0, err
	}
	if base >= 0 {
		s.deleteSegmentsBefore(ctx, prefix, base)
	}
	return deleted, nil
}

// deleteSegmentsBefore deletes the segments of a journal numbered below
// base (replaced by it). Failures are logged: a later compaction deletes
// what is left.
func (s *Store) deleteSegmentsBefore(ctx context.Context, prefix string, base int64) {
	var old []string
	err := s.bucket.List(ctx, prefix, func(info blob.Info) error {
		if p, seq, ok := parseSegmentKey(info.Key); ok && p == prefix && seq < base {
			old = append(old, info.Key)
		}
		return nil
	})
	for _, k := range old {
		if derr := s.bucket.Delete(ctx, k); derr != nil && err == nil {
			err = derr
		}
	}
	if err != nil {
		s.log.Warn("store: delete compacted journal segments (the next compaction retries)", "journal", prefix, "err", err)
	}
}

// writeAlarmBase writes every alarm event and record of the index as
// lines of an alarm segment: the events in the order they were indexed
// (so that a rebuild numbers them in the same order, which orders events
// of the same time), then the records by ID.
func (x *db) writeAlarmBase(ctx context.Context, e execer, w *bufio.Writer) error {
	for _, q := range []struct {
		query string
		wrap  func(doc []byte) alarmSegLine
	}{
		{"SELECT doc FROM alarm_events ORDER BY id", func(d []byte) alarmSegLine { return alarmSegLine{Event: d} }},
		{"SELECT doc FROM alarms ORDER BY id", func(d []byte) alarmSegLine { return alarmSegLine{Alarm: d} }},
	} {
		err := func() error {
			rows, err := e.QueryContext(ctx, q.query)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var doc string
				if err := rows.Scan(&doc); err != nil {
					return err
				}
				b, err := json.Marshal(q.wrap([]byte(doc)))
				if err != nil {
					return err
				}
				w.Write(b)
				w.WriteByte('\n')
			}
			return rows.Err()
		}()
		if err != nil {
			return fmt.Errorf("store: read alarms: %w", err)
		}
	}
	return nil
}

// pruneBucketTrends is PruneTrends on a bucket: every trend journal the
// index knows is compacted with the cut.
func (s *Store) pruneBucketTrends(ctx context.Context, before time.Time) (int, error) {
	known, err := s.x.heads(ctx, s.x.r)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, prefix := range sortedKeys(known) {
		if !strings.HasPrefix(prefix, trendSegmentsDir) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		n, err := s.compactJournal(ctx, prefix, before)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	if before.IsZero() {
		if _, err := s.compactJournal(ctx, alarmSegmentsDir, time.Time{}); err != nil {
			return deleted, err
		}
	}
	if deleted > 0 {
		s.x.checkpoint(ctx, s.opts.Logger)
	}
	return deleted, nil
}

// fillJournals puts the journals into the empty index of a rebuild: from
// the bucket's segments, or from the data directory's journal files and
// alarm documents when the bucket is the directory.
func fillJournals(ctx context.Context, x *db, tx *sql.Tx, dir string, opts Options, clean bool, st *RebuildStats) error {
	var err error
	if journalsOnBucket(dir, opts.Bucket) {
		if err := rebuildBucketJournals(ctx, x, tx, opts.Bucket, opts); err != nil {
			return fmt.Errorf("store: rebuild: %w", err)
		}
		return countJournals(ctx, tx, st)
	}
	if st.TrendPoints, err = replayAllTrends(ctx, x, tx, dir, opts, true); err != nil {
		return fmt.Errorf("store: rebuild: %w", err)
	}
	if st.Alarms, err = syncAlarms(ctx, x, tx, dir, opts, clean); err != nil {
		return fmt.Errorf("store: rebuild: %w", err)
	}
	if st.AlarmEvents, err = replayAlarmEvents(ctx, x, tx, dir, opts, true); err != nil {
		return fmt.Errorf("store: rebuild: %w", err)
	}
	return nil
}

// countJournals sets the journal counts of st from the index.
func countJournals(ctx context.Context, tx *sql.Tx, st *RebuildStats) error {
	for _, c := range []struct {
		table string
		n     *int
	}{{"trend_points", &st.TrendPoints}, {"alarms", &st.Alarms}, {"alarm_events", &st.AlarmEvents}} {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+c.table).Scan(c.n); err != nil {
			return fmt.Errorf("store: rebuild: count %s: %w", c.table, err)
		}
	}
	return nil
}

// reconcileJournals re-indexes what writers that died left in the
// journals (segments on a bucket; lines past the recorded offsets and the
// alarm documents in the data directory).
func (s *Store) reconcileJournals(ctx context.Context, tx *sql.Tx) error {
	if s.journalsOnBucket() {
		return s.reconcileBucketJournals(ctx, tx)
	}
	if _, err := replayAllTrends(ctx, s.x, tx, s.dir, s.opts, false); err != nil {
		return err
	}
	if _, err := syncAlarms(ctx, s.x, tx, s.dir, s.opts, true); err != nil {
		return err
	}
	_, err := replayAlarmEvents(ctx, s.x, tx, s.dir, s.opts, false)
	return err
}

// journalsOnBucket reports whether the store's journals and alarm
// documents live on its bucket (see journalsOnBucket).
func (s *Store) journalsOnBucket() bool { return journalsOnBucket(s.dir, s.bucket) }
