package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// maxOutName bounds an encoded output name so that, with its extension, it
// stays below the 255-byte limit of common file systems.
const maxOutName = 200

// OutName returns the file-name stem of an output for a histogram or trend
// name. The original Overwatch replaced '/' by '_', which is not
// injective ("a/b" and "a_b" collided). OutName keeps '_' and every other
// byte of [A-Za-z0-9._-] as it is and percent-encodes everything else as
// %XX (upper-case hex): '/' becomes "%2F", '%' becomes "%25", a space
// "%20". A leading '.' is encoded too ("%2E") so that no output is a
// hidden file and "." or ".." cannot occur. So
// "TPCQA/h_tpc_event_recvertex_0" becomes "TPCQA%2Fh_tpc_event_recvertex_0".
// This is injective and ParseOutName inverts it, except that an encoding
// longer than 200 bytes is cut to 183 bytes followed by "~" and the first
// 16 hex digits of the SHA-256 of the name (collision-resistant, not
// invertible). The empty name encodes as "%" alone, which no other name
// produces.
func OutName(name string) string {
	if name == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || (c == '.' && i > 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	s := b.String()
	if len(s) > maxOutName {
		sum := sha256.Sum256([]byte(name))
		s = s[:maxOutName-17] + "~" + hex.EncodeToString(sum[:8])
	}
	return s
}

// ParseOutName inverts OutName for names it did not shorten.
func ParseOutName(s string) (string, error) {
	if s == "%" {
		return "", nil
	}
	if strings.Contains(s, "~") {
		return "", fmt.Errorf("%w: %q is a shortened output name and cannot be decoded", ErrBadName, s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("%w: %q: truncated %%XX escape", ErrBadName, s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil || strings.ToUpper(s[i+1:i+3]) != s[i+1:i+3] {
			return "", fmt.Errorf("%w: %q: bad %%XX escape", ErrBadName, s)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	out := b.String()
	if OutName(out) != s {
		return "", fmt.Errorf("%w: %q is not a canonical output name", ErrBadName, s)
	}
	return out, nil
}

// RunDir returns "Run<N>".
func RunDir(run int) string { return "Run" + strconv.Itoa(run) }

// ErrRunRange is wrapped by errors about a run number outside 1 to
// overwatch.MaxRun: PutSnapshot refuses such snapshots and ParseRunDir
// such folders (a rebuild reports them in RebuildStats.OutOfRange).
var ErrRunRange = errors.New("run number out of range")

// ParseRunDir parses "Run<N>" (N > 0, no sign, no leading zeros). Names
// such as "Run123_old" or "MyRun1" are rejected instead of crashing a
// rebuild (original bug §10.1-25). A well-formed name whose number is
// above overwatch.MaxRun gives an error wrapping ErrRunRange (and
// ErrBadName).
func ParseRunDir(name string) (int, error) {
	s, ok := strings.CutPrefix(name, "Run")
	if !ok {
		return 0, fmt.Errorf("%w: %q is not Run<number>", ErrBadName, name)
	}
	if s != "" && s[0] != '0' && strings.Trim(s, "0123456789") == "" && len(s) > 9 {
		return 0, fmt.Errorf("%w: %w: %q: runs go from 1 to %d", ErrBadName, ErrRunRange, name, overwatch.MaxRun)
	}
	n, err := positiveInt(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: %q is not Run<number>", ErrBadName, name)
	}
	if !overwatch.ValidRun(n) {
		return 0, fmt.Errorf("%w: %w: %q: runs go from 1 to %d", ErrBadName, ErrRunRange, name, overwatch.MaxRun)
	}
	return n, nil
}

// SnapshotPath returns the slash-separated path, relative to the store's
// root, where a snapshot is stored: Run<N>/<SYS>/<SYS>hists.<time>[.<seq>].root,
// under ReplayData/ for mode E.
func SnapshotPath(ref overwatch.SnapshotRef, mode overwatch.HLTMode) string {
	p := snapshotDir(ref.Run, ref.Subsystem) + "/" + FormatMovedName(ref.Subsystem, ref.Time, ref.Seq)
	if mode == overwatch.ModeReplay {
		p = replayDir + "/" + p
	}
	return p
}

func snapshotDir(run int, sys string) string { return RunDir(run) + "/" + sys }

// Directory names of the tree.
const (
	replayDir     = "ReplayData"
	trendingDir   = "trending"
	quarantineDir = "quarantine"
	alarmsDir     = "alarms"
	runInfoFile   = "runInfo.yaml"
	indexFile     = "overwatch.index"
)

// validSliceKey reports whether a time-slice key is safe as one path
// element: 1–128 bytes of [A-Za-z0-9._-], not starting with '.'.
func validSliceKey(k string) bool {
	if k == "" || len(k) > 128 || k[0] == '.' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// OutputPath returns the slash-separated path, relative to the store's
// root, of an output:
//
//	Run<N>/<SYS>/json/<out>.json     OutputJSON
//	Run<N>/<SYS>/img/<out>.png       OutputPNG
//	Run<N>/<SYS>/hints/<out>.json    OutputHints
//	Run<N>/<SYS>/view.json           OutputView (Name must be empty)
//	Run<N>/<SYS>/slice.json          OutputSlice (Name empty, Slice set)
//	Run<N>/<SYS>/bundle.owb          OutputBundle (Name must be empty)
//
// where <out> = OutName(Name). A time slice's outputs go below
// Run<N>/<SYS>/slices/<key>/ with the same layout; Run 0 addresses the
// trending outputs under trending/<SYS>/. The folder is always the
// subsystem of the reference, also for subsystems that borrow the HLT
// receiver's files, so their outputs never overwrite HLT's (original bug
// §10.1-6).
func OutputPath(ref overwatch.OutputRef) (string, error) {
	if !overwatch.ValidSubsystem(ref.Subsystem) {
		return "", fmt.Errorf("store: output %+v: subsystem %q is not valid", ref, ref.Subsystem)
	}
	if ref.Run < 0 {
		return "", fmt.Errorf("store: output %+v: run must be ≥ 0", ref)
	}
	var base string
	if ref.Run == 0 {
		base = trendingDir + "/" + ref.Subsystem
	} else {
		base = snapshotDir(ref.Run, ref.Subsystem)
	}
	if ref.Slice != "" {
		if !validSliceKey(ref.Slice) {
			return "", fmt.Errorf("store: output %+v: slice key %q must be 1–128 bytes of [A-Za-z0-9._-] not starting with '.'", ref, ref.Slice)
		}
		base += "/slices/" + ref.Slice
	}
	switch ref.Kind {
	case overwatch.OutputJSON, overwatch.OutputPNG, overwatch.OutputHints:
		if ref.Name == "" {
			return "", fmt.Errorf("store: output %+v: a %s output needs a name", ref, ref.Kind)
		}
		switch ref.Kind {
		case overwatch.OutputJSON:
			return base + "/json/" + OutName(ref.Name) + ".json", nil
		case overwatch.OutputPNG:
			return base + "/img/" + OutName(ref.Name) + ".png", nil
		default:
			return base + "/hints/" + OutName(ref.Name) + ".json", nil
		}
	case overwatch.OutputBundle:
		if ref.Name != "" || ref.Run == 0 {
			return "", fmt.Errorf("store: output %+v: a bundle output has a run and no name", ref)
		}
		return base + "/bundle.owb", nil
	case overwatch.OutputView, overwatch.OutputSlice:
		if ref.Name != "" {
			return "", fmt.Errorf("store: output %+v: a %s output has no name (want Name \"\")", ref, ref.Kind)
		}
		if ref.Kind == overwatch.OutputSlice && ref.Slice == "" {
			return "", fmt.Errorf("store: output %+v: a slice output needs a slice key", ref)
		}
		return base + "/" + string(ref.Kind) + ".json", nil
	}
	return "", fmt.Errorf("store: output %+v: unknown kind %q (want json, png, hints, view, slice or bundle)", ref, ref.Kind)
}
