package overwatch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/overwatch-dqm/overwatch/internal/rootio"
)

// Entry is one object of a ROOT file with its location: the directory path
// inside the file (slash-separated, "" at the top) and the key name, which
// may itself contain '/', spaces, braces or '@' (e.g. the TPC's
// "TPCQA/h_tpc_event_recvertex_0" is one key, not a directory).
type Entry struct {
	Dir    string
	Key    string
	Object Object
}

// Path returns Dir/Key (Key alone at the top level).
func (e Entry) Path() string {
	if e.Dir == "" {
		return e.Key
	}
	return e.Dir + "/" + e.Key
}

// Problem reports an object of a file, or a part of one, that could not be
// decoded: the object is skipped (or, for undecodable extras such as a
// TPaveStats in a histogram's function list, the extras are dropped and the
// histogram kept).
type Problem struct {
	Path  string
	Class string
	Err   string
}

// File is the decoded content of a ROOT file: the histogram-like objects
// (Hist, Graph, Text) found recursively through its directories, in key
// order, and the problems met.
type File struct {
	Entries  []Entry
	Problems []Problem
}

// Get returns the object at a path (Entry.Path), or nil.
func (f *File) Get(path string) Object {
	for _, e := range f.Entries {
		if e.Path() == path {
			return e.Object
		}
	}
	return nil
}

// Hist returns the histogram at a path, or nil.
func (f *File) Hist(path string) *Hist {
	h, _ := f.Get(path).(*Hist)
	return h
}

// ErrCorrupt is wrapped by errors about bytes that are not a valid ROOT
// file, TMessage or compression block.
var ErrCorrupt = rootio.ErrCorrupt

// ReadFile reads every histogram-like object of a ROOT file. A corrupted
// or truncated file gives an error wrapping ErrCorrupt; it never panics and
// never allocates more than the file's size justifies.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("overwatch: reading ROOT file: %w", err)
	}
	f, err := DecodeFile(data)
	if err != nil {
		return nil, fmt.Errorf("overwatch: %s: %w", path, err)
	}
	return f, nil
}

// DecodeFile is ReadFile for a file held in memory.
func DecodeFile(data []byte) (*File, error) { return decodeFile(data, nil) }

// ErrTooLarge is wrapped by DecodeFileLimited's error when decoding a file
// would take more memory than its limits allow.
var ErrTooLarge = rootio.ErrBudget

// DecodeLimits bound the memory that decoding one file may take, summed
// over all its objects — not only per object or by compression ratio, so
// that a small file cannot expand into gigabytes (an empty 50,000,000-bin
// TH1D compresses to 400 kB and decodes to 400 MB).
type DecodeLimits struct {
	// MaxBytes bounds the uncompressed bytes of every payload
	// decompressed (checked before decompressing).
	MaxBytes int64
	// MaxCells bounds the array cells decoded (bins with under- and
	// overflow, errors, profile entries, graph points: 8 bytes each),
	// checked before they are allocated.
	MaxCells int64
}

// DecodeFileLimited is DecodeFile within limits: a file whose decoding
// would exceed them gives an error wrapping ErrTooLarge (nothing beyond the
// limits is allocated). Decoding then takes about MaxBytes + 8×MaxCells
// bytes at most, plus the file itself.
func DecodeFileLimited(data []byte, lim DecodeLimits) (*File, error) {
	return decodeFile(data, &rootio.Budget{Bytes: lim.MaxBytes, Cells: lim.MaxCells})
}

func decodeFile(data []byte, budget *rootio.Budget) (*File, error) {
	rd, err := rootio.NewReaderBudget(data, budget)
	if err != nil {
		return nil, fmt.Errorf("overwatch: decoding ROOT file: %w", err)
	}
	f := &File{}
	for _, p := range rd.Problems {
		if errors.Is(p.Err, rootio.ErrBudget) {
			return nil, fmt.Errorf("overwatch: decoding ROOT file: %s: %w", p.Path, p.Err)
		}
		f.Problems = append(f.Problems, Problem{Path: p.Path, Class: p.Class, Err: p.Err.Error()})
	}
	for _, k := range rd.Keys {
		path := k.Name
		if k.Dir != "" {
			path = k.Dir + "/" + k.Name
		}
		chain := rootio.BaseChain(k.Class, rd.BaseOf)
		if chain == nil || histogramLike(k.Class) {
			if histogramLike(k.Class) {
				f.Problems = append(f.Problems, Problem{Path: path, Class: k.Class, Err: "class not supported by Overwatch"})
			}
			continue
		}
		obj, err := rd.Decode(k)
		if errors.Is(err, rootio.ErrBudget) {
			return nil, fmt.Errorf("overwatch: decoding ROOT file: %s: %w", path, err)
		}
		if err != nil {
			f.Problems = append(f.Problems, Problem{Path: path, Class: k.Class, Err: err.Error()})
			continue
		}
		if c, ok := obj.(*rootio.Collection); ok {
			entries, problems := flattenCollection(k.Dir, k.Name, c)
			f.Entries = append(f.Entries, entries...)
			f.Problems = append(f.Problems, problems...)
			continue
		}
		o, dropped, err := fromRootIO(obj)
		if err != nil {
			f.Problems = append(f.Problems, Problem{Path: path, Class: k.Class, Err: err.Error()})
			continue
		}
		if len(chain) > 1 {
			f.Problems = append(f.Problems, Problem{Path: path, Class: k.Class,
				Err: "decoded as its base class " + chain[len(chain)-1] + "; the members of the derived class are dropped"})
		}
		for _, c := range dropped {
			f.Problems = append(f.Problems, Problem{Path: path, Class: c, Err: "dropped from the function list of the kept " + k.Class})
		}
		f.Entries = append(f.Entries, Entry{Dir: k.Dir, Key: k.Name, Object: o})
	}
	return f, nil
}

