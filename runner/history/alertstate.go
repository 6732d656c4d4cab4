package history

import (
	"context"
	"encoding/json"
	"fmt"
)

// AlertStates returns the persisted alert state documents of job (of every
// job when job is empty), keyed by alert key. The documents belong to the
// alert engine; the store only reads their "status" member when pruning.
func (s *Store) AlertStates(ctx context.Context, job string) (map[string]json.RawMessage, error) {
	q := "SELECT key, state FROM alert_state"
	var args []any
	if job != "" {
		q += " WHERE job = ?"
		args = append(args, job)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: alert states of %q: %w", job, err)
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var key, state string
		if err := rows.Scan(&key, &state); err != nil {
			return nil, fmt.Errorf("history: alert states of %q: %w", job, err)
		}
		out[key] = json.RawMessage(state)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: alert states of %q: %w", job, err)
	}
	return out, nil
}

// PutAlertStates upserts alert state documents of job in one transaction, so
// the transitions decided for one run are persisted together or not at all.
func (s *Store) PutAlertStates(ctx context.Context, job string, states map[string]json.RawMessage) error {
	return s.SaveAlerts(ctx, job, states, nil)
}
