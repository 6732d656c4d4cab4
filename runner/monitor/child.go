package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// childRun is one scheduled run executed as a child process of the same
// binary. Ginkgo can run specs only once per process, so the monitor never
// runs suites itself: each tick is `mmcontract run` in its own process,
// with the job's timeout, its outputs in a per-run directory.
type childRun struct {
	Executable string   // the mmcontract binary
	Args       []string // after "run"
	Env        []string // credentials travel in the environment, never argv
	OutDir     string
	Timeout    time.Duration
	Grace      time.Duration // SIGTERM first, SIGKILL after Grace
	Log        io.Writer     // child's stdout and stderr (already redacted by the child)
}

// childResult is what the monitor learns from a finished child.
type childResult struct {
	Results  results.Results
	ExitCode int
	Err      error // non-nil: the run is an error (crash, kill, unreadable outputs)
}

// run starts the child and waits. A child that crashes, is killed, or leaves
// no readable results.json becomes a run with verdict error; it never takes
// the monitor down.
func (c childRun) run(ctx context.Context) childResult {
	if err := os.MkdirAll(c.OutDir, 0o755); err != nil {
		return childResult{Err: fmt.Errorf("creating %s: %w", c.OutDir, err)}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	args := append([]string{"run", "--out", c.OutDir}, c.Args...)
	cmd := exec.CommandContext(ctx, c.Executable, args...)
	cmd.Env = c.Env
	cmd.Stdout, cmd.Stderr = c.Log, c.Log
	// Its own process group, so a timeout reaches anything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	cmd.WaitDelay = c.Grace
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && code >= 0 && code <= verdict.ExitUnavailable && ctx.Err() == nil:
		// 1, 2 and 3 are verdicts or usage errors the child already explained.
	case ctx.Err() != nil:
		return childResult{ExitCode: code, Err: fmt.Errorf("run exceeded the job timeout of %s and was stopped", c.Timeout)}
	default:
		return childResult{ExitCode: code, Err: fmt.Errorf("run process failed: %w", err)}
	}
	if code == verdict.ExitUsage {
		return childResult{ExitCode: code, Err: fmt.Errorf("run refused its configuration (exit 2); see the run log")}
	}
	raw, err := os.ReadFile(filepath.Join(c.OutDir, "results.json"))
	if err != nil {
		return childResult{ExitCode: code, Err: fmt.Errorf("run left no results.json: %w", err)}
	}
	var res results.Results
	if err := json.Unmarshal(raw, &res); err != nil {
		return childResult{ExitCode: code, Err: fmt.Errorf("run left an unreadable results.json: %w", err)}
	}
	return childResult{Results: res, ExitCode: code}
}
