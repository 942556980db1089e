package webapp

import (
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

var writeMethod = regexp.MustCompile(`^(Put|Update|Delete|Remove|Quarantine|Rebuild|Compact|Ingest|Close)`)

// TestStoreHasNoWriteMethod pins that the web app only reads: the store it
// holds (Config.Store, App.store) has no write method. The one write, an
// alarm action, is Config.Alarms, wired explicitly.
func TestStoreHasNoWriteMethod(t *testing.T) {
	st := reflect.TypeFor[Store]()
	require.Positive(t, st.NumMethod())
	for i := range st.NumMethod() {
		assert.False(t, writeMethod.MatchString(st.Method(i).Name), "webapp.Store has a write method %s", st.Method(i).Name)
	}
	full := reflect.TypeFor[overwatch.Store]()
	writes := 0
	for i := range full.NumMethod() {
		if writeMethod.MatchString(full.Method(i).Name) {
			writes++
		}
	}
	assert.Positive(t, writes, "the rule recognises the store's writes")
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
		// Alarms and Documents are the writes to the store, wired
		// explicitly; Sessions is the web app's own login state, not the
		// store.
		if f.Type.Kind() != reflect.Interface || f.Name == "Alarms" || f.Name == "Documents" || f.Name == "Sessions" {
			continue
		}
		for i := range f.Type.NumMethod() {
			assert.False(t, writeMethod.MatchString(f.Type.Method(i).Name), "Config.%s has a write method %s", f.Name, f.Type.Method(i).Name)
		}
	}
	assert.Equal(t, reflect.TypeFor[Store](), reflect.TypeFor[App]().Field(fieldIndex(t, "store")).Type)
}

func fieldIndex(t *testing.T, name string) int {
	f, ok := reflect.TypeFor[App]().FieldByName(name)
	require.True(t, ok, name)
	return f.Index[0]
}

// TestImportsNoReceiverOrStore: the web app reaches no receiver package
// and no store implementation, directly or not. The one store package it
// may reach is the bundle format (store/bundle), which is checked to hold
// no store: it depends on no other store package.
func TestImportsNoReceiverOrStore(t *testing.T) {
	deps := goListDeps(t, ".")
	sawBundle := false
	for _, p := range deps {
		assert.False(t, strings.HasPrefix(p, modulePath+"/receiver"), "webapp depends on %s", p)
		if p == bundlePackage {
			sawBundle = true
			continue
		}
		assert.False(t, p == modulePath+"/store" || strings.HasPrefix(p, modulePath+"/store/"), "webapp depends on %s", p)
	}
	require.True(t, sawBundle, "the web app serves members through %s; the rule above would allow a path that is not there", bundlePackage)
	for _, p := range goListDeps(t, "../store/bundle") {
		if p == bundlePackage {
			continue
		}
		assert.False(t, p == modulePath+"/store" || strings.HasPrefix(p, modulePath+"/store/"), "store/bundle depends on %s: the web app would reach a store through it", p)
	}
}

// TestImportsNoProcessing: the web app shares the bundle format and the
// renderer with processing through packages outside it (store/bundle,
// render); it reaches no processing package, directly or not.
func TestImportsNoProcessing(t *testing.T) {
	deps := goListDeps(t, ".")
	require.Contains(t, deps, modulePath+"/render", "the web app renders images on demand through package render")
	for _, p := range deps {
		assert.False(t, p == modulePath+"/processing" || strings.HasPrefix(p, modulePath+"/processing/"), "webapp depends on %s", p)
	}
}

// goListDeps is `go list -deps` of one package: every package it
// compiles with (not its tests).
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	require.NoError(t, err)
	return strings.Fields(string(out))
}

const bundlePackage = modulePath + "/store/bundle"

const modulePath = "github.com/overwatch-dqm/overwatch"
