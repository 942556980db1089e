package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
)

// Outputs on a bucket other than the data directory (S3, XRootD/EOS).
//
// Objects are immutable, so every version of an output is a new object,
//
//	outputs/<OutputPath(ref)>/<version: 19-digit Unix nanoseconds>-<SHA-256, 64 hex>
//
// (lexical order of one output's keys is time order), and a row of the
// index table outputs points at the current one (key, size, SHA-256,
// write time). The version is the write time, moved past the current
// version's when the clock is behind it, so versions of one output only
// grow and OutputTime moves forward on every replacement, whatever the
// clocks of several machines say.
//
// PutOutput is three steps: an index transaction records the new key as
// pending garbage (an intent: a writer that dies before the last step
// leaves an object that the sweep deletes, never an unindexed object
// nobody knows about); the object is put; a second transaction points the
// row at the new key unless a greater one is already there (of two
// concurrent writers the later version wins, the other becomes garbage),
// clears the intent and records the superseded key as garbage. Readers
// therefore see the old version or the new one, whole, never a mix.
//
// Superseded objects are not deleted at once: a reader that resolved the
// row just before a replacement (the web app reads a bundle's index and
// then its members by ranged reads, each resolving the row again) must
// still find the object it resolved. They are deleted by a sweep, run in
// the background by later writes (at most one at a time per Store, at
// most every outputSweepEvery), once they have been garbage for
// outputGrace. So at most the versions superseded within one grace
// period are kept besides the current ones. A bundle reader that reads a
// member after its bundle was replaced gets the new version's bytes,
// which fail the member's hash, and reopens the bundle (package
// store/bundle), exactly as with the rename of the directory layout.
// (The alternative, readers that resolve the key once and read that
// version by key, would need a version handle in overwatch.OutputRanger,
// whose calls name an output by its ref only; the grace period keeps the
// interfaces and the readers as they are.)
//
// DeleteRun drops the run's rows and deletes its objects; rebuild indexes
// the newest object of each output path found by listing outputs/ and
// records the older ones as garbage (it deletes nothing itself).
//
// When the bucket is the data directory (the default), outputs are files
// of the original layout (Run<N>/<SYS>/bundle.owb, …) written by atomic
// rename, and none of this applies.

// outputsDir is the prefix of output objects on a bucket.
const outputsDir = "outputs"

var (
	// outputGrace is how long a superseded output object stays readable.
	outputGrace = time.Minute
	// outputSweepEvery is how often at most a Store sweeps garbage.
	outputSweepEvery = 5 * time.Second
)

// outputSweepBatch bounds the garbage one sweep query returns.
const outputSweepBatch = 256

// outputVersionDigits is the width of the version in an object key.
const outputVersionDigits = 19

// outputSweeper runs the background sweeps of one Store.
type outputSweeper struct {
	next    atomic.Int64 // Unix nanoseconds of the next sweep
	running atomic.Bool
	wg      sync.WaitGroup
}

