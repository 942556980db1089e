package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
	"github.com/overwatch-dqm/overwatch/store"
)

func init() {
	register(&command{name: "reference set", summary: "declare the reference run of a subsystem for a run range (recorded with who, when and why)", run: runReferenceSet})
	register(&command{name: "reference upload", summary: "store a ROOT file as the reference of a subsystem for a run range (validated; recorded with who, when and why)", run: runReferenceUpload})
	register(&command{name: "reference rm", summary: "remove a reference declaration (kept in its history)", run: runReferenceRm})
	register(&command{name: "reference list", summary: "list the reference declarations, and which applies to a run", run: runReferenceList})
	register(&command{name: "reference history", summary: "list every version of a reference declaration", run: runReferenceHistory})
}

// referenceFlags are the flags of the reference commands.
type referenceFlags struct {
	store   storeFlags
	sys     *string
	runs    *string
	comment *string
	author  *string
}

func newReferenceFlags(fs *flag.FlagSet, e *env, write bool) referenceFlags {
	f := referenceFlags{store: addStoreFlags(fs),
		sys:  fs.String("sys", "", "`subsystem` (EMC, HLT, …)"),
		runs: fs.String("runs", "", "run `range` the reference applies to: FIRST-LAST, FIRST- (open-ended) or RUN"),
	}
	if write {
		user := e.getenv("USER")
		if user == "" {
			user = "cli"
		}
		f.comment = fs.String("comment", "", "why (kept in the history)")
		f.author = fs.String("author", user, "who sets it (default $USER)")
	}
	return f
}

// open parses the flags and opens the store.
func (f referenceFlags) open(e *env, fs *flag.FlagSet, args []string) (*store.Store, error) {
	o, err := f.store.parse(e, fs, args)
	if err != nil {
		return nil, err
	}
	return store.Open(*f.store.data, o)
}

// openTarget opens the store and reads the declaration's target (--sys,
// --runs); the store is closed again when the target is invalid.
func (f referenceFlags) openTarget(e *env, fs *flag.FlagSet, args []string) (*store.Store, quality.Reference, error) {
	st, err := f.open(e, fs, args)
	if err != nil {
		return nil, quality.Reference{}, err
	}
	r, err := f.target()
	if err != nil {
		st.Close()
		return nil, quality.Reference{}, err
	}
	return st, r, nil
}

func (f referenceFlags) target() (quality.Reference, error) {
	if !overwatch.ValidSubsystem(*f.sys) {
		return quality.Reference{}, fmt.Errorf("%w: --sys %q: expected 2-8 upper-case letters or digits, such as EMC", errUsage, *f.sys)
	}
	first, last, err := quality.ParseRunRange(*f.runs)
	if err != nil {
		return quality.Reference{}, fmt.Errorf("%w: --runs: %v", errUsage, err)
	}
	return quality.Reference{Subsystem: *f.sys, First: first, Last: last}, nil
}

func runReferenceSet(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "reference set", "--data DIR --sys EMC --runs FIRST-LAST --ref RUN [--comment TEXT] [--author NAME]")
	f := newReferenceFlags(fs, e, true)
	refRun := fs.Int("ref", 0, "the reference `run`")
	st, r, err := f.openTarget(e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	r.Run, r.Comment, r.Author = *refRun, *f.comment, *f.author
	if err := r.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if _, err := st.RunInfo(ctx, r.Run); errors.Is(err, overwatch.ErrNotFound) {
		return fmt.Errorf("reference run %d is not in the store", r.Run)
	} else if err != nil {
		return err
	}
	stored, err := putReference(ctx, st, r)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "reference %s: run %d (version %d, by %s)\n", r.Name(), r.Run, stored.Version, stored.Author)
	return nil
}

// putReference writes a declaration over the one read now; another writer
// between the read and the write makes it a conflict, never a lost update.
func putReference(ctx context.Context, st overwatch.DocumentStore, r quality.Reference) (overwatch.Document, error) {
	d, err := r.Document()
	if err != nil {
		return overwatch.Document{}, err
	}
	var prev int64
	if cur, err := st.Document(ctx, quality.ReferenceKind, r.Name(), 0); err == nil {
		prev = cur.Version
	} else if !errors.Is(err, overwatch.ErrNotFound) {
		return overwatch.Document{}, err
	}
	return st.PutDocument(ctx, d, prev)
}

