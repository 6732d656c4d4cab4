// Package history is the monitor's durable memory: runs, their checks and
// drift events, alert state and the vendor spec versions seen by the
// spec-watch job, in one SQLite file (pure Go, modernc.org/sqlite) or in a
// PostgreSQL database (github.com/jackc/pgx/v5) shared by several monitor
// replicas. One concrete Store serves both: the queries are written once and
// differ by dialect only where the SQL does (see dialect.go); migrations are
// one numbered sequence with a file per dialect where needed.
//
// For SQLite:
// The store is built so that a kill -9 at any moment loses at most the run in
// flight and never corrupts the file:
//   - WAL journal with synchronous=FULL: every commit is on disk before it
//     returns. NORMAL would already survive a process kill (the WAL is in the
//     OS page cache), but it can drop the last commits on power loss; the
//     monitor commits a handful of transactions per run, so the fsync per
//     commit costs nothing measurable and buys the same guarantee for a host
//     crash.
//   - a run is opened by BeginRun and finished by FinishRun in one
//     transaction (run row, checks and drift events together), so a run is
//     either complete or still marked in flight;
//   - Open marks runs left in flight by a dead process as verdict "error",
//     error "interrupted". An advisory lock file next to the store makes sure
//     the runs it marks are not in flight in another live monitor.
//
// For PostgreSQL there is no lock: several monitor replicas share one
// database. Leases (lease.go) decide which replica schedules each job, and
// the replica taking a job over marks its runs left in flight interrupted.
//
// For SQLite, all writes go through one connection (SQLite has one writer anyway; a single
// connection turns lock contention into queueing), reads use a small pool of
// query-only connections so the HTML pages and `mmcontract history` never
// wait for a write.
package history

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrLocked is returned by Open when another process holds the store open
// for writing.
var ErrLocked = errors.New("history store is locked by another process (is a monitor running?)")

// ErrReadOnly is returned by write methods of a store opened with ReadOnly.
var ErrReadOnly = errors.New("history store is open read-only")

// ErrNotFound is returned when a run does not exist.
var ErrNotFound = errors.New("not found")

// busyTimeout bounds how long a statement waits for a lock held by another
// connection (a reader checkpointing, a second process reading).
const busyTimeout = 10 * time.Second

// Option configures Open.
type Option func(*options)

type options struct {
	redactor *redact.Redactor
	now      func() time.Time
	readOnly bool
	replica  string
}

// WithRedactor applies r.Text to every free-text field written (run errors,
// check messages, spec reasons). Callers redact before storing; this is the
// second line of defence.
func WithRedactor(r *redact.Redactor) Option { return func(o *options) { o.redactor = r } }

// WithClock replaces time.Now, for the interrupted-run marker and Prune.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// ReadOnly opens an existing store for reading only: no migration, no crash
// recovery, no lock. It is what `mmcontract history` uses next to a running
// monitor.
func ReadOnly() Option { return func(o *options) { o.readOnly = true } }

// Store is the history database. Its methods are safe for concurrent use.
type Store struct {
	path      string // a file path, or a PostgreSQL URL
	dialect   dialect
	w         *db // nil when read-only
	r         *db
	lock      *os.File
	redactor  *redact.Redactor
	now       func() time.Time
	recovered int
	password  string // of a PostgreSQL URL, scrubbed from driver errors
	replica   string // carried by leases, outbox claims and fenced writes
}

// Open opens (creating it and its folder when missing) the store at path,
// applies pending migrations and marks runs left in flight by a crash as
// interrupted.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.replica == "" {
		o.replica = NewReplicaID()
	}
	if path == "" {
		return nil, errors.New("history: empty store path")
	}
	if IsPostgresURL(path) {
		return openPostgres(ctx, path, o)
	}
	if strings.ContainsAny(path, "?#") {
		// The path goes into a file: URI; these would start its query.
		return nil, fmt.Errorf("history: store path %q must not contain '?' or '#'", path)
	}
	s := &Store{path: path, dialect: sqliteDialect, redactor: o.redactor, now: o.now, replica: o.replica}
	if o.readOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("history: open %s: %w", path, err)
		}
		r, err := openDB(path, true)
		if err != nil {
			return nil, err
		}
		s.r = r
		if err := s.checkSchema(ctx); err != nil {
			_ = r.Close()
			return nil, err
		}
		return s, nil
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("history: create folder for %s: %w", path, err)
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("history: %s: %w", path, err)
	}
	s.lock = lock
	fail := func(err error) (*Store, error) {
		_ = s.closeDBs()
		_ = unlockFile(lock)
		return nil, err
	}
	if s.w, err = openDB(path, false); err != nil {
		return fail(err)
	}
	if err := s.migrate(ctx); err != nil {
		return fail(err)
	}
	if s.r, err = openDB(path, true); err != nil {
		return fail(err)
	}
	if err := s.recoverInterrupted(ctx); err != nil {
		return fail(err)
	}
	if err := s.releaseClaims(ctx); err != nil {
		return fail(err)
	}
	return s, nil
}

