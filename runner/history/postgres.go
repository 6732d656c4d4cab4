package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// pgMaxConns bounds one replica's connections: the scheduler, the outbox
// senders, the lease keeper and the web pages share them.
const pgMaxConns = 8

// writerLock is the session advisory lock a read-write store holds on a
// dedicated connection for its lifetime: the PostgreSQL counterpart of the
// SQLite lock file. The server drops it when the session ends, also when the
// process is killed (the socket closes), so holding it proves no other live
// monitor owns the runs Open marks interrupted.
const writerLock = 0x6d6d6332 // "mmc2"

// openPostgres opens a store on the PostgreSQL database at url, applies
// pending migrations and, holding writerLock, marks runs a dead monitor left
// in flight as interrupted.
func openPostgres(ctx context.Context, url string, o options) (*Store, error) {
	s := &Store{path: url, dialect: postgresDialect, redactor: o.redactor, now: o.now, password: StorePassword(url)}
	sdb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", s.Path(), s.scrub(err))
	}
	sdb.SetMaxOpenConns(pgMaxConns)
	sdb.SetMaxIdleConns(pgMaxConns)
	x := &db{DB: sdb, d: postgresDialect}
	s.r = x
	if err := x.PingContext(ctx); err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("history: connect to %s: %w", s.Path(), s.scrub(err))
	}
	if o.readOnly {
		if err := s.checkSchema(ctx); err != nil {
			_ = sdb.Close()
			return nil, err
		}
		return s, nil
	}
	s.w = x
	fail := func(err error) (*Store, error) {
		_ = s.closeDBs()
		return nil, err
	}
	conn, err := sdb.Conn(ctx)
	if err != nil {
		return fail(fmt.Errorf("history: connect to %s: %w", s.Path(), s.scrub(err)))
	}
	s.lockConn = conn
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", writerLock).Scan(&got); err != nil {
		return fail(fmt.Errorf("history: lock %s: %w", s.Path(), s.scrub(err)))
	}
	if !got {
		return fail(fmt.Errorf("history: %s: %w", s.Path(), ErrLocked))
	}
	if err := s.migrate(ctx); err != nil {
		return fail(err)
	}
	if err := s.recoverInterrupted(ctx); err != nil {
		return fail(err)
	}
	return s, nil
}

// scrub removes the store URL's password from a driver error, which may
// quote the connection string it failed on. The chain is kept (errors.Is
// still works) only when nothing needed removing.
func (s *Store) scrub(err error) error {
	if err == nil || s.password == "" || !strings.Contains(err.Error(), s.password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), s.password, "xxxxx"))
}
