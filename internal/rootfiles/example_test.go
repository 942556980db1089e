package rootfiles_test

import (
	"fmt"
	"os"

	"github.com/overwatch-dqm/overwatch/internal/rootfiles"
)

// OVERWATCH_ROOT_FILES points the tests at a directory of ROOT-written files.
func ExampleSharedDir() {
	dir, err := os.MkdirTemp("", "rootfiles")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	old, had := os.LookupEnv(rootfiles.EnvVar)
	os.Setenv(rootfiles.EnvVar, dir)
	defer func() {
		if had {
			os.Setenv(rootfiles.EnvVar, old)
		} else {
			os.Unsetenv(rootfiles.EnvVar)
		}
	}()
	got, err := rootfiles.SharedDir()
	fmt.Println(got == dir, err)
	// Output: true <nil>
}