// outputsOnBucket reports whether the outputs of the store rooted at dir
// are objects of b: b is not the data directory itself.
func outputsOnBucket(dir string, b blob.Bucket) bool {
	if b == nil {
		return false
	}
	d, ok := b.(*blob.DirBucket)
	if !ok {
		return true
	}
	return !sameDir(d.Root(), dir)
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	aa, errA := filepath.Abs(a)
	ab, errB := filepath.Abs(b)
	if errA == nil && errB == nil && aa == ab {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// outputKey is the object key of version v of the output at rel.
func outputKey(rel string, v int64, sum string) string {
	return fmt.Sprintf("%s/%s/%0*d-%s", outputsDir, rel, outputVersionDigits, v, sum)
}

// parseOutputKey splits an object key of outputs/ into the output's path,
// version and SHA-256; ok is false for keys the store does not write.
func parseOutputKey(key string) (rel string, v int64, sum string, ok bool) {
	rest, found := strings.CutPrefix(key, outputsDir+"/")
	if !found {
		return "", 0, "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return "", 0, "", false
	}
	rel, ver := rest[:i], rest[i+1:]
	digits, sum, found := strings.Cut(ver, "-")
	if !found || len(digits) != outputVersionDigits || len(sum) != 2*sha256.Size {
		return "", 0, "", false
	}
	if _, err := hex.DecodeString(sum); err != nil || strings.ToLower(sum) != sum {
		return "", 0, "", false
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || v <= 0 {
		return "", 0, "", false
	}
	if !strings.HasPrefix(rel, "Run") && !strings.HasPrefix(rel, trendingDir+"/") {
		return "", 0, "", false
	}
	return rel, v, sum, true
}

// outputRow is the index row of an output on the bucket.
type outputRow struct {
	Key    string
	Size   int64
	SHA256 string
	MTime  int64 // Unix nanoseconds: the version
}

// putOutputObject writes a new version of the output at rel (see the
// comment at the top of the file).
func (s *Store) putOutputObject(ctx context.Context, rel string, data []byte) error {
	p, err := s.beginOutputVersion(ctx, rel, data)
	if err != nil {
		return err
	}
	if err := s.storeOutputVersion(ctx, p, data); err != nil {
		return err
	}
	if err := s.commitOutputVersion(ctx, p); err != nil {
		return err
	}
	s.maybeSweepOutputs()
	return nil
}

// pendingOutput is a version being written.
type pendingOutput struct {
	rel   string
	row   outputRow
	start time.Time
}

// beginOutputVersion chooses the new version's key (the write time, past
// the current version's) and records it as garbage (the intent).
func (s *Store) beginOutputVersion(ctx context.Context, rel string, data []byte) (pendingOutput, error) {
	h := sha256.Sum256(data)
	p := pendingOutput{rel: rel, start: time.Now(), row: outputRow{Size: int64(len(data)), SHA256: hex.EncodeToString(h[:])}}
	err := s.x.tx(ctx, func(tx *sql.Tx) error {
		cur, ok, err := s.x.outputRow(ctx, tx, rel)
		if err != nil {
			return err
		}
		p.row.MTime = p.start.UnixNano()
		if ok && p.row.MTime <= cur.MTime {
			p.row.MTime = cur.MTime + 1
		}
		p.row.Key = outputKey(rel, p.row.MTime, p.row.SHA256)
		if err := blob.CheckKey("put", p.row.Key); err != nil {
			return fmt.Errorf("store: output %s: %w", rel, err)
		}
		return s.x.addOutputGarbage(ctx, tx, p.row.Key, p.start.UnixNano())
	})
	return p, err
}

// storeOutputVersion puts the new version's object.
func (s *Store) storeOutputVersion(ctx context.Context, p pendingOutput, data []byte) error {
	if _, err := s.bucket.Put(ctx, p.row.Key, bytes.NewReader(data)); err != nil && !errors.Is(err, blob.ErrExist) {
		// ErrExist: another writer put the same content as the same
		// version at the same moment (the key holds the SHA-256); its
		// object is as good as ours.
		return fmt.Errorf("store: put output %s: %w", p.rel, err)
	}
	return nil
}

// commitOutputVersion points the index at the new version, unless a
// newer one is current.
func (s *Store) commitOutputVersion(ctx context.Context, p pendingOutput) error {
	if d := time.Since(p.start); d > outputGrace/2 {
		// The intent may be swept soon: do not point the index at an
		// object that may be gone (it is swept with the intent).
		return fmt.Errorf("store: put output %s: took %v, longer than half the garbage grace of %v; not indexed", p.rel, d.Round(time.Millisecond), outputGrace)
	}
	// The object is stored: index it even if ctx ends now.
	ictx := context.WithoutCancel(ctx)
	now := time.Now().UnixNano()
	return s.x.tx(ictx, func(tx *sql.Tx) error { return s.x.setOutputRow(ictx, tx, p.rel, p.row, now) })
}

// outputObject returns the index row of the output at rel; the error
// wraps overwatch.ErrNotFound when there is none.
func (s *Store) outputObject(ctx context.Context, rel string) (outputRow, error) {
	row, ok, err := s.x.outputRow(ctx, s.x.r, rel)
	if err != nil {
		return row, err
	}
	if !ok {
		return row, fmt.Errorf("store: output %s: %w", rel, overwatch.ErrNotFound)
	}
	return row, nil
}

// openOutputObject opens n bytes from off of the current version of the
// output at rel. An object deleted under a stale row (the run was deleted
// meanwhile) is looked up once more.
func (s *Store) openOutputObject(ctx context.Context, rel string, off, n int64) (io.ReadCloser, outputRow, error) {
	for attempt := 0; ; attempt++ {
		row, err := s.outputObject(ctx, rel)
		if err != nil {
			return nil, row, err
		}
		rc, err := s.bucket.Open(ctx, row.Key, off, n)
		if err == nil {
			return rc, row, nil
		}
		if !errors.Is(err, blob.ErrNotExist) {
			return nil, row, fmt.Errorf("store: open output %s: %w", rel, err)
		}
		if attempt > 0 {
			return nil, row, fmt.Errorf("store: output %s: object %s missing: %w", rel, row.Key, overwatch.ErrNotFound)
		}
	}
}

// readOutputObject reads the current version of the output at rel whole.
func (s *Store) readOutputObject(ctx context.Context, rel string) ([]byte, error) {
	rc, row, err := s.openOutputObject(ctx, rel, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, row.Size)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("store: read output %s: object %s shorter than the %d bytes of the index: %w", rel, row.Key, row.Size, err)
	}
	if n, _ := rc.Read(make([]byte, 1)); n > 0 {
		return nil, fmt.Errorf("store: read output %s: object %s longer than the %d bytes of the index", rel, row.Key, row.Size)
	}
	return b, nil
}

// maybeSweepOutputs starts a background sweep when one is due and none
// is running.
func (s *Store) maybeSweepOutputs() {
	now := time.Now().UnixNano()
	if now < s.outSweep.next.Load() || !s.outSweep.running.CompareAndSwap(false, true) {
		return
	}
	s.outSweep.next.Store(now + int64(outputSweepEvery))
	select {
	case <-s.done:
		s.outSweep.running.Store(false)
		return
	default:
	}
	s.outSweep.wg.Add(1)
	go func() {
		defer s.outSweep.wg.Done()
		defer s.outSweep.running.Store(false)
		if _, err := s.sweepOutputs(context.Background(), time.Now().Add(-outputGrace)); err != nil {
			s.log.Warn("store: sweep superseded outputs", "err", err)
		}
	}()
}

// sweepOutputs deletes the output objects that became garbage before
// `before` (object first, then its garbage row: a crash in between leaves
// a row whose object is gone, deleted again by the next sweep) and
// returns their number.
func (s *Store) sweepOutputs(ctx context.Context, before time.Time) (int, error) {
	n := 0
	for {
		select {
		case <-s.done:
			return n, nil
		default:
		}
		keys, err := s.x.outputGarbage(ctx, before.UnixNano(), outputSweepBatch)
		if err != nil {
			return n, err
		}
		var gone []string
		for _, k := range keys {
			if err := s.bucket.Delete(ctx, k); err != nil {
				s.log.Warn("store: delete superseded output", "key", k, "err", err)
				continue
			}
			gone = append(gone, k)
		}
		if len(gone) > 0 {
			if err := s.x.tx(ctx, func(tx *sql.Tx) error { return s.x.dropOutputGarbage(ctx, tx, gone) }); err != nil {
				return n, err
			}
		}
		n += len(gone)
		if len(keys) < outputSweepBatch || len(gone) == 0 {
			return n, nil
		}
	}
}

// deleteRunOutputs removes the outputs of a run from the bucket: their
// rows become garbage of no grace (the run is gone for readers), every
// object under the run's prefix is deleted (also those of writers that
// died before indexing them), then the garbage rows. A crash in between
// leaves garbage rows, swept by a later write.
func (s *Store) deleteRunOutputs(ctx context.Context, run int) error {
	prefix := RunDir(run) + "/"
	if err := s.x.tx(ctx, func(tx *sql.Tx) error { return s.x.discardOutputs(ctx, tx, prefix) }); err != nil {
		return err
	}
	var keys []string
	flush := func() error {
		for _, k := range keys {
			if err := s.bucket.Delete(ctx, k); err != nil {
				return fmt.Errorf("store: delete run %d: output %s: %w", run, k, err)
			}
		}
		err := s.x.tx(ctx, func(tx *sql.Tx) error { return s.x.dropOutputGarbage(ctx, tx, keys) })
		keys = keys[:0]
		return err
	}
	err := s.bucket.List(ctx, outputsDir+"/"+prefix, func(info blob.Info) error {
		keys = append(keys, info.Key)
		if len(keys) >= outputSweepBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: delete run %d: list its outputs: %w", run, err)
	}
	return flush()
}

// syncOutputs indexes, in a rebuild, the newest object of every output
// path on the bucket, and records the older ones as garbage (to be swept
// by the next Store writing outputs; the rebuild deletes nothing). It
// returns the number of outputs indexed. Listing order groups the
// versions of one path together, so memory stays bounded.
func syncOutputs(ctx context.Context, x *db, tx execer, dir string, b blob.Bucket, opts Options) (int, error) {
	if !outputsOnBucket(dir, b) {
		return 0, nil
	}
	now := time.Now().UnixNano()
	n := 0
	var rel string
	var newest outputRow
	var older []string
	flush := func() error {
		if rel == "" {
			return nil
		}
		if err := x.insertOutputRow(ctx, tx, rel, newest); err != nil {
			return err
		}
		for _, k := range older {
			if err := x.addOutputGarbage(ctx, tx, k, now); err != nil {
				return err
			}
		}
		n++
		rel, older = "", older[:0]
		return nil
	}
	err := b.List(ctx, outputsDir+"/", func(info blob.Info) error {
		r, v, sum, ok := parseOutputKey(info.Key)
		if !ok {
			opts.Logger.Warn("store: rebuild: object under outputs/ is not an output version, skipped", "key", info.Key)
			return nil
		}
		if r != rel {
			if err := flush(); err != nil {
				return err
			}
			rel = r
		} else if info.Key > newest.Key {
			older = append(older, newest.Key)
		} else {
			older = append(older, info.Key)
			return nil
		}
		newest = outputRow{Key: info.Key, Size: info.Size, SHA256: sum, MTime: v}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, fmt.Errorf("store: rebuild: outputs: %w", err)
	}
	return n, nil
}
