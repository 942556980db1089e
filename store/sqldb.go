package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// schemaVersion is stored in the index; an index of another version is
// rebuilt from the files on open.
const schemaVersion = "overwatch-sql-2"

// sqliteFile is the SQLite index in the data directory.
const sqliteFile = "overwatch.db"

// EnvPostgresDSN names the environment variable holding the PostgreSQL
// DSN (with its password) when Options.Index is "postgres".
const EnvPostgresDSN = "OVERWATCH_PG_DSN"

// dialect is what differs between the SQL engines: placeholders, a few
// column types and the engine's way of serialising writers. Every query
// is written once, with '?' placeholders.
type dialect struct {
	name string
	// dollar numbers placeholders $1, $2, … (PostgreSQL).
	dollar bool
	// types and clauses substituted into the schema.
	serial, text, real, intKey, clustered string
}

var (
	sqliteDialect = dialect{name: "sqlite", serial: "INTEGER PRIMARY KEY AUTOINCREMENT", text: "TEXT", real: "REAL",
		intKey: "INTEGER", clustered: " WITHOUT ROWID"}
	postgresDialect = dialect{name: "postgres", dollar: true, serial: "BIGSERIAL PRIMARY KEY", text: `TEXT COLLATE "C"`, real: "DOUBLE PRECISION",
		intKey: "BIGINT"}
)

