package history

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// ErrNotLeaseHolder is returned by SaveAlerts when another replica holds
// the job's lease: only the replica scheduling a job decides its alerts, so
// two replicas can never both page or both resolve one alert.
var ErrNotLeaseHolder = errors.New("another replica holds this job's lease")

// ClaimTTL is how long a claimed outbox row stays with the replica that
// claimed it. A sender renews its claims every time it reads the outbox
// (at least every poll interval); a dead replica's rows return to the
// others this long after its last read. It is well above a delivery
// attempt's timeout, so a row is not re-claimed while it is being sent.
const ClaimTTL = 60 * time.Second

// JobLease is the lease name of a job: scheduling it and deciding its
// alerts.
func JobLease(job string) string { return "job:" + job }

// NewReplicaID returns an id for this process among the replicas of one
// store: host, pid and 32 random bits, readable in /healthz and the leases
// table.
func NewReplicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// WithReplica names this store's replica: its leases, outbox claims and
// alert-state writes carry this id. Without it the store is a replica of
// its own with an id chosen by Open.
func WithReplica(id string) Option { return func(o *options) { o.replica = id } }

// Replica returns the id the store's leases and claims carry.
func (s *Store) Replica() string { return s.replica }

// AcquireLease takes or renews lease name for ttl and reports whether this
// replica holds it now. A lease held by another replica is taken over only
// once it expired: its holder stopped renewing (it died, or lost the
// database for longer than ttl). Expiry is judged by each replica's clock,
// so clocks must agree to well within ttl (NTP does).
func (s *Store) AcquireLease(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	if s.w == nil {
		return false, ErrReadOnly
	}
	now := s.now()
	var holder string
	err := s.w.QueryRowContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at < ?
		RETURNING holder`, name, s.replica, nanos(now.Add(ttl)), nanos(now)).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("history: lease %s: %w", name, s.scrub(err))
	}
	return holder == s.replica, nil
}

// ReleaseLease gives lease name up if this replica holds it, so a standby
// takes over at its next attempt instead of after the expiry (a clean
// shutdown).
func (s *Store) ReleaseLease(ctx context.Context, name string) error {
	if s.w == nil {
		return ErrReadOnly
	}
	if _, err := s.w.ExecContext(ctx, "DELETE FROM leases WHERE name = ? AND holder = ?", name, s.replica); err != nil {
		return fmt.Errorf("history: release lease %s: %w", name, s.scrub(err))
	}
	return nil
}

// LeaseHolders returns the current holder of every unexpired lease.
func (s *Store) LeaseHolders(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT name, holder FROM leases WHERE expires_at >= ?", nanos(s.now()))
	if err != nil {
		return nil, fmt.Errorf("history: leases: %w", s.scrub(err))
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, holder string
		if err := rows.Scan(&name, &holder); err != nil {
			return nil, fmt.Errorf("history: leases: %w", err)
		}
		out[name] = holder
	}
	return out, rows.Err()
}

// InterruptRuns marks the runs of job left in flight interrupted. A replica
// calls it when it takes a job's lease over: the previous holder's run will
// never finish (on SQLite, Open already did this for every job).
func (s *Store) InterruptRuns(ctx context.Context, job string) (int, error) {
	if s.w == nil {
		return 0, ErrReadOnly
	}
	res, err := s.w.ExecContext(ctx, `UPDATE runs SET finished_at = ?, verdict = 'error', error = ?, exit_code = ?
		WHERE finished_at IS NULL AND job = ?`, s.now().UnixNano(), Interrupted, verdict.ExitHarness, job)
	if err != nil {
		return 0, fmt.Errorf("history: mark interrupted runs of %s: %w", job, s.scrub(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// claimQuery claims the head of a receiver's pending rows. Rows another
// live replica claimed are not taken, and neither is anything behind them:
// a receiver is delivered by one replica at a time, in order (a resolved
// never overtakes its firing). PostgreSQL skips rows another transaction is
// claiming right now; the advisory lock per receiver taken before it makes
// the claims of one receiver one at a time anyway, so the NOT EXISTS sees
// committed claims.
const claimQuery = `UPDATE outbox SET claimed_by = ?, claimed_until = ?
	WHERE seq IN (SELECT p.seq FROM outbox p
		WHERE p.receiver = ? AND p.sent_at IS NULL AND p.failed = 0
		  AND (p.claimed_by = ? OR p.claimed_until < ?)
		  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.receiver = p.receiver AND o.seq < p.seq
		      AND o.sent_at IS NULL AND o.failed = 0 AND o.claimed_by <> ? AND o.claimed_until >= ?)
		ORDER BY p.seq LIMIT ?%s)
	RETURNING seq, id, receiver, fingerprint, status, supersede, payload, created_at, attempts, next_attempt_at, last_error`

var claimLock = map[dialect]string{
	sqliteDialect:   "",
	postgresDialect: " FOR UPDATE SKIP LOCKED",
}

// releaseClaims returns this replica's outbox claims at Close, so the next
// replica (or this monitor restarted, under a new id) delivers them at once.
// SQLite's Open clears every claim: holding the lock file proves their
// holder is gone.
func (s *Store) releaseClaims(ctx context.Context) error {
	q, args := "UPDATE outbox SET claimed_by = '', claimed_until = 0 WHERE claimed_by = ? AND sent_at IS NULL", []any{s.replica}
	if s.dialect == sqliteDialect {
		q, args = "UPDATE outbox SET claimed_by = '', claimed_until = 0 WHERE claimed_by <> '' AND sent_at IS NULL", nil
	}
	if _, err := s.w.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("history: release outbox claims: %w", s.scrub(err))
	}
	return nil
}

// ClaimNotifications claims up to limit undelivered rows of receiver for
// this replica for ClaimTTL (renewing the claims it holds) and returns
// them oldest first, due or not. Rows another live replica claimed are
// not returned: every notification is delivered by one replica.
func (s *Store) ClaimNotifications(ctx context.Context, receiver string, limit int) ([]PendingNotification, error) {
	if limit <= 0 {
		limit = 100
	}
	now := s.now()
	var out []PendingNotification
	err := s.tx(ctx, func(tx *txn) error {
		if s.dialect == postgresDialect {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(?))", "outbox:"+receiver); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(claimQuery, claimLock[s.dialect]), s.replica,
			nanos(now.Add(ClaimTTL)), receiver, s.replica, nanos(now), s.replica, nanos(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPending(rows)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("history: claim outbox of %s: %w", receiver, s.scrub(err))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// checkLease refuses an alert-state write for job when another replica
// holds the job's lease, holding the lease row locked (PostgreSQL) until
// the write commits: a takeover waits for the write, and a write after a
// takeover is refused. A job without a lease row (a monitor-level alert,
// or a store never shared) is not fenced.
func (s *Store) checkLease(ctx context.Context, tx *txn, job string) error {
	q := "SELECT holder FROM leases WHERE name = ?"
	if s.dialect == postgresDialect {
		q += " FOR UPDATE"
	}
	var holder string
	err := tx.QueryRowContext(ctx, q, JobLease(job)).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	// An expired lease nobody took over is still ours: the takeover
	// changes the holder, under this very row lock.
	if holder != s.replica {
		return ErrNotLeaseHolder
	}
	return nil
}
