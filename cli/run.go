package cli

import (
	"context"
	"io"
	"os"
)

// Run runs the sub-command named by args (without the program name) in
// this process, writing to stdout and stderr, and returns its exit status
// as Main would: 0 on success (and when ctx is cancelled), 2 for bad
// arguments, 1 for any other error. It lets a program or a test embed the
// command set, e.g. run "serve" with its own registered receivers and
// detectors until it cancels ctx.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runMain(ctx, &env{stdout: stdout, stderr: stderr, getenv: os.Getenv}, args)
}
