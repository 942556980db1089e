// Package jsroottest runs JSROOT under Node.js as an independent oracle for
// tests: it reads ROOT files with JSROOT (summaries, full contents, JSROOT's
// own JSON of an object) and draws TBufferJSON JSON with JSROOT's parse and
// makeSVG, the way the web app does.
//
// It needs the node binary on PATH and JSROOT installed by "make
// setup-jsroot" into <repo>/tools/jsroot/node_modules. When either is
// missing, New skips the calling test with a message saying what to do.
// Every call runs one Node process for a whole batch of objects, because
// starting Node and loading JSROOT costs about half a second.
package jsroottest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ModulePath is the Go module whose root holds tools/jsroot.
const ModulePath = "github.com/overwatch-dqm/overwatch"

// Env is a usable Node.js + JSROOT installation.
type Env struct {
	// Node is the path of the node binary.
	Node string
	// ToolsDir is <repo>/tools/jsroot, where the scripts and node_modules are.
	ToolsDir string
}

// ErrUnavailable is wrapped by Lookup's error when Node or JSROOT is missing.
var ErrUnavailable = errors.New("jsroottest: node or JSROOT unavailable")

// Lookup finds node on PATH and JSROOT under the repository holding the
// current directory. The environment variable OVERWATCH_JSROOT_DIR, when
// set, names the tools/jsroot directory instead.
func Lookup() (*Env, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: node not found on PATH: %v", ErrUnavailable, err)
	}
	dir := os.Getenv("OVERWATCH_JSROOT_DIR")
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		dir = filepath.Join(root, "tools", "jsroot")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jsroot", "package.json")); err != nil {
		return nil, fmt.Errorf("%w: JSROOT not installed in %s/node_modules (run \"make setup-jsroot\")", ErrUnavailable, dir)
	}
	return &Env{Node: node, ToolsDir: dir}, nil
}

// New returns the Env, or skips t with a clear message when Node or JSROOT
// is not installed.
func New(t testing.TB) *Env {
	t.Helper()
	e, err := Lookup()
	if err != nil {
		t.Skipf("skipping JSROOT oracle test: %v", err)
	}
	return e
}

// RepoRoot returns the directory of the go.mod declaring ModulePath,
// searching from the current directory upwards.
func RepoRoot() (string, error) {
	root, err := rootfiles.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("jsroottest: %w", err)
	}
	return root, nil
}

// Run runs the Node script tools/jsroot/<script> with args, feeding stdin,
// in ToolsDir (so relative file arguments must be made absolute first),
// and returns its standard output. A non-zero exit status is returned as an
// error holding the script's standard error, together with the output
// (scripts report per-object failures on stdout and exit 1).
func (e *Env) Run(ctx context.Context, stdin []byte, script string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, e.Node, append([]string{filepath.Join(e.ToolsDir, script)}, args...)...)
	cmd.Dir = e.ToolsDir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("jsroottest: node %s %s: %w: %s", script, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// Float is a number as the scripts write it: a JSON number, or the strings
// "NaN", "+Inf", "-Inf" (and null, read as NaN) for non-finite values.
type Float float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null", `"NaN"`:
		*f = Float(math.NaN())
		return nil
	case `"+Inf"`, `"Inf"`:
		*f = Float(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = Float(math.Inf(-1))
		return nil
	}
	// ParseFloat turns out-of-range numbers such as 2e308 (TBufferJSON's
	// infinity) into ±Inf with ErrRange.
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !(errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0)) {
		return fmt.Errorf("jsroottest: want a number or NaN/+Inf/-Inf, got %s: %w", b, err)
	}
	*f = Float(v)
	return nil
}

// Floats converts a slice of Float to float64.
func Floats(fs []Float) []float64 {
	if fs == nil {
		return nil
	}
	out := make([]float64, len(fs))
	for i, f := range fs {
		out[i] = float64(f)
	}
	return out
}

// Label is an alphanumeric bin label of an axis.
type Label struct {
	Bin   int    `json:"bin"`
	Label string `json:"label"`
}

// Axis is a TAxis as JSROOT reads it.
type Axis struct {
	Name        string  `json:"name"`
	Title       string  `json:"title"`
	NBins       int     `json:"nbins"`
	Min         Float   `json:"min"`
	Max         Float   `json:"max"`
	Edges       []Float `json:"edges"` // fXbins: empty for uniform binning
	Labels      []Label `json:"labels"`
	First       int     `json:"first"`
	Last        int     `json:"last"`
	TimeDisplay bool    `json:"timeDisplay"`
	TimeFormat  string  `json:"timeFormat"`
	Bits2       int     `json:"bits2"`
	// Attr is TAttAxis: fNdivisions, fAxisColor, fLabelColor, fLabelFont,
	// fLabelOffset, fLabelSize, fTickLength, fTitleOffset, fTitleSize,
	// fTitleColor, fTitleFont.
	Attr []Float `json:"attr"`
}

