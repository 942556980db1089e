package hltsim

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
)

// decodeReply checks the G4 framing of a reply and decodes its objects.
func decodeReply(t testing.TB, frames [][]byte, bigEndian bool) (info string, streamers bool, objs []overwatch.Object) {
	t.Helper()
	pairs, err := hltwire.SplitPairs(frames)
	require.NoError(t, err)
	s := hltwire.NewStreamers()
	for i, p := range pairs {
		require.Equal(t, hltwire.FormatO2, p.Topic.Format)
		require.True(t, p.Topic.Valid)
		switch p.Topic.Kind() {
		case hltwire.KindStreamers:
			require.Zero(t, i, "ROOTSTRI comes first")
			require.True(t, p.Topic.IsROOT())
			require.Equal(t, hltwire.OriginAny, p.Topic.OriginString())
			require.NoError(t, s.AddTMessage(p.Payload))
			streamers = true
		case hltwire.KindInfo:
			require.Equal(t, hltwire.SerializationNONE, string(p.Topic.Serialization[:]))
			require.Equal(t, "HLT ", p.Topic.OriginString())
			info = string(p.Payload)
		default:
			require.True(t, p.Topic.HasID(hltwire.IDObject))
			require.True(t, p.Topic.IsROOT())
			n := uint32(len(p.Payload) - 4)
			if bigEndian {
				require.Equal(t, n, binary.BigEndian.Uint32(p.Payload))
			} else {
				require.Equal(t, n, binary.LittleEndian.Uint32(p.Payload), "LE length word, as the AliRoot-built merger")
			}
			require.Equal(t, uint32(4), binary.BigEndian.Uint32(p.Payload[4:]), "kMESS_OBJECT, uncompressed")
			o, err := hltwire.DecodeTMessage(p.Payload, s)
			require.NoError(t, err)
			objs = append(objs, o)
		}
	}
	return info, streamers, objs
}

func names(objs []overwatch.Object) []string {
	var n []string
	for _, o := range objs {
		n = append(n, o.ObjectName())
	}
	return n
}

func TestReplyWireFormat(t *testing.T) {
	for _, be := range []bool{false, true} {
		s, _ := newTestServer(t, Config{Subsystems: []string{"TPC", "HLT"}, FirstRun: 4242, BigEndianLength: be})
		s.Advance(time.Minute)
		frames, err := s.Reply("TPC", hltwire.ParseOptions(" -SchemaOnRequest"))
		require.NoError(t, err)
		info, streamers, objs := decodeReply(t, frames, be)
		assert.True(t, streamers)
		assert.Equal(t, "run=4242;HLT_MODE=B;BEAM_TYPE=p-p", info)
		require.NotEmpty(t, objs)
		n := names(objs)
		assert.True(t, sort.StringsAreSorted(n), "objects in ascending name order")
		assert.Equal(t, s.Generator().Names("TPC"), n)
		var th3 int
		for _, o := range objs {
			if o.ClassName() == overwatch.ClassTH3D {
				th3++
				assert.Positive(t, o.(*overwatch.Hist).Entries)
			}
		}
		assert.Positive(t, th3, "TPC track histograms are TH3D")

		frames, err = s.Reply("HLT", nil)
		require.NoError(t, err)
		_, streamers, objs = decodeReply(t, frames, be)
		assert.False(t, streamers, "schema is one-shot")
		assert.Len(t, objs, 38)
	}
}

func TestReplyCompressedStreamers(t *testing.T) {
	for _, compress := range []bool{false, true} {
		s, _ := newTestServer(t, Config{Subsystems: []string{"EMC"}, CompressStreamers: compress})
		frames, err := s.Reply("EMC", hltwire.ParseOptions("-SchemaOnRequest"))
		require.NoError(t, err)
		require.True(t, hltwire.ParseTopic(frames[0]).HasID(hltwire.IDStreamers))
		what := binary.BigEndian.Uint32(frames[1][4:])
		assert.Equal(t, compress, what&0x20000000 != 0, "kMESS_ZIP")
		assert.Equal(t, uint32(4), what&^0x20000000)
		require.NoError(t, hltwire.NewStreamers().AddTMessage(frames[1]))
	}
}

