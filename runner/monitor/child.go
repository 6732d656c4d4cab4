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
	"strings"
	"sync"
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

// RunResult is what the monitor learns from a finished run. At most one of
// TimedOut, Config and Err describes a run that did not end with results.
type RunResult struct {
	Results     results.Results
	HaveResults bool // Results was read from the child's results.json
	ExitCode    int
	// TimedOut: the job timeout stopped the run. The monitor counts it as
	// unavailable: the run could not finish against the vendor in time.
	TimedOut bool
	// Config: the run refused its set-up (exit 2): rejected credentials, a
	// wrong base URL, a bad flag. Never a contract break.
	Config *ConfigProblem
	// Err: the run is an error of ours (crash, kill, unreadable outputs).
	Err error
	// Stopped: the monitor's shutdown stopped the run (Err says so). It is
	// recorded, but says nothing about the vendor or the harness.
	Stopped bool
	// FirstError is the child's first line on stderr, which names what
	// went wrong in its own words.
	FirstError string
	// RecordErr: the run's folder could not be written (a full disk): the
	// monitor cannot record runs.
	RecordErr error
}

// ConfigProblem is results.json's config_error, or a child's exit 2 without
// results.
type ConfigProblem struct {
	Kind    string `json:"kind"` // credentials_rejected, wrong_base_url; "" when the child left no results
	Message string `json:"message"`
}

// Summary is the one line the alert and the history note carry.
func (p *ConfigProblem) Summary() string {
	switch p.Kind {
	case "credentials_rejected":
		return "credentials rejected: " + p.Message
	case "wrong_base_url":
		return "wrong base URL: " + p.Message
	case "":
		return "set-up problem: " + p.Message
	}
	return strings.ReplaceAll(p.Kind, "_", " ") + ": " + p.Message
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
// child) go to run.log in the run's folder; the first stderr line is kept.
func (c childRunner) RunJob(ctx context.Context, req RunRequest) RunResult {
	if err := os.MkdirAll(req.OutDir, 0o750); err != nil {
		return RunResult{ExitCode: -1, Err: fmt.Errorf("creating the run folder: %w", err), RecordErr: err}
	}
	logf, err := os.Create(filepath.Join(req.OutDir, "run.log"))
	if err != nil {
		return RunResult{ExitCode: -1, Err: fmt.Errorf("creating the run log: %w", err), RecordErr: err}
	}
	defer logf.Close()
	// A first line, synced, proves the disk takes writes: on a full disk
	// creating a file still works, writing to it does not.
	if _, err := fmt.Fprintf(logf, "mmcontract monitor: run %s of job %s\n", req.RunID, req.Job); err == nil {
		err = logf.Sync()
	} else {
		return RunResult{ExitCode: -1, Err: fmt.Errorf("writing the run log: %w", err), RecordErr: err}
	}
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	args := append([]string{"run", "--out", req.OutDir}, req.Args...)
	cmd := exec.CommandContext(ctx, c.Executable, args...)
	cmd.Env = req.Env
	first := &firstLineWriter{}
	cmd.Stdout, cmd.Stderr = logf, io.MultiWriter(logf, first)
	// Its own process group, so a timeout reaches anything it started, and a
	// Ctrl-C on the monitor's terminal does not reach it before the monitor
	// decides (the shutdown grace period). The child also dies with the
	// monitor (see dieWithParent), so a kill -9 leaves no orphan writing
	// into a run already marked interrupted.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	cmd.WaitDelay = killGrace
	err = cmd.Run()
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	out := RunResult{ExitCode: code, FirstError: first.String()}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		out.TimedOut = true
		return out
	case ctx.Err() != nil:
		out.Err, out.Stopped = errors.New("run stopped: the monitor shut down before it finished"), true
		return out
	case err == nil:
	case errors.As(err, &exitErr) && code >= 0 && code <= verdict.ExitUnavailable:
		// 1, 2 and 3 are verdicts or usage errors the child already explained.
	default:
		out.Err = fmt.Errorf("run process failed: %w", err)
		return out
	}
	raw, rerr := os.ReadFile(filepath.Join(req.OutDir, "results.json"))
	if rerr == nil {
		var probe struct {
			ConfigError *ConfigProblem `json:"config_error"`
		}
		if err := json.Unmarshal(raw, &out.Results); err != nil {
			out.Err = fmt.Errorf("run left an unreadable results.json: %w", err)
			return out
		}
		_ = json.Unmarshal(raw, &probe) // decoded above: cannot fail
		out.HaveResults = true
		if probe.ConfigError != nil || out.Results.Verdict == verdict.Config {
			out.Config = probe.ConfigError
			if out.Config == nil {
				out.Config = &ConfigProblem{Message: out.FirstError}
			}
		}
	}
	if code == verdict.ExitUsage && out.Config == nil {
		// Exit 2 without a config_error: the child refused its flags or
		// set-up before it ran; its first error line says which.
		msg := out.FirstError
		if msg == "" {
			msg = "the run refused its configuration (exit 2); see run.log in the run folder"
		}
		out.Config = &ConfigProblem{Message: msg}
		out.HaveResults = false
		return out
	}
	if rerr != nil && out.Config == nil {
		out.Err = fmt.Errorf("run left no results.json: %w", rerr)
	}
	return out
}

// firstLineWriter keeps the first non-empty line written to it (ANSI colour
// removed, at most maxFirstLine bytes) and discards the rest.
type firstLineWriter struct {
	mu   sync.Mutex
	buf  []byte
	done bool
}

const maxFirstLine = 300

func (f *firstLineWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range p {
		if f.done {
			break
		}
		if b == '\n' {
			if len(strings.TrimSpace(string(f.buf))) > 0 {
				f.done = true
			} else {
				f.buf = f.buf[:0]
			}
			continue
		}
		if len(f.buf) < maxFirstLine {
			f.buf = append(f.buf, b)
		}
	}
	return len(p), nil
}

func (f *firstLineWriter) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.TrimSpace(ansi().ReplaceAllString(string(f.buf), ""))
}
