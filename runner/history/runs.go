package history

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// Interrupted is the error recorded on a run that a dead process left in flight.
const Interrupted = "interrupted"

// Run is one row of the runs table.
type Run struct {
	ID         string
	Job        string
	Target     string
	StartedAt  time.Time
	FinishedAt time.Time       // zero while in flight
	Verdict    verdict.Verdict // "" while in flight
	ExitCode   int
	Counts     map[verdict.Verdict]int
	OutDir     string
	Error      string // harness error; "interrupted" for a run killed mid-flight
}

// InFlight reports whether the run has not finished yet.
func (r Run) InFlight() bool { return r.FinishedAt.IsZero() }

// Check is one stored check of a run.
type Check struct {
	CheckID      string
	Operation    string
	Verdict      verdict.Verdict
	LatencyMS    int64
	HTTPStatus   int
	EnvelopeCode string
	Message      string
}

// DriftEvent is one stored drift item of a run.
type DriftEvent struct {
	Operation   string
	Pointer     string
	Change      string
	Severity    string
	Fingerprint string
}

// Filter selects runs. Zero values mean "any job" and "no limit".
type Filter struct {
	Job  string
	Last int
}

// newRunID returns a sortable, readable, collision-resistant id: the UTC
// start second and 32 random bits. It is safe in URLs and as a folder name.
func newRunID(started time.Time) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("history: run id: %w", err)
	}
	return started.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:]), nil
}

// BeginRun records a run as in flight and returns its id. Should the process
// die before FinishRun, the next Open marks it interrupted.
func (s *Store) BeginRun(ctx context.Context, job, target string, started time.Time) (string, error) {
	id, err := newRunID(started)
	if err != nil {
		return "", err
	}
	err = s.tx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO runs (id, job, target, started_at) VALUES (?, ?, ?, ?)",
			id, job, target, nanos(started))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("history: begin run of job %s: %w", job, err)
	}
	return id, nil
}

// FinishRun completes an in-flight run from its results.json, in one
// transaction: the run row, every check and every drift event. exitCode is
// the child's exit status. When res.Verdict is empty the run verdict is the
// worst check verdict.
func (s *Store) FinishRun(ctx context.Context, runID string, res results.Results, outDir string, exitCode int) error {
	return s.FinishRunNote(ctx, runID, res, outDir, exitCode, "")
}

