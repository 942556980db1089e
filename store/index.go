package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/overwatch-dqm/overwatch"
	bolt "go.etcd.io/bbolt"
)

// schemaVersion is stored in the index; an index of another version is
// rebuilt from the files on open.
const schemaVersion = "overwatch-store-3"

// Buckets of the index.
var (
	bMeta       = []byte("meta")       // "schema" → schemaVersion, "runs" → count
	bRuns       = []byte("runs")       // run (8 bytes BE) → encodeRun(runRecord)
	bSnaps      = []byte("snaps")      // snapKey → snapRecord.encode()
	bDirty      = []byte("dirty")      // "Run<N>/<SYS>" → "" while written to by an open store
	bTrends     = []byte("trends")     // trendKey → trendRecord JSON
	bTrendFiles = []byte("trendfiles") // trending/<SYS>/points.jsonl → offset indexed (8 bytes)
	bAlarms     = []byte("alarms")     // id → AlarmRecord JSON
	allBuckets  = [][]byte{bMeta, bRuns, bSnaps, bDirty, bTrends, bTrendFiles, bAlarms}
	keySchema   = []byte("schema")
	keyRunCount = []byte("runs")
)

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

// runRecord is the index entry of a run.
type runRecord struct {
	Mode overwatch.HLTMode     `json:"mode"`
	Subs map[string]*subRecord `json:"subs"`
}

// snapRecord is the index entry of a snapshot.
type snapRecord struct {
	Name   string `json:"n"`
	Size   int64  `json:"s"`
	Source string `json:"src,omitempty"`
}

func runKey(run int) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(run))
	return k[:]
}

// orderedInt64 maps an int64 to 8 bytes that sort like the numbers.
func orderedInt64(v int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v)^(1<<63))
	return b[:]
}

func fromOrderedInt64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// snapPrefix is the key prefix of the snapshots of (run, sys).
func snapPrefix(run int, sys string) []byte {
	k := append(runKey(run), sys...)
	return append(k, 0)
}

func snapKey(run int, sys string, st stamp) []byte {
	k := snapPrefix(run, sys)
	k = append(k, orderedInt64(st.T)...)
	return binary.BigEndian.AppendUint32(k, uint32(st.Seq))
}

// parseSnapKey returns the run, subsystem and stamp of a snapshot key.
func parseSnapKey(k []byte) (int, string, stamp, error) {
	if len(k) < 8+1+1+12 {
		return 0, "", stamp{}, fmt.Errorf("store: index key %x too short", k)
	}
	run := int(binary.BigEndian.Uint64(k[:8]))
	rest := k[8:]
	i := bytes.IndexByte(rest, 0)
	if i < 1 || len(rest)-i-1 != 12 {
		return 0, "", stamp{}, fmt.Errorf("store: malformed snapshot key %x", k)
	}
	tail := rest[i+1:]
	return run, string(rest[:i]), stamp{T: fromOrderedInt64(tail[:8]), Seq: int(binary.BigEndian.Uint32(tail[8:]))}, nil
}

func getRun(tx *bolt.Tx, run int) (*runRecord, error) {
	v := tx.Bucket(bRuns).Get(runKey(run))
	if v == nil {
		return nil, nil
	}
	r, err := decodeRun(v)
	if err != nil {
		return nil, fmt.Errorf("store: index entry of run %d: %w", run, err)
	}
	return r, nil
}

func putRun(tx *bolt.Tx, run int, r *runRecord) error {
	b := tx.Bucket(bRuns)
	k := runKey(run)
	isNew := b.Get(k) == nil
	if err := b.Put(k, encodeRun(r)); err != nil {
		return fmt.Errorf("store: index run %d: %w", run, err)
	}
	if isNew {
		return addRunCount(tx, 1)
	}
	return nil
}

func deleteRun(tx *bolt.Tx, run int) error {
	b := tx.Bucket(bRuns)
	k := runKey(run)
	if b.Get(k) == nil {
		return nil
	}
	if err := b.Delete(k); err != nil {
		return fmt.Errorf("store: delete run %d from index: %w", run, err)
	}
	return addRunCount(tx, -1)
}

