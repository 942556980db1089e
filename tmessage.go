package overwatch

// CONTRACT FILE — signatures fixed; bodies replaced by the rootio helper.

// Streamers holds ROOT streamer infos received from a peer (the HLT's
// "ROOTSTRI" messages); DecodeTMessage uses them for classes without a
// built-in streamer. The zero value is not usable: call NewStreamers. It is
// safe for concurrent use.
type Streamers struct {
	impl any
}

// NewStreamers returns an empty set of streamer infos.
func NewStreamers() *Streamers { return &Streamers{} }

// AddTMessage registers the streamer infos carried by a TMessage holding a
// TList or TObjArray of TStreamerInfo (compressed or not).
func (s *Streamers) AddTMessage(msg []byte) error { return errNotWired }

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
func EncodeTMessage(obj Object, opts TMessageOptions) ([]byte, error) { return nil, errNotWired }

// EncodeStreamerInfosTMessage returns a compressed TMessage holding a
// TObjArray of the TStreamerInfo of the given classes (and of the classes
// they depend on), as the HLT merger sends them under a "ROOTSTRI" topic.
func EncodeStreamerInfosTMessage(classes []string, opts TMessageOptions) ([]byte, error) {
	return nil, errNotWired
}

// DecodeTMessage decodes one object from a TMessage: the length word in
// either byte order, the message type, optional kMESS_ZIP compression (ZL,
// L4, ZS, XZ blocks). s may be nil. Corrupted or hostile bytes give an error
// wrapping ErrCorrupt, never a panic, never an allocation beyond what the
// message size justifies.
func DecodeTMessage(msg []byte, s *Streamers) (Object, error) { return nil, errNotWired }
