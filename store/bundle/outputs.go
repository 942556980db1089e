package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Source is the store Outputs reads: outputs with ranged reads.
type Source interface {
	Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error)
	OutputTime(ctx context.Context, ref overwatch.OutputRef) (time.Time, error)
	overwatch.OutputRanger
}

// Ref returns the reference of the bundle of a run's subsystem (slice ""
// for the full run, the time-slice key otherwise).
func Ref(run int, sys, slice string) overwatch.OutputRef {
	return overwatch.OutputRef{Run: run, Subsystem: sys, Slice: slice, Kind: overwatch.OutputBundle}
}

// inBundle reports whether an output of ref's kind lives in a bundle:
// the histogram outputs and the view of a run (trending outputs, Run 0,
// and slice records do not).
func inBundle(ref overwatch.OutputRef) bool {
	if ref.Run <= 0 {
		return false
	}
	switch ref.Kind {
	case overwatch.OutputJSON, overwatch.OutputHints, overwatch.OutputPNG:
		return ref.Name != ""
	case overwatch.OutputView:
		return ref.Name == ""
	}
	return false
}

// maxCachedIndex bounds the memory of the indexes Outputs keeps.
const maxCachedIndex = 64 << 20

// Outputs reads processing outputs through their bundles: the histogram
// outputs and the view of a run are members of its bundle; other outputs
// (trends, slice records) and the per-file outputs of stores processed
// before bundles existed are read as they are. It keeps the index of every
// bundle it opened, revalidated against the bundle's size and write time on
// every use (one stat), and reads member bytes with ranged reads, never the
// whole bundle. It implements overwatch.OutputStore (PutOutput passes
// through), so that readers of outputs need not know about bundles. It is
// safe for concurrent use.
type Outputs struct {
	src   Source
	mu    sync.Mutex
	cache map[overwatch.OutputRef]*Bundle
	bytes int
}

// OutputReader is what readers of outputs use: Outputs is one, and so is
// every store.
type OutputReader interface {
	Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error)
	OutputTime(ctx context.Context, ref overwatch.OutputRef) (time.Time, error)
}

var _ OutputReader = (*Outputs)(nil)

// NewOutputs returns an Outputs reading src.
func NewOutputs(src Source) *Outputs {
	return &Outputs{src: src, cache: map[overwatch.OutputRef]*Bundle{}}
}

// Bundle is an opened bundle: the version of the stored output its index
// was read from.
type Bundle struct {
	// Ref is the bundle's output reference, Info its size and write time.
	Ref  overwatch.OutputRef
	Info overwatch.OutputInfo
	// Index is its decoded index.
	Index *Index
	src   Source
}

// ID returns the bundle's identity (Index.ID).
func (b *Bundle) ID() string { return b.Index.ID() }

// Read reads a member's bytes (checked against its hash). The error wraps
// overwatch.ErrNotFound when the bundle has no such member, ErrCorrupt when
// the bytes do not match (the bundle was replaced since it was opened, or
// is damaged).
func (b *Bundle) Read(ctx context.Context, name string) ([]byte, Entry, error) {
	e, ok := b.Index.Lookup(name)
	if !ok {
		return nil, Entry{}, fmt.Errorf("bundle: %s of run %d %s: %w", name, b.Ref.Run, b.Ref.Subsystem, overwatch.ErrNotFound)
	}
	data, err := ReadMember(rangeReader{ctx: ctx, src: b.src, ref: b.Ref}, e)
	return data, e, err
}

// rangeReader is an io.ReaderAt over an output's ranged reads.
type rangeReader struct {
	ctx context.Context
	src overwatch.OutputRanger
	ref overwatch.OutputRef
}