// openDB opens one side of the store. The writer has exactly one connection
// and starts its transactions IMMEDIATE, taking the write lock up front rather
// than failing with SQLITE_BUSY on a read-to-write upgrade.
func openDB(path string, reader bool) (*db, error) {
	q := []string{
		"_pragma=busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + ")",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(FULL)",
	}
	if reader {
		q = append(q, "_pragma=query_only(1)")
	} else {
		q = append(q, "_pragma=journal_mode(WAL)", "_txlock=immediate")
	}
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+strings.Join(q, "&"))
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	if reader {
		sdb.SetMaxOpenConns(4)
		sdb.SetMaxIdleConns(4)
	} else {
		sdb.SetMaxOpenConns(1)
		sdb.SetMaxIdleConns(1)
	}
	sdb.SetConnMaxIdleTime(0)
	return &db{DB: sdb, d: sqliteDialect}, nil
}

// Path returns the store's file path, or its PostgreSQL URL without the
// password; run output folders of an SQLite store live beside it.
func (s *Store) Path() string { return DisplayStore(s.path) }

// Postgres reports whether the store is a PostgreSQL database, which
// several monitor replicas may share.
func (s *Store) Postgres() bool { return s.dialect == postgresDialect }

// Recovered returns how many runs Open found in flight and marked interrupted.
func (s *Store) Recovered() int { return s.recovered }

// Close checkpoints the WAL into the main file and closes the store. It is
// what "flushes the store" on monitor shutdown.
func (s *Store) Close() error {
	var errs []error
	if s.w != nil {
		if err := s.releaseClaims(context.Background()); err != nil {
			errs = append(errs, err)
		}
	}
	if s.w != nil && s.dialect == sqliteDialect {
		if _, err := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, fmt.Errorf("history: checkpoint: %w", err))
		}
	}
	if err := s.closeDBs(); err != nil {
		errs = append(errs, err)
	}
	if err := unlockFile(s.lock); err != nil {
		errs = append(errs, fmt.Errorf("history: release lock: %w", err))
	}
	s.lock = nil
	return errors.Join(errs...)
}

func (s *Store) closeDBs() error {
	var errs []error
	closed := map[*db]bool{}
	for _, x := range []*db{s.r, s.w} {
		if x != nil && !closed[x] {
			closed[x] = true
			if err := x.Close(); err != nil {
				errs = append(errs, fmt.Errorf("history: close: %w", err))
			}
		}
	}
	s.r, s.w = nil, nil
	return errors.Join(errs...)
}

