// Package bundle is the output bundle of one processed snapshot: every
// JSROOT JSON, hints document (and, with eager images, PNG) and the view of
// one (run, subsystem[, time slice]) in one blob, stored as a single output
// (overwatch.OutputBundle) that replaces the previous bundle atomically.
// A bundle starts with an index of its members (name, offset, length,
// SHA-256), so that a reader fetches the index and then only the bytes of
// the members it serves (Index over an io.ReaderAt, Outputs over a store's
// ranged reads).
//
// Layout (integers little-endian):
//
//	"OWBUNDLE"          8 bytes magic
//	version             uint32 (1)
//	L                   uint32, length of the index
//	index               L bytes: uvarint count, then per member
//	                    uvarint name length, name, uvarint offset (from the
//	                    start of the data), uvarint length, 32-byte SHA-256
//	SHA-256 of index    32 bytes (the bundle's identity, see Index.ID)
//	data                the members' bytes, in index order
//
// Members are sorted by name and contiguous, so that the encoding of a set
// of members is unique: live processing and a replay write byte-identical
// bundles.
package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// Magic starts every bundle.
const Magic = "OWBUNDLE"

// Version is the format version written.
const Version = 1

// Limits of the reader, so that a corrupted or hostile bundle cannot make
// it allocate without bound.
const (
	// MaxIndex bounds the index's length in bytes.
	MaxIndex = 64 << 20
	// MaxName bounds a member name's length in bytes.
	MaxName = 4096
)

const headerLen = 8 + 4 + 4

// minEntry is the smallest encoded index entry: one-byte name length, an
// empty name is not allowed so one byte of name, one-byte offset and length,
// the hash.
const minEntry = 1 + 1 + 1 + 1 + sha256.Size

// ErrCorrupt is wrapped by the errors about bytes that are not a valid
// bundle.
var ErrCorrupt = errors.New("bundle: not a valid bundle")

// Member is one named output of a bundle with its content hash.
type Member struct {
	Name   string
	Data   []byte
	SHA256 [sha256.Size]byte
}

// NewMember returns a member holding data, with its hash computed.
func NewMember(name string, data []byte) Member {
	return Member{Name: name, Data: data, SHA256: sha256.Sum256(data)}
}

// Encode returns the bundle of members (in any order; names must be
// non-empty, at most MaxName bytes and unique). The members' SHA256 fields
// must hold their hashes (NewMember).
func Encode(members []Member) ([]byte, error) {
	ms := slices.Clone(members)
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	var idx []byte
	idx = binary.AppendUvarint(idx, uint64(len(ms)))
	var off uint64
	for i, m := range ms {
		if m.Name == "" || len(m.Name) > MaxName {
			return nil, fmt.Errorf("bundle: member name %q: empty or longer than %d bytes", m.Name, MaxName)
		}
		if i > 0 && ms[i-1].Name == m.Name {
			return nil, fmt.Errorf("bundle: member %q added twice", m.Name)
		}
		idx = binary.AppendUvarint(idx, uint64(len(m.Name)))
		idx = append(idx, m.Name...)
		idx = binary.AppendUvarint(idx, off)
		idx = binary.AppendUvarint(idx, uint64(len(m.Data)))
		idx = append(idx, m.SHA256[:]...)
		off += uint64(len(m.Data))
	}
	if len(idx) > MaxIndex {
		return nil, fmt.Errorf("bundle: index of %d bytes exceeds %d", len(idx), MaxIndex)
	}
	sum := sha256.Sum256(idx)
	out := make([]byte, 0, headerLen+len(idx)+sha256.Size+int(off))
	out = append(out, Magic...)
	out = binary.LittleEndian.AppendUint32(out, Version)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(idx)))
	out = append(out, idx...)
	out = append(out, sum[:]...)
	for _, m := range ms {
		out = append(out, m.Data...)
	}
	return out, nil
}

// Entry is one member of an Index: where its bytes are in the bundle and
// their hash.
type Entry struct {
	Name string
	// Offset is from the start of the bundle.
	Offset, Length int64
	SHA256         [sha256.Size]byte
}

// ETag returns the member's hash in hex, quoted as an HTTP entity tag.
func (e Entry) ETag() string { return `"` + hex.EncodeToString(e.SHA256[:]) + `"` }

// Index is the decoded index of a bundle.
type Index struct {
	id      [sha256.Size]byte
	entries []Entry // sorted by name
	size    int64   // bundle size
	indexSz int     // encoded size (memory accounting)
}

// ID returns the bundle's identity: the SHA-256 of its index (which holds
// every member's hash), in hex.
func (x *Index) ID() string { return hex.EncodeToString(x.id[:]) }

// Size returns the length of the bundle the index was read from.
func (x *Index) Size() int64 { return x.size }

// Len returns the number of members.
func (x *Index) Len() int { return len(x.entries) }

// Entries returns the members in name order (the caller must not modify
// the slice).
func (x *Index) Entries() []Entry { return x.entries }

// Lookup returns the entry of a member.
func (x *Index) Lookup(name string) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(x.entries, name, func(e Entry, n string) int { return strings.Compare(e.Name, n) })
	if !ok {
		return Entry{}, false
	}
	return x.entries[i], true
}

// firstRead is how much ReadIndex reads at once: the header and, for
// bundles of up to a few hundred members, the whole index.
const firstRead = 64 << 10