func TestReplyCumulativeAndReset(t *testing.T) {
	s, _ := newTestServer(t, Config{Subsystems: []string{"EMC"}})
	events := func(opts string) float64 {
		frames, err := s.Reply("EMC", hltwire.ParseOptions(opts))
		require.NoError(t, err)
		_, _, objs := decodeReply(t, frames, false)
		for _, o := range objs {
			if o.ObjectName() == "EMCTRQA_histEvents" {
				return o.(*overwatch.Hist).Entries
			}
		}
		t.Fatal("no EMCTRQA_histEvents")
		return 0
	}
	s.Advance(time.Minute)
	a := events("")
	s.Advance(time.Minute)
	b := events("")
	assert.Greater(t, b, a, "cumulative growth")
	c := events(" -ResetOnRequest")
	assert.Equal(t, b, c, "the reply is sent before the reset")
	assert.Zero(t, events(""), "reset after the reply")
	s.Advance(time.Minute)
	d := events("-AllowResetOnRequest=0 -ResetOnRequest")
	assert.Positive(t, d)
	assert.Equal(t, d, events(""), "reset not allowed")
	s.Advance(time.Minute)
	_ = events("-reset")
	assert.Zero(t, events(""), "persistent option reset empties at once")
}

// TestInteropPythonClient: a libzmq REQ client (the C++ receiver's socket)
// checks our simulator's replies byte by byte on its own.
func TestInteropPythonClient(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import zmq").Run(); err != nil {
		t.Skipf("libzmq peer unavailable (/usr/bin/python3 with python3-zmq; run make setup-system): %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(Config{Subsystems: []string{"EMC", "TPC"}, Listen: []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"},
		FirstRun: 555, Mode: "C", Logger: quietLogger()})
	require.NoError(t, err)
	require.NoError(t, s.Listen(ctx))
	go func() { _ = s.Serve(ctx) }()
	s.Advance(time.Minute)

	type pair struct {
		ID, Origin, Serialization, Length, Class, Text string
		What                                           uint32
		BytecountOK                                    bool `json:"bytecount_ok"`
	}
	var out struct {
		Frames int
		Pairs  []pair
	}
	cmd := exec.Command("/usr/bin/python3", "testdata/client.py", s.Endpoints()["EMC"], " -select=FastORL0 -SchemaOnRequest")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &out))

	require.Equal(t, 2*len(out.Pairs), out.Frames)
	require.GreaterOrEqual(t, len(out.Pairs), 3)
	assert.Equal(t, pair{ID: "ROOTSTRI", Origin: "***\n", Serialization: "ROOT   \x00", Length: "LE", What: 4,
		Class: "TObjArray", BytecountOK: true}, out.Pairs[0])
	assert.Equal(t, pair{ID: "INFO____", Origin: "HLT ", Serialization: "NONE   \x00",
		Text: "run=555;HLT_MODE=C;BEAM_TYPE=p-p"}, out.Pairs[1])
	for _, p := range out.Pairs[2:] {
		assert.Equal(t, "ROOTTOBJ", p.ID)
		assert.Equal(t, "HLT ", p.Origin)
		assert.Equal(t, "ROOT   \x00", p.Serialization)
		assert.Equal(t, "LE", p.Length)
		assert.Equal(t, uint32(4), p.What)
		assert.True(t, p.BytecountOK)
		assert.NotEmpty(t, p.Class)
	}
	assert.Equal(t, int64(1), s.Requests())
}

// TestServeDealerAndReq: the ROUTER handles REQ peers (with the envelope
// delimiter) and DEALER peers (without).
func TestServeDealerAndReq(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(Config{Subsystems: []string{"HLT"}, Listen: []string{"tcp://127.0.0.1:0"}, Logger: quietLogger()})
	require.NoError(t, err)
	require.NoError(t, s.Listen(ctx))
	go func() { _ = s.Serve(ctx) }()
	ep := s.Endpoints()["HLT"]
	req, err := hltwire.Request{Select: "TPCdEdx", SchemaOnRequest: true}.Frames()
	require.NoError(t, err)

	for _, mk := range []func(context.Context, ...zmq4.Option) zmq4.Socket{zmq4.NewReq, zmq4.NewDealer} {
		c := mk(ctx, zmq4.WithID(zmq4.SocketIdentity("c")))
		require.NoError(t, c.Dial(ep))
		require.NoError(t, c.Send(zmq4.NewMsgFrom(req...)))
		msg, err := c.Recv()
		require.NoError(t, err)
		frames := msg.Frames
		require.Len(t, frames[0], hltwire.TopicSize, "no envelope delimiter for %v", c.Type())
		_, streamers, objs := decodeReply(t, frames, false)
		assert.True(t, streamers)
		assert.Len(t, objs, 10, "the 10 TPCdEdx histograms")
		_ = c.Close()
	}
}

