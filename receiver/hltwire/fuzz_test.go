package hltwire

import (
	"bytes"
	"testing"
)

func FuzzParseTopic(f *testing.F) {
	f.Add(InfoTopic().Marshal())
	f.Add(ObjectTopic().Marshal())
	f.Add(StreamersTopic().Marshal())
	f.Add(ConfigTopic().Marshal()[:60])
	f.Add(NewTopic("ROOTTOBJ", "HLT ", "").MarshalLegacy())
	f.Add([]byte("CONFIG"))
	f.Add([]byte("O2O2"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tp := ParseTopic(b)
		_ = tp.Kind()
		_ = tp.IDString()
		// Re-encoding an O2 topic and parsing it again keeps every field
		// the wire form carries.
		back := ParseTopic(tp.Marshal())
		if back.ID != tp.ID || back.Origin != tp.Origin || back.Serialization != tp.Serialization ||
			back.Spec != tp.Spec || back.PayloadSize != tp.PayloadSize || back.Flags != tp.Flags {
			{
				t.Fatalf("round trip changed the topic: %+v -> %+v", tp, back)
			}
		}
		if tp.Kind() != back.Kind() {
			t.Fatalf("kind changed: %v -> %v", tp.Kind(), back.Kind())
		}
	})
}

func FuzzParseInfo(f *testing.F) {
	f.Add([]byte("run=290222;HLT_MODE=B;BEAM_TYPE=p-p"))
	f.Add([]byte(""))
	f.Add([]byte(";;=;run=;"))
	f.Add([]byte("run=-99999999999999999999"))
	f.Fuzz(func(t *testing.T, b []byte) {
		i := ParseInfo(b)
		if i.Run > 1<<31-1 || i.Run < -(1<<31-1) {
			t.Fatalf("run %d out of range", i.Run)
		}
		if i.Mode != "" && !bytes.Contains(b, []byte(i.Mode)) {
			t.Fatalf("mode %q not in input", i.Mode)
		}
		back := ParseInfo([]byte(FormatInfo(i.Run, "", "", nil)))
		if back.Run != i.Run {
			t.Fatalf("run %d formatted and parsed back as %d", i.Run, back.Run)
		}
	})
}

func FuzzParseOptions(f *testing.F) {
	f.Add(" -select=EMC.* -ResetOnRequest -SchemaOnRequest")
	f.Add("-a='b c' d=e --f g")
	f.Add("# x\n'")
	f.Fuzz(func(t *testing.T, s string) {
		for _, o := range ParseOptions(s) {
			if o.Name == "" {
				t.Fatalf("empty option name from %q", s)
			}
		}
		// A selection we agree to send comes back unchanged.
		r := Request{Select: s, SchemaOnRequest: true}
		opt, err := r.OptionString()
		if err != nil {
			return
		}
		got := ""
		for _, o := range ParseOptions(opt) {
			if o.Name == "select" {
				got = o.Value
			}
		}
		if got != s {
			t.Fatalf("select %q sent as %q parsed back as %q", s, opt, got)
		}
	})
}

// splitFrames turns fuzz bytes into frames: 0xFF separates frames.
func splitFrames(b []byte) [][]byte { return bytes.Split(b, []byte{0xFF}) }

func FuzzSplitPairs(f *testing.F) {
	req, _ := Request{Select: "x", SchemaOnRequest: true}.Frames()
	f.Add(bytes.Join(req, []byte{0xFF}))
	f.Add(bytes.Join(Reply{Info: []byte("run=1"), Objects: [][]byte{{1, 2}}}.Frames(), []byte{0xFF}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		frames := splitFrames(b)
		pairs, err := SplitPairs(frames)
		if len(pairs) != len(frames)/2 {
			t.Fatalf("%d pairs from %d frames", len(pairs), len(frames))
		}
		if (err != nil) != (len(frames)%2 == 1) {
			t.Fatalf("error %v for %d frames", err, len(frames))
		}
		_, _ = ParseRequest(frames)
	})
}
