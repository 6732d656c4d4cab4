package history

import (
	"context"
	"database/sql"
	"net/url"
	"strconv"
	"strings"
)

// dialect is the SQL flavour of a store's database. The queries are written
// once, with '?' placeholders and portable SQL; the few statements that
// differ pick their text by dialect, and migrations may have a file per
// dialect.
type dialect string

const (
	sqliteDialect   dialect = "sqlite"
	postgresDialect dialect = "postgres"
)

// IsPostgresURL reports whether store names a PostgreSQL database rather
// than an SQLite file.
func IsPostgresURL(store string) bool {
	return strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://")
}

// DisplayStore returns store fit for a log line, an error or a page: a
// PostgreSQL URL loses its password (and a password= query parameter).
func DisplayStore(store string) string {
	if !IsPostgresURL(store) {
		return store
	}
	u, err := url.Parse(store)
	if err != nil {
		// An unparsable URL may still hold a password: show only the scheme.
		scheme, _, _ := strings.Cut(store, "://")
		return scheme + "://(unparsable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// StorePassword returns the password a PostgreSQL URL carries ("" for a
// file or a URL without one), so a redactor can learn it and errors from
// the driver can be scrubbed of it.
func StorePassword(store string) string {
	if !IsPostgresURL(store) {
		return ""
	}
	u, err := url.Parse(store)
	if err != nil {
		return ""
	}
	if p, ok := u.User.Password(); ok {
		return p
	}
	return u.Query().Get("password")
}

// rebind turns '?' placeholders into PostgreSQL's $1, $2, ... No query of
// this package has a '?' inside a string literal.
func (d dialect) rebind(q string) string {
	if d != postgresDialect || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// db is a *sql.DB that speaks the store's dialect.
type db struct {
	*sql.DB
	d dialect
}

func (x *db) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return x.DB.ExecContext(ctx, x.d.rebind(q), args...)
}

func (x *db) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return x.DB.QueryContext(ctx, x.d.rebind(q), args...)
}

func (x *db) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return x.DB.QueryRowContext(ctx, x.d.rebind(q), args...)
}

func (x *db) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	t, err := x.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{Tx: t, d: x.d}, nil
}

// txn is a *sql.Tx that speaks the store's dialect.
type txn struct {
	*sql.Tx
	d dialect
}

func (x *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return x.Tx.ExecContext(ctx, x.d.rebind(q), args...)
}

func (x *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return x.Tx.QueryContext(ctx, x.d.rebind(q), args...)
}

func (x *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return x.Tx.QueryRowContext(ctx, x.d.rebind(q), args...)
}

func (x *txn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return x.Tx.PrepareContext(ctx, x.d.rebind(q))
}

// b2i stores a bool as 0/1: the schema keeps flags as integers in both
// dialects, and pgx will not encode a Go bool into an integer column.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
