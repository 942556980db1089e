package rootio

import (
	"encoding/binary"
	"fmt"
	"sync"

	"go-hep.org/x/hep/groot/rbytes"
	"go-hep.org/x/hep/groot/rcont"
	"go-hep.org/x/hep/groot/rdict"
)

// TMessage constants (ROOT's MessageTypes.h).
const (
	KMessObject = 4          // kMESS_OBJECT
	KMessZip    = 0x20000000 // kMESS_ZIP
	// minCompressLen is TMessage::Compress's threshold: shorter messages
	// are never compressed.
	minCompressLen = 256 + 8
)

// TMessageHeader is the decoded 8-byte header of a TMessage.
type TMessageHeader struct {
	What         uint32 // without the kMESS_ZIP bit
	Compressed   bool
	LittleEndian bool // the length word was little-endian (AliHLTMessage)
}

// UnpackTMessage checks a TMessage's header and returns the message with
// its payload decompressed: the 8-byte header followed by the streamed
// bytes, in which class and object tags count from byte 0.
func UnpackTMessage(msg []byte) ([]byte, TMessageHeader, error) {
	var h TMessageHeader
	msg = msg[:len(msg):len(msg)]
	if len(msg) < 12 {
		return nil, h, fmt.Errorf("%w: TMessage of %d bytes, at least 12 expected", ErrCorrupt, len(msg))
	}
	want := uint32(len(msg) - 4)
	switch {
	case binary.BigEndian.Uint32(msg) == want:
	case binary.LittleEndian.Uint32(msg) == want:
		h.LittleEndian = true
	default:
		return nil, h, fmt.Errorf("%w: TMessage length word %#x matches neither byte order of %d", ErrCorrupt, binary.BigEndian.Uint32(msg), want)
	}
	what := binary.BigEndian.Uint32(msg[4:])
	h.What = what &^ KMessZip
	if what&KMessZip == 0 {
		return msg, h, nil
	}
	h.Compressed = true
	total := int(binary.BigEndian.Uint32(msg[8:]))
	if total < 8+blockHeaderLen-9+1 || total-8 > maxExpansion*len(msg)+maxBlockSize {
		return nil, h, fmt.Errorf("%w: compressed TMessage of %d bytes claims %d bytes", ErrCorrupt, len(msg), total)
	}
	body, err := Decompress(msg[12:], total-8)
	if err != nil {
		return nil, h, fmt.Errorf("TMessage payload: %w", err)
	}
	out := make([]byte, 8, total)
	copy(out, msg[:8])
	binary.BigEndian.PutUint32(out[4:], h.What)
	out = append(out, body...)
	return out, h, nil
}

// DecodeTMessage decodes the object of a kMESS_OBJECT TMessage whose class
// is Supported, or a collection of such objects (*Collection). baseOf (may
// be nil) names the first base class of other classes, from streamer infos:
// an object of a class derived from a Supported class is decoded as that
// base. It returns the class name as well, so that a caller can report
// unsupported classes.
func DecodeTMessage(msg []byte, baseOf func(string) string) (class string, obj any, err error) {
	defer func() {
		if p := recover(); p != nil {
			obj, err = nil, fmt.Errorf("%w: decoding TMessage: %v", ErrCorrupt, p)
		}
	}()
	buf, h, err := UnpackTMessage(msg)
	if err != nil {
		return "", nil, err
	}
	if h.What != KMessObject {
		return "", nil, fmt.Errorf("%w: TMessage type %d, %d (kMESS_OBJECT) expected", ErrCorrupt, h.What, KMessObject)
	}
	r := newRBuf(buf, 0)
	r.pos = 8
	class, end := r.classRef()
	if r.err != nil {
		return "", nil, r.err
	}
	if class == "" {
		return "", nil, fmt.Errorf("%w: TMessage holds a null object", ErrCorrupt)
	}
	chain := BaseChain(class, baseOf)
	if chain == nil {
		return class, nil, fmt.Errorf("rootio: TMessage holds a %s, which Overwatch does not decode", class)
	}
	if end >= 0 {
		r.b = r.b[:end:end]
	}
	r.baseOf = baseOf
	if len(chain) > 1 {
		obj = r.derived(chain)
	} else {
		obj = r.object(class)
	}
	if r.err != nil {
		return class, nil, r.err
	}
	return class, obj, nil
}

// EncodeTMessage streams obj as a kMESS_OBJECT TMessage. littleEndian
// writes the length word in AliHLTMessage's (x86) byte order; level > 0
// compresses payloads longer than 256 bytes with zlib (kMESS_ZIP).
func EncodeTMessage(obj any, littleEndian bool, level int) ([]byte, error) {
	w := newWBuf(0, 1024)
	w.u32(0)
	w.u32(KMessObject)
	class := className(obj)
	if class == "" {
		return nil, fmt.Errorf("rootio: cannot stream %T in a TMessage", obj)
	}
	p := w.objectStart(class)
	if _, err := w.object(obj); err != nil {
		return nil, err
	}
	w.objectEnd(p)
	return finishTMessage(w.b, littleEndian, level)
}

func finishTMessage(msg []byte, littleEndian bool, level int) ([]byte, error) {
	if level > 9 {
		level = 9
	}
	if level > 0 && len(msg) > minCompressLen {
		c, err := Compress(msg[8:], level)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out := make([]byte, 12, 12+len(c))
			what := binary.BigEndian.Uint32(msg[4:]) | KMessZip
			binary.BigEndian.PutUint32(out[4:], what)
			binary.BigEndian.PutUint32(out[8:], uint32(len(msg)))
			msg = append(out, c...)
		}
	}
	if littleEndian {
		binary.LittleEndian.PutUint32(msg, uint32(len(msg)-4))
	} else {
		binary.BigEndian.PutUint32(msg, uint32(len(msg)-4))
	}
	return msg, nil
}

