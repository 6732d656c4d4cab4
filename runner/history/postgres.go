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

// openPostgres opens a store on the PostgreSQL database at url and applies
// pending migrations. Unlike SQLite it takes no lock and marks nothing
// interrupted: several replicas share the database, and the runs in flight
// may be another live replica's. The replica that takes a job's lease over
// marks that job's runs left in flight (InterruptRuns).
func openPostgres(ctx context.Context, url string, o options) (*Store, error) {
	s := &Store{path: url, dialect: postgresDialect, redactor: o.redactor, now: o.now, password: StorePassword(url),
		replica: o.replica}
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
	if err := s.migrate(ctx); err != nil {
		_ = s.closeDBs()
		return nil, err
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
