package history

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// SpecVersion is one distinct content of a watched vendor spec source.
type SpecVersion struct {
	Source      string // file path or URL, as configured
	Hash        string // lowercase hex SHA-256 of Content
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	Valid       bool   // a usable OpenAPI document
	Reason      string // why it is not valid
	Content     []byte
}

// greatest is the two-argument maximum: SQLite overloads MAX.
var greatest = map[dialect]string{sqliteDialect: "MAX", postgresDialect: "GREATEST"}

// PutSpecVersion records that source served content at fetchedAt. A content
// already stored for source only moves its LastSeenAt; created reports whether
// it is new. The returned version carries the stored first-seen time.
func (s *Store) PutSpecVersion(ctx context.Context, source string, content []byte, valid bool, reason string,
	fetchedAt time.Time) (v SpecVersion, created bool, err error) {
	sum := sha256.Sum256(content)
	v = SpecVersion{Source: source, Hash: hex.EncodeToString(sum[:]), FirstSeenAt: fetchedAt.UTC(),
		LastSeenAt: fetchedAt.UTC(), Valid: valid, Reason: s.text(reason), Content: content}
	err = s.tx(ctx, func(tx *txn) error {
		var (
			first int64
			ok    bool
			rsn   string
		)
		err := tx.QueryRowContext(ctx, "SELECT first_seen_at, valid, reason FROM spec_versions WHERE source = ? AND hash = ?",
			source, v.Hash).Scan(&first, &ok, &rsn)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			_, err = tx.ExecContext(ctx, `INSERT INTO spec_versions
				(source, hash, first_seen_at, last_seen_at, valid, reason, content) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				source, v.Hash, nanos(fetchedAt), nanos(fetchedAt), b2i(valid), v.Reason, content)
			return err
		case err != nil:
			return err
		}
		// Same bytes, same verdict: the stored validity stands.
		v.FirstSeenAt, v.Valid, v.Reason = fromNanos(first), ok, rsn
		_, err = tx.ExecContext(ctx, "UPDATE spec_versions SET last_seen_at = "+greatest[s.dialect]+"(last_seen_at, ?) WHERE source = ? AND hash = ?",
			nanos(fetchedAt), source, v.Hash)
		return err
	})
	if err != nil {
		return SpecVersion{}, false, fmt.Errorf("history: put spec version of %s: %w", source, err)
	}
	return v, created, nil
}

// LatestSpecVersion returns the version of source seen last, valid or not.
func (s *Store) LatestSpecVersion(ctx context.Context, source string) (SpecVersion, bool, error) {
	return s.latestSpec(ctx, source, false)
}

// LatestValidSpecVersion returns the valid version of source seen last: the
// one a new publish is diffed against.
func (s *Store) LatestValidSpecVersion(ctx context.Context, source string) (SpecVersion, bool, error) {
	return s.latestSpec(ctx, source, true)
}

func (s *Store) latestSpec(ctx context.Context, source string, validOnly bool) (SpecVersion, bool, error) {
	q := "SELECT hash, first_seen_at, last_seen_at, valid, reason, content FROM spec_versions WHERE source = ?"
	if validOnly {
		q += " AND valid = 1"
	}
	q += " ORDER BY last_seen_at DESC, id DESC LIMIT 1"
	v := SpecVersion{Source: source}
	var first, last int64
	err := s.r.QueryRowContext(ctx, q, source).Scan(&v.Hash, &first, &last, &v.Valid, &v.Reason, &v.Content)
	if errors.Is(err, sql.ErrNoRows) {
		return SpecVersion{}, false, nil
	}
	if err != nil {
		return SpecVersion{}, false, fmt.Errorf("history: latest spec version of %s: %w", source, err)
	}
	v.FirstSeenAt, v.LastSeenAt = fromNanos(first), fromNanos(last)
	return v, true, nil
}
