package hltwire

import (
	"sort"
	"strconv"
	"strings"
)

// ParseParams splits a "key=value;key=value" string the way AliZMQhelpers'
// ParseParamString does: tokens are separated by ';' (empty tokens are
// skipped), a token is split at its first '=', a token without '=' maps to
// "", and a later duplicate key overwrites an earlier one.
func ParseParams(s string) map[string]string {
	m := map[string]string{}
	for _, tok := range strings.Split(s, ";") {
		if tok == "" {
			continue
		}
		k, v, _ := strings.Cut(tok, "=")
		m[k] = v
	}
	return m
}

// Atoi converts s as C's atoi does: leading white space, an optional sign,
// then decimal digits up to the first non-digit; anything unparsable gives
// 0. Values beyond the int32 range saturate, as glibc's atoi (strtol
// truncated) is undefined there and a run number never is that large.
func Atoi(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<31-1 {
			n = 1<<31 - 1
		}
	}
	if neg {
		return -n
	}
	return n
}

// Info is the run information carried by an INFO pair, e.g.
// "run=290222;HLT_MODE=B;BEAM_TYPE=p-p".
type Info struct {
	// Run is atoi of the "run" value; 0 when missing or not numeric.
	Run int
	// Mode is the "HLT_MODE" value as sent ("" when missing).
	Mode string
	// BeamType is the "BEAM_TYPE" value ("" when missing).
	BeamType string
	// Params holds every key=value of the string.
	Params map[string]string
}

// ParseInfo parses an INFO payload (plain ASCII, no NUL terminator; a
// trailing NUL is tolerated). It never fails: an empty payload, which a
// merger that has not seen any INFO yet sends, gives run 0.
func ParseInfo(payload []byte) Info {
	s := strings.TrimRight(string(payload), "\x00")
	p := ParseParams(s)
	return Info{Run: Atoi(p["run"]), Mode: p["HLT_MODE"], BeamType: p["BEAM_TYPE"], Params: p}
}

// FormatInfo returns the INFO string the HLT sink builds:
// "run=<run>;HLT_MODE=<mode>;BEAM_TYPE=<beam>" (the mode and beam parts are
// left out when mode is empty), followed by any extra parameters in key
// order.
func FormatInfo(run int, mode, beamType string, extra map[string]string) string {
	var b strings.Builder
	b.WriteString("run=")
	b.WriteString(strconv.Itoa(run))
	if mode != "" {
		b.WriteString(";HLT_MODE=")
		b.WriteString(mode)
		b.WriteString(";BEAM_TYPE=")
		b.WriteString(beamType)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(';')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(extra[k])
	}
	return b.String()
}
