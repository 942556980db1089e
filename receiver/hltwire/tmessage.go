package hltwire

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/objbridge"
	"github.com/overwatch-dqm/overwatch/internal/rootio"
)

// The TMessage codec: the ROOT object serialisation the HLT mergers send
// as the payload of ROOTTOBJ and ROOTSTRI frames.

// Streamers holds ROOT streamer infos received from a peer (the HLT's
// "ROOTSTRI" messages); DecodeTMessage uses them for classes without a
// built-in streamer: an object of a class derived from a histogram, graph
// or string class is decoded as that base class. The zero value is not usable: call NewStreamers. It is
// safe for concurrent use.
type Streamers struct {
	impl any
}

// NewStreamers returns an empty set of streamer infos.
func NewStreamers() *Streamers { return &Streamers{impl: rootio.NewStreamerSet()} }

func (s *Streamers) set() (*rootio.StreamerSet, error) {
	if s == nil {
		return nil, fmt.Errorf("hltwire: nil Streamers")
	}
	set, ok := s.impl.(*rootio.StreamerSet)
	if !ok || set == nil {
		return nil, fmt.Errorf("hltwire: Streamers not created with NewStreamers")
	}
	return set, nil
}

// AddTMessage registers the streamer infos carried by a TMessage holding a
// TList or TObjArray of TStreamerInfo (compressed or not).
func (s *Streamers) AddTMessage(msg []byte) error {
	set, err := s.set()
	if err != nil {
		return err
	}
	if _, err := set.AddTMessage(msg); err != nil {
		return fmt.Errorf("hltwire: streamer-info TMessage: %w", err)
	}
	return nil
}

// baseOf returns the base-class resolver of the streamer infos held, nil
// for a nil or unusable s.
func (s *Streamers) baseOf() func(string) string {
	set, err := s.set()
	if err != nil {
		return nil
	}
	return set.BaseOf
}

// Len returns the number of streamer infos held (one per class and
// version).
func (s *Streamers) Len() int {
	set, err := s.set()
	if err != nil {
		return 0
	}
	return set.Len()
}

// Has reports whether a streamer info of class is held (any version when
// version < 0).
func (s *Streamers) Has(class string, version int) bool {
	set, err := s.set()
	if err != nil {
		return false
	}
	return set.Has(class, version)
}

// TMessageOptions tunes EncodeTMessage.
type TMessageOptions struct {
	// LittleEndianLength writes the leading length word in little-endian
	// (host) order as AliHLTMessage does; ROOT's TMessage writes it
	// big-endian. Decoders accept both.
	LittleEndianLength bool
	// CompressionLevel > 0 compresses the payload (kMESS_ZIP) with zlib
	// blocks at that level.
	CompressionLevel int
}

// EncodeTMessage serialises obj as a ROOT TMessage of type kMESS_OBJECT.
func EncodeTMessage(obj overwatch.Object, opts TMessageOptions) ([]byte, error) {
	o, err := objbridge.ToRootIO(obj)
	if err != nil {
		return nil, fmt.Errorf("hltwire: encoding TMessage: %w", err)
	}
	b, err := rootio.EncodeTMessage(o, opts.LittleEndianLength, opts.CompressionLevel)
	if err != nil {
		return nil, fmt.Errorf("hltwire: encoding TMessage: %w", err)
	}
	return b, nil
}

// EncodeStreamerInfosTMessage returns a compressed TMessage holding a
// TObjArray of the TStreamerInfo of the given classes (and of the classes
// they depend on), as the HLT merger sends them under a "ROOTSTRI" topic.
// The compression level is opts.CompressionLevel, or 1 when it is 0.
func EncodeStreamerInfosTMessage(classes []string, opts TMessageOptions) ([]byte, error) {
	level := opts.CompressionLevel
	if level == 0 {
		level = 1
	}
	b, err := rootio.EncodeStreamerInfosTMessage(classes, opts.LittleEndianLength, level)
	if err != nil {
		return nil, fmt.Errorf("hltwire: encoding streamer infos: %w", err)
	}
	return b, nil
}

// DecodeTMessage decodes one object from a TMessage: the length word in
// either byte order, the message type, optional kMESS_ZIP compression (ZL,
// L4, ZS, XZ blocks). s may be nil. Corrupted or hostile bytes give an error
// wrapping overwatch.ErrCorrupt, never a panic, never an allocation beyond what the
// message size justifies.
func DecodeTMessage(msg []byte, s *Streamers) (overwatch.Object, error) {
	class, obj, err := rootio.DecodeTMessage(msg, s.baseOf())
	if err != nil {
		return nil, tmessageError(class, err, s)
	}
	if _, ok := obj.(*rootio.Collection); ok {
		return nil, fmt.Errorf("hltwire: TMessage holds a %s collection: decode it with DecodeTMessageEntries", class)
	}
	o, _, err := objbridge.FromRootIO(obj) // function lists are not part of the model
	if err != nil {
		return nil, fmt.Errorf("hltwire: decoding TMessage %s: %w", class, err)
	}
	return o.(overwatch.Object), nil
}

// DecodeTMessageEntries decodes a TMessage holding one object or a
// collection (TList, THashList, TObjArray, as the HLT merger sends with
// UnpackCollections=0). Collections are flattened: their elements become
// entries whose keys are "<collection name>/<object name>" (the object name
// alone for an unnamed collection), as the merger names unpacked elements.
// Dir is always "". s may be nil. Problems lists the extras dropped (function lists) and
// the histogram-like elements of unsupported classes; a TMessage holding a
// TObjArray of TStreamerInfo gives no entries.
func DecodeTMessageEntries(msg []byte, s *Streamers) ([]overwatch.Entry, []overwatch.Problem, error) {
	class, obj, err := rootio.DecodeTMessage(msg, s.baseOf())
	if err != nil {
		return nil, nil, tmessageError(class, err, s)
	}
	if c, ok := obj.(*rootio.Collection); ok {
		entries, problems := objbridge.Flatten(c.Name, c)
		return entries.([]overwatch.Entry), problems.([]overwatch.Problem), nil
	}
	decoded, dropped, err := objbridge.FromRootIO(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("hltwire: decoding TMessage %s: %w", class, err)
	}
	o := decoded.(overwatch.Object)
	var problems []overwatch.Problem
	for _, d := range dropped {
		problems = append(problems, overwatch.Problem{Path: o.ObjectName(), Class: d, Err: "dropped from the function list of the kept " + class})
	}
	return []overwatch.Entry{{Key: o.ObjectName(), Object: o}}, problems, nil
}

func tmessageError(class string, err error, s *Streamers) error {
	if class != "" && !rootio.Supported(class) && !rootio.IsCollection(class) {
		known := ""
		if s != nil && s.Has(class, -1) {
			known = " (its streamer info is known, but Overwatch models only histograms, graphs and strings)"
		}
		return fmt.Errorf("hltwire: TMessage class %s not supported%s: %w", class, known, err)
	}
	return fmt.Errorf("hltwire: decoding TMessage: %w", err)
}
