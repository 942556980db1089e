package hlt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/fsutil"
	"github.com/overwatch-dqm/overwatch/store"
)

// Sink stores the snapshots a Receiver decodes.
type Sink interface {
	// Put stores one snapshot durably and returns where it went (a path
	// relative to the store or drop folder).
	Put(ctx context.Context, meta overwatch.SnapshotMeta, entries []overwatch.Entry) (string, error)
}

// StoreSink stores snapshots through an overwatch.SnapshotStore: the
// entries are encoded as a ROOT file (overwatch.EncodeFile) and handed to
// PutSnapshot, which writes atomically, numbers same-second snapshots and
// announces them.
type StoreSink struct {
	Store overwatch.SnapshotStore
	// Stored, when set, is given every stored snapshot with the entries it
	// was encoded from, which it must not modify (processing.Handoff.Offer:
	// the processor of the same process skips decoding it again).
	Stored func(overwatch.SnapshotInfo, []overwatch.Entry)
}

// Put implements Sink.
func (s StoreSink) Put(ctx context.Context, meta overwatch.SnapshotMeta, entries []overwatch.Entry) (string, error) {
	data, err := overwatch.EncodeFile(entries)
	if err != nil {
		return "", fmt.Errorf("hlt: encode snapshot: %w", err)
	}
	info, err := s.Store.PutSnapshot(ctx, meta, bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("hlt: store snapshot: %w", err)
	}
	if s.Stored != nil {
		s.Stored(info, entries)
	}
	return info.Path, nil
}

// DropSink writes snapshots into a drop folder with the names the C++
// receiver gives them, <SYS>histos_<run>_<mode>_<Y>_<M>_<D>_<h>_<m>_<s>.root
// in Europe/Zurich wall time with unpadded fields (store.FormatReceiverName),
// so that an Overwatch store can ingest them like the original's files.
// Each file is written under a temporary name, fsynced and linked to its
// final name without ever replacing an existing file: a second snapshot in
// the same second gets the suffix ".1" (".2", ...) before ".root", which
// store.ParseReceiverName understands. The C++ receiver's names have no
// field for the source, so snapshots taken with ResetOnRequest (increments)
// cannot be told apart from cumulative ones in a drop folder; use a
// StoreSink (Source "hlt-reset") or a separate folder for them.
type DropSink struct {
	Dir string
}

// Put implements Sink.
func (s DropSink) Put(ctx context.Context, meta overwatch.SnapshotMeta, entries []overwatch.Entry) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	data, err := overwatch.EncodeFile(entries)
	if err != nil {
		return "", fmt.Errorf("hlt: encode snapshot: %w", err)
	}
	return writeDropFile(s.Dir, meta, data)
}

// maxSeq bounds the same-second suffixes tried before giving up.
const maxSeq = 1000

func writeDropFile(dir string, meta overwatch.SnapshotMeta, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".hltsnapshot.*.tmp")
	if err != nil {
		return "", fmt.Errorf("hlt: drop file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err != nil {
		return "", fmt.Errorf("hlt: drop file: %w", err)
	}
	for seq := 0; seq < maxSeq; seq++ {
		name := store.FormatReceiverName(meta.Subsystem, meta.Run, meta.Mode, meta.Time, seq, false)
		err = os.Link(tmp, filepath.Join(dir, name))
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("hlt: drop file %s: %w", name, err)
		}
		if err := fsutil.SyncDir(dir); err != nil {
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("hlt: drop file: %d files already exist for %s run %d at %v", maxSeq, meta.Subsystem, meta.Run, meta.Time)
}
