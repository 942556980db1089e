package store

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Zurich must work without system tzdata

	"github.com/overwatch-dqm/overwatch"
)

// ErrBadName is wrapped by errors about a file name that does not follow
// the grammar expected of it.
var ErrBadName = errors.New("file name does not follow the grammar")

// Zurich is the Europe/Zurich time zone in which every time string of a
// file name is written. It comes from the embedded time/tzdata when the
// system has no zone database.
var Zurich = mustZurich()

func mustZurich() *time.Location {
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		// time/tzdata is embedded, so this cannot fail; fall back to a
		// fixed CET rather than panic in a library.
		return time.FixedZone("CET", 3600)
	}
	return loc
}

// Zone tags that may follow the seconds of a time string. They are written
// only when the wall time alone is ambiguous (see WallTime).
const (
	tagSummer = "CEST"
	tagWinter = "CET"
)

// WallTime converts a Europe/Zurich wall-clock time to an instant with an
// explicit rule for the two daylight-saving transitions:
//
//   - Autumn (the hour 02:00–03:00 happens twice): the later instant, in
//     standard time (CET, UTC+1), is chosen — the rule of the original
//     Overwatch (pendulum). Writers of names avoid the ambiguity for the
//     earlier instant by appending the zone tag "_CEST" (see FormatTime).
//   - Spring (the hour 02:00–03:00 does not exist): the time is shifted
//     forward by the length of the gap, so 02:30 becomes 03:30 CEST (the
//     instant 02:30 CET would have been).
//
// Field values out of range are rejected.
func WallTime(year, month, day, hour, minute, sec int) (time.Time, error) {
	if month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 || year < 1970 || year > 9999 {
		return time.Time{}, fmt.Errorf("%w: time fields %d-%d-%d %d:%d:%d out of range",
			ErrBadName, year, month, day, hour, minute, sec)
	}
	naive := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if naive.Day() != day {
		return time.Time{}, fmt.Errorf("%w: no day %d in %d-%02d", ErrBadName, day, year, month)
	}
	cands := wallCandidates(naive)
	switch len(cands) {
	case 0: // spring gap: use the offset in force before the gap.
		_, off := naive.Add(-24 * time.Hour).In(Zurich).Zone()
		return naive.Add(-time.Duration(off) * time.Second).In(Zurich), nil
	case 1:
		return cands[0], nil
	default: // autumn: the later instant.
		if cands[0].After(cands[1]) {
			return cands[0], nil
		}
		return cands[1], nil
	}
}

// wallCandidates returns the instants whose Zurich wall time is naive (a
// UTC time carrying the wall-clock fields). Zurich's transitions are months
// apart, so the offsets in force a day before and a day after cover every
// case.
func wallCandidates(naive time.Time) []time.Time {
	var out []time.Time
	for _, probe := range []time.Time{naive.Add(-24 * time.Hour), naive.Add(24 * time.Hour)} {
		_, off := probe.In(Zurich).Zone()
		u := naive.Add(-time.Duration(off) * time.Second).In(Zurich)
		y, mo, d := u.Date()
		h, mi, s := u.Clock()
		if y == naive.Year() && mo == naive.Month() && d == naive.Day() &&
			h == naive.Hour() && mi == naive.Minute() && s == naive.Second() {
			if len(out) == 0 || !out[0].Equal(u) {
				out = append(out, u)
			}
		}
	}
	return out
}

// FormatTime returns the time string of file names for t:
// Europe/Zurich wall time as Y_M_D_h_m_s, zero-padded (2015_11_24_18_05_10)
// or not (2015_11_24_18_5_10, as the C++ receiver writes). When t falls in
// the first occurrence of the repeated autumn hour, the suffix "_CEST" is
// appended so that ParseTime returns t itself instead of the later
// instant.
func FormatTime(t time.Time, padded bool) string {
	z := t.In(Zurich)
	y, mo, d := z.Date()
	h, mi, s := z.Clock()
	var str string
	if padded {
		str = fmt.Sprintf("%04d_%02d_%02d_%02d_%02d_%02d", y, int(mo), d, h, mi, s)
	} else {
		str = fmt.Sprintf("%d_%d_%d_%d_%d_%d", y, int(mo), d, h, mi, s)
	}
	naive := time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	if c := wallCandidates(naive); len(c) == 2 {
		if later, _ := WallTime(y, int(mo), d, h, mi, s); !later.Equal(t.Truncate(time.Second)) {
			str += "_" + tagSummer
		}
	}
	return str
}

