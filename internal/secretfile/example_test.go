package secretfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/overwatch-dqm/overwatch/internal/secretfile"
)

// A file of hashed API keys: saved private, loaded again when it changes,
// a presented key checked against the stored hashes.
func Example() {
	dir, _ := os.MkdirTemp("", "secretfile")
	defer os.RemoveAll(dir)
	type keys struct {
		Hashes []string `json:"hashes"`
	}
	f := &secretfile.File{Path: filepath.Join(dir, "secrets", "keys.json"), What: "example: key file", Format: `{"hashes": [...]}`}
	if err := f.Save(keys{Hashes: []string{secretfile.Hash("k-123")}}); err != nil {
		fmt.Println(err)
		return
	}
	var k keys
	var stored []string
	if err := f.Load(&k, func() error { stored = k.Hashes; return nil }); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := os.Stat(f.Path)
	fmt.Println(st.Mode().Perm(), secretfile.Matches("k-123", stored[0]), secretfile.Matches("k-124", stored[0]))
	// Output: -rw------- true false
}
