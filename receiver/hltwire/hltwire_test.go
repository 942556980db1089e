package hltwire

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

// The frames of the protocol spec's worked example (§6), as dumped there.
const (
	goldenInfoTopic = `
4f 32 4f 32 50 00 00 00  00 00 00 00 01 00 00 00
44 61 74 61 48 44 52 00  4e 4f 4e 45 00 00 00 00
00 00 00 00 00 00 00 00  49 4e 46 4f 5f 5f 5f 5f
48 4c 54 20 00 00 00 00  4e 4f 4e 45 20 20 20 00
00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00`
	goldenConfigTopic = `
4f 32 4f 32 50 00 00 00  00 00 00 00 01 00 00 00
44 61 74 61 48 44 52 00  4e 4f 4e 45 00 00 00 00
00 00 00 00 00 00 00 00  43 4f 4e 46 49 47 00 00
00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00`
	goldenInfo = "run=290222;HLT_MODE=B;BEAM_TYPE=p-p"
)

// WorkedExampleTH1F returns frame 4 of the spec's worked example: the
// 626-byte TMessage of TH1F "hTest" with a little-endian length word.
func workedExampleTH1F(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/worked_example_th1f.tmsg.hex")
	require.NoError(t, err)
	return unhex(t, string(b))
}

func TestWorkedExampleEncode(t *testing.T) {
	obj := workedExampleTH1F(t)
	require.Len(t, obj, 626)
	require.Equal(t, uint32(622), binary.LittleEndian.Uint32(obj), "LE length word")

	frames := Reply{Info: []byte(goldenInfo), Objects: [][]byte{obj}}.Frames()
	require.Len(t, frames, 4)
	assert.Equal(t, unhex(t, goldenInfoTopic), frames[0], "frame 1: INFO topic")
	assert.Equal(t, []byte(goldenInfo), frames[1], "frame 2: INFO payload")
	assert.Len(t, frames[1], 35)
	// Frame 3 is frame 1 with the ID and serialization of an object.
	want3 := unhex(t, goldenInfoTopic)
	copy(want3[40:48], "ROOTTOBJ")
	copy(want3[56:64], []byte{0x52, 0x4f, 0x4f, 0x54, 0x20, 0x20, 0x20, 0x00})
	assert.Equal(t, want3, frames[2], "frame 3: ROOTTOBJ topic")
	assert.Equal(t, obj, frames[3])
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	assert.Equal(t, 821, total, "application payload of the worked example")
}

func TestWorkedExampleDecode(t *testing.T) {
	obj := workedExampleTH1F(t)
	frames := [][]byte{unhex(t, goldenInfoTopic), []byte(goldenInfo), nil, obj}
	frames[2] = unhex(t, goldenInfoTopic)
	copy(frames[2][40:48], "ROOTTOBJ")
	copy(frames[2][56:64], SerializationROOT)

	pairs, err := SplitPairs(frames)
	require.NoError(t, err)
	require.Len(t, pairs, 2)

	it := pairs[0].Topic
	assert.Equal(t, FormatO2, it.Format)
	assert.True(t, it.Valid)
	assert.Equal(t, KindInfo, it.Kind())
	assert.True(t, it.HasID(IDInfo))
	assert.Equal(t, "HLT ", it.OriginString())
	assert.False(t, it.IsROOT())
	assert.True(t, it.NotROOT())
	info := ParseInfo(pairs[0].Payload)
	assert.Equal(t, 290222, info.Run)
	assert.Equal(t, "B", info.Mode)
	assert.Equal(t, "p-p", info.BeamType)

	ot := pairs[1].Topic
	assert.Equal(t, KindObject, ot.Kind())
	assert.Equal(t, "ROOTTOBJ", ot.IDString())
	assert.True(t, ot.IsROOT())
	assert.False(t, ot.NotROOT())
	assert.Equal(t, obj, pairs[1].Payload)
}

func TestRequestGolden(t *testing.T) {
	r := Request{Select: "EMC.*", ResetOnRequest: true, SchemaOnRequest: true}
	frames, err := r.Frames()
	require.NoError(t, err)
	require.Len(t, frames, 4)
	assert.Equal(t, unhex(t, goldenConfigTopic), frames[0])
	assert.Equal(t, " -select=EMC.* -ResetOnRequest -SchemaOnRequest", string(frames[1]))
	assert.Len(t, frames[1], 47, "the spec's example option string")
	empty := unhex(t, goldenConfigTopic)
	copy(empty[40:48], make([]byte, 8))
	assert.Equal(t, empty, frames[2])
	assert.Empty(t, frames[3])

	opts, err := ParseRequest(frames)
	require.NoError(t, err)
	assert.Equal(t, []Option{
		{Name: "select", Value: "EMC.*", HasValue: true},
		{Name: "ResetOnRequest"},
		{Name: "SchemaOnRequest"},
	}, opts)
}

