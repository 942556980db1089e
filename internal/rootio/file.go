package rootio

import (
	"fmt"
	"sync"
)

// Key is one key of a ROOT file directory, as listed in the directory's
// key list.
type Key struct {
	Dir      string // slash-separated directory path ("" at the top)
	Name     string
	Title    string
	Class    string
	Cycle    int
	ObjLen   int
	Nbytes   int
	KeyLen   int
	SeekKey  int64
	datetime uint32
}

// Reader gives access to the keys of a ROOT file held in memory. It checks
// every offset and length of the file's records against the file's size.
type Reader struct {
	data    []byte
	version int
	big     bool
	// Keys lists every key of every directory, recursively, directories
	// before their content, keeping only the highest cycle of each name.
	Keys []Key
	// Problems lists the keys and sub-directories that could not be read
	// (the rest of the file is still listed).
	Problems []KeyProblem

	seekInfo  int64
	basesOnce sync.Once
	bases     map[string]string
	budget    *Budget
}

// KeyProblem reports a key or directory of a file that could not be read.
type KeyProblem struct {
	Path  string
	Class string
	Err   error
}

// maxDirDepth bounds the directory recursion of a crafted file.
const maxDirDepth = 64

// NewReader parses the header and the directory tree of a ROOT file.
func NewReader(data []byte) (rd *Reader, err error) { return NewReaderBudget(data, nil) }

// NewReaderBudget is NewReader charging every payload decompressed and
// every array decoded, from the directory tree on, to budget (see Budget);
// Payload and Decode then fail with ErrBudget once it is spent. A nil
// budget bounds nothing.
func NewReaderBudget(data []byte, budget *Budget) (rd *Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, fmt.Errorf("%w: reading file structure: %v", ErrCorrupt, p)
		}
	}()
	data = data[:len(data):len(data)]
	if len(data) < 64 || string(data[:4]) != "root" {
		return nil, fmt.Errorf("%w: not a ROOT file (no \"root\" magic)", ErrCorrupt)
	}
	r := newRBuf(data, 0)
	r.pos = 4
	rd = &Reader{data: data, budget: budget}
	rd.version = int(r.i32())
	begin := int(r.i32())
	if rd.version >= 1000000 {
		rd.big = true
		rd.version -= 1000000
	}
	if r.err != nil || begin < 0 || begin >= len(data) {
		return nil, fmt.Errorf("%w: file header gives fBEGIN=%d for a %d-byte file", ErrCorrupt, begin, len(data))
	}
	var end int64
	if rd.big {
		end = r.i64()
	} else {
		end = int64(r.i32())
	}
	if r.err != nil || end > int64(len(data)) || end < int64(begin) {
		return nil, fmt.Errorf("%w: truncated file: the header says it ends at %d, it has %d bytes", ErrCorrupt, end, len(data))
	}
	// fSeekFree, fNbytesFree, nfree, fNbytesName, fUnits, fCompress, then
	// the StreamerInfo record.
	if rd.big {
		r.i64()
	} else {
		r.i32()
	}
	r.i32()
	r.i32()
	r.i32()
	r.u8()
	r.i32()
	if rd.big {
		rd.seekInfo = r.i64()
	} else {
		rd.seekInfo = int64(r.i32())
	}
	// The top directory: the TFile key at fBEGIN, then the TNamed strings,
	// then the TDirectory record.
	top, err := rd.keyAt(int64(begin), "")
	if err != nil {
		return nil, fmt.Errorf("top directory: %w", err)
	}
	r = newRBuf(data, 0)
	r.pos = begin + top.KeyLen
	r.tstring()
	r.tstring()
	if r.err != nil {
		return nil, fmt.Errorf("top directory name: %w", r.err)
	}
	if err := rd.readDir(r, "", 0, map[int64]bool{}); err != nil {
		return nil, err
	}
	return rd, nil
}

