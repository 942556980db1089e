package hltwire

import (
	"errors"
	"fmt"
)

// ErrFraming is wrapped by errors about a multipart message that is not a
// sequence of (topic, payload) pairs.
var ErrFraming = errors.New("hltwire: bad framing")

// Pair is one (topic, payload) pair of a multipart message.
type Pair struct {
	Topic   Topic
	Payload []byte
}

// SplitPairs groups frames into (topic, payload) pairs. Like
// alizmq_msg_recv it keeps the complete pairs when the frame count is odd
// and reports the dangling topic frame with an error wrapping ErrFraming.
// Payloads alias the frames.
func SplitPairs(frames [][]byte) ([]Pair, error) {
	pairs := make([]Pair, 0, len(frames)/2)
	for i := 0; i+1 < len(frames); i += 2 {
		pairs = append(pairs, Pair{Topic: ParseTopic(frames[i]), Payload: frames[i+1]})
	}
	if len(frames)%2 != 0 {
		return pairs, fmt.Errorf("%w: %d frames, want an even number (topic, payload pairs)", ErrFraming, len(frames))
	}
	return pairs, nil
}

// Reply is the content of one merger reply, in wire order: an optional
// streamer-info TMessage, the INFO string and one TMessage per object.
type Reply struct {
	// Streamers is the ROOTSTRI TMessage, or nil when no schema was
	// requested.
	Streamers []byte
	// Info is the INFO payload (may be empty).
	Info []byte
	// Objects holds one TMessage per object, in ascending name order as
	// the merger's std::map yields them.
	Objects [][]byte
}

// Frames returns the reply as the G4 merger sends it: [ROOTSTRI topic,
// streamers] when present, then [INFO topic, info], then [ROOTTOBJ topic,
// object] per object. The topic frames are fresh 80-byte slices; payloads
// alias the Reply's slices.
func (r Reply) Frames() [][]byte {
	n := 2 + 2*len(r.Objects)
	if r.Streamers != nil {
		n += 2
	}
	frames := make([][]byte, 0, n)
	if r.Streamers != nil {
		frames = append(frames, StreamersTopic().Marshal(), r.Streamers)
	}
	info := r.Info
	if info == nil {
		info = []byte{}
	}
	frames = append(frames, InfoTopic().Marshal(), info)
	obj := ObjectTopic().Marshal()
	for _, o := range r.Objects {
		t := make([]byte, TopicSize)
		copy(t, obj)
		frames = append(frames, t, o)
	}
	return frames
}
