package overwatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Document is one version of a small JSON document that people edit and
// every process and replica must see: a layout, a reference declaration,
// a bad-channel list, a user's preferences. Documents are versioned: a
// change writes version N+1 and keeps every earlier version, so history
// and revert (a new version holding an old body) come for free.
type Document struct {
	// Kind groups documents ("layout", "reference", "badchannels",
	// "preferences", …): 1–32 bytes of [a-z0-9-], starting with a letter.
	Kind string `json:"kind"`
	// Name is the document's key within its kind ("EMC", "shift/main", a
	// user name): 1–200 bytes of UTF-8 without control characters.
	Name string `json:"name"`
	// Version is 1, 2, 3, … in the order of writes; set by the store.
	Version int64 `json:"version"`
	// Author is who wrote this version (a user name, "config", "cli").
	Author string `json:"author,omitempty"`
	// Time is when the version was written; set by the store.
	Time time.Time `json:"time"`
	// Comment optionally says why.
	Comment string `json:"comment,omitempty"`
	// Deleted marks a tombstone: the document was removed in this
	// version (Body is empty). A later version brings it back.
	Deleted bool `json:"deleted,omitempty"`
	// Body is the document itself, a JSON value of at most MaxDocumentBody
	// bytes (empty only in a tombstone).
	Body json.RawMessage `json:"body,omitempty"`
}

// MaxDocumentBody bounds a document's body.
const MaxDocumentBody = 1 << 20

// ErrVersionConflict is wrapped by PutDocument errors when the document
// changed since the writer read it: another writer stored the version it
// meant to write. Read the document again, merge, and retry.
var ErrVersionConflict = errors.New("document changed since it was read")

// DocumentStore keeps versioned documents. Implementations are safe for
// concurrent use, also by several processes and machines sharing one
// store; a version is never overwritten.
type DocumentStore interface {
	// PutDocument writes version prev+1 of (d.Kind, d.Name), where prev is
	// the version the writer read (0 for a new document). It fails with an
	// error wrapping ErrVersionConflict when the newest version is not
	// prev. Version and Time are set by the store; the stored document is
	// returned.
	PutDocument(ctx context.Context, d Document, prev int64) (Document, error)
	// Document returns version v of (kind, name), the newest when v is 0;
	// the error wraps ErrNotFound when there is no such version. The
	// newest version may be a tombstone (Deleted).
	Document(ctx context.Context, kind, name string, v int64) (Document, error)
	// Documents lists the newest version of every document of kind that
	// is not deleted, sorted by name.
	Documents(ctx context.Context, kind string) ([]Document, error)
	// DocumentHistory lists every version of (kind, name), oldest first
	// (empty when the document never existed).
	DocumentHistory(ctx context.Context, kind, name string) ([]Document, error)
}

// ValidDocumentKind reports whether kind is a valid Document.Kind.
func ValidDocumentKind(kind string) bool {
	if len(kind) == 0 || len(kind) > 32 || kind[0] < 'a' || kind[0] > 'z' {
		return false
	}
	for i := 0; i < len(kind); i++ {
		c := kind[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidDocumentName reports whether name is a valid Document.Name.
func ValidDocumentName(name string) bool {
	if len(name) == 0 || len(name) > 200 || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// CheckDocument reports what makes d unfit to be stored (kind, name,
// body), or nil.
func CheckDocument(d Document) error {
	switch {
	case !ValidDocumentKind(d.Kind):
		return fmt.Errorf("document kind %q: want 1–32 bytes of a-z, 0-9 and '-', starting with a letter", d.Kind)
	case !ValidDocumentName(d.Name):
		return fmt.Errorf("document name %q: want 1–200 bytes of UTF-8 without control characters", d.Name)
	case len(d.Author) > 200 || len(d.Comment) > 4096:
		return fmt.Errorf("document %s/%s: author (≤ 200 bytes) or comment (≤ 4096 bytes) too long", d.Kind, d.Name)
	case d.Deleted && len(d.Body) > 0:
		return fmt.Errorf("document %s/%s: a tombstone has no body", d.Kind, d.Name)
	case !d.Deleted && len(d.Body) == 0:
		return fmt.Errorf("document %s/%s: empty body", d.Kind, d.Name)
	case len(d.Body) > MaxDocumentBody:
		return fmt.Errorf("document %s/%s: body of %d bytes, at most %d", d.Kind, d.Name, len(d.Body), MaxDocumentBody)
	case len(d.Body) > 0 && !json.Valid(d.Body):
		return fmt.Errorf("document %s/%s: body is not valid JSON", d.Kind, d.Name)
	}
	return nil
}
