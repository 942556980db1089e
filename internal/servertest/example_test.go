package servertest_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/servertest"
)

// A child process that dies with the test binary, stopped politely.
func Example() {
	dir, err := os.MkdirTemp("", "servertest-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	p, err := servertest.StartProc(exec.Command("sleep", "60"), filepath.Join(dir, "server.log"))
	if err != nil {
		fmt.Println(err)
		return
	}
	err = p.WaitReady(time.Second, func() bool { return true })
	p.Stop()
	<-p.Exited()
	port, _ := servertest.FreePort()
	fmt.Println(err, port > 0)
	// Output: <nil> true
}
