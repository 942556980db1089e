package rootfiles

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// skipRecorder records a Skipf and ends the goroutine like testing does.
type skipRecorder struct {
	testing.TB
	msg string
}

func (r *skipRecorder) Helper() {}
func (r *skipRecorder) Skipf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func skipped(t *testing.T, f func(tb testing.TB)) string {
	r := &skipRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg
}

func TestEnvVarSelectsTheDirectory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.root"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.root"), []byte("x"), 0o644))
	t.Setenv(EnvVar, dir)
	assert.Equal(t, dir, Dir(t))
	assert.Equal(t, filepath.Join(dir, "a.root"), File(t, "a.root"))
	assert.Equal(t, []string{filepath.Join(dir, "a.root"), filepath.Join(dir, "b.root")}, Shared(t))
	assert.Equal(t, []string{filepath.Join(dir, "b.root")}, Shared(t, "b.root", "c.root"))
}

func TestSkipsNameTheVariable(t *testing.T) {
	t.Setenv(EnvVar, filepath.Join(t.TempDir(), "absent"))
	for name, f := range map[string]func(testing.TB){
		"Dir":    func(tb testing.TB) { Dir(tb) },
		"File":   func(tb testing.TB) { File(tb, "x.root") },
		"Shared": func(tb testing.TB) { Shared(tb) },
		"All":    func(tb testing.TB) { All(tb, nil, "no/such/file.root") },
	} {
		assert.Contains(t, skipped(t, f), EnvVar, name)
	}
	empty := t.TempDir()
	t.Setenv(EnvVar, empty)
	assert.Contains(t, skipped(t, func(tb testing.TB) { File(tb, "x.root") }), EnvVar)
	assert.Contains(t, skipped(t, func(tb testing.TB) { Shared(tb) }), EnvVar)
}

func TestGoHepFromTheModuleCache(t *testing.T) {
	p := GoHepFile(t, "hbook/rootcnv/testdata/gauss-h1.root")
	assert.FileExists(t, p)
	assert.Contains(t, p, GoHepModule)
	assert.Empty(t, skipped(t, func(tb testing.TB) { GoHepFile(tb, "hbook/rootcnv/testdata/gauss-h1.root") }))
	assert.Contains(t, skipped(t, func(tb testing.TB) { GoHepFile(tb, "no/such.root") }), "no/such.root")
	assert.NotEmpty(t, GoHepFiles("groot/testdata/*.root"))
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "go.mod"))
	assert.FileExists(t, filepath.Join(root, "internal", "rootfiles", "rootfiles.go"))
}
