package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Notification is one row of the alert outbox: one notification for one
// receiver. The store does not read Payload; it belongs to the alert
// package, which also chose ID (the dedupe id receivers see).
type Notification struct {
	ID          string
	Receiver    string
	Fingerprint string
	Status      string
	// Supersede: this row replaces every older unsent row of the same
	// receiver and fingerprint that was also written with Supersede (an
	// Alertmanager refresh makes the previous, undelivered one pointless).
	Supersede bool
	Payload   json.RawMessage
}

// PendingNotification is an outbox row not yet delivered.
type PendingNotification struct {
	Notification
	Seq           int64
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
}

// OutboxStat summarises one receiver's pending rows.
type OutboxStat struct {
	Pending       int
	OldestPending time.Time // zero when none is pending
	Failed        int       // rows given up on because the receiver refused them for good
}

// SaveAlerts upserts alert state documents of job and appends notifications
// to the outbox in one transaction: a decided page is queued, or neither
// happened. Either argument may be empty.
func (s *Store) SaveAlerts(ctx context.Context, job string, states map[string]json.RawMessage, notes []Notification) error {
	if len(states) == 0 && len(notes) == 0 {
		return nil
	}
	for key, st := range states {
		if !json.Valid(st) {
			return fmt.Errorf("history: alert state %s: not valid JSON", key)
		}
	}
	for _, n := range notes {
		if n.ID == "" || n.Receiver == "" || !json.Valid(n.Payload) {
			return fmt.Errorf("history: outbox row for %q: needs an id, a receiver and a JSON payload", n.Receiver)
		}
	}
	now := s.now().UnixNano()
	err := s.tx(ctx, func(tx *txn) error {
		if err := s.checkLease(ctx, tx, job); err != nil {
			return err
		}
		if len(states) > 0 {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO alert_state (key, job, state, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET job = excluded.job, state = excluded.state, updated_at = excluded.updated_at`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for key, st := range states {
				if _, err := stmt.ExecContext(ctx, key, job, string(st), now); err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
			}
		}
		for _, n := range notes {
			if n.Supersede {
				if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE receiver = ? AND fingerprint = ? AND supersede = 1
					AND sent_at IS NULL AND failed = 0`, n.Receiver, n.Fingerprint); err != nil {
					return fmt.Errorf("outbox: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, receiver, fingerprint, status, supersede, payload,
				created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, n.ID, n.Receiver, n.Fingerprint, n.Status,
				b2i(n.Supersede), string(n.Payload), now, now); err != nil {
				return fmt.Errorf("outbox: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("history: save alerts of job %s: %w", job, s.scrub(err))
	}
	return nil
}

// PendingNotifications returns up to limit undelivered rows of receiver,
// oldest first (delivery order), whether or not they are due yet.
func (s *Store) PendingNotifications(ctx context.Context, receiver string, limit int) ([]PendingNotification, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, id, receiver, fingerprint, status, supersede, payload, created_at,
		attempts, next_attempt_at, last_error FROM outbox WHERE receiver = ? AND sent_at IS NULL AND failed = 0
		ORDER BY seq LIMIT ?`, receiver, limit)
	if err != nil {
		return nil, fmt.Errorf("history: outbox of %s: %w", receiver, err)
	}
	defer rows.Close()
	var out []PendingNotification
	for rows.Next() {
		p, err := scanPending(rows)
		if err != nil {
			return nil, fmt.Errorf("history: outbox of %s: %w", receiver, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: outbox of %s: %w", receiver, err)
	}
	return out, nil
}

func scanPending(rows *sql.Rows) (PendingNotification, error) {
	var (
		p             PendingNotification
		payload       string
		created, next int64
	)
	if err := rows.Scan(&p.Seq, &p.ID, &p.Receiver, &p.Fingerprint, &p.Status, &p.Supersede, &payload, &created,
		&p.Attempts, &next, &p.LastError); err != nil {
		return PendingNotification{}, err
	}
	p.Payload = json.RawMessage(payload)
	p.CreatedAt, p.NextAttemptAt = fromNanos(created), fromNanos(next)
	return p, nil
}

// errNoSuchRow: the row was delivered, superseded or pruned meanwhile.
var errNoSuchRow = errors.New("outbox row is no longer pending")

// MarkNotificationSent records the delivery of outbox row seq.
func (s *Store) MarkNotificationSent(ctx context.Context, seq int64, at time.Time) error {
	return s.outboxUpdate(ctx, seq, "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE seq = ? AND sent_at IS NULL",
		at.UnixNano(), seq)
}

// MarkNotificationAttempt records a failed delivery of row seq: the next
// attempt is not before next; permanent gives the row up (the receiver
// refused it for good, e.g. HTTP 400), keeping it for inspection.
func (s *Store) MarkNotificationAttempt(ctx context.Context, seq int64, next time.Time, errText string, permanent bool) error {
	return s.outboxUpdate(ctx, seq, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
		failed = ? WHERE seq = ? AND sent_at IS NULL`, next.UnixNano(), s.text(errText), b2i(permanent), seq)
}

func (s *Store) outboxUpdate(ctx context.Context, seq int64, q string, args ...any) error {
	err := s.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return errNoSuchRow
		}
		return nil
	})
	if errors.Is(err, errNoSuchRow) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("history: outbox row %d: %w", seq, err)
	}
	return nil
}

// OutboxStats returns, per receiver with any row, how many notifications are
// pending and since when.
func (s *Store) OutboxStats(ctx context.Context) (map[string]OutboxStat, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT receiver,
		SUM(CASE WHEN sent_at IS NULL AND failed = 0 THEN 1 ELSE 0 END),
		MIN(CASE WHEN sent_at IS NULL AND failed = 0 THEN created_at END),
		SUM(CASE WHEN failed = 1 THEN 1 ELSE 0 END) FROM outbox GROUP BY receiver`)
	if err != nil {
		return nil, fmt.Errorf("history: outbox stats: %w", err)
	}
	defer rows.Close()
	out := map[string]OutboxStat{}
	for rows.Next() {
		var (
			name   string
			st     OutboxStat
			oldest sql.NullInt64
		)
		if err := rows.Scan(&name, &st.Pending, &oldest, &st.Failed); err != nil {
			return nil, fmt.Errorf("history: outbox stats: %w", err)
		}
		if oldest.Valid {
			st.OldestPending = fromNanos(oldest.Int64)
		}
		out[name] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: outbox stats: %w", err)
	}
	return out, nil
}