func runReferenceUpload(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "reference upload", "--data DIR --sys EMC --runs FIRST-LAST --file REF.root [--comment TEXT] [--author NAME]")
	f := newReferenceFlags(fs, e, true)
	file := fs.String("file", "", "the reference ROOT `file`")
	st, r, err := f.openTarget(e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if *file == "" {
		return fmt.Errorf("%w: --file is required", errUsage)
	}
	info, err := os.Stat(*file)
	if err != nil {
		return err
	}
	if info.Size() > quality.MaxReferenceFile {
		return fmt.Errorf("%s: %d bytes, a reference file has at most %d", *file, info.Size(), quality.MaxReferenceFile)
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	rf, err := observe.UploadReferenceFile(ctx, st, r.Subsystem, filepath.Base(*file), data, *f.author)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	r.File, r.FileName, r.Comment, r.Author = rf.ID, rf.Name, *f.comment, *f.author
	stored, err := putReference(ctx, st, r)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "reference %s: file %s (%d histograms, %s; version %d, by %s)\n", r.Name(), rf.Name, rf.Hists, rf.ID, stored.Version, stored.Author)
	return nil
}

func runReferenceRm(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "reference rm", "--data DIR --sys EMC --runs FIRST-LAST [--comment TEXT]")
	f := newReferenceFlags(fs, e, true)
	st, r, err := f.openTarget(e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	cur, err := st.Document(ctx, quality.ReferenceKind, r.Name(), 0)
	if errors.Is(err, overwatch.ErrNotFound) || err == nil && cur.Deleted {
		return fmt.Errorf("no reference %s is declared", r.Name())
	}
	if err != nil {
		return err
	}
	stored, err := st.PutDocument(ctx, overwatch.Document{Kind: quality.ReferenceKind, Name: r.Name(), Author: *f.author, Comment: *f.comment, Deleted: true}, cur.Version)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "reference %s removed (version %d)\n", r.Name(), stored.Version)
	return nil
}

func runReferenceList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "reference list", "--data DIR [--sys EMC] [--run RUN]")
	f := newReferenceFlags(fs, e, false)
	run := fs.Int("run", 0, "also say which declaration applies to this `run` (needs --sys)")
	st, err := f.open(e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if *f.sys != "" && !overwatch.ValidSubsystem(*f.sys) {
		return fmt.Errorf("%w: --sys %q: expected 2-8 upper-case letters or digits", errUsage, *f.sys)
	}
	if *run != 0 && (*f.sys == "" || !overwatch.ValidRun(*run)) {
		return fmt.Errorf("%w: --run needs --sys and a run from 1 to %d", errUsage, overwatch.MaxRun)
	}
	docs, err := st.Documents(ctx, quality.ReferenceKind)
	if err != nil {
		return err
	}
	refs, bad := quality.ReferencesFromDocuments(docs)
	if bad != nil {
		fmt.Fprintf(e.stderr, "warning: %v\n", bad)
	}
	quality.SortReferences(refs)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBSYSTEM\tRUNS\tREFERENCE\tVERSION\tSET BY\tWHEN\tCOMMENT")
	for _, r := range refs {
		if *f.sys != "" && r.Subsystem != *f.sys {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Subsystem, r.Range(), r.Source(), r.Version, r.Author, r.Time.UTC().Format("2006-01-02 15:04:05Z"), oneLine(r.Comment))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if *run != 0 {
		if r, ok := quality.ResolveReference(refs, *f.sys, *run); ok {
			fmt.Fprintf(e.stdout, "run %d of %s: reference %s (%s)\n", *run, *f.sys, r.Source(), r.Name())
		} else {
			fmt.Fprintf(e.stdout, "run %d of %s: no reference declared\n", *run, *f.sys)
		}
	}
	return nil
}

func runReferenceHistory(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "reference history", "--data DIR --sys EMC --runs FIRST-LAST")
	f := newReferenceFlags(fs, e, false)
	st, r, err := f.openTarget(e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	hist, err := st.DocumentHistory(ctx, quality.ReferenceKind, r.Name())
	if err != nil {
		return err
	}
	if len(hist) == 0 {
		return fmt.Errorf("no reference %s was ever declared", r.Name())
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tWHEN\tBY\tREFERENCE\tCOMMENT")
	for _, d := range hist {
		what := "removed"
		if !d.Deleted {
			if x, err := quality.ReferenceFromDocument(d); err == nil {
				what = fmt.Sprintf("run %d", x.Run)
			} else {
				what = "invalid: " + err.Error()
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", d.Version, d.Time.UTC().Format("2006-01-02 15:04:05Z"), d.Author, what, oneLine(d.Comment))
	}
	return tw.Flush()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