// EncodeStreamerInfosTMessage returns a TMessage holding a TObjArray of the
// TStreamerInfo of the given classes and of the classes they depend on (the
// HLT's "ROOTSTRI" payload).
func EncodeStreamerInfosTMessage(classes []string, littleEndian bool, level int) ([]byte, error) {
	sinfos, err := StreamerInfosFor(classes)
	if err != nil {
		return nil, err
	}
	payload, err := EncodeStreamerInfoList(sinfos, 8, true)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint32(msg[4:], KMessObject)
	msg = append(msg, payload...)
	return finishTMessage(msg, littleEndian, level)
}

// StreamerSet holds streamer infos received from a peer, by class name and
// version. It is safe for concurrent use.
type StreamerSet struct {
	mu    sync.RWMutex
	infos map[string]map[int]rbytes.StreamerInfo
}

// NewStreamerSet returns an empty set.
func NewStreamerSet() *StreamerSet {
	return &StreamerSet{infos: map[string]map[int]rbytes.StreamerInfo{}}
}

// Len returns the number of streamer infos held.
func (s *StreamerSet) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, v := range s.infos {
		n += len(v)
	}
	return n
}

// Has reports whether the set holds a streamer info of the class (any
// version when version < 0).
func (s *StreamerSet) Has(class string, version int) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.infos[class]
	if !ok {
		return false
	}
	if version < 0 {
		return len(v) > 0
	}
	_, ok = v[version]
	return ok
}

// AddTMessage decodes a TMessage holding a TList or TObjArray of
// TStreamerInfo and adds them to the set. It returns the number of infos
// added.
func (s *StreamerSet) AddTMessage(msg []byte) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, err = 0, fmt.Errorf("%w: decoding streamer infos: %v", ErrCorrupt, p)
		}
	}()
	buf, h, err := UnpackTMessage(msg)
	if err != nil {
		return 0, err
	}
	if h.What != KMessObject {
		return 0, fmt.Errorf("%w: TMessage type %d, %d (kMESS_OBJECT) expected", ErrCorrupt, h.What, KMessObject)
	}
	// Validate every count and byte count with our own size-checked walk
	// before groot decodes (groot allocates element arrays unchecked).
	if err := scanStreamerInfos(buf); err != nil {
		return 0, err
	}
	r := rbytes.NewRBuffer(buf, nil, 0, nil)
	r.SetPos(8)
	obj := r.ReadObjectAny()
	if r.Err() != nil {
		return 0, fmt.Errorf("%w: streamer infos: %v", ErrCorrupt, r.Err())
	}
	var elems []any
	switch o := obj.(type) {
	case *rcont.ObjArray:
		for i := 0; i < o.Len(); i++ {
			elems = append(elems, o.At(i))
		}
	case *rcont.List:
		for i := 0; i < o.Len(); i++ {
			elems = append(elems, o.At(i))
		}
	default:
		return 0, fmt.Errorf("%w: streamer-info TMessage holds a %T, a TObjArray or TList expected", ErrCorrupt, obj)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range elems {
		si, ok := e.(*rdict.StreamerInfo)
		if !ok {
			continue // e.g. the schema-evolution rules list
		}
		m := s.infos[si.Name()]
		if m == nil {
			m = map[int]rbytes.StreamerInfo{}
			s.infos[si.Name()] = m
		}
		m[si.ClassVersion()] = si
		n++
	}
	return n, nil
}

// BaseOf returns the first base class of class according to the streamer
// infos held (latest version), or "".
func (s *StreamerSet) BaseOf(class string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	best := -1 << 31
	base := ""
	for v, si := range s.infos[class] {
		if v < best {
			continue
		}
		best = v
		base = ""
		if el := si.Elements(); len(el) > 0 {
			if b, ok := el[0].(*rdict.StreamerBase); ok {
				base = b.Name()
			}
		}
	}
	return base
}

// scanStreamerInfos walks a streamer-info TMessage with the size-checked
// reader before groot decodes it: the container must be a TObjArray or
// TList of TStreamerInfo whose element arrays hold only TStreamer*
// elements, and every count must fit in the bytes left.
func scanStreamerInfos(buf []byte) error {
	r := newRBuf(buf, 0)
	r.pos = 8
	top, end := r.classRef()
	if r.err != nil {
		return r.err
	}
	if top != "TObjArray" && top != "TList" {
		return fmt.Errorf("%w: streamer-info TMessage holds a %q, a TObjArray or TList expected", ErrCorrupt, top)
	}
	if end < 0 {
		return fmt.Errorf("%w: streamer-info container without byte count", ErrCorrupt)
	}
	var bad string
	skipped := r.listBody("streamer infos", top, func(class string, end int) bool {
		if class != "TStreamerInfo" || end < 0 {
			return false
		}
		_, e := r.version(class)
		r.tnamed()
		r.u32() // checksum
		r.i32() // class version
		cl, _ := r.classRef()
		if r.err != nil {
			return true
		}
		if cl != "TObjArray" {
			bad = "TStreamerInfo elements in a " + cl
			return true
		}
		for _, c := range r.listBody("TStreamerInfo elements", cl, func(class string, end int) bool {
			if len(class) < 9 || class[:9] != "TStreamer" || end < 0 {
				return false
			}
			r.pos = end
			return true
		}) {
			bad = "element of class " + c
		}
		r.finish(class, e)
		return true
	})
	if r.err != nil {
		return r.err
	}
	if len(skipped) > 0 {
		bad = "entry of class " + skipped[0]
	}
	if bad != "" {
		return fmt.Errorf("%w: streamer-info TMessage holds an unexpected %s", ErrCorrupt, bad)
	}
	return nil
}
