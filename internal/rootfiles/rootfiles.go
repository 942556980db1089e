// Package rootfiles finds files written by real ROOT for the tests: the one
// place where a test of this repository learns where such files live.
//
// Two sources are searched:
//
//   - the shared directory of ROOT-written files (the scikit-hep/uproot
//     samples): $OVERWATCH_ROOT_FILES when set, else shared/data/root-files in the directory
//     beside the module root;
//   - the testdata shipped in the go-hep module (hbook/rootcnv, groot) found
//     in the module cache through "go list -m".
//
// A test asking for a source that is absent is skipped with a message naming
// OVERWATCH_ROOT_FILES, so a clone without the shared directory passes.
package rootfiles

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// EnvVar names the environment variable that points at the directory of
// ROOT-written files.
const EnvVar = "OVERWATCH_ROOT_FILES"

// ModulePath is the path of the module whose root anchors the default
// location of the shared files.
const ModulePath = "github.com/overwatch-dqm/overwatch"

// GoHepModule is the module whose testdata holds ROOT-written files.
const GoHepModule = "go-hep.org/x/hep"

// SharedDir returns the directory of ROOT-written files, or an error saying
// why there is none. It does not skip; see Dir for tests.
func SharedDir() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", fmt.Errorf("rootfiles: %s=%s is not a directory", EnvVar, d)
		}
		return d, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	d := filepath.Join(filepath.Dir(root), "shared", "data", "root-files")
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		return "", fmt.Errorf("rootfiles: no ROOT-written files (set %s, or place shared/data/root-files beside the repository)", EnvVar)
	}
	return d, nil
}

// ModuleRoot returns the directory of the go.mod of ModulePath at or above
// the current directory (tests run in their package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("rootfiles: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module "+ModulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("rootfiles: no go.mod of %s above the current directory", ModulePath)
		}
		dir = parent
	}
}

// Dir returns the directory of shared ROOT-written files, skipping t when
// there is none.
func Dir(t testing.TB) string {
	t.Helper()
	d, err := SharedDir()
	if err != nil {
		t.Skipf("%v", err)
	}
	return d
}

// File returns the path of the shared ROOT-written file name, skipping t
// when it is absent.
func File(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(Dir(t), name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("ROOT-written file %s absent from %s (%s selects the directory)", name, filepath.Dir(p), EnvVar)
	}
	return p
}

// Shared returns the shared ROOT-written files among names that exist (all
// *.root files when names is empty), skipping t when none does.
func Shared(t testing.TB, names ...string) []string {
	t.Helper()
	d := Dir(t)
	files := existing(d, names)
	if len(files) == 0 {
		t.Skipf("no ROOT-written files in %s (%s selects the directory)", d, EnvVar)
	}
	return files
}

// GoHepFile returns the path of rel (e.g. "hbook/rootcnv/testdata/gauss-h1.root")
// inside the go-hep module, skipping t when the module is not in the cache.
func GoHepFile(t testing.TB, rel string) string {
	t.Helper()
	d := goHepDir()
	if d == "" {
		t.Skipf("%s is not in the module cache (go mod download); %s selects other ROOT-written files", GoHepModule, EnvVar)
	}
	p := filepath.Join(d, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("go-hep test file %s absent: %v", rel, err)
	}
	return p
}

// GoHepFiles returns the files among rels that exist in the go-hep module
// (nil when the module is not in the cache); patterns are allowed.
func GoHepFiles(rels ...string) []string {
	d := goHepDir()
	if d == "" {
		return nil
	}
	return existing(d, rels)
}

// All returns the shared files among names (all when names is empty) plus
// the go-hep files among hepRels, skipping t when there is none at all.
func All(t testing.TB, names []string, hepRels ...string) []string {
	t.Helper()
	var files []string
	if d, err := SharedDir(); err == nil {
		files = existing(d, names)
	}
	files = append(files, GoHepFiles(hepRels...)...)
	if len(files) == 0 {
		t.Skipf("no ROOT-written files: neither %s (or shared/data/root-files beside the repository) nor %s in the module cache", EnvVar, GoHepModule)
	}
	return files
}

func existing(dir string, names []string) []string {
	if len(names) == 0 {
		names = []string{"*.root"}
	}
	var files []string
	for _, n := range names {
		m, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(n)))
		sort.Strings(m)
		files = append(files, m...)
	}
	return files
}

var (
	goHepOnce sync.Once
	goHepPath string
)

// goHepDir asks the go command where the go-hep version required by the
// module sits in the module cache ("" when it is not downloaded).
func goHepDir() string {
	goHepOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			return
		}
		cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", GoHepModule)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			return
		}
		d := strings.TrimSpace(string(out))
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			goHepPath = d
		}
	})
	return goHepPath
}