// ParseTime parses a time string "Y_M_D_h_m_s" (fields of 1 or 2 digits,
// 4-digit year) in Europe/Zurich wall time with WallTime's DST rule. An
// optional trailing zone tag "_CEST" or "_CET" selects the instant
// explicitly; it must agree with the wall time.
func ParseTime(s string) (time.Time, error) {
	f := strings.Split(s, "_")
	tag := ""
	if n := len(f); n == 7 {
		tag = f[6]
		f = f[:6]
		if tag != tagSummer && tag != tagWinter {
			return time.Time{}, fmt.Errorf("%w: time %q: zone tag %q (want CEST or CET)", ErrBadName, s, tag)
		}
	}
	if len(f) != 6 {
		return time.Time{}, fmt.Errorf("%w: time %q: want 6 fields Y_M_D_h_m_s", ErrBadName, s)
	}
	var v [6]int
	for i, x := range f {
		maxLen := 2
		if i == 0 {
			maxLen = 4
		}
		n, err := digits(x, maxLen)
		if err != nil || (i == 0 && len(x) != 4) {
			return time.Time{}, fmt.Errorf("%w: time %q: field %d %q is not a %d-digit number", ErrBadName, s, i+1, x, maxLen)
		}
		v[i] = n
	}
	t, err := WallTime(v[0], v[1], v[2], v[3], v[4], v[5])
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", s, err)
	}
	if tag == "" {
		return t, nil
	}
	naive := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, time.UTC)
	for _, c := range wallCandidates(naive) {
		if name, _ := c.Zone(); name == tag {
			return c, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: time %q: wall time does not exist in %s", ErrBadName, s, tag)
}

// digits parses 1 to maxLen ASCII digits.
func digits(s string, maxLen int) (int, error) {
	if len(s) == 0 || len(s) > maxLen {
		return 0, errors.New("bad length")
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, errors.New("not a digit")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// positiveInt parses a decimal number without sign or leading zeros
// (except "0" itself) that fits an int.
func positiveInt(s string) (int, error) {
	if s == "" || len(s) > 18 || (len(s) > 1 && s[0] == '0') {
		return 0, errors.New("not a canonical number")
	}
	return digits(s, 18)
}

// NameKind tells which grammar a file name follows.
type NameKind int

// The kinds of file names.
const (
	KindReceiver  NameKind = iota + 1 // <SYS>histos_<run>_<mode>_<time>[.<seq>].root
	KindMoved                         // <SYS>hists.<time>[.<seq>].root
	KindCombined                      // hists.combined.<n>.<unix>.root
	KindTimeSlice                     // timeSlice.<min>.<max>.<hash>.root
)

// String returns the kind's name.
func (k NameKind) String() string {
	switch k {
	case KindReceiver:
		return "receiver"
	case KindMoved:
		return "moved"
	case KindCombined:
		return "combined"
	case KindTimeSlice:
		return "timeSlice"
	}
	return "unknown"
}

// Name is a parsed file name. Which fields are set depends on Kind:
//
//   - KindReceiver: Subsystem, Run, Mode, Time, Seq, TimeString.
//   - KindMoved: Subsystem, Time, Seq, TimeString.
//   - KindCombined: Files (number of files merged), Time (Unix time of the
//     newest input).
//   - KindTimeSlice: Min, Max (Unix times of the first and last snapshot
//     used), Hash.
type Name struct {
	Kind       NameKind
	Subsystem  string
	Run        int
	Mode       overwatch.HLTMode
	Time       time.Time
	Seq        int
	TimeString string // the time string exactly as written in the name
	Files      int
	Min, Max   time.Time
	Hash       string
}

// Timestamp returns the number the original Overwatch extracted from a
// name (§2.8): the Unix time for receiver, moved and combined names, and
// the slice length in seconds (Max − Min) for time-slice names.
func (n Name) Timestamp() int64 {
	if n.Kind == KindTimeSlice {
		return n.Max.Unix() - n.Min.Unix()
	}
	return n.Time.Unix()
}

// Timestamp parses the base name of p (directories are ignored, never
// interpreted) and returns Name.Timestamp.
func Timestamp(p string) (int64, error) {
	n, err := ParseName(p)
	if err != nil {
		return 0, err
	}
	return n.Timestamp(), nil
}

// ParseName parses the base name of p (the part after the last '/') with
// the grammar its shape announces: a combined name starts with
// "hists.combined.", a time-slice name with "timeSlice.", a receiver name
// has "histos_" right after its subsystem and a moved name "hists.".
// Everything must match exactly: a subsystem is recognised as the prefix
// of the name, never as a substring elsewhere.
func ParseName(p string) (Name, error) {
	base := path.Base(p)
	switch {
	case strings.HasPrefix(base, "hists.combined."):
		return ParseCombinedName(base)
	case strings.HasPrefix(base, "timeSlice."):
		return ParseTimeSliceName(base)
	}
	if i := strings.IndexByte(base, 'h'); i > 0 {
		if strings.HasPrefix(base[i:], "histos_") {
			return ParseReceiverName(base)
		}
		if strings.HasPrefix(base[i:], "hists.") {
			return ParseMovedName(base)
		}
	}
	return Name{}, fmt.Errorf("%w: %q is none of <SYS>histos_…root, <SYS>hists.…root, hists.combined.…root, timeSlice.…root", ErrBadName, base)
}

// splitSeq removes ".root" and an optional ".<seq>" (seq ≥ 1, no leading
// zeros) from the end of name.
func splitSeq(name string) (stem string, seq int, err error) {
	stem, ok := strings.CutSuffix(name, ".root")
	if !ok {
		return "", 0, fmt.Errorf("%w: %q does not end in .root", ErrBadName, name)
	}
	if i := strings.LastIndexByte(stem, '.'); i >= 0 {
		if n, err := positiveInt(stem[i+1:]); err == nil {
			if n == 0 {
				return "", 0, fmt.Errorf("%w: %q: sequence number 0 is written without suffix", ErrBadName, name)
			}
			return stem[:i], n, nil
		}
	}
	return stem, 0, nil
}

// subsystemPrefix returns the subsystem at the start of name, ending at
// the given marker.
func subsystemPrefix(name, marker string) (string, string, error) {
	i := strings.Index(name, marker)
	if i < 0 {
		return "", "", fmt.Errorf("%w: %q lacks %q", ErrBadName, name, marker)
	}
	sys := name[:i]
	if !overwatch.ValidSubsystem(sys) {
		return "", "", fmt.Errorf("%w: %q: subsystem prefix %q is not 2–8 upper-case letters or digits", ErrBadName, name, sys)
	}
	return sys, name[i+len(marker):], nil
}

// ParseReceiverName parses a name written by a receiver into the drop
// folder: <SYS>histos_<run>_<mode>_<Y>_<M>_<D>_<h>_<m>_<s>[_CEST|_CET][.<seq>].root,
// with date and time fields of 1 or 2 digits (the C++ receiver does not
// pad, the DQM receiver does). The mode is case-insensitive. Seq tells
// apart two files of the same second (see FormatReceiverName).
func ParseReceiverName(name string) (Name, error) {
	stem, seq, err := splitSeq(name)
	if err != nil {
		return Name{}, err
	}
	sys, rest, err := subsystemPrefix(stem, "histos_")
	if err != nil {
		return Name{}, err
	}
	f := strings.SplitN(rest, "_", 3)
	if len(f) != 3 {
		return Name{}, fmt.Errorf("%w: %q: want <SYS>histos_<run>_<mode>_<time>.root", ErrBadName, name)
	}
	run, err := positiveInt(f[0])
	if err != nil || run <= 0 {
		return Name{}, fmt.Errorf("%w: %q: run %q is not a positive number", ErrBadName, name, f[0])
	}
	if !overwatch.ValidRun(run) {
		return Name{}, fmt.Errorf("%w: %w: %q: run %d is above %d", ErrBadName, ErrRunRange, name, run, overwatch.MaxRun)
	}
	mode, err := overwatch.ParseHLTMode(f[1])
	if err != nil {
		return Name{}, fmt.Errorf("%w: %q: %v", ErrBadName, name, err)
	}
	t, err := ParseTime(f[2])
	if err != nil {
		return Name{}, fmt.Errorf("%q: %w", name, err)
	}
	return Name{Kind: KindReceiver, Subsystem: sys, Run: run, Mode: mode, Time: t, Seq: seq, TimeString: f[2]}, nil
}

// FormatReceiverName returns the drop-folder name of a snapshot, as the
// C++ receiver writes it (padded false: 1-digit fields) or as the DQM
// receiver does (padded true). Seq > 0 appends ".<seq>" before ".root" to
// tell apart snapshots of the same second.
func FormatReceiverName(sys string, run int, mode overwatch.HLTMode, t time.Time, seq int, padded bool) string {
	s := fmt.Sprintf("%shistos_%d_%s_%s", sys, run, mode, FormatTime(t, padded))
	return withSeq(s, seq)
}

func withSeq(stem string, seq int) string {
	if seq > 0 {
		stem += "." + strconv.Itoa(seq)
	}
	return stem + ".root"
}

// ParseMovedName parses the name of a stored snapshot:
// <SYS>hists.<time>[.<seq>].root, the time string padded or not.
func ParseMovedName(name string) (Name, error) {
	stem, seq, err := splitSeq(name)
	if err != nil {
		return Name{}, err
	}
	sys, ts, err := subsystemPrefix(stem, "hists.")
	if err != nil {
		return Name{}, err
	}
	t, err := ParseTime(ts)
	if err != nil {
		return Name{}, fmt.Errorf("%q: %w", name, err)
	}
	return Name{Kind: KindMoved, Subsystem: sys, Time: t, Seq: seq, TimeString: ts}, nil
}

// FormatMovedName returns the stored name of a snapshot:
// <SYS>hists.<padded time>[.<seq>].root, e.g. EMChists.2015_11_24_18_05_10.root
// and, for the second snapshot of that second, EMChists.2015_11_24_18_05_10.1.root.
func FormatMovedName(sys string, t time.Time, seq int) string {
	return withSeq(sys+"hists."+FormatTime(t, true), seq)
}

// ParseCombinedName parses hists.combined.<n>.<unix>.root.
func ParseCombinedName(name string) (Name, error) {
	f := strings.Split(name, ".")
	if len(f) != 5 || f[0] != "hists" || f[1] != "combined" || f[4] != "root" {
		return Name{}, fmt.Errorf("%w: %q: want hists.combined.<n>.<unix>.root", ErrBadName, name)
	}
	n, err1 := positiveInt(f[2])
	u, err2 := positiveInt(f[3])
	if err1 != nil || err2 != nil || n == 0 {
		return Name{}, fmt.Errorf("%w: %q: <n> and <unix> must be numbers, n ≥ 1", ErrBadName, name)
	}
	return Name{Kind: KindCombined, Files: n, Time: time.Unix(int64(u), 0).In(Zurich)}, nil
}

// FormatCombinedName returns hists.combined.<n>.<unix>.root.
func FormatCombinedName(files int, newest time.Time) string {
	return fmt.Sprintf("hists.combined.%d.%d.root", files, newest.Unix())
}

// ParseTimeSliceName parses timeSlice.<min>.<max>.<hash>.root, hash made
// of letters and digits.
func ParseTimeSliceName(name string) (Name, error) {
	f := strings.Split(name, ".")
	if len(f) != 5 || f[0] != "timeSlice" || f[4] != "root" {
		return Name{}, fmt.Errorf("%w: %q: want timeSlice.<min>.<max>.<hash>.root", ErrBadName, name)
	}
	lo, err1 := positiveInt(f[1])
	hi, err2 := positiveInt(f[2])
	if err1 != nil || err2 != nil || hi < lo {
		return Name{}, fmt.Errorf("%w: %q: <min> ≤ <max> must be Unix times", ErrBadName, name)
	}
	if f[3] == "" || strings.IndexFunc(f[3], func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) >= 0 {
		return Name{}, fmt.Errorf("%w: %q: hash %q must be letters and digits", ErrBadName, name, f[3])
	}
	return Name{Kind: KindTimeSlice, Min: time.Unix(int64(lo), 0).In(Zurich), Max: time.Unix(int64(hi), 0).In(Zurich), Hash: f[3]}, nil
}

// FormatTimeSliceName returns timeSlice.<min>.<max>.<hash>.root.
func FormatTimeSliceName(lo, hi time.Time, hash string) string {
	return fmt.Sprintf("timeSlice.%d.%d.%s.root", lo.Unix(), hi.Unix(), hash)
}
