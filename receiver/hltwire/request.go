package hltwire

import (
	"errors"
	"fmt"
	"strings"
)

// Request is what an Overwatch receiver asks the merger for in one CONFIG
// request. The one-shot merger options it maps to (select, unselect,
// ResetOnRequest, SchemaOnRequest) are valid for one reply only.
type Request struct {
	// Select is a regular expression matched anywhere in the object names
	// ("-select="); empty means every object.
	Select string
	// Unselect excludes the objects whose names match ("-unselect=").
	Unselect string
	// ResetOnRequest asks the merger to reset its objects after the reply,
	// so that replies hold increments instead of cumulative content.
	ResetOnRequest bool
	// SchemaOnRequest asks for the streamer infos (a ROOTSTRI pair first).
	SchemaOnRequest bool
}

// ErrOptionValue is wrapped by errors about an option value that cannot be
// sent safely in a merger option string.
var ErrOptionValue = errors.New("hltwire: option value cannot be sent")

// quoteValue returns v ready to follow "-opt=" in an option string. The
// merger's tokenizer (AliOptionParser) ends an unquoted value at a space or
// '=', and reads a single-quoted value with backslash escapes, so values
// with spaces or '=' are single-quoted and values that would need escapes
// inside quotes (a quote or backslash together with a space or '=') or hold
// a line break, which the tokenizer splits on, are refused: the original
// receiver injected them unescaped, letting a crafted selection reconfigure
// the merger.
func quoteValue(v string) (string, error) {
	if strings.ContainsAny(v, "\n\r") {
		return "", fmt.Errorf("%w: %q holds a line break", ErrOptionValue, v)
	}
	if strings.HasPrefix(v, "-") {
		return "", fmt.Errorf("%w: %q starts with '-' and would be read as an option", ErrOptionValue, v)
	}
	if !strings.ContainsAny(v, " \t=") && !strings.HasPrefix(v, "'") {
		return v, nil
	}
	if strings.ContainsAny(v, `'\`) {
		return "", fmt.Errorf("%w: %q needs quoting but holds a quote or backslash", ErrOptionValue, v)
	}
	return "'" + v + "'", nil
}

// OptionString returns the CONFIG payload in the order the Overwatch
// receiver builds it, each option starting with a space:
// " -select=<re> -unselect=<re> -ResetOnRequest -SchemaOnRequest" (absent
// options left out; no option gives the empty string).
func (r Request) OptionString() (string, error) {
	var b strings.Builder
	for _, o := range [...]struct{ name, val string }{{"select", r.Select}, {"unselect", r.Unselect}} {
		if o.val == "" {
			continue
		}
		q, err := quoteValue(o.val)
		if err != nil {
			return "", fmt.Errorf("-%s: %w", o.name, err)
		}
		b.WriteString(" -" + o.name + "=" + q)
	}
	if r.ResetOnRequest {
		b.WriteString(" -ResetOnRequest")
	}
	if r.SchemaOnRequest {
		b.WriteString(" -SchemaOnRequest")
	}
	return b.String(), nil
}

// Frames returns the request as one 4-frame multipart message: the CONFIG
// topic, the option string, the empty padding topic and an empty payload.
func (r Request) Frames() ([][]byte, error) {
	opts, err := r.OptionString()
	if err != nil {
		return nil, err
	}
	return [][]byte{ConfigTopic().Marshal(), []byte(opts), EmptyTopic().Marshal(), {}}, nil
}

// LegacyFrames returns the request as a G1 (2015–2016) client sent it:
// raw string topics, "CONFIG" then the option string, then an empty pair.
// Only G1 mergers understand it; an O2 merger ignores its options but
// still replies.
func (r Request) LegacyFrames() ([][]byte, error) {
	opts, err := r.OptionString()
	if err != nil {
		return nil, err
	}
	return [][]byte{[]byte("CONFIG"), []byte(opts), {}, {}}, nil
}

// Option is one option of a merger option string.
type Option struct {
	Name     string
	Value    string
	HasValue bool
}

// ParseOptions tokenizes a merger option string as AliOptionParser does:
// forms "-opt", "--opt", "-opt=value", "-opt value", "opt=value"; an
// unquoted value ends at a space or '='; a value may be single-quoted (with
// backslash escapes); lines starting with '#' or "//" are ignored. It never
// fails: unparsable characters are skipped.
func ParseOptions(s string) []Option {
	var out []Option
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		t := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//") {
			continue
		}
		out = parseOptionLine(line, out)
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// readValue reads a value at s[i:]: a single-quoted string (quotes removed,
// backslash escapes resolved) or a run of characters other than space and
// '='.
func readValue(s string, i int) (string, int) {
	if i < len(s) && s[i] == '\'' {
		var b strings.Builder
		i++
		for i < len(s) && s[i] != '\'' {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
			i++
		}
		if i < len(s) {
			i++ // closing quote
		}
		return b.String(), i
	}
	j := i
	for j < len(s) && !isSpace(s[j]) && s[j] != '=' {
		j++
	}
	return s[i:j], j
}

func parseOptionLine(s string, out []Option) []Option {
	i := 0
	for i < len(s) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		dashed := false
		for k := 0; k < 2 && i < len(s) && s[i] == '-'; k++ {
			i++
			dashed = true
		}
		j := i
		for j < len(s) && !isSpace(s[j]) && s[j] != '=' {
			j++
		}
		name := s[i:j]
		i = j
		if name == "" {
			i++ // a lone '=' or dash: skip it
			continue
		}
		o := Option{Name: name}
		if i < len(s) && s[i] == '=' {
			o.Value, i = readValue(s, i+1)
			o.HasValue = true
		} else if dashed {
			// "-opt value": the next token is a value unless it is an option
			// ("-x") or an "x=y" pair.
			k := i
			for k < len(s) && isSpace(s[k]) {
				k++
			}
			if k < len(s) && s[k] != '-' && !looksLikeAssignment(s[k:]) {
				o.Value, i = readValue(s, k)
				o.HasValue = true
			}
		}
		out = append(out, o)
	}
	return out
}

func looksLikeAssignment(s string) bool {
	if strings.HasPrefix(s, "'") {
		return false
	}
	for i := 0; i < len(s) && !isSpace(s[i]); i++ {
		if s[i] == '=' {
			return true
		}
	}
	return false
}

// ParseRequest reads a request message received by a merger: the options
// of the first pair when its ID starts with "CONFIG" (the merger replies to
// the first pair, so options in later pairs never apply). A request whose
// first pair is not CONFIG (a dummy ("","") request, a G1 raw topic the O2
// merger cannot read) yields no options; a request without any complete
// pair is an error wrapping ErrFraming. The returned options also include
// those the Request type does not model, so a merger can refuse them.
func ParseRequest(frames [][]byte) ([]Option, error) {
	pairs, err := SplitPairs(frames)
	if len(pairs) == 0 {
		if err == nil {
			err = fmt.Errorf("%w: empty request", ErrFraming)
		}
		return nil, err
	}
	t := pairs[0].Topic
	if t.Kind() != KindConfig || !t.Valid || (t.Format != FormatO2 && t.Format != FormatO2G5) {
		return nil, nil
	}
	return ParseOptions(string(pairs[0].Payload)), nil
}