func (rd *Reader) bad(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// keyAt decodes the key header at pos.
func (rd *Reader) keyAt(pos int64, dir string) (Key, error) {
	if pos < 0 || pos >= int64(len(rd.data)) {
		return Key{}, rd.bad("key at offset %d outside the %d-byte file", pos, len(rd.data))
	}
	r := newRBuf(rd.data, 0)
	r.pos = int(pos)
	k, err := rd.keyHeader(r, dir)
	if err != nil {
		return k, err
	}
	if k.SeekKey != pos && k.SeekKey != 0 {
		// Old files sometimes record 0; anything else must match.
		return k, rd.bad("key %q at offset %d says it is at %d", k.Name, pos, k.SeekKey)
	}
	k.SeekKey = pos
	return k, nil
}

func (rd *Reader) keyHeader(r *rbuf, dir string) (Key, error) {
	start := r.pos
	var k Key
	k.Dir = dir
	k.Nbytes = int(r.i32())
	vers := r.i16()
	k.ObjLen = int(r.i32())
	k.datetime = r.u32()
	k.KeyLen = int(r.i16())
	k.Cycle = int(r.i16())
	if vers > 1000 {
		k.SeekKey = r.i64()
		r.i64() // seek of the parent directory
	} else {
		k.SeekKey = int64(r.i32())
		r.i32()
	}
	k.Class = r.tstring()
	k.Name = r.tstring()
	k.Title = r.tstring()
	if r.err != nil {
		return k, fmt.Errorf("key header at offset %d: %w", start, r.err)
	}
	// ROOT 5 lists subdirectory keys with class "TDirectoryFile" but a
	// key length computed for "TDirectory": KeyLen may be shorter than
	// the header parsed here.
	if k.KeyLen < 26 || k.Nbytes < k.KeyLen || k.ObjLen < 0 {
		return k, rd.bad("key %q at offset %d has keylen=%d nbytes=%d objlen=%d", k.Name, start, k.KeyLen, k.Nbytes, k.ObjLen)
	}
	return k, nil
}

// readDir reads a TDirectory record at r.pos and the keys it lists.
func (rd *Reader) readDir(r *rbuf, path string, depth int, seen map[int64]bool) error {
	if depth > maxDirDepth {
		return rd.bad("directories nested deeper than %d", maxDirDepth)
	}
	vers := r.i16()
	r.u32() // ctime
	r.u32() // mtime
	nbytesKeys := int(r.i32())
	r.i32() // nbytes name
	var seekKeys int64
	if vers > 1000 {
		r.i64()
		r.i64()
		seekKeys = r.i64()
	} else {
		r.i32()
		r.i32()
		seekKeys = int64(r.i32())
	}
	if r.err != nil {
		return fmt.Errorf("directory %q record: %w", path, r.err)
	}
	if seekKeys == 0 {
		return nil // an empty directory that was never written out
	}
	if seen[seekKeys] {
		return rd.bad("directory %q lists the key list at offset %d twice", path, seekKeys)
	}
	seen[seekKeys] = true
	if seekKeys < 0 || seekKeys >= int64(len(rd.data)) || nbytesKeys < 0 || int64(nbytesKeys) > int64(len(rd.data))-seekKeys {
		return rd.bad("directory %q key list at %d (+%d) outside the %d-byte file", path, seekKeys, nbytesKeys, len(rd.data))
	}
	kr := newRBuf(rd.data[:seekKeys+int64(nbytesKeys)], 0)
	kr.pos = int(seekKeys)
	hdr, err := rd.keyHeader(kr, path)
	if err != nil {
		return fmt.Errorf("directory %q key list: %w", path, err)
	}
	kr.pos = int(seekKeys) + hdr.KeyLen
	n := int(kr.i32())
	if kr.err != nil || n < 0 || n > kr.remaining()/26 {
		return rd.bad("directory %q lists %d keys in %d bytes", path, n, kr.remaining())
	}
	keys := make([]Key, 0, n)
	for range n {
		k, err := rd.keyHeader(kr, path)
		if err != nil {
			return fmt.Errorf("directory %q: %w", path, err)
		}
		if k.SeekKey < 0 || k.SeekKey+int64(k.Nbytes) > int64(len(rd.data)) {
			rd.Problems = append(rd.Problems, KeyProblem{Path: joinPath(path, k.Name), Class: k.Class,
				Err: rd.bad("key at %d (+%d) outside the %d-byte file", k.SeekKey, k.Nbytes, len(rd.data))})
			continue
		}
		keys = append(keys, k)
	}
	// Keep the highest cycle of every name, in first-seen order.
	best := make(map[string]int, len(keys))
	var order []string
	for i, k := range keys {
		j, ok := best[k.Name]
		if !ok {
			order = append(order, k.Name)
			best[k.Name] = i
		} else if k.Cycle > keys[j].Cycle {
			best[k.Name] = i
		}
	}
	for _, name := range order {
		k := keys[best[name]]
		rd.Keys = append(rd.Keys, k)
		if k.Class == "TDirectoryFile" || k.Class == "TDirectory" {
			sub := joinPath(path, k.Name)
			payload, err := rd.Payload(k)
			if err == nil {
				err = rd.readDir(newRBuf(payload, 0), sub, depth+1, seen)
			}
			if err != nil {
				// Keep what the rest of the file holds.
				rd.Problems = append(rd.Problems, KeyProblem{Path: sub, Class: k.Class, Err: err})
			}
		}
	}
	return nil
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// maxExpansion bounds ObjLen/compressed size accepted for a key payload.
const maxExpansion = 2048

// Payload returns the uncompressed streamed bytes of a key's object.
func (rd *Reader) Payload(k Key) ([]byte, error) {
	start := k.SeekKey + int64(k.KeyLen)
	end := k.SeekKey + int64(k.Nbytes)
	if start < 0 || end > int64(len(rd.data)) || start > end {
		return nil, rd.bad("key %q payload [%d,%d) outside the %d-byte file", k.Name, start, end, len(rd.data))
	}
	src := rd.data[start:end:end]
	if k.ObjLen == len(src) {
		return src, nil
	}
	if k.ObjLen > maxExpansion*len(src)+maxBlockSize {
		return nil, rd.bad("key %q claims %d bytes from %d compressed bytes", k.Name, k.ObjLen, len(src))
	}
	if err := rd.budget.chargeBytes(k.ObjLen, fmt.Sprintf("key %q", k.Name)); err != nil {
		return nil, err
	}
	out, err := Decompress(src, k.ObjLen)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", k.Name, err)
	}
	return out, nil
}

// Decode decodes the object of a key whose class is Supported.
func (rd *Reader) Decode(k Key) (any, error) {
	payload, err := rd.Payload(k)
	if err != nil {
		return nil, err
	}
	return decodeObjectAs(k.Class, payload, k.KeyLen, rd.BaseOf, rd.budget)
}

// BaseOf returns the first base class of class according to the file's
// streamer infos ("" when the file has no streamer info for it or its
// first member is not a base class). Decode uses it to read objects of
// classes derived from a histogram class as their histogram base.
func (rd *Reader) BaseOf(class string) string {
	rd.basesOnce.Do(func() {
		rd.bases = map[string]string{}
		if rd.seekInfo <= 0 {
			return
		}
		k, err := rd.keyAt(rd.seekInfo, "")
		if err != nil {
			return
		}
		payload, err := rd.Payload(k)
		if err != nil {
			return
		}
		if !IsCollection(k.Class) {
			return
		}
		if bases, err := firstBases(payload, k.KeyLen, 0, k.Class); err == nil {
			rd.bases = bases
		}
	})
	return rd.bases[class]
}