// q rewrites a query written with '?' placeholders for the dialect.
func (d dialect) q(query string) string {
	if !d.dollar || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// schema is the one schema of both engines ({serial}, {text}, {real},
// {intkey} are the dialect's types; {clustered} stores a table in its
// primary key's order on SQLite, as PostgreSQL's B-tree index does
// anyway). Times are integers: Unix seconds for snapshots,
// Unix nanoseconds for trend points and alarm events.
const schema = `
CREATE TABLE IF NOT EXISTS meta (k {text} PRIMARY KEY, v {text} NOT NULL);
CREATE TABLE IF NOT EXISTS runs (run {intkey} PRIMARY KEY, mode {text} NOT NULL);
CREATE TABLE IF NOT EXISTS subsystems (
	run BIGINT NOT NULL, sys {text} NOT NULL, n BIGINT NOT NULL,
	first_t BIGINT NOT NULL, first_seq BIGINT NOT NULL,
	last_t BIGINT NOT NULL, last_seq BIGINT NOT NULL, last_name {text} NOT NULL,
	PRIMARY KEY (run, sys)){clustered};
CREATE TABLE IF NOT EXISTS snapshots (
	id {serial}, run BIGINT NOT NULL, sys {text} NOT NULL, t BIGINT NOT NULL, seq BIGINT NOT NULL,
	name {text} NOT NULL, size BIGINT NOT NULL, origin {text} NOT NULL, writer {text} NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_key ON snapshots (run, sys, t, seq);
CREATE TABLE IF NOT EXISTS dirty (rel {text} NOT NULL, writer {text} NOT NULL, PRIMARY KEY (rel, writer));
CREATE TABLE IF NOT EXISTS trend_points (
	sys {text} NOT NULL, trend {text} NOT NULL, t BIGINT NOT NULL, seq BIGINT NOT NULL,
	run BIGINT NOT NULL, value {real}, err {real}, nan BIGINT NOT NULL,
	PRIMARY KEY (sys, trend, t, seq)){clustered};
CREATE INDEX IF NOT EXISTS trend_points_t ON trend_points (t);
CREATE TABLE IF NOT EXISTS trend_names (sys {text} NOT NULL, trend {text} NOT NULL, PRIMARY KEY (sys, trend)){clustered};
CREATE TABLE IF NOT EXISTS journals (path {text} PRIMARY KEY, off BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS journal_heads (prefix {text} PRIMARY KEY, next BIGINT NOT NULL, base BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS alarms (
	id {text} PRIMARY KEY, sys {text} NOT NULL, trend {text} NOT NULL, state {text} NOT NULL, doc {text} NOT NULL);
CREATE TABLE IF NOT EXISTS alarm_events (
	id {serial}, alarm_id {text} NOT NULL, sys {text} NOT NULL, run BIGINT NOT NULL,
	t BIGINT NOT NULL, h {text} NOT NULL UNIQUE, doc {text} NOT NULL);
CREATE INDEX IF NOT EXISTS alarm_events_alarm ON alarm_events (alarm_id, t);
CREATE INDEX IF NOT EXISTS alarm_events_t ON alarm_events (t);
CREATE TABLE IF NOT EXISTS documents (
	kind {text} NOT NULL, name {text} NOT NULL, version BIGINT NOT NULL, author {text} NOT NULL,
	t BIGINT NOT NULL, comment {text} NOT NULL, deleted BIGINT NOT NULL, body {text} NOT NULL,
	PRIMARY KEY (kind, name, version)){clustered};
CREATE TABLE IF NOT EXISTS leases (
	queue {text} NOT NULL, k {text} NOT NULL, holder {text} NOT NULL, token BIGINT NOT NULL, expires BIGINT NOT NULL,
	PRIMARY KEY (queue, k)){clustered};
CREATE TABLE IF NOT EXISTS outputs (
	path {text} PRIMARY KEY, objkey {text} NOT NULL, size BIGINT NOT NULL, sha256 {text} NOT NULL, mtime BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS output_garbage (objkey {text} PRIMARY KEY, t BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS receiver_status (
	sys {text} PRIMARY KEY, beat BIGINT NOT NULL, run BIGINT NOT NULL, last_data BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS output_garbage_t ON output_garbage (t);
`

// addedColumns are the columns added to the schema's tables after they
// were first released, in order: init adds each one an existing index
// lacks (ALTER TABLE … ADD COLUMN), so an index written by an earlier
// version keeps its data and reads the new column's default. Append new
// columns at the end, never edit one.
var addedColumns = []struct{ table, column, decl string }{
	// A snapshot's accumulation (overwatch.Accumulation): "" for
	// snapshots indexed before it was recorded.
	{"snapshots", "accumulation", "{text} NOT NULL DEFAULT ''"},
}

// tables lists the tables of the schema (in dump and truncation order).
var tables = []string{"meta", "runs", "subsystems", "snapshots", "dirty", "trend_points", "trend_names", "journals", "journal_heads", "alarms", "alarm_events", "documents", "leases", "outputs", "output_garbage", "receiver_status"}

// liveTables hold what the files do not: the leases of the processes at
// work and the receivers' status, valid while they live. A rebuild on
// PostgreSQL, where other machines go on working, neither empties nor
// locks them: a worker's lease outlives the rebuild.
var liveTables = map[string]bool{"leases": true, "receiver_status": true}

// rebuiltTables lists the tables a rebuild on PostgreSQL replaces.
func rebuiltTables() []string {
	var ts []string
	for _, t := range tables {
		if !liveTables[t] {
			ts = append(ts, t)
		}
	}
	return ts
}

func (d dialect) schema() string {
	return strings.NewReplacer("{serial}", d.serial, "{text}", d.text, "{real}", d.real,
		"{intkey}", d.intKey, "{clustered}", d.clustered).Replace(schema)
}

// db is an open SQL index: a writer pool of one connection (every write
// of this process goes through it, so that they queue here instead of
// competing for the engine's lock) and a reader pool.
type db struct {
	d      dialect
	w, r   *sql.DB
	target string // file or DSN without password, for messages
}

func (x *db) close() error {
	err := x.w.Close()
	if x.r != x.w {
		if rerr := x.r.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// sqliteDSN is the DSN of the SQLite file p: WAL (readers never block the
// writer, several processes share the file), a busy timeout for writers
// of other processes, immediate write transactions (no deadlock between
// two read-then-write transactions), foreign keys on. bulk selects the
// settings of a rebuild into a fresh file nobody else has open.
func sqliteDSN(p string, busy time.Duration, bulk bool) string {
	v := url.Values{}
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	v.Add("_pragma", "foreign_keys(1)")
	if bulk {
		v.Add("_pragma", "journal_mode(OFF)")
		v.Add("_pragma", "synchronous(OFF)")
	} else {
		v.Add("_pragma", "journal_mode(WAL)")
		v.Add("_pragma", "synchronous(NORMAL)")
		// After a checkpoint the log is cut back to this size: it grows
		// while readers hold old snapshots, and would stay that large.
		v.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	}
	v.Add("_txlock", "immediate")
	return "file:" + p + "?" + v.Encode()
}

// walSizeLimit bounds the SQLite write-ahead log kept after a checkpoint.
const walSizeLimit = 16 << 20

// checkpoint moves the SQLite write-ahead log into the database and
// truncates it (after retention deleted many rows, so that the log does
// not keep their pages); nothing on PostgreSQL, whose autovacuum does
// that work. A checkpoint that readers hold back is retried by the next.
func (x *db) checkpoint(ctx context.Context, log *slog.Logger) {
	if x.d.name != "sqlite" {
		return
	}
	var busy, pages, moved int
	if err := x.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &pages, &moved); err != nil {
		log.Warn("store: index checkpoint failed", "err", err)
		return
	}
	if busy != 0 {
		log.Debug("store: index checkpoint held back by readers", "pages", pages, "moved", moved)
	}
}

// openSQLite opens (creating) the SQLite index file p.
func openSQLite(p string, busy time.Duration, bulk bool) (*db, error) {
	dsn := sqliteDSN(p, busy, bulk)
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open index %s: %w", p, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	x := &db{d: sqliteDialect, w: w, r: w, target: p}
	if !bulk {
		r, err := sql.Open("sqlite", dsn)
		if err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("store: open index %s: %w", p, err)
		}
		r.SetMaxOpenConns(4)
		r.SetMaxIdleConns(4)
		x.r = r
	}
	if err := x.init(context.Background()); err != nil {
		_ = x.close()
		return nil, err
	}
	return x, nil
}

// openPostgres opens the PostgreSQL index at dsn.
func openPostgres(dsn string) (*db, error) {
	w, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open PostgreSQL index: %w", err)
	}
	w.SetMaxOpenConns(8) // one of them listens for announcements
	w.SetMaxIdleConns(8)
	x := &db{d: postgresDialect, w: w, r: w, target: redactDSN(dsn)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := x.init(ctx); err != nil {
		_ = w.Close()
		return nil, err
	}
	return x, nil
}

// redactDSN drops the password of a DSN for messages.
func redactDSN(dsn string) string {
	if !strings.Contains(dsn, "://") {
		var keep []string
		for _, f := range strings.Fields(dsn) {
			if !strings.HasPrefix(f, "password=") {
				keep = append(keep, f)
			}
		}
		return strings.Join(keep, " ")
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "postgres"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.Redacted()
}

// init creates the schema (idempotent). Concurrent first opens of a
// PostgreSQL database serialise on an advisory lock.
func (x *db) init(ctx context.Context) error {
	conn, err := x.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: connect to index %s: %w", x.target, err)
	}
	defer conn.Close()
	if x.d.dollar {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7710451)"); err != nil {
			return fmt.Errorf("store: lock index %s for schema creation: %w", x.target, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7710451)") //nolint:errcheck
	}
	for _, stmt := range strings.Split(x.d.schema(), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("store: create schema of index %s: %w", x.target, err)
		}
	}
	for _, c := range addedColumns {
		if err := x.addColumn(ctx, conn, c.table, c.column, c.decl); err != nil {
			return err
		}
	}
	return nil
}