func runCount(tx *bolt.Tx) int {
	v := tx.Bucket(bMeta).Get(keyRunCount)
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

func addRunCount(tx *bolt.Tx, d int) error {
	n := runCount(tx) + d
	if n < 0 {
		n = 0
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return tx.Bucket(bMeta).Put(keyRunCount, b[:])
}

// recomputeSub rebuilds the summary of (run, sys) from its snapshot keys.
func recomputeSub(tx *bolt.Tx, run int, sys string) (*subRecord, error) {
	c := tx.Bucket(bSnaps).Cursor()
	p := snapPrefix(run, sys)
	var sr *subRecord
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		_, _, st, err := parseSnapKey(k)
		if err != nil {
			return nil, err
		}
		var rec snapRecord
		if err := rec.decode(v); err != nil {
			return nil, fmt.Errorf("store: index entry of snapshot %x: %w", k, err)
		}
		if sr == nil {
			sr = &subRecord{First: st}
		}
		sr.N++
		sr.Last, sr.LastName = st, rec.Name
	}
	return sr, nil
}

// runInfo turns an index record into the public RunInfo: every subsystem
// with snapshots of its own, plus every configured subsystem without
// snapshots of its own that borrows the HLT receiver's files when the run
// has HLT snapshots (whenever they arrived — not only at run creation).
func (s *Store) runInfo(run int, r *runRecord) overwatch.RunInfo {
	info := overwatch.RunInfo{Number: run, Mode: r.Mode}
	mk := func(name, source string, sr *subRecord) overwatch.SubsystemInfo {
		return overwatch.SubsystemInfo{
			Run: run, Name: name, FilesFrom: source,
			Start: sr.First.time(), End: sr.Last.time(), Snapshots: sr.N,
			Last: overwatch.SnapshotRef{Run: run, Subsystem: source, Time: sr.Last.time(), Seq: sr.Last.Seq},
		}
	}
	first := true
	for name, sr := range r.Subs {
		info.Subsystems = append(info.Subsystems, mk(name, name, sr))
		if first || sr.First.time().Before(info.Start) {
			info.Start = sr.First.time()
		}
		if first || sr.Last.time().After(info.End) {
			info.End = sr.Last.time()
		}
		first = false
	}
	if hlt, ok := r.Subs[overwatch.HLTSubsystem]; ok {
		for _, name := range s.subsystems {
			if _, own := r.Subs[name]; !own {
				info.Subsystems = append(info.Subsystems, mk(name, overwatch.HLTSubsystem, hlt))
			}
		}
	}
	sort.Slice(info.Subsystems, func(i, j int) bool { return info.Subsystems[i].Name < info.Subsystems[j].Name })
	return info
}

// runRecordVersion starts the binary encoding of a runRecord.
const runRecordVersion = 1

// encodeRun encodes a run record compactly (listing runs decodes one per
// run, so this is on the hot path of the run list): version, mode, then
// per subsystem in name order its name, count, first and last stamps and
// the newest file name. Lengths and numbers are varints.
func encodeRun(r *runRecord) []byte {
	b := []byte{runRecordVersion}
	b = appendString(b, string(r.Mode))
	names := make([]string, 0, len(r.Subs))
	for n := range r.Subs {
		names = append(names, n)
	}
	sort.Strings(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		sr := r.Subs[n]
		b = appendString(b, n)
		b = binary.AppendUvarint(b, uint64(sr.N))
		b = binary.AppendVarint(b, sr.First.T)
		b = binary.AppendUvarint(b, uint64(sr.First.Seq))
		b = binary.AppendVarint(b, sr.Last.T)
		b = binary.AppendUvarint(b, uint64(sr.Last.Seq))
		b = appendString(b, sr.LastName)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads what encodeRun wrote, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errors.New("bad unsigned varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errors.New("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int {
	v := d.uvarint()
	if v > math.MaxInt32 {
		d.err = fmt.Errorf("number %d out of range", v)
		return 0
	}
	return int(v)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = fmt.Errorf("string of %d bytes in %d", n, len(d.b))
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// decodeRun decodes encodeRun's output; malformed bytes give an error,
// never a panic.
func decodeRun(b []byte) (*runRecord, error) {
	if len(b) == 0 || b[0] != runRecordVersion {
		return nil, fmt.Errorf("store: run record: want version %d", runRecordVersion)
	}
	d := &decoder{b: b[1:]}
	r := &runRecord{Mode: overwatch.HLTMode(d.string()), Subs: map[string]*subRecord{}}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, fmt.Errorf("store: run record: %d subsystems in %d bytes", n, len(d.b))
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		name := d.string()
		sr := &subRecord{N: d.int()}
		sr.First.T, sr.First.Seq = d.varint(), d.int()
		sr.Last.T, sr.Last.Seq = d.varint(), d.int()
		sr.LastName = d.string()
		r.Subs[name] = sr
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return nil, fmt.Errorf("store: run record: %w", d.err)
	}
	return r, nil
}

// snapRecordVersion starts the binary encoding of a snapRecord.
const snapRecordVersion = 1

// encode encodes a snapshot entry compactly (run folders are listed on
// the hot paths of processing and time slices): version, name, size,
// source.
func (r snapRecord) encode() []byte {
	b := []byte{snapRecordVersion}
	b = appendString(b, r.Name)
	b = binary.AppendVarint(b, r.Size)
	return appendString(b, r.Source)
}

// decode decodes encode's output; malformed bytes give an error, never a
// panic.
func (r *snapRecord) decode(b []byte) error {
	if len(b) == 0 || b[0] != snapRecordVersion {
		return fmt.Errorf("store: snapshot record: want version %d", snapRecordVersion)
	}
	d := &decoder{b: b[1:]}
	r.Name = d.string()
	r.Size = d.varint()
	r.Source = d.string()
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("store: snapshot record: %w", d.err)
	}
	return nil
}
