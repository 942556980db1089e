package overwatch

import (
	"errors"
	"strings"
)

// CONTRACT FILE — the signatures below are fixed; the bodies are replaced by
// the internal/rootio-backed implementation (helper "rootio").

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
var ErrCorrupt = errors.New("corrupt ROOT data")

var errNotWired = errors.New("overwatch: ROOT I/O not wired yet")

// ReadFile reads every histogram-like object of a ROOT file. A corrupted
// or truncated file gives an error wrapping ErrCorrupt; it never panics and
// never allocates more than the file's size justifies.
func ReadFile(path string) (*File, error) { return nil, errNotWired }

// DecodeFile is ReadFile for a file held in memory.
func DecodeFile(data []byte) (*File, error) { return nil, errNotWired }

// EncodeFile writes entries as a ROOT file (zlib-compressed), creating the
// directories named by Entry.Dir. Every object keeps its class.
func EncodeFile(entries []Entry) ([]byte, error) { return nil, errNotWired }

// WriteFile writes EncodeFile's output to path.
func WriteFile(path string, entries []Entry) error { return errNotWired }

var _ = strings.Contains
