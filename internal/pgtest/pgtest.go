// Package pgtest runs a private PostgreSQL cluster for the tests of one
// test binary: the Debian server binaries (initdb, pg_ctl, postgres) in a
// temporary directory (in /dev/shm when it has room: creating databases
// there is ~70 times faster than on disk), listening on a unix socket
// only, with trust
// authentication for the user postgres and durability switched off
// (fsync, synchronous_commit, full_page_writes) for speed.
//
// Start returns a DSN for a fresh database on that cluster, one per
// caller. The cluster starts with the first caller and stops with the last
// one (reference counted); a test package whose tests use it one after
// another calls Main from its TestMain so that the cluster lives for the
// whole test binary instead of being started again for every test:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// The result of initdb is cached (in the user's cache directory, or
// $PGTEST_CACHE; PGTEST_CACHE=off disables it) and copied for later test
// binaries, which then start their cluster in ~0.3 s instead of the 1.5–5
// s initdb takes on a loaded 2-core machine; a template that does not
// start is dropped and made again by initdb.
//
// The server never outlives the test binary: a watchdog shell, in its own
// process group, holds the server and stops it (pg_ctl stop -m immediate)
// and removes the cluster directory as soon as the test process closes
// its end of a pipe — on a normal stop, but also when the test binary
// panics, times out, exits early or is killed.
//
// When the process runs as root the cluster belongs to the system user
// postgres (initdb and postgres refuse to run as root): its directory is
// chowned to postgres and the server processes run with postgres's
// credentials. The binaries are looked up in $PGTEST_BINDIR, then
// `pg_config --bindir`, then /usr/lib/postgresql/<version>/bin (the
// newest). When they are missing, Start skips the test with a message
// naming `make setup-system`, which installs Debian's postgresql package.
package pgtest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Port is the port number in the socket name (.s.PGSQL.<Port>); the
// cluster listens on no TCP port at all.
const Port = 5432

// startTimeout bounds initdb and the server's start.
const startTimeout = 60 * time.Second

// watchdog runs (as the cluster's owner) with the cluster directory and
// the binaries' directory as $1 and $2. It starts the server, says
// "ready", then waits for its standard input to end — the test process
// closing the pipe or dying — and stops the server and removes the
// directory. Signals take the same way out.
const watchdog = `
dir=$1; bin=$2
halt() {
	"$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >>"$dir/ctl.log" 2>&1
}
trap 'halt; rm -rf "$dir"; exit 0' HUP INT TERM
"$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >>"$dir/ctl.log" 2>&1 || { halt; exit 1; }
echo ready
read _ignored
halt
rm -rf "$dir"
`

// cluster is the running server of this test binary.
type cluster struct {
	dir     string // temporary directory: data/, sock/, logs
	sock    string
	admin   *sql.DB // connection to the postgres database, for CREATE DATABASE
	stdin   io.WriteCloser
	cmd     *exec.Cmd
	version string
	took    time.Duration // initdb to the first query
	initdb  time.Duration // making the data directory
	cached  bool          // copied from the template
}

var (
	mu      sync.Mutex
	cur     *cluster
	refs    int
	dbCount int
)

