package observe

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// DocumentStore reads and writes single documents (overwatch.DocumentStore's
// Document and PutDocument).
type DocumentStore interface {
	quality.DocumentReader
	PutDocument(ctx context.Context, d overwatch.Document, prev int64) (overwatch.Document, error)
}

// ReferenceFileLimits bound the decoding of an uploaded reference file.
var ReferenceFileLimits = overwatch.DecodeLimits{MaxBytes: 512 << 20, MaxCells: 32 << 20}

// ParseReferenceFile validates an uploaded reference file: a ROOT file
// (overwatch.CheckROOTHeader) that decodes within ReferenceFileLimits and holds
// histograms. Its errors wrap quality.ErrReference.
func ParseReferenceFile(data []byte) (f *overwatch.File, err error) {
	if len(data) > quality.MaxReferenceFile {
		return nil, fmt.Errorf("%w: a reference file of %d bytes, at most %d", quality.ErrReference, len(data), quality.MaxReferenceFile)
	}
	if err := overwatch.CheckROOTHeader(data); err != nil {
		return nil, fmt.Errorf("%w: not a ROOT file: %v", quality.ErrReference, err)
	}
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("%w: the ROOT file cannot be decoded (decoder panicked: %v)", quality.ErrReference, r)
		}
	}()
	if f, err = overwatch.DecodeFileLimited(data, ReferenceFileLimits); err != nil {
		return nil, fmt.Errorf("%w: the ROOT file cannot be decoded: %v", quality.ErrReference, err)
	}
	return f, nil
}

// UploadReferenceFile validates a reference file of sys uploaded as name
// (ParseReferenceFile) and stores it (quality.ReferenceFileDocuments) as
// author; an identical file already stored is kept. A bad file is an
// error wrapping quality.ErrReference and stores nothing.
func UploadReferenceFile(ctx context.Context, docs DocumentStore, sys, name string, data []byte, author string) (quality.ReferenceFile, error) {
	f, err := ParseReferenceFile(data)
	if err != nil {
		return quality.ReferenceFile{}, err
	}
	rf, parts, err := quality.ReferenceFileDocuments(sys, name, data, f, author)
	if err != nil {
		return rf, err
	}
	if old, _, err := quality.ReadReferenceFile(ctx, docs, rf.ID); err == nil {
		return old, nil // content-addressed: stored before
	}
	// Part 0 last: a file is readable only once all its parts are stored.
	for i := len(parts) - 1; i >= 0; i-- {
		d := parts[i]
		var prev int64
		if cur, err := docs.Document(ctx, d.Kind, d.Name, 0); err == nil {
			prev = cur.Version
		} else if !errors.Is(err, overwatch.ErrNotFound) {
			return rf, err
		}
		if _, err := docs.PutDocument(ctx, d, prev); err != nil && !errors.Is(err, overwatch.ErrVersionConflict) { // a conflict: a concurrent upload of the same bytes
			return rf, fmt.Errorf("storing reference file %s: %w", rf.ID, err)
		}
	}
	return rf, nil
}

// ReferenceFiles reads stored reference files and keeps the last few
// decoded (files are content-addressed, so never stale). It is safe for
// concurrent use.
type ReferenceFiles struct {
	docs quality.DocumentReader

	mu    sync.Mutex
	files map[string]*loadedFile
	order []string // oldest first
}

type loadedFile struct {
	desc  quality.ReferenceFile
	hists map[string]*overwatch.Hist // by path (the first of equal paths)
}

// maxLoadedFiles bounds the reference files kept decoded.
const maxLoadedFiles = 4

// NewReferenceFiles returns a reader of the reference files in docs.
func NewReferenceFiles(docs quality.DocumentReader) *ReferenceFiles {
	return &ReferenceFiles{docs: docs, files: map[string]*loadedFile{}}
}

// Hist returns histogram name of reference file id (nil when the file has
// none) and the file's description. A file not stored is an error wrapping
// overwatch.ErrNotFound.
func (c *ReferenceFiles) Hist(ctx context.Context, id, name string) (*overwatch.Hist, quality.ReferenceFile, error) {
	c.mu.Lock()
	lf, ok := c.files[id]
	c.mu.Unlock()
	if !ok {
		desc, data, err := quality.ReadReferenceFile(ctx, c.docs, id)
		if err != nil {
			return nil, desc, err
		}
		f, err := ParseReferenceFile(data)
		if err != nil {
			return nil, desc, err
		}
		lf = &loadedFile{desc: desc, hists: make(map[string]*overwatch.Hist, len(f.Entries))}
		for _, e := range f.Entries {
			if h, ok := e.Object.(*overwatch.Hist); ok && h != nil && h.Dim() > 0 {
				if _, dup := lf.hists[e.Path()]; !dup {
					lf.hists[e.Path()] = h
				}
			}
		}
		c.mu.Lock()
		if _, dup := c.files[id]; !dup {
			c.files[id] = lf
			c.order = append(c.order, id)
			if len(c.order) > maxLoadedFiles {
				delete(c.files, c.order[0])
				c.order = c.order[1:]
			}
		}
		c.mu.Unlock()
	}
	return lf.hists[name], lf.desc, nil
}
