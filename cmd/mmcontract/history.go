package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/runner"
	"github.com/mmcontract/mmcontract/runner/history"
	"github.com/mmcontract/mmcontract/runner/monitor"
)

// historyCommand prints recent runs from the monitor's store:
// `mmcontract history [--config FILE | --store PATH|URL] [--job NAME] [--last N] [--format text|json]`.
// It opens the store read-only, so it works next to a running monitor.
type historyCommand struct{ stdio }

func (c *historyCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("history", c.stderr)
	cfgPath := fs.String("config", "", "monitor configuration file; its store is read")
	storePath := fs.String("store", "", "history store: an SQLite file or a postgres:// URL (instead of --config)")
	job := fs.String("job", "", "only this job's runs")
	last := fs.Int("last", 20, "how many runs, newest first")
	format := fs.String("format", "text", "output format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*cfgPath == "") == (*storePath == "") {
		return &runner.UsageError{Err: errors.New("give exactly one of --config and --store")}
	}
	if *last < 1 {
		return &runner.UsageError{Err: fmt.Errorf("--last must be at least 1, got %d", *last)}
	}
	if *format != "text" && *format != "json" {
		return &runner.UsageError{Err: fmt.Errorf("--format %q: want text or json", *format)}
	}
	path := *storePath
	if *cfgPath != "" {
		// Reading history needs no secret: an unset ${VAR} keeps its
		// reference as a placeholder instead of failing the load.
		getenv := func(k string) string {
			if v := c.getenv(k); v != "" || k == monitor.StoreURLEnv {
				return v
			}
			return "${" + k + "}"
		}
		cfg, err := monitor.LoadConfig(*cfgPath, getenv)
		if err != nil {
			return &runner.UsageError{Err: err}
		}
		path = cfg.Store
	}
	if _, err := os.Stat(path); err != nil && !history.IsPostgresURL(path) {
		// Said plainly before the store adds its own context to it.
		return &runner.UsageError{Err: fmt.Errorf("no history store at %s (has the monitor run yet?)", path)}
	}
	store, err := history.Open(ctx, path, history.ReadOnly())
	if err != nil {
		return &runner.UsageError{Err: err}
	}
	defer store.Close()
	runs, err := store.Runs(ctx, history.Filter{Job: *job, Last: *last})
	if err != nil {
		return err
	}
	if *format == "json" {
		out := make([]historyRun, 0, len(runs))
		for _, r := range runs {
			out = append(out, toHistoryRun(r))
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(runs) == 0 {
		fmt.Fprintln(c.stdout, "no runs recorded")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tJOB\tTARGET\tSTARTED\tTOOK\tVERDICT\tCOUNTS\tNOTE")
	for _, r := range runs {
		h := toHistoryRun(r)
		v, took := string(h.Verdict), "-"
		if r.InFlight() {
			v = "in-flight"
		} else if h.DurationMS > 0 {
			took = (time.Duration(h.DurationMS) * time.Millisecond).Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Job, r.Target, r.StartedAt.Format(time.RFC3339),
			took, v, countsText(r.Counts), redact.Terminal(oneline.Collapse(r.Error, 100))) // the note may quote the vendor
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return c.printOutbox(ctx, store)
}

// printOutbox adds a line per receiver with notifications still waiting in
// the outbox: a page that has not reached on-call yet is history too.
func (c *historyCommand) printOutbox(ctx context.Context, store *history.Store) error {
	stats, err := store.OutboxStats(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(stats))
	for name, st := range stats {
		if st.Pending > 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		st := stats[name]
		fmt.Fprintf(c.stdout, "outbox: %d notification(s) to %s not delivered yet, the oldest since %s\n", st.Pending, name,
			st.OldestPending.Format(time.RFC3339))
	}
	return nil
}

// historyRun is the JSON shape of one run: stable snake_case keys.
type historyRun struct {
	ID         string         `json:"id"`
	Job        string         `json:"job"`
	Target     string         `json:"target"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt *time.Time     `json:"finished_at"` // null while in flight
	DurationMS int64          `json:"duration_ms"`
	Verdict    string         `json:"verdict"` // "" while in flight
	ExitCode   int            `json:"exit_code"`
	Counts     map[string]int `json:"counts"`
	OutDir     string         `json:"out_dir,omitempty"`
	Error      string         `json:"error,omitempty"`
}

func toHistoryRun(r history.Run) historyRun {
	h := historyRun{ID: r.ID, Job: r.Job, Target: r.Target, StartedAt: r.StartedAt, Verdict: string(r.Verdict),
		ExitCode: r.ExitCode, Counts: map[string]int{}, OutDir: r.OutDir, Error: r.Error}
	if !r.InFlight() {
		f := r.FinishedAt
		h.FinishedAt = &f
		h.DurationMS = f.Sub(r.StartedAt).Milliseconds()
	}
	for k, n := range r.Counts {
		h.Counts[string(k)] = n
	}
	return h
}

func countsText[K ~string](counts map[K]int) string {
	var parts []string
	for k, n := range counts {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, n))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}