// addColumn adds a column to a table unless it has it. Another process
// adding it at the same moment (SQLite has no ADD COLUMN IF NOT EXISTS)
// is not an error: the column is there afterwards.
func (x *db) addColumn(ctx context.Context, conn *sql.Conn, table, column, decl string) error {
	has := func() bool {
		rows, err := conn.QueryContext(ctx, "SELECT "+column+" FROM "+table+" WHERE 1 = 0")
		if err != nil {
			return false
		}
		_ = rows.Close()
		return true
	}
	if has() {
		return nil
	}
	decl = strings.NewReplacer("{text}", x.d.text, "{real}", x.d.real).Replace(decl)
	if _, err := conn.ExecContext(ctx, "ALTER TABLE "+table+" ADD COLUMN "+column+" "+decl); err != nil && !has() {
		return fmt.Errorf("store: add column %s.%s to index %s: %w", table, column, x.target, err)
	}
	return nil
}

// meta reads a meta value ("" when absent).
func (x *db) meta(ctx context.Context, k string) (string, error) {
	var v string
	err := x.r.QueryRowContext(ctx, x.d.q("SELECT v FROM meta WHERE k = ?"), k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read index %s: %w", x.target, err)
	}
	return v, nil
}

// execer is what *sql.DB, *sql.Conn and *sql.Tx share.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (x *db) setMeta(ctx context.Context, e execer, k, v string) error {
	_, err := e.ExecContext(ctx, x.d.q("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"), k, v)
	if err != nil {
		return fmt.Errorf("store: write index %s: %w", x.target, err)
	}
	return nil
}

// tx runs fn in a write transaction, committed when fn returns nil.
func (x *db) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := x.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin index transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit index transaction: %w", err)
	}
	return nil
}

// truncate empties every table (a rebuild into a live PostgreSQL index).
func (x *db) truncate(ctx context.Context, e execer) error {
	for _, t := range rebuiltTables() {
		if _, err := e.ExecContext(ctx, "DELETE FROM "+t); err != nil {
			return fmt.Errorf("store: empty index table %s: %w", t, err)
		}
	}
	return nil
}

// engineFor resolves Options.Index: "" or "sqlite" is the SQLite file of
// the data directory, "postgres" the DSN of $OVERWATCH_PG_DSN, and a
// postgres:// or postgresql:// URL that DSN itself.
func engineFor(index string) (kind, dsn string, err error) {
	switch {
	case index == "" || index == "sqlite":
		return "sqlite", "", nil
	case index == "postgres":
		dsn = os.Getenv(EnvPostgresDSN)
		if dsn == "" {
			return "", "", fmt.Errorf("store: index engine postgres: $%s is empty (want a postgres:// DSN)", EnvPostgresDSN)
		}
		return "postgres", dsn, nil
	case strings.HasPrefix(index, "postgres://") || strings.HasPrefix(index, "postgresql://"):
		return "postgres", index, nil
	case strings.Contains(index, "=") && (strings.Contains(index, "dbname=") || strings.Contains(index, "host=")):
		return "postgres", index, nil // keyword/value DSN: "host=… dbname=…"
	}
	return "", "", fmt.Errorf("store: index engine: want sqlite, postgres or a PostgreSQL DSN (postgres://… or host=… dbname=…), got %q", redactDSN(index))
}
