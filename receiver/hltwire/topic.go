// Package hltwire implements the framing of the ALICE HLT ZeroMQ ROOT-object
// protocol (AliZMQhelpers / ZMQROOTmerger) without any socket: the topic
// frames of every generation (the 16-byte legacy topic, the 80-byte O2
// DataTopic of G2–G4 and the G5 regression), the INFO run-information
// string, the CONFIG request that an Overwatch receiver sends and the
// merger's option string, and the (topic, payload) pairs of a reply.
//
// Everything here works on plain byte slices, so it is shared by the HLT
// receiver (receiver/hlt) and the merger simulator (receiver/hltsim), and it
// never panics on hostile input: decoders of outside bytes are lenient where
// the C++ implementation is lenient and report an error otherwise.
//
// The byte layout follows the spec's reference generation G4
// (alisw/AliRoot d25d3f054a): all integers of a topic are little-endian, the
// 8-character data ID sits at offset 40, the origin at 48 and the payload
// serialization at 56.
package hltwire

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// TopicSize is the size of an O2 DataTopic frame (G2–G5).
const TopicSize = 80

// LegacyTopicSize is the size of a G1 topic frame: ID, origin and a 32-bit
// specification.
const LegacyTopicSize = 16

// The data type IDs used by the merger and the receiver. They are exactly 8
// bytes; a comparison of IDs is a comparison of these 8 bytes.
const (
	IDInfo      = "INFO____" // run information (key=value;... text)
	IDStreamers = "ROOTSTRI" // TObjArray of TStreamerInfo
	IDObject    = "ROOTTOBJ" // one streamed TObject
	IDHist      = "ROOTHIST" // one streamed histogram (older senders)
	IDConfig    = "CONFIG__" // control: option string (matched on "CONFIG")
)

// The data origins written by the G4 merger.
const (
	OriginHLT = "HLT "  // the merger's INFO and object topics
	OriginAny = "***\n" // AliZMQhelpers' constants, e.g. ROOTSTRI
)

// The payload serialization values found at offset 56 of an O2 topic.
const (
	SerializationROOT    = "ROOT   \x00" // a TMessage (ZMQTMessage)
	SerializationNONE    = "NONE   \x00" // not a ROOT object (INFO, CONFIG)
	SerializationHLTROOT = "HLTROOT\x00" // a block forwarded from the HLT chain (AliHLTMessage)
)

// Format says which topic layout a frame used.
type Format int

// The topic layouts.
const (
	// FormatO2 is the 80-byte DataTopic of G2–G4 with the ID at offset 40.
	FormatO2 Format = iota
	// FormatO2G5 is an 80-byte DataTopic written by the G5 helpers, whose ID
	// sits at offset 32 with zeros at offset 40.
	FormatO2G5
	// FormatLegacy is the 16-byte G1 topic.
	FormatLegacy
	// FormatRaw is a raw string topic such as "CONFIG" or "INFO" (G1).
	FormatRaw
)

// String returns the format's name.
func (f Format) String() string {
	switch f {
	case FormatO2:
		return "O2"
	case FormatO2G5:
		return "O2-G5"
	case FormatLegacy:
		return "legacy16"
	case FormatRaw:
		return "raw"
	}
	return "unknown"
}

// Topic is the decoded header frame of a (topic, payload) pair.
type Topic struct {
	Format        Format
	Flags         uint32
	ID            [8]byte
	Origin        [4]byte
	Serialization [8]byte // zero for legacy and raw topics
	Spec          uint64
	PayloadSize   uint64
	// Valid is false for an O2 frame (it starts with "O2O2") whose header
	// description at offset 16 is not "DataHDR\0", which a C++ G4 receiver
	// would treat as "no topic". The fields are decoded anyway.
	Valid bool
}

var (
	magicO2        = []byte("O2O2")
	headerDescr    = []byte("DataHDR\x00")
	headerSerNone  = []byte("NONE\x00\x00\x00\x00")
	zero8          [8]byte
	serialROOTByte = []byte(SerializationROOT)
)

