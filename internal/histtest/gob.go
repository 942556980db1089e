package histtest

import (
	"bytes"
	"encoding/gob"
	"fmt"

	ow "github.com/overwatch-dqm/overwatch"
)

// gobEntry is one histogram of a test snapshot.
type gobEntry struct {
	Dir, Key string
	Hist     *ow.Hist
}

// GobEncode encodes histograms as a test snapshot (gob, keyed by name):
// pipeline tests use it instead of the ROOT codec, which its own package
// tests. GobDecode reads it back.
func GobEncode(hs ...*ow.Hist) []byte {
	var buf bytes.Buffer
	es := make([]gobEntry, len(hs))
	for i, h := range hs {
		es[i] = gobEntry{Key: h.Name, Hist: h}
	}
	if err := gob.NewEncoder(&buf).Encode(es); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// GobDecode decodes a test snapshot of GobEncode; other bytes give an error
// wrapping overwatch.ErrCorrupt, as a snapshot decoder must.
func GobDecode(b []byte) (*ow.File, error) {
	var es []gobEntry
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&es); err != nil {
		return nil, fmt.Errorf("test decoder: %w: %v", ow.ErrCorrupt, err)
	}
	f := &ow.File{}
	for _, e := range es {
		f.Entries = append(f.Entries, ow.Entry{Dir: e.Dir, Key: e.Key, Object: e.Hist})
	}
	return f, nil
}