// FinishRunNote is FinishRun with a note in the run's error column: the
// child's first error line, or why a run with results is a set-up problem.
func (s *Store) FinishRunNote(ctx context.Context, runID string, res results.Results, outDir string, exitCode int, note string) error {
	v := res.Verdict
	if v == "" {
		vs := make([]verdict.Verdict, 0, len(res.Checks))
		for _, c := range res.Checks {
			vs = append(vs, c.Verdict)
		}
		v = verdict.Worst(vs...)
	}
	if !v.Valid() {
		return fmt.Errorf("history: finish run %s: unknown verdict %q", runID, v)
	}
	counts := res.Counts
	if counts == nil {
		counts = map[verdict.Verdict]int{}
		for _, c := range res.Checks {
			counts[c.Verdict]++
		}
	}
	countsJSON, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("history: finish run %s: counts: %w", runID, err)
	}
	finished := res.FinishedAt
	if finished.IsZero() {
		finished = s.now()
	}
	err = s.tx(ctx, func(tx *txn) error {
		if err := finishRow(ctx, tx, runID, finished, v, exitCode, string(countsJSON), outDir, s.text(note)); err != nil {
			return err
		}
		chk, err := tx.PrepareContext(ctx, `INSERT INTO checks
			(run_id, seq, check_id, operation, verdict, latency_ms, http_status, envelope_code, message)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer chk.Close()
		drift, err := tx.PrepareContext(ctx, `INSERT INTO drift_events
			(run_id, seq, operation, pointer, change, severity, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer drift.Close()
		dseq := 0
		for i, c := range res.Checks {
			if _, err := chk.ExecContext(ctx, runID, i, c.ID, c.Operation, string(c.Verdict), c.LatencyMS,
				c.HTTPStatus, c.EnvelopeCode, s.text(c.Message)); err != nil {
				return fmt.Errorf("check %s: %w", c.ID, err)
			}
			for _, d := range c.Drift {
				if _, err := drift.ExecContext(ctx, runID, dseq, c.Operation, s.text(d.Pointer), d.Change,
					d.Severity, d.Fingerprint); err != nil {
					return fmt.Errorf("drift %s %s: %w", c.Operation, d.Pointer, err)
				}
				dseq++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("history: finish run %s: %w", runID, err)
	}
	return nil
}

// FailRun completes an in-flight run that produced no results (the child
// crashed, was killed or timed out) with verdict error and cause.
func (s *Store) FailRun(ctx context.Context, runID, outDir string, exitCode int, cause string) error {
	return s.FailRunAs(ctx, runID, outDir, exitCode, verdict.Error, cause)
}

// FailRunAs completes an in-flight run that produced no results with
// verdict v: unavailable for a run killed by its job timeout, config for a
// child that refused its set-up, error for our own failures.
func (s *Store) FailRunAs(ctx context.Context, runID, outDir string, exitCode int, v verdict.Verdict, cause string) error {
	if !v.Valid() {
		return fmt.Errorf("history: fail run %s: unknown verdict %q", runID, v)
	}
	err := s.tx(ctx, func(tx *txn) error {
		return finishRow(ctx, tx, runID, s.now(), v, exitCode, "{}", outDir, s.text(cause))
	})
	if err != nil {
		return fmt.Errorf("history: fail run %s: %w", runID, err)
	}
	return nil
}

// RecordSkipped stores a tick that did not run (it would have overlapped a
// still-running run of the same job) as a finished run with verdict skipped.
func (s *Store) RecordSkipped(ctx context.Context, job, target string, at time.Time, reason string) (string, error) {
	id, err := newRunID(at)
	if err != nil {
		return "", err
	}
	err = s.tx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO runs (id, job, target, started_at, finished_at, verdict, error)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, job, target, nanos(at), nanos(at), string(verdict.Skipped), s.text(reason))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("history: record skipped tick of job %s: %w", job, err)
	}
	return id, nil
}

// errRunNotInFlight distinguishes "no such run" from "already finished".
var errRunNotInFlight = errors.New("run is not in flight (unknown, already finished, or marked interrupted)")

func finishRow(ctx context.Context, tx *txn, runID string, finished time.Time, v verdict.Verdict,
	exitCode int, counts, outDir, errText string) error {
	res, err := tx.ExecContext(ctx, `UPDATE runs SET finished_at = ?, verdict = ?, exit_code = ?, counts = ?,
		out_dir = ?, error = ? WHERE id = ? AND finished_at IS NULL`,
		nanos(finished), string(v), exitCode, counts, outDir, errText, runID)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return errRunNotInFlight
	}
	return nil
}

const runColumns = "id, job, target, started_at, finished_at, verdict, exit_code, counts, out_dir, error"

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var (
		r        Run
		started  int64
		finished sql.NullInt64
		v        sql.NullString
		counts   string
	)
	if err := sc.Scan(&r.ID, &r.Job, &r.Target, &started, &finished, &v, &r.ExitCode, &counts, &r.OutDir, &r.Error); err != nil {
		return Run{}, err
	}
	r.StartedAt = fromNanos(started)
	if finished.Valid {
		r.FinishedAt = fromNanos(finished.Int64)
	}
	r.Verdict = verdict.Verdict(v.String)
	if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
		return Run{}, fmt.Errorf("run %s counts: %w", r.ID, err)
	}
	return r, nil
}

// Runs returns runs, newest first.
func (s *Store) Runs(ctx context.Context, f Filter) ([]Run, error) {
	q := "SELECT " + runColumns + " FROM runs"
	var args []any
	if f.Job != "" {
		q += " WHERE job = ?"
		args = append(args, f.Job)
	}
	q += " ORDER BY started_at DESC, id DESC"
	if f.Last > 0 {
		q += " LIMIT ?"
		args = append(args, f.Last)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("history: list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: list runs: %w", err)
	}
	return out, nil
}