func TestLegacyRequest(t *testing.T) {
	frames, err := Request{Select: "EMC", SchemaOnRequest: true}.LegacyFrames()
	require.NoError(t, err)
	require.Len(t, frames, 4)
	assert.Equal(t, "CONFIG", string(frames[0]))
	assert.Equal(t, " -select=EMC -SchemaOnRequest", string(frames[1]))
	assert.Empty(t, frames[2])
	assert.Empty(t, frames[3])
	tp := ParseTopic(frames[0])
	assert.Equal(t, FormatRaw, tp.Format)
	assert.Equal(t, KindConfig, tp.Kind())
	_, err = Request{Select: "a\nb"}.LegacyFrames()
	require.Error(t, err)
}

func TestParseTopicGenerations(t *testing.T) {
	g4 := ObjectTopic().Marshal()
	g5 := ObjectTopic().Marshal()
	copy(g5[32:40], "ROOTTOBJ")
	copy(g5[40:48], make([]byte, 8))
	noHdr := InfoTopic().Marshal()
	copy(noHdr[16:24], "garbage!")
	legacy := NewTopic("ROOTTOBJ", "HLT ", "").MarshalLegacy()
	short := InfoTopic().Marshal()[:50]

	tests := []struct {
		name   string
		frame  []byte
		format Format
		id     string
		kind   Kind
		valid  bool
		root   bool
	}{
		{"G4 object", g4, FormatO2, "ROOTTOBJ", KindObject, true, true},
		{"G5 regression", g5, FormatO2G5, "ROOTTOBJ", KindObject, true, true},
		{"O2 without DataHDR", noHdr, FormatO2, "INFO____", KindInfo, false, false},
		{"G1 16-byte", legacy, FormatLegacy, "ROOTTOBJ", KindObject, true, false},
		{"G1 raw INFO", []byte("INFO"), FormatRaw, "INFO", KindInfo, true, false},
		{"G1 raw CONFIG", []byte("CONFIG"), FormatRaw, "CONFIG", KindConfig, true, false},
		{"raw long string", []byte("ROOTSTRI and more"), FormatRaw, "ROOTSTRI", KindStreamers, true, false},
		{"empty frame", nil, FormatRaw, "", KindEmpty, true, false},
		{"truncated O2", short, FormatO2, "INFO____", KindInfo, true, false},
		{"empty O2", EmptyTopic().Marshal(), FormatO2, "", KindEmpty, true, false},
		{"streamers", StreamersTopic().Marshal(), FormatO2, "ROOTSTRI", KindStreamers, true, true},
		{"config", ConfigTopic().Marshal(), FormatO2, "CONFIG", KindConfig, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp := ParseTopic(tc.frame)
			assert.Equal(t, tc.format, tp.Format)
			assert.Equal(t, tc.id, tp.IDString())
			assert.Equal(t, tc.kind, tp.Kind())
			assert.Equal(t, tc.valid, tp.Valid)
			assert.Equal(t, tc.root, tp.IsROOT())
		})
	}
}

func TestTopicRoundTrip(t *testing.T) {
	in := NewTopic("ROOTHIST", "TPC ", SerializationHLTROOT)
	in.Spec = 0xdeadbeefcafe
	in.PayloadSize = 1234
	in.Flags = 1
	out := ParseTopic(in.AppendMarshal([]byte("x"))[1:])
	assert.Equal(t, in, out)
	assert.Equal(t, "TPC", strings.TrimSpace(out.OriginString()))
	leg := ParseTopic(in.MarshalLegacy())
	assert.Equal(t, in.ID, leg.ID)
	assert.Equal(t, in.Origin, leg.Origin)
	assert.Equal(t, uint64(0xbeefcafe), leg.Spec, "G1 keeps 32 bits of the specification")
}

func TestParseInfo(t *testing.T) {
	tests := []struct {
		in   string
		run  int
		mode string
		beam string
	}{
		{"run=290222;HLT_MODE=B;BEAM_TYPE=p-p", 290222, "B", "p-p"},
		{"", 0, "", ""},
		{"run=0", 0, "", ""},
		{"run=123", 123, "", ""},
		{"run=12abc;HLT_MODE=C", 12, "C", ""},
		{"run=abc", 0, "", ""},
		{"run= 42", 42, "", ""},
		{"run=-5", -5, "", ""},
		{";;run=7;;HLT_MODE=E;", 7, "E", ""},
		{"run=1;run=2", 2, "", ""},
		{"HLT_MODE;run=3", 3, "", ""},
		{"run=4;HLT_MODE=a=b", 4, "a=b", ""},
		{"run=5\x00", 5, "", ""},
		{"run=99999999999999999999", 1<<31 - 1, "", ""},
		{"RUN=8", 0, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			i := ParseInfo([]byte(tc.in))
			assert.Equal(t, tc.run, i.Run)
			assert.Equal(t, tc.mode, i.Mode)
			assert.Equal(t, tc.beam, i.BeamType)
		})
	}
	assert.Equal(t, map[string]string{"HLT_MODE": "", "run": "3"}, ParseInfo([]byte("HLT_MODE;run=3")).Params)
}

