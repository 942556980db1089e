package observe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// References gives the checks that compare (Chi2Test, KolmogorovTest,
// BinByBin) their reference histogram: the histogram hist of the
// reference run that applies to run of sys. It returns nil and a reason
// when there is none (no declaration, the run is its own reference, the
// reference run has no such histogram); an error only when the lookup
// itself failed.
type References interface {
	Reference(ctx context.Context, sys string, run int, hist string) (h *overwatch.Hist, about string, err error)
}

// DocumentLister lists documents (overwatch.DocumentStore's Documents).
type DocumentLister interface {
	Documents(ctx context.Context, kind string) ([]overwatch.Document, error)
}

// OutputReader reads processed outputs (a store or a bundle.Outputs, which
// reads them through the bundles).
type OutputReader interface {
	Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error)
}

// StoreReferences implements References over the reference declarations
// (documents of kind quality.ReferenceKind, resolved by
// quality.ResolveReference) and the reference run's newest processed
// outputs (its JSON members, decoded by overwatch.DecodeJSONHist). The
// declarations are re-read at most every Refresh, decoded histograms are
// kept for Refresh too (bounded), so checks on every snapshot cost one
// map lookup per histogram. It is safe for concurrent use.
type StoreReferences struct {
	docs    DocumentLister
	outs    OutputReader
	files   *ReferenceFiles // nil when docs cannot read single documents
	refresh time.Duration
	now     func() time.Time

	mu     sync.Mutex
	refs   []quality.Reference
	readAt time.Time
	hists  map[histKey]cachedHist
}

type histKey struct {
	sys  string
	run  int
	name string
}

type cachedHist struct {
	h     *overwatch.Hist
	about string
	at    time.Time
}

// maxCachedRefs bounds the decoded reference histograms kept.
const maxCachedRefs = 20000

// NewStoreReferences returns References reading declarations from docs and
// histograms from outs (a reference run's) or from the uploaded reference
// files in docs (when docs also reads single documents, as an
// overwatch.DocumentStore does), re-read every refresh (30 s when 0).
func NewStoreReferences(docs DocumentLister, outs OutputReader, refresh time.Duration) *StoreReferences {
	if refresh <= 0 {
		refresh = 30 * time.Second
	}
	s := &StoreReferences{docs: docs, outs: outs, refresh: refresh, now: time.Now, hists: map[histKey]cachedHist{}}
	if rd, ok := docs.(quality.DocumentReader); ok {
		s.files = NewReferenceFiles(rd)
	}
	return s
}

// Resolve returns the declaration that applies to run of sys.
func (s *StoreReferences) Resolve(ctx context.Context, sys string, run int) (quality.Reference, bool, error) {
	now := s.now()
	s.mu.Lock()
	refs, fresh := s.refs, !s.readAt.IsZero() && now.Sub(s.readAt) < s.refresh
	s.mu.Unlock()
	if !fresh {
		docs, err := s.docs.Documents(ctx, quality.ReferenceKind)
		if err != nil {
			return quality.Reference{}, false, fmt.Errorf("reference declarations: %w", err)
		}
		refs, _ = quality.ReferencesFromDocuments(docs) // an undecodable declaration is skipped
		s.mu.Lock()
		s.refs, s.readAt = refs, now
		if len(s.hists) > 0 {
			clear(s.hists) // declarations or outputs may have changed
		}
		s.mu.Unlock()
	}
	r, ok := quality.ResolveReference(refs, sys, run)
	return r, ok, nil
}

// Reference returns the reference histogram of hist for run of sys.
func (s *StoreReferences) Reference(ctx context.Context, sys string, run int, hist string) (*overwatch.Hist, string, error) {
	r, ok, err := s.Resolve(ctx, sys, run)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "no reference run declared for run " + fmt.Sprint(run), nil
	}
	if r.File != "" {
		return s.fileReference(ctx, r, hist)
	}
	if r.Run == run {
		return nil, fmt.Sprintf("run %d is its own reference (%s)", run, r.Name()), nil
	}
	k := histKey{sys, r.Run, hist}
	s.mu.Lock()
	c, ok := s.hists[k]
	s.mu.Unlock()
	if ok {
		return c.h, c.about, nil
	}
	c = cachedHist{at: s.now(), about: fmt.Sprintf("run %d (%s)", r.Run, r.Name())}
	data, err := s.outs.Output(ctx, overwatch.OutputRef{Run: r.Run, Subsystem: sys, Name: hist, Kind: overwatch.OutputJSON})
	switch {
	case errors.Is(err, overwatch.ErrNotFound):
		c.about = fmt.Sprintf("reference run %d (%s) has no processed %s", r.Run, r.Name(), hist)
	case err != nil:
		return nil, "", fmt.Errorf("reference run %d %s %s: %w", r.Run, sys, hist, err)
	default:
		if c.h, err = overwatch.DecodeJSONHist(data); err != nil {
			c.about = fmt.Sprintf("reference run %d (%s): %s cannot be decoded: %v", r.Run, r.Name(), hist, err)
		}
	}
	s.mu.Lock()
	if len(s.hists) >= maxCachedRefs {
		clear(s.hists)
	}
	s.hists[k] = c
	s.mu.Unlock()
	return c.h, c.about, nil
}

