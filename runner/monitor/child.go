package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// JobRunner executes one tick of a suite job. The monitor's own runs
// `mmcontract run` as a child process; the interface exists so the
// scheduler, store and alert plumbing can be measured over thousands of ticks
// without thousands of processes.
type JobRunner interface {
	RunJob(ctx context.Context, req RunRequest) RunResult
}

// RunRequest is one run to execute.
type RunRequest struct {
	Job     string
	RunID   string
	OutDir  string   // the run's own folder; results.json is expected there
	Args    []string // `mmcontract run` flags after --out
	Env     []string // credentials travel in the environment, never argv
	Timeout time.Duration
}

// RunResult is what the monitor learns from a finished run.
type RunResult struct {
	Results  results.Results
	ExitCode int
	Err      error // non-nil: the run is an error (crash, kill, timeout, unreadable outputs)
}

// killGrace is how long a child has between SIGTERM and SIGKILL, after its
// timeout or at the end of the shutdown grace period.
const killGrace = 5 * time.Second

// childRunner runs each tick as `mmcontract run` in a child process of the
// same binary: Ginkgo can run specs only once per process, so the monitor
// never runs suites itself.
type childRunner struct {
	Executable string
}

var _ JobRunner = childRunner{}

// RunJob starts the child and waits. A child that crashes, is killed, or
// leaves no readable results.json becomes a run with verdict error; it never
// takes the monitor down. Its stdout and stderr (already redacted by the
// child) go to run.log in the run's folder.
func (c childRunner) RunJob(ctx context.Context, req RunRequest) RunResult {
	if err := os.MkdirAll(req.OutDir, 0o750); err != nil {
		return RunResult{ExitCode: -1, Err: fmt.Errorf("creating %s: %w", req.OutDir, err)}
	}
	logf, err := os.Create(filepath.Join(req.OutDir, "run.log"))
	if err != nil {
		return RunResult{ExitCode: -1, Err: fmt.Errorf("creating the run log: %w", err)}
	}
	defer logf.Close()
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	args := append([]string{"run", "--out", req.OutDir}, req.Args...)
	cmd := exec.CommandContext(ctx, c.Executable, args...)
	cmd.Env = req.Env
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so a timeout reaches anything it started, and a
	// Ctrl-C on the monitor's terminal does not reach it before the monitor
	// decides (the shutdown grace period).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	cmd.WaitDelay = killGrace
	err = cmd.Run()
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return RunResult{ExitCode: code, Err: fmt.Errorf("run exceeded the job timeout of %s and was stopped", req.Timeout)}
	case ctx.Err() != nil:
		return RunResult{ExitCode: code, Err: errors.New("run stopped: the monitor shut down before it finished")}
	case err == nil:
	case errors.As(err, &exitErr) && code >= 0 && code <= verdict.ExitUnavailable:
		// 1, 2 and 3 are verdicts or usage errors the child already explained.
	default:
		return RunResult{ExitCode: code, Err: fmt.Errorf("run process failed: %w", err)}
	}
	if code == verdict.ExitUsage {
		return RunResult{ExitCode: code, Err: errors.New("run refused its configuration (exit 2); see run.log in the run folder")}
	}
	raw, err := os.ReadFile(filepath.Join(req.OutDir, "results.json"))
	if err != nil {
		return RunResult{ExitCode: code, Err: fmt.Errorf("run left no results.json: %w", err)}
	}
	var res results.Results
	if err := json.Unmarshal(raw, &res); err != nil {
		return RunResult{ExitCode: code, Err: fmt.Errorf("run left an unreadable results.json: %w", err)}
	}
	return RunResult{Results: res, ExitCode: code}
}
