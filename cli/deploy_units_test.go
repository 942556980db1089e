package cli

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unitExecStart returns the ExecStart command line of a systemd unit file
// (continuation lines joined), with the instance specifiers %i, %I and %H
// and the environment references ${NAME} of env replaced.
func unitExecStart(t *testing.T, path, instance string, env map[string]string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var line string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if line != "" {
			line = strings.TrimSuffix(line, "\\") + " " + l
		} else if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			line = v
		} else {
			continue
		}
		if !strings.HasSuffix(line, "\\") {
			break
		}
	}
	require.NotEmpty(t, line, "%s has no ExecStart", path)
	line = strings.NewReplacer("%i", instance, "%I", instance, "%H", "host1", "%%", "%").Replace(line)
	line = regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(line, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := env[name]
		assert.True(t, ok, "%s: ExecStart refers to $%s, unknown to the test", path, name)
		return v
	})
	assert.NotContains(t, line, "%", "%s: an unhandled specifier", path)
	assert.NotContains(t, line, "\"", "%s: quoting is not checked by this test", path)
	return strings.Fields(line)
}

var helpFlag = regexp.MustCompile(`(?m)^  -([\w-]+)( [^\t\n]+)?`)

// commandFlags runs `overwatch <cmd> --help` and returns its flags, true
// for those that take a value.
func commandFlags(t *testing.T, cmd []string) map[string]bool {
	t.Helper()
	code, _, errs := runCommand(t, append(cmd, "--help")...)
	require.Equal(t, 0, code, errs)
	flags := map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(errs, -1) {
		flags[m[1]] = m[2] != ""
	}
	require.NotEmpty(t, flags, "no flags in the help of %v: %s", cmd, errs)
	return flags
}

// TestDeployUnitFiles: every unit file under deploy/ runs the overwatch
// binary with a command line the current flags accept: each flag exists
// in the command's flag set, a flag that takes a value has one, no
// positional argument is left over, and the real flag parsing (the
// command with --help appended, which stops right after parsing) accepts
// every value. The transfer unit's configuration passes config check.
func TestDeployUnitFiles(t *testing.T) {
	vars := map[string]string{"OVERWATCH_HLT_IN": "REQ>tcp://merger-emc:60321"}
	units, err := filepath.Glob(filepath.Join("..", "deploy", "*", "*.service"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(units), 8, "%v", units)
	subcommands := map[string]bool{"receive": true, "store": true, "users": true, "tokens": true, "config": true}
	seen := map[string]bool{}
	for _, u := range units {
		t.Run(filepath.Base(filepath.Dir(u))+"/"+filepath.Base(u), func(t *testing.T) {
			instance := "EMC"
			if strings.Contains(u, "process@") {
				instance = "1"
			}
			args := unitExecStart(t, u, instance, vars)
			require.Equal(t, "/usr/local/bin/overwatch", args[0])
			args = args[1:]
			n := 1
			if subcommands[args[0]] {
				n = 2
			}
			cmd := args[:n:n] // appending to it must not overwrite args
			seen[strings.Join(cmd, " ")] = true
			flags := commandFlags(t, cmd)
			rest := args[n:]
			for i := 0; i < len(rest); i++ {
				a := rest[i]
				require.True(t, strings.HasPrefix(a, "-"), "%s: positional argument %q", u, a)
				name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
				takes, ok := flags[name]
				require.True(t, ok, "%s: %v has no flag %q", u, cmd, name)
				if takes && !hasValue {
					require.Less(t, i+1, len(rest), "%s: --%s needs a value", u, name)
					i++
				}
			}
			// The real parsing: every flag and value accepted, then --help.
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // never run the command, should parsing stop early
			var out, errb bytes.Buffer
			code := runMain(ctx, &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, append(args[:len(args):len(args)], "--help"))
			assert.Equal(t, 0, code, errb.String())
			assert.Contains(t, errb.String(), "Usage: overwatch "+strings.Join(cmd, " "))
			assert.NotContains(t, errb.String(), "flag provided but not defined")
			assert.NotContains(t, errb.String(), "invalid value")
		})
	}
	for _, c := range []string{"receive hlt", "process", "web", "receive dqm", "transfer"} {
		assert.True(t, seen[c], "no unit runs overwatch %s", c)
	}

	var out, errb bytes.Buffer
	code := runMain(context.Background(), &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "OVERWATCH_PG_DSN" {
			return "postgres://overwatch@db.example.org/overwatch"
		}
		return ""
	}}, []string{"config", "check", "--config", filepath.Join("..", "deploy", "cluster", "transfer.yaml")})
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "is valid")
}

// TestDeployClusterUnitsUsePostgres: the cluster example's store processes
// all open the PostgreSQL index, with the DSN from a root-only
// environment file, and the processing workers name themselves per host
// and instance.
func TestDeployClusterUnitsUsePostgres(t *testing.T) {
	units, err := filepath.Glob(filepath.Join("..", "deploy", "cluster", "*.service"))
	require.NoError(t, err)
	require.Len(t, units, 5)
	for _, u := range units {
		b, err := os.ReadFile(u)
		require.NoError(t, err)
		s := string(b)
		assert.Contains(t, s, "EnvironmentFile=/etc/overwatch/pg.env", u)
		assert.NotContains(t, s, "postgres://", "%s: the DSN belongs in the environment file", u)
		if !strings.Contains(u, "transfer") {
			assert.Contains(t, s, "--index postgres", u)
		}
		if strings.Contains(u, "process@") {
			assert.Contains(t, s, "--holder %H-%i", u)
			assert.Contains(t, s, "process --watch", u)
		}
	}
	b, err := os.ReadFile(filepath.Join("..", "deploy", "cluster", "transfer.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "index: postgres")
	b, err = os.ReadFile(filepath.Join("..", "deploy", "cluster", "nginx.conf"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "upstream overwatch_web")
	assert.Contains(t, string(b), "/healthz")
}