// NewTopic returns a G4 topic with the given ID (at most 8 bytes, padded
// with NUL), origin (at most 4 bytes) and serialization (at most 8 bytes).
func NewTopic(id, origin, serialization string) Topic {
	t := Topic{Format: FormatO2, Valid: true}
	copy(t.ID[:], id)
	copy(t.Origin[:], origin)
	copy(t.Serialization[:], serialization)
	return t
}

// InfoTopic returns the INFO topic of the G4 merger: "INFO____", origin
// "HLT ", serialization "NONE   \0".
func InfoTopic() Topic { return NewTopic(IDInfo, OriginHLT, SerializationNONE) }

// ObjectTopic returns the object topic of the G4 merger: "ROOTTOBJ", origin
// "HLT ", serialization "ROOT   \0".
func ObjectTopic() Topic { return NewTopic(IDObject, OriginHLT, SerializationROOT) }

// StreamersTopic returns the streamer-info topic of the G4 merger:
// "ROOTSTRI", origin "***\n", serialization "ROOT   \0".
func StreamersTopic() Topic { return NewTopic(IDStreamers, OriginAny, SerializationROOT) }

// ConfigTopic returns the request topic the Overwatch receiver sends: a
// default DataTopic with ID "CONFIG\0\0", origin and serialization zero.
func ConfigTopic() Topic { return NewTopic("CONFIG", "", "") }

// EmptyTopic returns the default DataTopic (all-zero ID) of the padding
// pair that ends a request.
func EmptyTopic() Topic { return NewTopic("", "", "") }

// Marshal returns the 80-byte G4 wire form of t (whatever t.Format says):
// magic "O2O2", header size 80, the flags, base header version 1,
// "DataHDR\0", "NONE\0\0\0\0", the ID at offset 40, the origin at 48, the
// serialization at 56, the specification and the payload size.
func (t Topic) Marshal() []byte {
	b := make([]byte, TopicSize)
	t.put(b)
	return b
}

// AppendMarshal appends the 80-byte wire form of t to dst.
func (t Topic) AppendMarshal(dst []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, TopicSize)...)
	t.put(dst[n:])
	return dst
}

func (t Topic) put(b []byte) {
	copy(b[0:4], magicO2)
	binary.LittleEndian.PutUint32(b[4:], TopicSize)
	binary.LittleEndian.PutUint32(b[8:], t.Flags)
	binary.LittleEndian.PutUint32(b[12:], 1)
	copy(b[16:24], headerDescr)
	copy(b[24:32], headerSerNone)
	copy(b[40:48], t.ID[:])
	copy(b[48:52], t.Origin[:])
	copy(b[56:64], t.Serialization[:])
	binary.LittleEndian.PutUint64(b[64:], t.Spec)
	binary.LittleEndian.PutUint64(b[72:], t.PayloadSize)
}

// MarshalLegacy returns the 16-byte G1 wire form of t: ID, origin and the
// low 32 bits of the specification, little-endian.
func (t Topic) MarshalLegacy() []byte {
	b := make([]byte, LegacyTopicSize)
	copy(b[0:8], t.ID[:])
	copy(b[8:12], t.Origin[:])
	binary.LittleEndian.PutUint32(b[12:], uint32(t.Spec))
	return b
}