// Summary describes one histogram-like object (TH1*, TH2*, TH3*, TProfile,
// TProfile2D, TGraph*, TObjString) as JSROOT reads it from a file. The
// fields after Error are filled only by full summaries.
type Summary struct {
	File  string `json:"file"`
	Path  string `json:"path"` // Dir/Key
	Dir   string `json:"dir"`
	Key   string `json:"key"`
	Cycle int    `json:"cycle"`
	Class string `json:"class"`
	Name  string `json:"name"`
	Title string `json:"title"`
	// Entries is fEntries (fNpoints for graphs).
	Entries Float `json:"entries"`
	// NBins has one bin count per dimension (the point count for graphs,
	// empty for TObjString).
	NBins []int `json:"nbins"`
	// Sum is the sum of the in-range cell contents: bin means for
	// profiles, Y values for graphs.
	Sum Float `json:"sum"`
	// String is the value of a TObjString.
	String string `json:"string"`
	// Error is set when JSROOT could not read the object.
	Error string `json:"error"`

	NCells        int              `json:"ncells"`
	Stats         map[string]Float `json:"stats"` // fTsumw, fTsumw2, fTsumwx, ...
	Array         []Float          `json:"array"`
	Sumw2         []Float          `json:"sumw2"`
	Axes          []Axis           `json:"axes"` // X, Y and Z, whatever the dimension
	Minimum       Float            `json:"minimum"`
	Maximum       Float            `json:"maximum"`
	NormFactor    Float            `json:"normFactor"`
	Option        string           `json:"option"`
	BarOffset     int              `json:"barOffset"`
	BarWidth      int              `json:"barWidth"`
	StatOverflows *int             `json:"statOverflows"` // nil in files older than ROOT 6
	BinStatErrOpt int              `json:"binStatErrOpt"`
	Contour       []Float          `json:"contour"`
	Line          []Float          `json:"line"`   // color, style, width
	Fill          []Float          `json:"fill"`   // color, style
	Marker        []Float          `json:"marker"` // color, style, size
	Functions     []string         `json:"functions"`
	// Profiles only.
	BinEntries []Float `json:"binEntries"`
	BinSumw2   []Float `json:"binSumw2"`
	ErrorMode  int     `json:"errorMode"`
	PMin       Float   `json:"pmin"`
	PMax       Float   `json:"pmax"`
	// Graphs only.
	X          []Float `json:"x"`
	Y          []Float `json:"y"`
	EX         []Float `json:"ex"`
	EY         []Float `json:"ey"`
	EXLow      []Float `json:"exlow"`
	EXHigh     []Float `json:"exhigh"`
	EYLow      []Float `json:"eylow"`
	EYHigh     []Float `json:"eyhigh"`
	XTitle     string  `json:"xtitle"`
	YTitle     string  `json:"ytitle"`
	XTime      bool    `json:"xtime"`
	TimeFormat string  `json:"timeFormat"`
}

// Summarize reads every file with JSROOT (one Node process for all of them)
// and returns one Summary per histogram-like object, in key order; full adds
// the statistics, cell arrays, axes and graph points. Objects JSROOT cannot
// read come back with Error set; a file JSROOT cannot open is an error.
func (e *Env) Summarize(ctx context.Context, full bool, files ...string) ([]Summary, error) {
	var args []string
	if full {
		args = append(args, "--full")
	}
	// Node runs in ToolsDir: pass absolute paths, report the caller's.
	orig := map[string]string{}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("jsroottest: %w", err)
		}
		orig[abs] = f
		args = append(args, abs)
	}
	out, runErr := e.Run(ctx, nil, "summarize.mjs", args...)
	var res []Summary
	if err := eachLine(out, func(line []byte) error {
		var s Summary
		if err := json.Unmarshal(line, &s); err != nil {
			return fmt.Errorf("jsroottest: summarize.mjs output %q: %w", truncate(line), err)
		}
		if o, ok := orig[s.File]; ok {
			s.File = o
		}
		if s.Path == "" && s.Error != "" {
			return fmt.Errorf("jsroottest: JSROOT cannot read %s: %s", s.File, s.Error)
		}
		res = append(res, s)
		return nil
	}); err != nil {
		return nil, err
	}
	if runErr != nil {
		return res, runErr
	}
	return res, nil
}

// ObjectJSON returns JSROOT's own JSON (toJSON, the TBufferJSON layout) of
// objects read from a ROOT file, keyed by path; with no path, of every
// histogram-like object. A missing or unreadable object is an error.
func (e *Env) ObjectJSON(ctx context.Context, file string, paths ...string) (map[string]json.RawMessage, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("jsroottest: %w", err)
	}
	res, err := e.objectJSON(ctx, append([]string{abs}, paths...), map[string]string{abs: file})
	return res[file], err
}

// AllObjectJSON is ObjectJSON of every histogram-like object of several
// files in one Node process, keyed by file (as given) and path.
func (e *Env) AllObjectJSON(ctx context.Context, files ...string) (map[string]map[string]json.RawMessage, error) {
	args := []string{"--all"}
	orig := map[string]string{}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("jsroottest: %w", err)
		}
		orig[abs] = f
		args = append(args, abs)
	}
	return e.objectJSON(ctx, args, orig)
}

