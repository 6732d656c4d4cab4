package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/runner"
	"github.com/mmcontract/mmcontract/runner/history"
	"github.com/mmcontract/mmcontract/runner/monitor"
)

// monitorCommand runs the jobs of a config file on their schedules, keeps
// their history and alerts: `mmcontract monitor --config FILE`.
// Each tick runs this very binary (os.Executable) as `mmcontract run`.
type monitorCommand struct{ stdio }

func (c *monitorCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("monitor", c.stderr)
	path := fs.String("config", "", "monitor configuration file (YAML; ${VAR} expands from the environment)")
	check := fs.Bool("check-config", false, "validate the configuration and exit: 0 valid, 2 with the problem")
	grace := fs.Duration("grace", 0, "on SIGTERM/SIGINT, how long a running child may finish before it is stopped (default: shutdown_grace from the config, 30s)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return &runner.UsageError{Err: errors.New("--config is required")}
	}
	if *grace < 0 {
		return &runner.UsageError{Err: fmt.Errorf("--grace must not be negative, got %s", *grace)}
	}
	cfg, err := monitor.LoadConfig(*path, c.getenv)
	if err != nil {
		return &runner.UsageError{Err: err}
	}
	if *check {
		fmt.Fprintf(c.stdout, "%s: configuration valid (%d jobs, %d targets, %d receivers)\n", *path, len(cfg.Jobs),
			len(cfg.Targets), len(cfg.Alerting.Receivers))
		return nil
	}
	redCfg, err := redact.LoadFile(cfg.RedactConfig) // validated with the config
	if err != nil {
		return &runner.UsageError{Err: err}
	}
	red := redact.New(redCfg)
	log := slog.New(slog.NewTextHandler(red.Writer(c.stderr), nil))
	m, err := monitor.New(ctx, monitor.Options{Config: cfg, Grace: *grace, Logger: log,
		Redactor: red})
	if err != nil {
		var ce *monitor.ConfigError
		if errors.As(err, &ce) {
			return &runner.UsageError{Err: err}
		}
		return err
	}
	fmt.Fprintf(c.stdout, "monitor listening on http://%s (store %s)\n", m.Addr(), history.DisplayStore(cfg.Store))
	start := time.Now()
	if err := m.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "monitor stopped after %s\n", time.Since(start).Round(time.Second))
	return nil
}