// flattenCollection turns a decoded TList/THashList/TObjArray into entries
// whose key names are "<prefix>/<object name>", the names the HLT merger
// gives the elements of the collections it unpacks (e.g. the TPC's
// "TPCQA/h_tpc_event_recvertex_0"); an empty prefix gives the object names
// alone. Nested collections extend the prefix with their own names.
func flattenCollection(dir, prefix string, c *rootio.Collection) ([]Entry, []Problem) {
	var (
		entries  []Entry
		problems []Problem
	)
	join := func(name string) string {
		if prefix == "" {
			return name
		}
		if name == "" {
			return prefix
		}
		return prefix + "/" + name
	}
	where := Entry{Dir: dir, Key: prefix}.Path()
	for _, class := range c.Skipped {
		if histogramLike(class) {
			problems = append(problems, Problem{Path: where, Class: class, Err: "collection element of a class not supported by Overwatch"})
		}
	}
	for _, it := range c.Items {
		if sub, ok := it.(*rootio.Collection); ok {
			e, p := flattenCollection(dir, join(sub.Name), sub)
			entries = append(entries, e...)
			problems = append(problems, p...)
			continue
		}
		o, dropped, err := fromRootIO(it)
		if err != nil {
			problems = append(problems, Problem{Path: where, Class: c.Class, Err: err.Error()})
			continue
		}
		key := join(o.ObjectName())
		for _, d := range dropped {
			problems = append(problems, Problem{Path: Entry{Dir: dir, Key: key}.Path(), Class: d, Err: "dropped from the function list of the kept " + o.ClassName()})
		}
		entries = append(entries, Entry{Dir: dir, Key: key, Object: o})
	}
	return entries, problems
}

// histogramLike reports classes that look like histograms or graphs but
// that Overwatch does not model (their keys are reported as problems; other
// classes such as trees are skipped silently).
func histogramLike(class string) bool {
	switch class {
	case "TH2Poly", "TProfile3D", "TH1K", "TGraph2D", "TGraph2DErrors", "TGraphMultiErrors", "TGraphBentErrors", "TMultiGraph", "THStack":
		return true
	}
	return len(class) > 4 && (class[:4] == "THnS" || class[:4] == "THn<")
}

// EncodeFile writes entries as a ROOT file (zlib-compressed), creating the
// directories named by Entry.Dir. Every object keeps its class.
func EncodeFile(entries []Entry) ([]byte, error) {
	out := make([]rootio.Entry, 0, len(entries))
	for _, e := range entries {
		obj, err := toRootIO(e.Object)
		if err != nil {
			return nil, fmt.Errorf("overwatch: encoding %q: %w", e.Path(), err)
		}
		out = append(out, rootio.Entry{Dir: e.Dir, Name: e.Key, Obj: obj})
	}
	b, err := rootio.WriteFile(out, rootio.WriteOptions{Level: 1})
	if err != nil {
		return nil, fmt.Errorf("overwatch: encoding ROOT file: %w", err)
	}
	return b, nil
}

// WriteFile writes EncodeFile's output to path.
func WriteFile(path string, entries []Entry) error {
	b, err := EncodeFile(entries)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("overwatch: writing ROOT file: %w", err)
	}
	return nil
}

// CheckROOTHeader checks that data starts like a ROOT file: the magic
// "root", a version, a first-record offset fBEGIN of at least 64 bytes and
// an end-of-data offset fEND with fBEGIN < fEND ≤ len(data). It reads
// nothing else; the error wraps ErrCorrupt.
func CheckROOTHeader(data []byte) error {
	if len(data) < 20 || string(data[:4]) != "root" {
		return fmt.Errorf("%w: missing the magic \"root\" at the start", ErrCorrupt)
	}
	version := binary.BigEndian.Uint32(data[4:8])
	begin := int64(binary.BigEndian.Uint32(data[8:12]))
	var end int64
	if version >= 1000000 {
		if len(data) < 20 {
			return fmt.Errorf("%w: header truncated", ErrCorrupt)
		}
		end = int64(binary.BigEndian.Uint64(data[12:20]))
	} else {
		end = int64(binary.BigEndian.Uint32(data[12:16]))
	}
	if begin < 64 || end <= begin || end > int64(len(data)) {
		return fmt.Errorf("%w: header offsets fBEGIN=%d fEND=%d do not fit a file of %d bytes", ErrCorrupt, begin, end, len(data))
	}
	return nil
}