// IntegrityCheck runs SQLite's integrity_check and returns an error unless it
// reports "ok". PostgreSQL guards its own files; there it checks that the
// server answers.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	if s.dialect == postgresDialect {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("history: ping: %w", s.scrub(err))
		}
		return nil
	}
	rows, err := s.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("history: integrity_check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("history: integrity_check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("history: integrity_check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("history: integrity_check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// migration is one numbered schema change. A change whose SQL is the same
// for both dialects is one file, NNNN_name.sql; one that differs has a file
// per dialect, NNNN_name.sqlite.sql and NNNN_name.postgres.sql. Both stores
// therefore walk the same version numbers.
type migration struct {
	version int
	name    string
	sql     map[dialect]string // "" key: the file shared by every dialect
}

// sqlFor returns the migration's SQL for d.
func (m migration) sqlFor(d dialect) (string, error) {
	if q, ok := m.sql[d]; ok {
		return q, nil
	}
	if q, ok := m.sql[""]; ok {
		return q, nil
	}
	return "", fmt.Errorf("history: migration %s has no %s file", m.name, d)
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("history: read migrations: %w", err)
	}
	byVersion := map[int]*migration{}
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(rest, ".sql") {
			return nil, fmt.Errorf("history: migration %q: name must be NNNN_name[.dialect].sql", name)
		}
		base, d := strings.TrimSuffix(rest, ".sql"), dialect("")
		if stem, suffix, ok := strings.Cut(base, "."); ok {
			base, d = stem, dialect(suffix)
			if d != sqliteDialect && d != postgresDialect {
				return nil, fmt.Errorf("history: migration %q: unknown dialect %q", name, suffix)
			}
		}
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("history: read migration %s: %w", name, err)
		}
		m := byVersion[v]
		if m == nil {
			m = &migration{version: v, name: num + "_" + base, sql: map[dialect]string{}}
			byVersion[v] = m
		}
		if m.name != num+"_"+base {
			return nil, fmt.Errorf("history: migration %d has two names: %s and %s", v, m.name, num+"_"+base)
		}
		m.sql[d] = string(body)
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := range out {
		if out[i].version != i+1 {
			return nil, fmt.Errorf("history: migrations are not numbered 1..n: %s", out[i].name)
		}
		for _, d := range []dialect{sqliteDialect, postgresDialect} {
			if _, err := out[i].sqlFor(d); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// schemaVersion is the highest migration this binary knows.
func schemaVersion() (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	return len(ms), nil
}

// migrationLock is the PostgreSQL advisory lock key that serialises
// replicas starting at once against the same database.
const migrationLock = 0x6d6d6331 // "mmc1"

// migrate applies every pending migration, each in its own transaction
// together with its schema_migrations row, so a crash mid-migration leaves
// the previous version intact. On PostgreSQL each transaction first takes an
// advisory lock and re-reads the version, so two replicas starting together
// apply each migration once.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("history: create schema_migrations: %w", s.scrub(err))
	}
	for {
		done := false
		var applied string
		err := s.tx(ctx, func(tx *txn) error {
			if s.dialect == postgresDialect {
				if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLock); err != nil {
					return err
				}
			}
			var current int
			if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if current > len(ms) {
				return fmt.Errorf("%s has schema version %d, newer than this binary's %d; use a newer mmcontract", s.Path(), current, len(ms))
			}
			if current == len(ms) {
				done = true
				return nil
			}
			m := ms[current]
			applied = m.name
			q, err := m.sqlFor(s.dialect)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.name, err)
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, s.now().UnixNano())
			return err
		})
		if err != nil && applied != "" {
			return fmt.Errorf("history: migration %s: %w", applied, s.scrub(err))
		}
		if err != nil {
			return fmt.Errorf("history: %w", s.scrub(err))
		}
		if done {
			return nil
		}
	}
}

// checkSchema refuses a read-only open of a store this binary cannot read.
func (s *Store) checkSchema(ctx context.Context) error {
	want, err := schemaVersion()
	if err != nil {
		return err
	}
	var got int
	if err := s.r.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&got); err != nil {
		return fmt.Errorf("history: read schema version of %s: %w", s.Path(), s.scrub(err))
	}
	if got != want {
		return fmt.Errorf("history: %s has schema version %d, this binary reads %d; open it once read-write (start the monitor) to migrate", s.Path(), got, want)
	}
	return nil
}

// recoverInterrupted marks runs a dead process left in flight. Holding the
// lock proves no live process owns them.
func (s *Store) recoverInterrupted(ctx context.Context) error {
	res, err := s.w.ExecContext(ctx,
		`UPDATE runs SET finished_at = ?, verdict = 'error', error = ?, exit_code = ?
		 WHERE finished_at IS NULL`, s.now().UnixNano(), Interrupted, verdict.ExitHarness)
	if err != nil {
		return fmt.Errorf("history: mark interrupted runs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("history: mark interrupted runs: %w", err)
	}
	s.recovered = int(n)
	return nil
}

// tx runs fn in a write transaction.
func (s *Store) tx(ctx context.Context, fn func(*txn) error) error {
	if s.w == nil {
		return ErrReadOnly
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// text redacts a free-text value on its way into the store.
func (s *Store) text(v string) string {
	if s.redactor == nil || v == "" {
		return v
	}
	return s.redactor.Text(v)
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