// Main runs the tests of m with one cluster for the whole test binary
// (started by the first Start, stopped after the last test) and exits
// with their status. Call it from TestMain.
func Main(m *testing.M) {
	mu.Lock()
	refs++ // held by Main until the tests are done
	mu.Unlock()
	code := m.Run()
	if err := release(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Start returns the DSN of a new, empty database on the test binary's
// PostgreSQL cluster, starting the cluster if needed, in the keyword form
// the pgx driver reads ("host=/…/sock port=5432 user=postgres
// dbname=… sslmode=disable"). The database is dropped when the test
// ends, after the test's later-registered cleanups (close what uses it in
// a cleanup registered after Start, or before the test returns). It skips
// the test when the PostgreSQL binaries are not installed.
func Start(t testing.TB) string {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Skipf("pgtest: %v; run `make setup-system` (installs Debian's postgresql)", err)
	}
	c, name, err := acquire(bin, t)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := release(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	return c.dsn(name)
}

// acquire takes a reference on the cluster, starting it when none runs,
// and names a new database.
func acquire(bin string, t testing.TB) (*cluster, string, error) {
	mu.Lock()
	defer mu.Unlock()
	if cur == nil {
		c, err := startCluster(bin)
		if err != nil {
			return nil, "", err
		}
		cur = c
		how := "initdb"
		if c.cached {
			how = "copy of the cached initdb"
		}
		t.Logf("pgtest: PostgreSQL %s cluster started in %v (%s %v) on %s", c.version,
			c.took.Round(time.Millisecond), how, c.initdb.Round(time.Millisecond), c.sock)
	}
	refs++
	dbCount++
	return cur, dbName(dbCount, t.Name()), nil
}

// StartupTime returns how long the running cluster took to initialise
// and start (0 when none runs).
func StartupTime() time.Duration {
	mu.Lock()
	defer mu.Unlock()
	if cur == nil {
		return 0
	}
	return cur.took
}

func (c *cluster) dsn(db string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", c.sock, Port, db)
}

// dbName makes a valid, unquoted PostgreSQL identifier (at most 63
// bytes) from a counter and a test name.
func dbName(n int, test string) string {
	var b strings.Builder
	b.WriteString("t" + strconv.Itoa(n) + "_")
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 63 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// release drops one reference and stops the cluster with the last one.
func release() error {
	mu.Lock()
	defer mu.Unlock()
	refs--
	if refs > 0 || cur == nil {
		return nil
	}
	c := cur
	cur = nil
	return c.stop()
}

// BinDir returns the directory of the PostgreSQL server binaries, or an
// error saying where they were looked for.
func BinDir() (string, error) {
	var tried []string
	if d := os.Getenv("PGTEST_BINDIR"); d != "" {
		if hasServer(d) {
			return d, nil
		}
		tried = append(tried, d+" ($PGTEST_BINDIR)")
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if hasServer(d) {
			return d, nil
		}
		tried = append(tried, d+" (pg_config --bindir)")
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if hasServer(d) {
			return d, nil
		}
	}
	tried = append(tried, "/usr/lib/postgresql/*/bin")
	return "", fmt.Errorf("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in %s", strings.Join(tried, ", "))
}

// pgVersion is the major version in /usr/lib/postgresql/<v>/bin.
func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func hasServer(dir string) bool {
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// owner returns the credentials the cluster's processes run with: nil
// (the current user) unless the process is root, then postgres's.
func owner() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and the PostgreSQL servers refuse root, but there is no user postgres to run them as (make setup-system installs Debian's postgresql, which creates it): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user postgres has a non-numeric uid %q or gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// settings are appended to the cluster's postgresql.conf.
func settings(sock string) string {
	return fmt.Sprintf(`
# pgtest: a throw-away test cluster on a unix socket only.
listen_addresses = ''
port = %d
unix_socket_directories = '%s'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 150
shared_buffers = 32MB
log_min_messages = warning
`, Port, sock)
}

// startCluster starts a cluster from the cached template when there is
// one, and from a fresh initdb when there is none or it does not start.
func startCluster(bin string) (*cluster, error) {
	c, cached, err := startClusterFrom(bin, true)
	if err != nil && cached {
		if tpl := templateDir(bin); tpl != "" {
			_ = os.RemoveAll(tpl)
		}
		c, _, err = startClusterFrom(bin, false)
	}
	return c, err
}

func startClusterFrom(bin string, useTemplate bool) (c *cluster, cached bool, err error) {
	start := time.Now()
	var cred *syscall.Credential
	cred, err = owner()
	if err != nil {
		return nil, cached, err
	}
	dir, err := os.MkdirTemp(tmpRoot(), "pgtest-")
	if err != nil {
		return nil, cached, fmt.Errorf("create cluster directory: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	sock := filepath.Join(dir, "sock")
	if n := len(sock) + len("/.s.PGSQL.5432"); n > 107 {
		return nil, cached, fmt.Errorf("socket path in %s is %d bytes, more than unix sockets allow (107): set PGTEST_TMP to a shorter directory", dir, n)
	}
	if err := os.Mkdir(sock, 0o700); err != nil {
		return nil, cached, fmt.Errorf("create socket directory: %w", err)
	}
	if cred != nil {
		for _, p := range []string{dir, sock} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, cached, fmt.Errorf("give %s to postgres: %w", p, err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cached, err = initCluster(ctx, bin, filepath.Join(dir, "data"), cred, useTemplate)
	if err != nil {
		return nil, cached, err
	}
	initTook := time.Since(start)
	conf := filepath.Join(dir, "data", "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, cached, fmt.Errorf("configure cluster: %w", err)
	}
	_, err = f.WriteString(settings(sock))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, cached, fmt.Errorf("configure cluster: %w", err)
	}

	cmd := exec.Command("/bin/sh", "-c", watchdog, "pgtest-watchdog", dir, bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	// Its own process group: an interrupt of the terminal's group stops
	// the tests, and the closed pipe then stops the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, cached, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, cached, err
	}
	if err := cmd.Start(); err != nil {
		return nil, cached, fmt.Errorf("start watchdog: %w", err)
	}
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("unexpected %q", line)
		}
		ready <- err
	}()
	select {
	case err = <-ready:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		msg := logs(dir)
		// The watchdog stops whatever started on a signal; SIGKILL only
		// when it does not end.
		_ = stdin.Close()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(startTimeout):
			_ = cmd.Process.Kill()
			<-done
		}
		return nil, cached, fmt.Errorf("start server: %v\n%s", err, msg)
	}
	c = &cluster{dir: dir, sock: sock, stdin: stdin, cmd: cmd, initdb: initTook, cached: cached}
	defer func() {
		if err != nil {
			_ = c.stop()
		}
	}()
	if c.admin, err = sql.Open("pgx", c.dsn("postgres")); err != nil {
		return nil, cached, fmt.Errorf("connect: %w", err)
	}
	c.admin.SetMaxOpenConns(2)
	if err := c.admin.QueryRowContext(ctx, "SHOW server_version").Scan(&c.version); err != nil {
		return nil, cached, fmt.Errorf("query server version: %w\n%s", err, logs(dir))
	}
	c.took = time.Since(start)
	return c, cached, nil
}

// initdbArgs are the options of initdb after -D.
var initdbArgs = []string{"-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"}

// initCluster makes the data directory data: a copy of the cached
// template when there is one (and useTemplate), else by initdb, whose
// result then becomes the template. cached reports a copy.
func initCluster(ctx context.Context, bin, data string, cred *syscall.Credential, useTemplate bool) (cached bool, err error) {
	tpl := templateDir(bin)
	if tpl != "" && useTemplate {
		if _, err := os.Stat(filepath.Join(tpl, "PG_VERSION")); err == nil {
			if err := exec.CommandContext(ctx, "cp", "-a", tpl, data).Run(); err == nil {
				return true, nil
			}
			_ = os.RemoveAll(data)
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), append([]string{"-D", data}, initdbArgs...)...)
	initdb.Dir = filepath.Dir(data)
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return false, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if tpl != "" {
		// Save the template atomically; failing only costs the next
		// binary an initdb.
		tmp := fmt.Sprintf("%s.tmp-%d", tpl, os.Getpid())
		if os.MkdirAll(filepath.Dir(tpl), 0o700) == nil && exec.CommandContext(ctx, "cp", "-a", data, tmp).Run() == nil && os.Rename(tmp, tpl) == nil {
			return false, nil
		}
		_ = os.RemoveAll(tmp)
	}
	return false, nil
}

// templateDir is where the initdb result for these binaries is cached:
// $PGTEST_CACHE (off: no cache), else the user's cache directory, in a
// folder named after the binaries and the initdb options. "" when there
// is no cache.
func templateDir(bin string) string {
	root := os.Getenv("PGTEST_CACHE")
	switch root {
	case "off":
		return ""
	case "":
		d, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		root = filepath.Join(d, "overwatch-pgtest")
	}
	fi, err := os.Stat(filepath.Join(bin, "postgres"))
	if err != nil {
		return ""
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s %d %d %q", bin, fi.Size(), fi.ModTime().UnixNano(), initdbArgs))
	return filepath.Join(root, hex.EncodeToString(h[:8]))
}

// tmpRoot is where the cluster directory goes: $PGTEST_TMP, else
// /dev/shm when it is a writable tmpfs with 1 GiB free (on this kind of
// disk creating a database's few hundred files takes ~0.7 s against
// ~10 ms in memory, and initdb ~3 s against ~0.6 s), else the system's
// temporary directory.
func tmpRoot() string {
	if d := os.Getenv("PGTEST_TMP"); d != "" {
		return d
	}
	const shm = "/dev/shm"
	var st syscall.Statfs_t
	if err := syscall.Statfs(shm, &st); err == nil && st.Bavail*uint64(st.Bsize) >= 1<<30 &&
		syscall.Access(shm, 2 /* W_OK */) == nil {
		return shm
	}
	return os.TempDir()
}

// logs returns the cluster's log files, for error messages.
func logs(dir string) string {
	var b strings.Builder
	for _, n := range []string{"ctl.log", "server.log"} {
		if data, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
			fmt.Fprintf(&b, "--- %s\n%s", n, data)
		}
	}
	return b.String()
}

// stop closes the admin connection and the watchdog's pipe, and waits for
// the watchdog to stop the server and remove the directory.
func (c *cluster) stop() error {
	if c.admin != nil {
		_ = c.admin.Close()
	}
	_ = c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(startTimeout):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
		err = errors.Join(errors.New("watchdog did not stop the server in time"), <-done)
	}
	if err != nil {
		return fmt.Errorf("stop cluster in %s: %w\n%s", c.dir, err, logs(c.dir))
	}
	if _, serr := os.Stat(c.dir); serr == nil {
		return fmt.Errorf("cluster directory %s left behind", c.dir)
	}
	return nil
}
