package quality

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/overwatch-dqm/overwatch"
)

// ReferenceFileKind is the overwatch.Document kind of uploaded reference
// files. A file is stored as the documents "<ID>.<part>" (part 0, 1, …),
// each holding up to ReferenceFilePart bytes of it: part 0 also says the
// subsystem, the uploaded name, the size and the number of parts. Files are
// content-addressed (ID is the hex SHA-256 of the bytes), so an upload of
// the same file again stores nothing new.
const ReferenceFileKind = "reference-file"

// ReferenceFilePart is the number of bytes of a reference file per
// document (base64 in the body stays below overwatch.MaxDocumentBody).
const ReferenceFilePart = 700 << 10

// MaxReferenceFile bounds the size of an uploaded reference file.
const MaxReferenceFile = 32 << 20

// ReferenceFile is an uploaded reference file's description.
type ReferenceFile struct {
	ID        string `json:"id"`
	Subsystem string `json:"subsystem"`
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	Parts     int    `json:"parts"`
	// Hists is the number of histograms the file holds.
	Hists int `json:"hists"`
}

// referenceFilePart is the body of one document of a reference file.
type referenceFilePart struct {
	*ReferenceFile `json:"file,omitempty"` // part 0 only
	Part           int                     `json:"part"`
	Data           []byte                  `json:"data"` // base64 in JSON
}

// ReferenceFileID returns the ID of a file's bytes: its hex SHA-256.
func ReferenceFileID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ValidReferenceFileID reports whether id is 64 lower-case hex digits.
func ValidReferenceFileID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ReferenceFileDocuments returns the documents that store a reference
// file of sys uploaded as name, and its description. f is the file
// decoded (the caller validated the bytes and decoded them within limits);
// a file without any histogram is an error wrapping ErrReference.
func ReferenceFileDocuments(sys, name string, data []byte, f *overwatch.File, author string) (ReferenceFile, []overwatch.Document, error) {
	rf := ReferenceFile{ID: ReferenceFileID(data), Subsystem: sys, Name: name, Size: int64(len(data))}
	switch {
	case !overwatch.ValidSubsystem(sys):
		return rf, nil, fmt.Errorf("%w: subsystem %q: expected 2-8 upper-case letters or digits, such as EMC", ErrReference, sys)
	case len(data) == 0:
		return rf, nil, fmt.Errorf("%w: the reference file is empty", ErrReference)
	case len(data) > MaxReferenceFile:
		return rf, nil, fmt.Errorf("%w: a reference file of %d bytes, at most %d", ErrReference, len(data), MaxReferenceFile)
	case len(name) > 200:
		return rf, nil, fmt.Errorf("%w: file name of %d bytes, at most 200", ErrReference, len(name))
	}
	for _, e := range f.Entries {
		if h, ok := e.Object.(*overwatch.Hist); ok && h != nil && h.Dim() > 0 {
			rf.Hists++
		}
	}
	if rf.Hists == 0 {
		return rf, nil, fmt.Errorf("%w: %s holds no histogram Overwatch can read", ErrReference, name)
	}
	rf.Parts = (len(data) + ReferenceFilePart - 1) / ReferenceFilePart
	docs := make([]overwatch.Document, 0, rf.Parts)
	for p := 0; p < rf.Parts; p++ {
		part := referenceFilePart{Part: p, Data: data[p*ReferenceFilePart : min(len(data), (p+1)*ReferenceFilePart)]}
		if p == 0 {
			part.ReferenceFile = &rf
		}
		body, err := json.Marshal(part)
		if err != nil {
			return rf, nil, err
		}
		docs = append(docs, overwatch.Document{Kind: ReferenceFileKind, Name: referenceFilePartName(rf.ID, p), Author: author,
			Comment: "reference file " + name + " of " + sys, Body: body})
	}
	return rf, docs, nil
}

func referenceFilePartName(id string, part int) string { return id + "." + strconv.Itoa(part) }

// DocumentReader reads one document (overwatch.DocumentStore's Document).
type DocumentReader interface {
	Document(ctx context.Context, kind, name string, v int64) (overwatch.Document, error)
}

// ReadReferenceFile reads a stored reference file back: its description
// and bytes, checked against its ID. A file not stored is an error
// wrapping overwatch.ErrNotFound.
func ReadReferenceFile(ctx context.Context, docs DocumentReader, id string) (ReferenceFile, []byte, error) {
	if !ValidReferenceFileID(id) {
		return ReferenceFile{}, nil, fmt.Errorf("%w: reference file %q: expected the 64 hex digits of its SHA-256", ErrReference, id)
	}
	var rf ReferenceFile
	var buf bytes.Buffer
	for p := 0; p == 0 || p < rf.Parts; p++ {
		d, err := docs.Document(ctx, ReferenceFileKind, referenceFilePartName(id, p), 0)
		if err == nil && d.Deleted {
			err = fmt.Errorf("removed: %w", overwatch.ErrNotFound)
		}
		if err != nil {
			return rf, nil, fmt.Errorf("reference file %s part %d: %w", id, p, err)
		}
		var part referenceFilePart
		if err := json.Unmarshal(d.Body, &part); err != nil || part.Part != p || p == 0 && part.ReferenceFile == nil {
			return rf, nil, fmt.Errorf("%w: reference file %s part %d is not valid", ErrReference, id, p)
		}
		if p == 0 {
			rf = *part.ReferenceFile
			if rf.Parts < 1 || rf.Size > MaxReferenceFile || rf.ID != id {
				return rf, nil, fmt.Errorf("%w: reference file %s: invalid description", ErrReference, id)
			}
			buf.Grow(int(rf.Size))
		}
		buf.Write(part.Data)
	}
	data := buf.Bytes()
	if int64(len(data)) != rf.Size || ReferenceFileID(data) != id {
		return rf, nil, fmt.Errorf("%w: reference file %s: stored bytes do not match its SHA-256", ErrReference, id)
	}
	return rf, data, nil
}