// BenchmarkReply500 measures the simulator building replies of a
// 500-histogram EMC-like mix (target: >= 10 replies/s).
func BenchmarkReply500(b *testing.B) {
	s, err := New(Config{Subsystems: []string{"EMC"}, EMCHistograms: 500, Logger: quietLogger()})
	require.NoError(b, err)
	s.Advance(10 * time.Minute)
	var bytes int64
	c0 := cpuNow()
	for b.Loop() {
		frames, err := s.Reply("EMC", nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(frames) != 2+2*500 {
			b.Fatalf("%d frames, want %d", len(frames), 2+2*500)
		}
		for _, f := range frames {
			bytes += int64(len(f))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
	b.ReportMetric(float64(b.N)/(cpuNow()-c0).Seconds(), "replies/cpu-s")
	b.ReportMetric(float64(bytes)/float64(b.N), "B/reply")
}

// TestWorkedExampleGolden: the reply our simulator's encoder produces for
// the protocol spec's worked example (§6: INFO + TH1F "hTest" filled at
// 0.5, 1.5, 1.5, 2.5) is the spec's 821 bytes, byte for byte.
func TestWorkedExampleGolden(t *testing.T) {
	b, err := os.ReadFile("../hltwire/testdata/worked_example_th1f.tmsg.hex")
	require.NoError(t, err)
	golden, err := hex.DecodeString(strings.Join(strings.Fields(string(b)), ""))
	require.NoError(t, err)

	h, err := overwatch.NewHist(overwatch.ClassTH1F, "hTest", "Test", overwatch.NewAxis(4, 0, 4))
	require.NoError(t, err)
	h.EnableSumw2()
	for _, x := range []float64{0.5, 1.5, 1.5, 2.5} {
		require.NoError(t, h.Fill(1, x))
	}
	msg, err := hltwire.EncodeTMessage(h, hltwire.TMessageOptions{LittleEndianLength: true})
	require.NoError(t, err)
	assert.Equal(t, hex.Dump(golden), hex.Dump(msg), "TH1F TMessage of the worked example")

	frames := hltwire.Reply{Info: []byte("run=290222;HLT_MODE=B;BEAM_TYPE=p-p"), Objects: [][]byte{msg}}.Frames()
	var all []byte
	for _, f := range frames {
		all = append(all, f...)
	}
	assert.Len(t, all, 821)
}

// BenchmarkServe500 measures request/reply round trips over TCP with a
// 500-histogram EMC-like mix, client included (target: >= 10 replies/s).
func BenchmarkServe500(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(Config{Subsystems: []string{"EMC"}, EMCHistograms: 500, Listen: []string{"tcp://127.0.0.1:0"},
		Logger: quietLogger()})
	require.NoError(b, err)
	require.NoError(b, s.Listen(ctx))
	go func() { _ = s.Serve(ctx) }()
	s.Advance(10 * time.Minute)
	c := zmq4.NewReq(ctx)
	defer c.Close()
	require.NoError(b, c.Dial(s.Endpoints()["EMC"]))
	req, err := hltwire.Request{}.Frames()
	require.NoError(b, err)
	c0 := cpuNow()
	for b.Loop() {
		if err := c.Send(zmq4.NewMsgFrom(req...)); err != nil {
			b.Fatal(err)
		}
		msg, err := c.Recv()
		if err != nil {
			b.Fatal(err)
		}
		if len(msg.Frames) != 2+2*500 {
			b.Fatalf("%d frames", len(msg.Frames))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
	b.ReportMetric(float64(b.N)/(cpuNow()-c0).Seconds(), "replies/cpu-s") // server and client CPU
}
