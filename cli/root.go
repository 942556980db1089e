package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

func init() {
	register(&command{
		name:    "root ls",
		summary: "list the histograms, graphs and strings of a ROOT file",
		run:     runRootLs,
	})
	register(&command{
		name:    "root json",
		summary: "print the JSROOT (TBufferJSON) JSON of one object of a ROOT file",
		run:     runRootJSON,
	})
	register(&command{
		name:    "root diff",
		summary: "write the difference of two cumulative snapshot files (LATER minus EARLIER)",
		run:     runRootDiff,
	})
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments ("root ls FILE --json") and returns the
// positional arguments. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		before := len(args)
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at the first non-flag argument or after "--".
		consumed := before - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// readRootFile reads a ROOT file and reports its undecodable parts on
// stderr as warnings.
func readRootFile(e *env, path string) (*overwatch.File, error) {
	f, err := overwatch.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for _, p := range f.Problems {
		fmt.Fprintf(e.stderr, "warning: %s: %s (%s): %s\n", path, p.Path, p.Class, p.Err)
	}
	return f, nil
}

// lsRecord is what "root ls" tells about one object.
type lsRecord struct {
	path, class, title string
	entries            float64
	nbins              []int
	sum                float64
}

// describe summarises an object: for histograms the entry count, the bins
// per dimension and the sum of the in-range contents (bin means for
// profiles); for graphs the point count and the sum of the Y values.
func describe(en overwatch.Entry) lsRecord {
	r := lsRecord{path: en.Path(), class: en.Object.ClassName(), nbins: []int{}}
	switch o := en.Object.(type) {
	case *overwatch.Hist:
		r.title = o.Title
		r.entries = o.Entries
		for _, a := range []*overwatch.Axis{&o.X, &o.Y, &o.Z}[:o.Dim()] {
			r.nbins = append(r.nbins, a.NBins)
		}
		r.sum = sumInRange(o)
	case *overwatch.Graph:
		r.title = o.Title
		r.entries = float64(o.Len())
		r.nbins = append(r.nbins, o.Len())
		for _, y := range o.Y {
			r.sum += y
		}
	case *overwatch.Text:
		r.title = o.Value
	}
	return r
}

// sumInRange returns the sum of every in-range cell's content (no under- or
// overflow; bin means for profiles), ignoring any displayed axis range
// (fFirst/fLast) that Hist.Integral, like ROOT's TH1::Integral, honours.
func sumInRange(h *overwatch.Hist) float64 {
	var s float64
	for bin := range h.Contents {
		if h.IsInRange(bin) {
			s += h.BinContent(bin)
		}
	}
	return s
}

// appendJSONNumber appends v as a JSON number; non-finite values, which
// JSON cannot express, become the strings "NaN", "+Inf" and "-Inf".
func appendJSONNumber(dst []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, `"NaN"`...)
	case math.IsInf(v, 1):
		return append(dst, `"+Inf"`...)
	case math.IsInf(v, -1):
		return append(dst, `"-Inf"`...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes
// U+FFFD).
func appendJSONString(dst []byte, s string) []byte {
	b, err := json.Marshal(s)
	if err != nil { // cannot happen for a string
		return append(dst, `""`...)
	}
	return append(dst, b...)
}

func (r lsRecord) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"path":`...)
	dst = appendJSONString(dst, r.path)
	dst = append(dst, `,"class":`...)
	dst = appendJSONString(dst, r.class)
	dst = append(dst, `,"title":`...)
	dst = appendJSONString(dst, r.title)
	dst = append(dst, `,"entries":`...)
	dst = appendJSONNumber(dst, r.entries)
	dst = append(dst, `,"nbins":[`...)
	for i, n := range r.nbins {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	dst = append(dst, `],"sum":`...)
	dst = appendJSONNumber(dst, r.sum)
	return append(dst, '}')
}

func runRootLs(_ context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "root ls", "[--json] FILE")
	asJSON := fs.Bool("json", false, "one JSON object per line: path, class, title, entries, nbins (one per dimension), sum (in-range contents)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one ROOT file, got %d arguments", errUsage, len(pos))
	}
	f, err := readRootFile(e, pos[0])
	if err != nil {
		return err
	}
	w := bufio.NewWriter(e.stdout)
	var line []byte
	for _, en := range f.Entries {
		r := describe(en)
		line = line[:0]
		if *asJSON {
			line = r.appendJSON(line)
		} else {
			line = append(line, r.path...)
			line = append(line, '\t')
			line = append(line, r.class...)
			if _, isText := en.Object.(*overwatch.Text); !isText {
				line = append(line, "\tentries="...)
				line = strconv.AppendFloat(line, r.entries, 'g', -1, 64)
				line = append(line, "\tbins="...)
				for i, n := range r.nbins {
					if i > 0 {
						line = append(line, 'x')
					}
					line = strconv.AppendInt(line, int64(n), 10)
				}
				line = append(line, "\tsum="...)
				line = strconv.AppendFloat(line, r.sum, 'g', -1, 64)
			}
			line = append(line, '\t')
			line = strconv.AppendQuote(line, r.title)
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return w.Flush()
}

func runRootJSON(_ context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "root json", "[--compact] FILE PATH")
	compact := fs.Bool("compact", false, "write numeric arrays in JSROOT's compact $arr forms")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%w: want a ROOT file and an object path, got %d arguments", errUsage, len(pos))
	}
	f, err := readRootFile(e, pos[0])
	if err != nil {
		return err
	}
	obj := f.Get(pos[1])
	if obj == nil {
		return fmt.Errorf("no object %q in %s (it has %d; list them with \"overwatch root ls\")", pos[1], pos[0], len(f.Entries))
	}
	b, err := overwatch.AppendJSON(nil, obj, overwatch.JSONOptions{CompactArrays: *compact})
	if err != nil {
		return fmt.Errorf("encode %s: %w", pos[1], err)
	}
	_, err = e.stdout.Write(append(b, '\n'))
	return err
}

func runRootDiff(_ context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "root diff", "LATER.root EARLIER.root -o OUT.root")
	out := fs.String("o", "", "output ROOT `file` (required)")
	keepNew := fs.Bool("keep-new", false, "also write the objects only in LATER and its graphs and strings, unchanged")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%w: want LATER and EARLIER ROOT files, got %d arguments", errUsage, len(pos))
	}
	if *out == "" {
		return fmt.Errorf("%w: -o OUT.root is required", errUsage)
	}
	later, err := readRootFile(e, pos[0])
	if err != nil {
		return err
	}
	earlier, err := readRootFile(e, pos[1])
	if err != nil {
		return err
	}
	diff, reports, err := timeslice.DiffFiles(later, earlier)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	counts := map[timeslice.Action]int{}
	for _, r := range reports {
		counts[r.Action]++
		switch r.Action {
		case timeslice.Subtracted:
			keep[r.Path] = true
		case timeslice.ResetDetected:
			keep[r.Path] = true
			fmt.Fprintf(e.stdout, "reset\t%s\t%s: %s (later snapshot written unchanged)\n", r.Path, r.Class, r.Info.Reason)
		case timeslice.KeptNew, timeslice.KeptLatest:
			keep[r.Path] = *keepNew
			what := "only in LATER"
			if r.Action == timeslice.KeptLatest {
				what = "not a histogram"
			}
			verb := "skipped"
			if *keepNew {
				verb = "copied"
			}
			fmt.Fprintf(e.stdout, "%s\t%s\t%s: %s\n", verb, r.Path, r.Class, what)
		case timeslice.Dropped:
			fmt.Fprintf(e.stdout, "skipped\t%s\t%s: only in EARLIER\n", r.Path, r.Class)
		case timeslice.Failed:
			fmt.Fprintf(e.stdout, "skipped\t%s\t%s: %v\n", r.Path, r.Class, r.Err)
		}
	}
	var entries []overwatch.Entry
	for _, en := range diff.Entries {
		if keep[en.Path()] {
			entries = append(entries, en)
		}
	}
	if len(entries) == 0 {
		return errors.New("no histogram present in both files: nothing to write")
	}
	if err := overwatch.WriteFile(*out, entries); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d objects (%d subtracted, %d reset, %d only in LATER, %d not histograms, %d only in EARLIER, %d failed)\n",
		*out, len(entries), counts[timeslice.Subtracted], counts[timeslice.ResetDetected], counts[timeslice.KeptNew],
		counts[timeslice.KeptLatest], counts[timeslice.Dropped], counts[timeslice.Failed])
	return nil
}