func (e *Env) objectJSON(ctx context.Context, args []string, orig map[string]string) (map[string]map[string]json.RawMessage, error) {
	out, runErr := e.Run(ctx, nil, "tojson.mjs", args...)
	res := map[string]map[string]json.RawMessage{}
	var problems []string
	if err := eachLine(out, func(line []byte) error {
		var r struct {
			File  string          `json:"file"`
			Path  string          `json:"path"`
			JSON  json.RawMessage `json:"json"`
			Error string          `json:"error"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("jsroottest: tojson.mjs output %q: %w", truncate(line), err)
		}
		file := orig[r.File]
		if r.Error != "" {
			problems = append(problems, file+": "+r.Path+": "+r.Error)
			return nil
		}
		if res[file] == nil {
			res[file] = map[string]json.RawMessage{}
		}
		res[file][r.Path] = r.JSON
		return nil
	}); err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return res, fmt.Errorf("jsroottest: JSROOT could not read: %s", strings.Join(problems, "; "))
	}
	return res, runErr
}

// RenderJob is one object to draw: its TBufferJSON JSON and a JSROOT draw
// option ("colz", "hist,e", "AP", ...).
type RenderJob struct {
	ID     string          `json:"id"`
	JSON   json.RawMessage `json:"json"`
	Option string          `json:"option,omitempty"`
	// WantSVG asks for the SVG text in the result.
	WantSVG bool `json:"svg,omitempty"`
}

// RenderResult is the outcome of one RenderJob. For a TObjString, SVG holds
// the HTML JSROOT draws instead.
type RenderResult struct {
	ID       string `json:"id"`
	OK       bool   `json:"ok"`
	Typename string `json:"typename"`
	SVGBytes int    `json:"svgBytes"`
	SVG      string `json:"svg"`
	Error    string `json:"error"`
}

// Render parses every job's JSON with JSROOT's parse and draws it with
// makeSVG, in one Node process. It returns one result per job, in order;
// drawing failures are reported in the results (OK false), not as an error.
func (e *Env) Render(ctx context.Context, jobs ...RenderJob) ([]RenderResult, error) {
	var in bytes.Buffer
	for i := range jobs {
		if !json.Valid(jobs[i].JSON) {
			// Pass invalid JSON as a string so that JSROOT's parse reports it.
			s, _ := json.Marshal(string(jobs[i].JSON))
			j := jobs[i]
			j.JSON = s
			b, _ := json.Marshal(j)
			in.Write(b)
		} else {
			b, err := json.Marshal(jobs[i])
			if err != nil {
				return nil, fmt.Errorf("jsroottest: encode job %q: %w", jobs[i].ID, err)
			}
			in.Write(b)
		}
		in.WriteByte('\n')
	}
	out, runErr := e.Run(ctx, in.Bytes(), "render.mjs", "--batch")
	var res []RenderResult
	if err := eachLine(out, func(line []byte) error {
		var r RenderResult
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("jsroottest: render.mjs output %q: %w", truncate(line), err)
		}
		res = append(res, r)
		return nil
	}); err != nil {
		return nil, err
	}
	if len(res) != len(jobs) {
		if runErr != nil {
			return res, runErr
		}
		return res, fmt.Errorf("jsroottest: render.mjs answered %d of %d jobs", len(res), len(jobs))
	}
	return res, nil
}

// ParseJob is one JSON text for Parse.
type ParseJob struct {
	ID   string `json:"id"`
	JSON string `json:"json"`
}

// ParseResult is JSROOT's parse() of one ParseJob: Obj is the parsed object
// re-encoded with typed arrays as plain arrays and non-finite numbers as the
// strings "NaN", "+Inf", "-Inf" (decode them with Float).
type ParseResult struct {
	ID    string          `json:"id"`
	Obj   json.RawMessage `json:"obj"`
	Error string          `json:"error"`
}

// Parse runs JSROOT's parse() on every job's JSON text in one Node process
// and returns one result per job, in order; parse failures are reported in
// the results.
func (e *Env) Parse(ctx context.Context, jobs ...ParseJob) ([]ParseResult, error) {
	var in bytes.Buffer
	for _, j := range jobs {
		b, err := json.Marshal(j)
		if err != nil {
			return nil, fmt.Errorf("jsroottest: encode parse job %q: %w", j.ID, err)
		}
		in.Write(b)
		in.WriteByte('\n')
	}
	out, runErr := e.Run(ctx, in.Bytes(), "parse.mjs")
	var res []ParseResult
	if err := eachLine(out, func(line []byte) error {
		var r ParseResult
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("jsroottest: parse.mjs output %q: %w", truncate(line), err)
		}
		res = append(res, r)
		return nil
	}); err != nil {
		return nil, err
	}
	if len(res) != len(jobs) {
		if runErr != nil {
			return res, runErr
		}
		return res, fmt.Errorf("jsroottest: parse.mjs answered %d of %d jobs", len(res), len(jobs))
	}
	return res, nil
}

func eachLine(out []byte, f func([]byte) error) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := f(line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("jsroottest: reading script output: %w", err)
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