// ReadIndex reads and checks the index of the bundle of size bytes that r
// reads. It reads only the header and the index. Errors about invalid bytes
// wrap ErrCorrupt.
func ReadIndex(r io.ReaderAt, size int64) (*Index, error) {
	if size < headerLen+sha256.Size {
		return nil, fmt.Errorf("%w: %d bytes is shorter than a header", ErrCorrupt, size)
	}
	first := make([]byte, min(size, firstRead))
	if n, err := r.ReadAt(first, 0); n < len(first) {
		return nil, fmt.Errorf("bundle: reading the header: %w", eofErr(err))
	}
	if string(first[:8]) != Magic {
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(first[8:]); v != Version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrCorrupt, v, Version)
	}
	l := int64(binary.LittleEndian.Uint32(first[12:]))
	if l > MaxIndex || headerLen+l+sha256.Size > size {
		return nil, fmt.Errorf("%w: index of %d bytes in a bundle of %d", ErrCorrupt, l, size)
	}
	need := headerLen + l + sha256.Size
	buf := first
	if need > int64(len(first)) {
		buf = make([]byte, need)
		copy(buf, first)
		if n, err := r.ReadAt(buf[len(first):], int64(len(first))); n < len(buf)-len(first) {
			return nil, fmt.Errorf("bundle: reading the index: %w", eofErr(err))
		}
	}
	return parseIndex(buf[headerLen:need], size)
}

// parseIndex decodes an index followed by its hash.
func parseIndex(b []byte, size int64) (*Index, error) {
	idx, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	x := &Index{size: size, indexSz: len(idx)}
	x.id = sha256.Sum256(idx)
	if !bytes.Equal(x.id[:], sum) {
		return nil, fmt.Errorf("%w: index checksum mismatch", ErrCorrupt)
	}
	dataStart := int64(headerLen + len(idx) + sha256.Size)
	dataLen := size - dataStart
	rd := bytes.NewReader(idx)
	n, err := binary.ReadUvarint(rd)
	if err != nil {
		return nil, fmt.Errorf("%w: member count: %v", ErrCorrupt, err)
	}
	if n > uint64(len(idx)/minEntry) {
		return nil, fmt.Errorf("%w: %d members in an index of %d bytes", ErrCorrupt, n, len(idx))
	}
	x.entries = make([]Entry, 0, n)
	var next uint64
	for i := uint64(0); i < n; i++ {
		nl, err := binary.ReadUvarint(rd)
		if err != nil || nl == 0 || nl > MaxName || nl > uint64(rd.Len()) {
			return nil, fmt.Errorf("%w: member %d: bad name length", ErrCorrupt, i)
		}
		name := make([]byte, nl)
		_, _ = rd.Read(name)
		off, err1 := binary.ReadUvarint(rd)
		ln, err2 := binary.ReadUvarint(rd)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: member %q: bad offset or length", ErrCorrupt, name)
		}
		if off != next || ln > uint64(dataLen) || off > uint64(dataLen)-ln {
			return nil, fmt.Errorf("%w: member %q at %d+%d outside the data (%d bytes) or not contiguous", ErrCorrupt, name, off, ln, dataLen)
		}
		next = off + ln
		e := Entry{Name: string(name), Offset: dataStart + int64(off), Length: int64(ln)}
		if _, err := io.ReadFull(rd, e.SHA256[:]); err != nil {
			return nil, fmt.Errorf("%w: member %q: truncated hash", ErrCorrupt, name)
		}
		if i > 0 && x.entries[i-1].Name >= e.Name {
			return nil, fmt.Errorf("%w: member %q out of order", ErrCorrupt, name)
		}
		x.entries = append(x.entries, e)
	}
	if rd.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the index", ErrCorrupt, rd.Len())
	}
	if int64(next) != dataLen {
		return nil, fmt.Errorf("%w: members cover %d of %d data bytes", ErrCorrupt, next, dataLen)
	}
	return x, nil
}

// ReadMember reads the bytes of member e from r (the bundle e's index was
// read from) and checks them against its hash.
func ReadMember(r io.ReaderAt, e Entry) ([]byte, error) {
	b := make([]byte, e.Length)
	if n, err := r.ReadAt(b, e.Offset); n < len(b) {
		return nil, fmt.Errorf("bundle: reading member %q: %w", e.Name, eofErr(err))
	}
	return b, Verify(e, b)
}

// Verify checks member bytes against the entry's hash.
func Verify(e Entry, b []byte) error {
	if int64(len(b)) != e.Length || sha256.Sum256(b) != e.SHA256 {
		return fmt.Errorf("%w: member %q does not match its hash", ErrCorrupt, e.Name)
	}
	return nil
}

// Decode reads every member of a whole bundle held in memory, checking
// their hashes.
func Decode(b []byte) ([]Member, error) {
	x, err := ReadIndex(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(x.entries))
	for i, e := range x.entries {
		data := b[e.Offset : e.Offset+e.Length]
		if err := Verify(e, data); err != nil {
			return nil, err
		}
		out[i] = Member{Name: e.Name, Data: data, SHA256: e.SHA256}
	}
	return out, nil
}

// eofErr turns a short read into an error (io.ErrUnexpectedEOF when the
// reader reported none or plain EOF).
func eofErr(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %w", ErrCorrupt, io.ErrUnexpectedEOF)
	}
	return err
}

// Member names of the outputs a bundle holds.
const (
	// ViewMember is the member name of the view document.
	ViewMember = "view"
)

// MemberName returns the member name of a histogram output of kind
// (overwatch.OutputJSON, OutputHints or OutputPNG) — "json/<name>", … —
// or ViewMember for the view.
func MemberName(kind overwatch.OutputKind, name string) string {
	if kind == overwatch.OutputView {
		return ViewMember
	}
	return string(kind) + "/" + name
}