func (r rangeReader) ReadAt(p []byte, off int64) (int, error) {
	rc, err := r.src.OpenOutput(r.ctx, r.ref, off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

// Open returns the current bundle of (run, sys, slice); the error wraps
// overwatch.ErrNotFound when there is none.
func (o *Outputs) Open(ctx context.Context, run int, sys, slice string) (*Bundle, error) {
	return o.open(ctx, Ref(run, sys, slice), false)
}

func (o *Outputs) open(ctx context.Context, ref overwatch.OutputRef, fresh bool) (*Bundle, error) {
	info, err := o.src.OutputInfo(ctx, ref)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	b, ok := o.cache[ref]
	o.mu.Unlock()
	if ok && !fresh && b.Info.Size == info.Size && b.Info.Time.Equal(info.Time) && b.Info.SHA256 == info.SHA256 {
		return b, nil
	}
	x, err := ReadIndex(rangeReader{ctx: ctx, src: o.src, ref: ref}, info.Size)
	if err != nil {
		return nil, fmt.Errorf("bundle: run %d %s slice %q: %w", ref.Run, ref.Subsystem, ref.Slice, err)
	}
	b = &Bundle{Ref: ref, Info: info, Index: x, src: o.src}
	o.mu.Lock()
	if old, ok := o.cache[ref]; ok {
		o.bytes -= old.Index.indexSz
	}
	if o.bytes+x.indexSz > maxCachedIndex {
		clear(o.cache)
		o.bytes = 0
	}
	o.cache[ref] = b
	o.bytes += x.indexSz
	o.mu.Unlock()
	return b, nil
}

// Content is an output read through Outputs.
type Content struct {
	Data []byte
	// Time is when the output (its bundle) was written.
	Time time.Time
	// ETag is a quoted strong entity tag: the content's SHA-256.
	ETag string
	// Bundle is the ID of the bundle it was read from ("" for an output
	// stored on its own).
	Bundle string
}

// Read reads an output: a member of its run's bundle when the run has one
// (the error wraps overwatch.ErrNotFound when the bundle lacks the member,
// whatever older per-file outputs exist), the output itself otherwise.
func (o *Outputs) Read(ctx context.Context, ref overwatch.OutputRef) (Content, error) {
	if inBundle(ref) {
		bref := Ref(ref.Run, ref.Subsystem, ref.Slice)
		name := MemberName(ref.Kind, ref.Name)
		for attempt := 0; ; attempt++ {
			b, err := o.open(ctx, bref, attempt > 0)
			if errors.Is(err, overwatch.ErrNotFound) {
				break
			}
			// A bundle replaced between the stat and the index read (the
			// index is then read from the new file with the old size):
			// once more.
			if err != nil && attempt == 0 {
				continue
			}
			if err != nil {
				return Content{}, err
			}
			data, e, err := b.Read(ctx, name)
			// A bundle replaced between the stat and the read: once more.
			if errors.Is(err, ErrCorrupt) && attempt == 0 {
				continue
			}
			if err != nil {
				return Content{}, err
			}
			return Content{Data: data, Time: b.Info.Time, ETag: e.ETag(), Bundle: b.ID()}, nil
		}
	}
	data, err := o.src.Output(ctx, ref)
	if err != nil {
		return Content{}, err
	}
	mod, err := o.src.OutputTime(ctx, ref)
	if err != nil {
		return Content{}, err
	}
	sum := sha256.Sum256(data)
	return Content{Data: data, Time: mod, ETag: `"` + hex.EncodeToString(sum[:]) + `"`}, nil
}

// Output reads an output (see Read); the error wraps overwatch.ErrNotFound
// when it is absent.
func (o *Outputs) Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error) {
	c, err := o.Read(ctx, ref)
	return c.Data, err
}

// OutputTime returns when an output was written: its bundle's write time
// for a bundle member (the error wraps overwatch.ErrNotFound when the
// bundle lacks it), the output's own otherwise.
func (o *Outputs) OutputTime(ctx context.Context, ref overwatch.OutputRef) (time.Time, error) {
	if inBundle(ref) {
		b, err := o.Open(ctx, ref.Run, ref.Subsystem, ref.Slice)
		switch {
		case err == nil:
			if _, ok := b.Index.Lookup(MemberName(ref.Kind, ref.Name)); !ok {
				return time.Time{}, fmt.Errorf("bundle: %s %q of run %d %s: %w", ref.Kind, ref.Name, ref.Run, ref.Subsystem, overwatch.ErrNotFound)
			}
			return b.Info.Time, nil
		case !errors.Is(err, overwatch.ErrNotFound):
			return time.Time{}, err
		}
	}
	return o.src.OutputTime(ctx, ref)
}
