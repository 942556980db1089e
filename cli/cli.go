// Package cli is the command set of the overwatch reference binary: every
// sub-command (receivers, processing, web app, simulator, store and root
// tools) behind one entry point, Main.
//
// A detector team ships its own binary without forking Overwatch: import
// the detector for its side effect and call Main.
//
//	package main
//
//	import (
//		"github.com/overwatch-dqm/overwatch/cli"
//		_ "example.org/zdc" // registers the ZDC detector
//	)
//
//	func main() { cli.Main() }
//
// Run "overwatch help" for the list of sub-commands and
// "overwatch COMMAND -h" for the flags of one.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one sub-command. Its name may have two words ("root ls").
// Each file cmd_*.go registers its commands from an init function, so that
// the dispatcher stays independent of them.
type command struct {
	name    string
	summary string
	// run executes the command with the arguments after its name. stdout
	// and stderr are where it writes; a flag.ErrHelp error prints nothing
	// more.
	run func(ctx context.Context, env *env, args []string) error
}

// env is what a command gets from the process.
type env struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("duplicate command " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks an error caused by bad arguments (exit status 2).
var errUsage = errors.New("usage")

// Main runs the sub-command named by os.Args and exits with its status: 0 on
// success, 2 for bad arguments, 1 for any other error. SIGINT and SIGTERM
// cancel the command's context, so long-running commands stop cleanly.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// runMain dispatches args to a command and returns the exit status.
func runMain(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, rest := lookup(args)
	if c == nil {
		fmt.Fprintf(e.stderr, "overwatch: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		usage(e.stderr)
		return 2
	}
	err := c.run(ctx, e, rest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "overwatch %s: %v\n", c.name, err)
		return 2
	case errors.Is(err, context.Canceled):
		return 0
	}
	fmt.Fprintf(e.stderr, "overwatch %s: %v\n", c.name, err)
	return 1
}

func lookup(args []string) (*command, []string) {
	if len(args) >= 3 {
		if c, ok := commands[args[0]+" "+args[1]+" "+args[2]]; ok {
			return c, args[3:]
		}
	}
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c, args[2:]
		}
	}
	if c, ok := commands[args[0]]; ok {
		return c, args[1:]
	}
	return nil, nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Overwatch: real-time data-quality monitoring of detector histograms.")
	fmt.Fprintln(w, "\nUsage: overwatch COMMAND [flags] [arguments]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'overwatch COMMAND -h' for the flags of a command.")
}

// newFlagSet returns a flag set for a command that writes its help to the
// command's stderr and returns errors instead of exiting.
func newFlagSet(e *env, name, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet("overwatch "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: overwatch %s %s\n\n", name, usageLine)
		if commands[name] != nil {
			fmt.Fprintf(e.stderr, "%s\n\n", commands[name].summary)
		}
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and wraps parse errors as usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
