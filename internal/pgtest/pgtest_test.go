package pgtest_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	if os.Getenv("PGTEST_CRASH_HELPER") != "" {
		crashHelper()
		return
	}
	pgtest.Main(m)
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestStartQuery(t *testing.T) {
	dsn := pgtest.Start(t)
	t.Logf("startup %v", pgtest.StartupTime())
	assert.Contains(t, dsn, "host=/")
	assert.Contains(t, dsn, "user=postgres")
	db := open(t, dsn)
	ctx := context.Background()
	var n int
	var version, dbname string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT 1 + $1::int, current_setting('server_version'), current_database()", 41).Scan(&n, &version, &dbname))
	assert.Equal(t, 42, n)
	assert.Contains(t, dsn, "dbname="+dbname)
	t.Logf("server %s, database %s", version, dbname)

	var listen, fsync string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT current_setting('listen_addresses'), current_setting('fsync')").Scan(&listen, &fsync))
	assert.Equal(t, "", listen, "unix socket only")
	assert.Equal(t, "off", fsync)
}

// Every caller gets its own empty database on the one cluster.
func TestFreshDatabasePerCaller(t *testing.T) {
	dsnA, dsnB := pgtest.Start(t), pgtest.Start(t)
	require.NotEqual(t, dsnA, dsnB)
	a, b := open(t, dsnA), open(t, dsnB)
	ctx := context.Background()
	_, err := a.ExecContext(ctx, "CREATE TABLE runs (n int PRIMARY KEY)")
	require.NoError(t, err)
	_, err = a.ExecContext(ctx, "INSERT INTO runs VALUES (1), (2)")
	require.NoError(t, err)
	var count int
	require.NoError(t, a.QueryRowContext(ctx, "SELECT count(*) FROM runs").Scan(&count))
	assert.Equal(t, 2, count)
	_, err = b.ExecContext(ctx, "SELECT count(*) FROM runs")
	require.Error(t, err, "the other database has no table runs")

	// Transactions and LISTEN/NOTIFY work (the store uses both).
	tx, err := a.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	require.NoError(t, err)
	_, err = tx.ExecContext(ctx, "INSERT INTO runs VALUES (3)")
	require.NoError(t, err)
	require.NoError(t, tx.Rollback())
	require.NoError(t, a.QueryRowContext(ctx, "SELECT count(*) FROM runs").Scan(&count))
	assert.Equal(t, 2, count)
}

// Parallel tests share the cluster, each with its own database.
func TestParallelCallers(t *testing.T) {
	for i := 0; i < 4; i++ {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			db := open(t, pgtest.Start(t))
			_, err := db.Exec("CREATE TABLE mine (n int)")
			require.NoError(t, err, "a fresh database: no table yet")
			_, err = db.Exec("INSERT INTO mine VALUES ($1)", i)
			require.NoError(t, err)
			var n int
			require.NoError(t, db.QueryRow("SELECT sum(n) FROM mine").Scan(&n))
			assert.Equal(t, i, n)
		})
	}
}

func TestDatabaseNames(t *testing.T) {
	for _, name := range []string{"TestA/sub test#1", strings.Repeat("X", 100), "Ünïcode/名前"} {
		t.Run(name, func(t *testing.T) {
			dsn := pgtest.Start(t)
			db := open(t, dsn)
			var one int
			require.NoError(t, db.QueryRow("SELECT 1").Scan(&one))
		})
	}
}

// The server never outlives the test binary: a binary that starts a
// cluster and then dies without any cleanup (os.Exit from a test, a panic,
// a timeout, SIGKILL) leaves no postgres process and no directory.
func TestNoServerLeftWhenTheBinaryDies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two more clusters; skipped with -short")
	}
	if _, err := pgtest.BinDir(); err != nil {
		t.Skipf("pgtest: %v; run `make setup-system`", err)
	}
	for _, how := range []string{"exit", "kill"} {
		t.Run(how, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run", "^$")
			cmd.Env = append(os.Environ(), "PGTEST_CRASH_HELPER="+how)
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = os.Stderr
			require.NoError(t, cmd.Start())
			line, rerr := bufio.NewReader(out).ReadString('\n')
			if how == "kill" {
				_ = cmd.Process.Kill()
			}
			werr := cmd.Wait()
			require.NoError(t, rerr, "helper output")
			var exitErr *exec.ExitError
			require.True(t, errors.As(werr, &exitErr), "the helper dies: %v", werr)
			fields := strings.Fields(line)
			require.Len(t, fields, 2, "helper said %q", line)
			pid, err := strconv.Atoi(fields[0])
			require.NoError(t, err)
			dir := fields[1]
			require.Eventually(t, func() bool {
				return syscall.Kill(pid, 0) != nil
			}, 30*time.Second, 20*time.Millisecond, "postmaster %d still running", pid)
			require.Eventually(t, func() bool {
				_, err := os.Stat(dir)
				return err != nil
			}, 10*time.Second, 20*time.Millisecond, "cluster directory %s left behind", dir)
		})
	}
}

// A broken cached template makes no test fail: the cluster falls back to
// initdb and the template is made again.
func TestBrokenTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three more clusters; skipped with -short")
	}
	if _, err := pgtest.BinDir(); err != nil {
		t.Skipf("pgtest: %v; run `make setup-system`", err)
	}
	cache := t.TempDir()
	run := func() {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run", "^$")
		cmd.Env = append(os.Environ(), "PGTEST_CRASH_HELPER=query", "PGTEST_CACHE="+cache)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	run() // makes the template
	ents, err := os.ReadDir(cache)
	require.NoError(t, err)
	require.Len(t, ents, 1, "one template")
	tpl := filepath.Join(cache, ents[0].Name())
	require.FileExists(t, filepath.Join(tpl, "PG_VERSION"))
	require.NoError(t, os.RemoveAll(filepath.Join(tpl, "global"))) // break it
	run()
	require.DirExists(t, filepath.Join(tpl, "global"), "the template was made again")
	run() // from the new template
}

// crashHelper starts a cluster, prints its postmaster's pid and directory
// and dies: by os.Exit ("exit"), or blocked until the parent kills it.
func crashHelper() {
	how := os.Getenv("PGTEST_CRASH_HELPER")
	t := &helperTB{}
	dsn := pgtest.Start(t)
	sock := strings.TrimPrefix(strings.Fields(dsn)[0], "host=")
	dir := filepath.Dir(sock)
	pidFile, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Printf("%s %s\n", strings.SplitN(string(pidFile), "\n", 2)[0], dir)
	if how == "query" {
		db, err := sql.Open("pgx", dsn)
		if err == nil {
			err = db.QueryRow("SELECT 1").Scan(new(int))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		_ = db.Close()
		os.Exit(0)
	}
	if how == "exit" {
		os.Exit(1)
	}
	select {}
}

// helperTB is the testing.TB of the crash helper, outside any test.
type helperTB struct{ testing.TB }

func (*helperTB) Helper()               {}
func (*helperTB) Name() string          { return "crash" }
func (*helperTB) Cleanup(func())        {}
func (*helperTB) Logf(string, ...any)   {}
func (*helperTB) Errorf(string, ...any) {}
func (*helperTB) Fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, f+"\n", a...)
	os.Exit(3)
}
func (*helperTB) Skipf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, f+"\n", a...)
	os.Exit(3)
}