// Run returns one run; the error wraps ErrNotFound when it does not exist.
func (s *Store) Run(ctx context.Context, id string) (Run, error) {
	r, err := scanRun(s.r.QueryRowContext(ctx, "SELECT "+runColumns+" FROM runs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("history: run %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("history: run %s: %w", id, err)
	}
	return r, nil
}

// Checks returns the checks of a run in results.json order.
func (s *Store) Checks(ctx context.Context, runID string) ([]Check, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT check_id, operation, verdict, latency_ms, http_status, envelope_code, message
		FROM checks WHERE run_id = ? ORDER BY seq`, runID)
	if err != nil {
		return nil, fmt.Errorf("history: checks of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []Check
	for rows.Next() {
		var c Check
		var v string
		if err := rows.Scan(&c.CheckID, &c.Operation, &v, &c.LatencyMS, &c.HTTPStatus, &c.EnvelopeCode, &c.Message); err != nil {
			return nil, fmt.Errorf("history: checks of run %s: %w", runID, err)
		}
		c.Verdict = verdict.Verdict(v)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: checks of run %s: %w", runID, err)
	}
	return out, nil
}

// DriftEvents returns the drift items of a run in results.json order.
func (s *Store) DriftEvents(ctx context.Context, runID string) ([]DriftEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT operation, pointer, change, severity, fingerprint
		FROM drift_events WHERE run_id = ? ORDER BY seq`, runID)
	if err != nil {
		return nil, fmt.Errorf("history: drift of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []DriftEvent
	for rows.Next() {
		var d DriftEvent
		if err := rows.Scan(&d.Operation, &d.Pointer, &d.Change, &d.Severity, &d.Fingerprint); err != nil {
			return nil, fmt.Errorf("history: drift of run %s: %w", runID, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: drift of run %s: %w", runID, err)
	}
	return out, nil
}

// TrendPoint is one operation's outcome in one run. A zero point (empty
// Verdict) means the operation was not checked in that run.
type TrendPoint struct {
	Verdict   verdict.Verdict
	LatencyMS int64
}

// Trend is the data of the HTML trend strip: the last finished runs of a job,
// oldest first, and per operation one point per run, aligned with Runs.
type Trend struct {
	Runs       []Run
	Operations map[string][]TrendPoint
}

// Trend returns the last n finished runs of job and, per operation, the worst
// verdict and the highest latency among its checks in each of them (an
// operation can have several specs: positive, negative...).
func (s *Store) Trend(ctx context.Context, job string, n int) (Trend, error) {
	if n <= 0 {
		return Trend{Operations: map[string][]TrendPoint{}}, nil
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+runColumns+` FROM runs
		WHERE job = ? AND finished_at IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT ?`, job, n)
	if err != nil {
		return Trend{}, fmt.Errorf("history: trend of job %s: %w", job, err)
	}
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			rows.Close()
			return Trend{}, fmt.Errorf("history: trend of job %s: %w", job, err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return Trend{}, fmt.Errorf("history: trend of job %s: %w", job, err)
	}
	rows.Close()
	// Oldest first, the way a strip reads left to right.
	for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
		runs[i], runs[j] = runs[j], runs[i]
	}
	t := Trend{Runs: runs, Operations: map[string][]TrendPoint{}}
	if len(runs) == 0 {
		return t, nil
	}
	index := make(map[string]int, len(runs))
	ids := make([]any, len(runs))
	for i, r := range runs {
		index[r.ID] = i
		ids[i] = r.ID
	}
	// Grouping in SQL folds an operation's same-verdict checks into one row;
	// the worst verdict is picked below, where verdict ranks are known.
	crow, err := s.r.QueryContext(ctx, `SELECT run_id, operation, verdict, MAX(latency_ms) FROM checks
		WHERE run_id IN (?`+strings.Repeat(",?", len(ids)-1)+`) GROUP BY run_id, operation, verdict`, ids...)
	if err != nil {
		return Trend{}, fmt.Errorf("history: trend of job %s: %w", job, err)
	}
	defer crow.Close()
	for crow.Next() {
		var (
			runID, op, v string
			lat          int64
		)
		if err := crow.Scan(&runID, &op, &v, &lat); err != nil {
			return Trend{}, fmt.Errorf("history: trend of job %s: %w", job, err)
		}
		pts := t.Operations[op]
		if pts == nil {
			pts = make([]TrendPoint, len(runs))
			t.Operations[op] = pts
		}
		p := &pts[index[runID]]
		if p.Verdict == "" || verdict.Verdict(v).MoreSevere(p.Verdict) {
			p.Verdict = verdict.Verdict(v)
		}
		p.LatencyMS = max(p.LatencyMS, lat)
	}
	if err := crow.Err(); err != nil {
		return Trend{}, fmt.Errorf("history: trend of job %s: %w", job, err)
	}
	return t, nil
}
