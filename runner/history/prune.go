package history

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// Pruned reports what Prune removed.
type Pruned struct {
	Runs         int
	OutDirs      []string // output folders of the removed runs, for the caller to delete
	AlertStates  int
	SpecVersions int
	// Notifications: delivered outbox rows older than a day, and refused
	// ones older than maxAge. Pending rows are never pruned.
	Notifications int
}

// deliveredRetention is how long a delivered outbox row is kept.
const deliveredRetention = 24 * time.Hour

// jsonStatus reads the "status" member of an alert state document.
var jsonStatus = map[dialect]string{
	sqliteDialect:   "json_extract(state, '$.status')",
	postgresDialect: "(state::jsonb ->> 'status')",
}

// pruneBatch keeps each DELETE's parameter list well under SQLite's limit.
const pruneBatch = 500

// Prune applies retention. maxRuns keeps the newest maxRuns finished runs of
// each job (per job, so a chatty job cannot evict a nightly one); maxAge
// removes finished runs started before now-maxAge, resolved alert states not
// touched since then, and spec versions last seen before then except each
// source's latest and latest valid version. Zero disables either limit. Runs
// in flight are never pruned. Checks and drift events go with their run.
func (s *Store) Prune(ctx context.Context, maxAge time.Duration, maxRuns int) (Pruned, error) {
	var p Pruned
	if s.w == nil {
		return p, ErrReadOnly
	}
	cutoff := int64(math.MinInt64)
	if maxAge > 0 {
		cutoff = s.now().Add(-maxAge).UnixNano()
	}
	keep := math.MaxInt64
	if maxRuns > 0 {
		keep = maxRuns
	}
	err := s.tx(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, out_dir FROM (
				SELECT id, out_dir, started_at, finished_at,
				       ROW_NUMBER() OVER (PARTITION BY job ORDER BY started_at DESC, id DESC) AS rn
				FROM runs WHERE finished_at IS NOT NULL) AS ranked
			WHERE rn > ? OR started_at < ?`, keep, cutoff)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id, dir string
			if err := rows.Scan(&id, &dir); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			if dir != "" {
				p.OutDirs = append(p.OutDirs, dir)
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
		for len(ids) > 0 {
			n := min(len(ids), pruneBatch)
			res, err := tx.ExecContext(ctx, "DELETE FROM runs WHERE id IN (?"+strings.Repeat(",?", n-1)+")", ids[:n]...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			p.Runs += int(k)
			ids = ids[n:]
		}
		// Delivered notifications are kept a day for inspection (refreshes
		// add one per run); ones a receiver refused for good, like runs.
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE (sent_at IS NOT NULL AND sent_at < ?)
			OR (failed = 1 AND created_at < ?)`, s.now().Add(-deliveredRetention).UnixNano(), cutoff)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		p.Notifications = int(k)
		if maxAge <= 0 {
			return nil
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM alert_state
			WHERE `+jsonStatus[s.dialect]+` = 'resolved' AND updated_at < ?`, cutoff)
		if err != nil {
			return err
		}
		k, _ = res.RowsAffected()
		p.AlertStates = int(k)
		res, err = tx.ExecContext(ctx, `DELETE FROM spec_versions WHERE last_seen_at < ?
			AND id NOT IN (SELECT (SELECT id FROM spec_versions l WHERE l.source = s.source
			                       ORDER BY last_seen_at DESC, id DESC LIMIT 1)
			               FROM (SELECT DISTINCT source FROM spec_versions) s)
			AND id NOT IN (SELECT (SELECT id FROM spec_versions l WHERE l.source = s.source AND l.valid = 1
			                       ORDER BY last_seen_at DESC, id DESC LIMIT 1)
			               FROM (SELECT DISTINCT source FROM spec_versions) s
			               WHERE EXISTS (SELECT 1 FROM spec_versions v WHERE v.source = s.source AND v.valid = 1))`, cutoff)
		if err != nil {
			return err
		}
		k, _ = res.RowsAffected()
		p.SpecVersions = int(k)
		return nil
	})
	if err != nil {
		return Pruned{}, fmt.Errorf("history: prune: %w", err)
	}
	return p, nil
}