// ParseTopic decodes a topic frame of any generation. It never fails:
//   - a frame starting with "O2O2" is an O2 DataTopic (shorter frames are
//     zero-extended, as the C++ reader copies min(size, 80) bytes); when its
//     ID at offset 40 is all zero and offset 32 is not, the ID is taken from
//     offset 32 (the G5 regression);
//   - a 16-byte frame is a G1 topic;
//   - anything else is a raw string topic whose first 8 bytes (NUL-padded)
//     are the ID.
func ParseTopic(b []byte) Topic {
	var t Topic
	switch {
	case len(b) >= 4 && bytes.Equal(b[:4], magicO2):
		var raw [TopicSize]byte
		copy(raw[:], b)
		t.Format = FormatO2
		t.Valid = bytes.Equal(raw[16:24], headerDescr)
		t.Flags = binary.LittleEndian.Uint32(raw[8:])
		copy(t.ID[:], raw[40:48])
		if t.ID == zero8 && !bytes.Equal(raw[32:40], zero8[:]) {
			copy(t.ID[:], raw[32:40])
			t.Format = FormatO2G5
		}
		copy(t.Origin[:], raw[48:52])
		copy(t.Serialization[:], raw[56:64])
		t.Spec = binary.LittleEndian.Uint64(raw[64:])
		t.PayloadSize = binary.LittleEndian.Uint64(raw[72:])
	case len(b) == LegacyTopicSize:
		t.Format = FormatLegacy
		t.Valid = true
		copy(t.ID[:], b[0:8])
		copy(t.Origin[:], b[8:12])
		t.Spec = uint64(binary.LittleEndian.Uint32(b[12:]))
	default:
		t.Format = FormatRaw
		t.Valid = true
		copy(t.ID[:], b)
	}
	return t
}

// IDString returns the ID without trailing NUL bytes.
func (t Topic) IDString() string { return strings.TrimRight(string(t.ID[:]), "\x00") }

// OriginString returns the origin without trailing NUL bytes.
func (t Topic) OriginString() string { return strings.TrimRight(string(t.Origin[:]), "\x00") }

// HasID reports whether the 8 ID bytes equal id (NUL-padded to 8 bytes), the
// exact comparison of alizmq_msg_iter_check_id.
func (t Topic) HasID(id string) bool {
	var want [8]byte
	copy(want[:], id)
	return t.ID == want
}

// HasIDPrefix reports whether the ID starts with p (the string overload of
// alizmq_msg_iter_check_id, and the merger's "CONFIG" test).
func (t Topic) HasIDPrefix(p string) bool {
	return len(p) <= 8 && string(t.ID[:len(p)]) == p
}

// IsROOT reports whether the serialization is exactly "ROOT   \0", the
// condition under which a G4 C++ receiver deserializes the payload.
func (t Topic) IsROOT() bool { return bytes.Equal(t.Serialization[:], serialROOTByte) }

// Kind classifies a pair by its topic, leniently across generations.
type Kind int

// The pair kinds.
const (
	KindObject    Kind = iota // a ROOT object (anything not listed below)
	KindInfo                  // ID starting with "INFO"
	KindStreamers             // ID "ROOTSTRI"
	KindConfig                // ID starting with "CONFIG"
	KindEmpty                 // all-zero ID (request padding, dummy replies)
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindObject:
		return "object"
	case KindInfo:
		return "info"
	case KindStreamers:
		return "streamers"
	case KindConfig:
		return "config"
	case KindEmpty:
		return "empty"
	}
	return "unknown"
}

// Kind classifies the topic: INFO by the prefix "INFO" (G1 sent a raw
// "INFO"), ROOTSTRI exactly, CONFIG by the prefix "CONFIG", an all-zero ID
// as empty, and anything else as an object.
func (t Topic) Kind() Kind {
	switch {
	case t.ID == zero8:
		return KindEmpty
	case t.HasIDPrefix("INFO"):
		return KindInfo
	case t.HasID(IDStreamers):
		return KindStreamers
	case t.HasIDPrefix("CONFIG"):
		return KindConfig
	}
	return KindObject
}

// NotROOT reports whether the topic explicitly says its payload is not ROOT
// data: an O2 topic whose serialization is "NONE..." (a G4 C++ receiver
// returns -1 for it). Zero serializations (pre-G4 senders), legacy and raw
// topics are not excluded, so a lenient receiver still tries to decode them.
func (t Topic) NotROOT() bool {
	return (t.Format == FormatO2 || t.Format == FormatO2G5) && bytes.HasPrefix(t.Serialization[:], []byte("NONE"))
}
