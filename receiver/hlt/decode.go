package hlt

import (
	"errors"
	"fmt"
	"sort"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
)

// Decoded is one merger reply after decoding.
type Decoded struct {
	// Info is the run information of the reply's INFO pair; HasInfo is
	// false when the reply had none.
	Info    hltwire.Info
	HasInfo bool
	// Entries holds the decoded objects as top-level entries keyed by
	// object name, sorted by name, one per name (a later duplicate
	// replaces an earlier one).
	Entries []overwatch.Entry
	// Hash identifies the reply's object content
	// (overwatch.ContentHash of Entries, the rule store ingestion applies
	// too): two replies with the same objects have the same hash.
	Hash [32]byte
	// Streamers counts the ROOTSTRI pairs applied.
	Streamers int
	// Failed counts object payloads that could not be decoded; NotROOT
	// those whose topic said they are not ROOT data; Dropped those over
	// the object limit; Duplicates repeated names.
	Failed, NotROOT, Dropped, Duplicates int
	// NeedSchema is set when an object failed to decode: the next request
	// should carry -SchemaOnRequest, as the original receiver does.
	NeedSchema bool
	// Errs holds up to maxErrs of the problems met, for the log.
	Errs []error
}

const maxErrs = 8

func (d *Decoded) addErr(err error) {
	if len(d.Errs) < maxErrs {
		d.Errs = append(d.Errs, err)
	}
}

// Decoder decodes merger replies. It keeps the streamer infos received in
// ROOTSTRI pairs and uses them for later objects. It is safe for concurrent
// use.
type Decoder struct {
	// MaxObjects bounds the objects decoded from one reply (default
	// DefaultMaxObjects); the rest are counted as dropped.
	MaxObjects int

	streamers *hltwire.Streamers // safe for concurrent use
}

// DefaultMaxObjects is the default bound on the objects of one reply.
const DefaultMaxObjects = 100_000

// NewDecoder returns a decoder with an empty set of streamer infos.
func NewDecoder() *Decoder { return &Decoder{streamers: hltwire.NewStreamers()} }

type rawObject struct {
	name    string
	payload []byte
	obj     overwatch.Object
}

// Decode decodes the frames of one reply. It never fails as a whole and
// never panics: framing problems, undecodable payloads and bad streamer
// infos are counted and recorded in Errs, and what could be decoded is
// returned.
func (dec *Decoder) Decode(frames [][]byte) *Decoded {
	d := &Decoded{}
	pairs, err := hltwire.SplitPairs(frames)
	if err != nil {
		d.addErr(err)
	}
	maxObj := dec.MaxObjects
	if maxObj <= 0 {
		maxObj = DefaultMaxObjects
	}
	objs := make([]rawObject, 0, len(pairs))
	for i, p := range pairs {
		switch p.Topic.Kind() {
		case hltwire.KindInfo:
			d.Info = hltwire.ParseInfo(p.Payload)
			d.HasInfo = true
		case hltwire.KindStreamers:
			if err := dec.addStreamers(p.Payload); err != nil {
				d.addErr(fmt.Errorf("pair %d: streamer infos: %w", i, err))
			} else {
				d.Streamers++
			}
		case hltwire.KindConfig, hltwire.KindEmpty:
			// Control and padding pairs carry no data.
		default:
			if p.Topic.NotROOT() {
				d.NotROOT++
				d.addErr(fmt.Errorf("pair %d: topic %q says the payload is not ROOT data", i, p.Topic.IDString()))
				continue
			}
			if len(objs) >= maxObj {
				d.Dropped++
				continue
			}
			entries, err := dec.decodeEntries(p.Payload)
			if err != nil {
				d.Failed++
				d.NeedSchema = true
				d.addErr(fmt.Errorf("pair %d (%s, %d bytes): %w", i, p.Topic.IDString(), len(p.Payload), err))
				continue
			}
			// A collection (a merger with UnpackCollections=0) gives one
			// entry per element, named "<collection>/<object>".
			for _, e := range entries {
				if len(objs) >= maxObj {
					d.Dropped++
					break
				}
				objs = append(objs, rawObject{name: e.Key, payload: p.Payload, obj: e.Object})
			}
		}
	}
	// One entry per name, the last one winning, sorted by name.
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].name < objs[j].name })
	for i, o := range objs {
		if i+1 < len(objs) && objs[i+1].name == o.name {
			d.Duplicates++
			continue
		}
		d.Entries = append(d.Entries, overwatch.Entry{Key: o.name, Object: o.obj})
	}
	d.Hash = overwatch.ContentHash(d.Entries)
	return d
}

// errNoName is returned for an object without a name, which cannot be a
// key of a ROOT file.
var errNoName = errors.New("object has no name")

func (dec *Decoder) decodeEntries(payload []byte) (entries []overwatch.Entry, err error) {
	// DecodeTMessageEntries promises not to panic; this guard keeps a
	// receiver alive even if a decoder bug slips through.
	defer func() {
		if r := recover(); r != nil {
			entries, err = nil, fmt.Errorf("%w: decoder panic: %v", overwatch.ErrCorrupt, r)
		}
	}()
	entries, _, err = hltwire.DecodeTMessageEntries(payload[:len(payload):len(payload)], dec.streamers)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: no object decoded", overwatch.ErrCorrupt)
	}
	for _, e := range entries {
		if e.Key == "" {
			return nil, fmt.Errorf("%s: %w", e.Object.ClassName(), errNoName)
		}
	}
	return entries, nil
}

func (dec *Decoder) addStreamers(payload []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: streamer decoder panic: %v", overwatch.ErrCorrupt, r)
		}
	}()
	return dec.streamers.AddTMessage(payload[:len(payload):len(payload)])
}
