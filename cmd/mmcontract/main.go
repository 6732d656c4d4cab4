// Command mmcontract checks that the MultiMarkets trading-platform API still
// honours its contract, against the vendor, its staging system or an embedded
// simulator, and watches it for drift on a schedule.
//
// Usage:
//
//	mmcontract run [flags]        run the contract suites once
//	mmcontract sim [flags]        serve the vendor simulator
//	mmcontract report [flags]     re-render report.html from a run's outputs
//	mmcontract baseline accept    merge a run's observed shapes into baselines
//	mmcontract monitor [flags]    repeat the suites on schedules, keep history, alert
//	mmcontract history [flags]    print recent monitored runs
//	mmcontract spec diff|import   diff or import the vendor's OpenAPI files
//	mmcontract version            print the version
//
// Exit codes: 0 nothing in --fail-on, 1 broken, 2 usage or config error,
// 3 unavailable with nothing broken, 4 harness error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// command is one subcommand. Each lives in its own file.
type command interface {
	// Run executes the subcommand. A returned *exitError carries its exit code;
	// a usage error exits 2 and any other error 4.
	Run(ctx context.Context, args []string) error
}

// io bundles the process's streams and environment so tests drive the real
// commands without touching globals.
type stdio struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands(s stdio) map[string]command {
	return map[string]command{
		"run":      &runCommand{stdio: s},
		"sim":      &simCommand{stdio: s},
		"report":   &reportCommand{stdio: s},
		"baseline": &baselineCommand{stdio: s},
		"monitor":  &monitorCommand{stdio: s},
		"history":  &historyCommand{stdio: s},
		"spec":     &specCommand{stdio: s},
		"version":  &versionCommand{stdio: s},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	s := stdio{stdout: stdout, stderr: stderr, getenv: getenv}
	cmds := commands(s)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return verdict.ExitUsage
		}
		return verdict.ExitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mmcontract: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return verdict.ExitUsage
	}
	return exitCode(stderr, args[0], cmd.Run(ctx, args[1:]))
}

// exitError ends a command with a specific exit code after it has already
// told the user what happened.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func exitCode(stderr io.Writer, name string, err error) int {
	var ee *exitError
	var ue *runner.UsageError
	switch {
	case err == nil:
		return verdict.ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, flag.ErrHelp):
		return verdict.ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "mmcontract %s: %s\n", name, safeError(err))
		return verdict.ExitUsage
	default:
		fmt.Fprintf(stderr, "mmcontract %s: %s\n", name, safeError(err))
		return verdict.ExitHarness
	}
}

// safeError is an error's text for the terminal: an error may quote the
// vendor, so control and bidi characters are escaped. (Secrets never reach
// an error's text; the commands redact what they wrap.)
func safeError(err error) string {
	return redact.Terminal(err.Error())
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "usage: mmcontract <command> [flags]\n\ncommands: %s\n\nRun 'mmcontract <command> -h' for a command's flags.\n", strings.Join(names, ", "))
}

// newFlagSet returns a flag set whose parse errors are usage errors (exit 2)
// and whose output goes to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mmcontract "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and rejects stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &runner.UsageError{Err: err}
	}
	if fs.NArg() > 0 {
		return &runner.UsageError{Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