// FlagStore keeps the flags documents (overwatch.DocumentStore's reads and
// writes of one document).
type FlagStore interface {
	Document(ctx context.Context, kind, name string, v int64) (overwatch.Document, error)
	PutDocument(ctx context.Context, d overwatch.Document, prev int64) (overwatch.Document, error)
}

// storeFlags adds a snapshot's quality to the flags document of the run's
// subsystem: read, add, write version prev+1, again when another writer
// got there first.
func storeFlags(ctx context.Context, fs FlagStore, sys string, run int, at time.Time, q overwatch.Quality, reason string) error {
	name := quality.FlagsName(run, sys)
	for attempt := 0; ; attempt++ {
		f := &quality.RunFlags{Run: run, Subsystem: sys}
		var prev int64
		d, err := fs.Document(ctx, quality.FlagsKind, name, 0)
		switch {
		case err == nil:
			prev = d.Version
			if !d.Deleted {
				if old, err := quality.RunFlagsFromDocument(d); err == nil {
					f = old
				} // an undecodable version is replaced
			}
		case !errors.Is(err, overwatch.ErrNotFound):
			return err
		}
		f.Add(at, q, reason)
		nd, err := f.Document()
		if err != nil {
			return err
		}
		if _, err = fs.PutDocument(ctx, nd, prev); err == nil || !errors.Is(err, overwatch.ErrVersionConflict) || attempt == 4 {
			return err
		}
	}
}

type proposal struct {
	h *overwatch.Hist
	r quality.Result
}

// readBadChannels returns a subsystem's bad-channel list and its version
// (an empty list, version 0, when there is none).
func readBadChannels(ctx context.Context, fs FlagStore, sys string) (*quality.BadChannels, int64, error) {
	d, err := fs.Document(ctx, quality.BadChannelsKind, sys, 0)
	if errors.Is(err, overwatch.ErrNotFound) {
		return &quality.BadChannels{Subsystem: sys}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	b, err := quality.BadChannelsFromDocument(d)
	if err != nil {
		return nil, d.Version, err
	}
	return b, d.Version, nil
}

// proposeBadChannels adds the channels found to the subsystem's list when
// any is new (bad is the list as read for this snapshot), again after a
// version conflict.
func proposeBadChannels(ctx context.Context, fs FlagStore, sys string, run int, at time.Time, bad *quality.BadChannels, ps []proposal) error {
	if bad != nil {
		probe := &quality.BadChannels{Subsystem: sys, Channels: append([]quality.Channel(nil), bad.Channels...)}
		changed := false
		for _, p := range ps {
			changed = probe.Propose(p.h, p.r, run, at) || changed
		}
		if !changed {
			return nil // nothing new: no write
		}
	}
	for attempt := 0; ; attempt++ {
		b, prev, err := readBadChannels(ctx, fs, sys)
		if err != nil {
			return err
		}
		changed := false
		for _, p := range ps {
			changed = b.Propose(p.h, p.r, run, at) || changed
		}
		if !changed {
			return nil
		}
		d, err := b.Document("quality", fmt.Sprintf("proposed by the checks of run %d", run))
		if err != nil {
			return err
		}
		if _, err = fs.PutDocument(ctx, d, prev); err == nil || !errors.Is(err, overwatch.ErrVersionConflict) || attempt == 4 {
			return err
		}
	}
}

// fileReference returns hist of the uploaded reference file r declares.
func (s *StoreReferences) fileReference(ctx context.Context, r quality.Reference, hist string) (*overwatch.Hist, string, error) {
	about := fmt.Sprintf("%s (%s)", r.Source(), r.Name())
	if s.files == nil {
		return nil, about + ": reference files cannot be read here", nil
	}
	h, _, err := s.files.Hist(ctx, r.File, hist)
	switch {
	case errors.Is(err, overwatch.ErrNotFound), errors.Is(err, quality.ErrReference):
		return nil, about + ": " + err.Error(), nil
	case err != nil:
		return nil, "", fmt.Errorf("reference %s: %w", about, err)
	case h == nil:
		return nil, fmt.Sprintf("reference %s has no %s", about, hist), nil
	}
	return h, about, nil
}