func TestFormatInfo(t *testing.T) {
	assert.Equal(t, goldenInfo, FormatInfo(290222, "B", "p-p", nil))
	assert.Equal(t, "run=0", FormatInfo(0, "", "", nil))
	s := FormatInfo(5, "C", "Pb-Pb", map[string]string{"b": "2", "a": "1"})
	assert.Equal(t, "run=5;HLT_MODE=C;BEAM_TYPE=Pb-Pb;a=1;b=2", s)
	i := ParseInfo([]byte(s))
	assert.Equal(t, 5, i.Run)
	assert.Equal(t, "1", i.Params["a"])
}

func TestOptionString(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
		err  bool
	}{
		{"none", Request{}, "", false},
		{"schema", Request{SchemaOnRequest: true}, " -SchemaOnRequest", false},
		{"select regexp", Request{Select: `^EMC\d+_.*`}, ` -select=^EMC\d+_.*`, false},
		{"select with space", Request{Select: "a b"}, ` -select='a b'`, false},
		{"select with =", Request{Select: "a=b"}, ` -select='a=b'`, false},
		{"unselect", Request{Unselect: "TPC", ResetOnRequest: true}, ` -unselect=TPC -ResetOnRequest`, false},
		{"injection by space", Request{Select: "x -reset"}, ` -select='x -reset'`, false},
		{"injection by newline", Request{Select: "x\n-reset"}, "", true},
		{"leading dash", Request{Select: "-reset"}, "", true},
		{"quote and space", Request{Select: "a' -reset '"}, "", true},
		{"leading quote", Request{Select: "'x"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.OptionString()
			if tc.err {
				require.ErrorIs(t, err, ErrOptionValue)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			// Whatever we send must parse back to the same one-shot options.
			back := map[string]string{}
			for _, o := range ParseOptions(got) {
				back[o.Name] = o.Value
			}
			if tc.req.Select != "" {
				assert.Equal(t, tc.req.Select, back["select"])
			}
			assert.NotContains(t, back, "reset", "no option injected")
		})
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		in   string
		want []Option
	}{
		{"", nil},
		{"-a", []Option{{Name: "a"}}},
		{"--a=1 -b 2 c=3", []Option{{"a", "1", true}, {"b", "2", true}, {"c", "3", true}}},
		{"-a -b", []Option{{Name: "a"}, {Name: "b"}}},
		{"-a x=1", []Option{{Name: "a"}, {"x", "1", true}}},
		{"-select='EMC .*' -ResetOnRequest", []Option{{"select", "EMC .*", true}, {Name: "ResetOnRequest"}}},
		{`-s='a\'b'`, []Option{{"s", "a'b", true}}},
		{"-a='unterminated", []Option{{"a", "unterminated", true}}},
		{"# comment -reset\n-a=1\n// -b\n", []Option{{"a", "1", true}}},
		{"-a=1=2", []Option{{"a", "1", true}, {Name: "2"}}},
		{"  =  -  ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, ParseOptions(tc.in))
		})
	}
}

func TestSplitPairs(t *testing.T) {
	f := [][]byte{InfoTopic().Marshal(), []byte("run=1"), ObjectTopic().Marshal()}
	pairs, err := SplitPairs(f)
	require.ErrorIs(t, err, ErrFraming)
	require.Len(t, pairs, 1, "complete pairs are kept")
	assert.Equal(t, "run=1", string(pairs[0].Payload))

	pairs, err = SplitPairs(nil)
	require.NoError(t, err)
	assert.Empty(t, pairs)

	_, err = ParseRequest(nil)
	require.ErrorIs(t, err, ErrFraming)
	opts, err := ParseRequest([][]byte{[]byte("CONFIG"), []byte("-reset")})
	require.NoError(t, err)
	assert.Nil(t, opts, "a G1 raw CONFIG topic is ignored by an O2 merger")
	opts, err = ParseRequest([][]byte{EmptyTopic().Marshal(), {}, ConfigTopic().Marshal(), []byte("-reset")})
	require.NoError(t, err)
	assert.Nil(t, opts, "CONFIG must be the first pair")
}

func TestReplyWithStreamers(t *testing.T) {
	frames := Reply{Streamers: []byte("S"), Objects: [][]byte{[]byte("a"), []byte("b")}}.Frames()
	require.Len(t, frames, 8)
	pairs, err := SplitPairs(frames)
	require.NoError(t, err)
	kinds := []Kind{}
	for _, p := range pairs {
		kinds = append(kinds, p.Topic.Kind())
	}
	assert.Equal(t, []Kind{KindStreamers, KindInfo, KindObject, KindObject}, kinds)
	assert.Empty(t, pairs[1].Payload, "INFO may be empty")
	assert.NotNil(t, pairs[1].Payload)
	assert.Equal(t, "***\n", pairs[0].Topic.OriginString())
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int{"": 0, "0": 0, "17": 17, "+3": 3, "-3": -3, " \t9x": 9, "x9": 0, "-": 0} {
		assert.Equal(t, want, Atoi(in), in)
	}
}
