// Command mmcontract checks that the MultiMarkets trading-platform API still
// honours its contract, against the vendor, its staging system or an embedded
// simulator, and watches it for drift on a schedule.
//
// Usage:
//
//	mmcontract run [flags]        run the contract suites once
//	mmcontract sim [flags]        serve the vendor simulator
//	mmcontract report [flags]     re-render report.html from a run's outputs
//	mmcontract merge [flags] DIR… combine a sharded run's outputs into one
//	mmcontract baseline accept    merge a run's observed shapes into baselines
//	mmcontract monitor [flags]    repeat the suites on schedules, keep history, alert
//	mmcontract history [flags]    print recent monitored runs
//	mmcontract spec diff|import   diff or import the vendor's OpenAPI files
//	mmcontract validate [flags] [FILE|-]  check one captured response body
//	mmcontract webhook verify --url URL    check your Webhook API receiver as the vendor calls it
//	mmcontract version            print the version (also --version)
//
// -h or --help after any command prints its usage on stdout. Nothing it
// prints carries ANSI colour codes.
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
	"github.com/mmcontract/mmcontract/internal/suggest"
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
		"merge":    &mergeCommand{stdio: s},
		"baseline": &baselineCommand{stdio: s},
		"monitor":  &monitorCommand{stdio: s},
		"history":  &historyCommand{stdio: s},
		"spec":     &specCommand{stdio: s},
		"validate": &validateCommand{stdio: s},
		"webhook":  &webhookCommand{stdio: s},
		"version":  &versionCommand{stdio: s},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	s := stdio{stdout: stdout, stderr: stderr, getenv: getenv}
	cmds := commands(s)
	if len(args) == 0 {
		usage(stderr, cmds)
		return verdict.ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout, cmds)
		return verdict.ExitOK
	case "help":
		// `mmcontract help run` is `mmcontract run -h`.
		if len(args) == 1 {
			usage(stdout, cmds)
			return verdict.ExitOK
		}
		args = []string{args[1], "-h"}
	case "-version", "--version":
		args = []string{"version"}
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mmcontract: unknown command %q%s\n\n", args[0], didYouMean(args[0], commandNames(cmds)))
		usage(stderr, cmds)
		return verdict.ExitUsage
	}
	return exitCode(stdout, stderr, args[0], cmd.Run(ctx, args[1:]))
}

// exitError ends a command with a specific exit code after it has already
// told the user what happened.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// helpRequest is -h or --help: the command's usage, printed on stdout with
// exit 0, as users of other CLIs expect. It wraps flag.ErrHelp.
type helpRequest struct{ usage string }

func (h *helpRequest) Error() string { return "help requested" }
func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

func exitCode(stdout, stderr io.Writer, name string, err error) int {
	var ee *exitError
	var ue *runner.UsageError
	var help *helpRequest
	switch {
	case err == nil:
		return verdict.ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &help):
		fmt.Fprint(stdout, help.usage)
		return verdict.ExitOK
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

func commandNames(cmds map[string]command) []string {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintf(w, "usage: mmcontract <command> [flags]\n\ncommands: %s\n\n"+
		"Run 'mmcontract <command> -h' for a command's flags, 'mmcontract --version' for the version.\n",
		strings.Join(commandNames(cmds), ", "))
}

// newFlagSet returns a flag set for parseFlags: its parse errors are usage
// errors (exit 2), and -h prints its usage on stdout.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mmcontract "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [flags]\n\nflags:\n", fs.Name())
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and rejects stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseHeld(fs, func() error { return fs.Parse(args) }); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &runner.UsageError{Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// parseHeld runs parse with the flag package's own printing held back: it
// would print a bad flag's error and then every flag on stderr. Instead -h
// returns the usage for main to print on stdout, and a bad flag is one line
// naming it, a near miss, and where the flags are listed.
func parseHeld(fs *flag.FlagSet, parse func() error) error {
	out := fs.Output()
	var held strings.Builder
	fs.SetOutput(&held)
	defer fs.SetOutput(out)
	err := parse()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return &helpRequest{usage: held.String()}
	}
	hint := ""
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, "--"+f.Name) })
		hint = didYouMean("--"+strings.TrimLeft(name, "-"), names)
	}
	return &runner.UsageError{Err: fmt.Errorf("%v%s (see '%s -h')", err, hint, fs.Name())}
}

// didYouMean is the ", did you mean \"run\"?" hint for a near miss, or "".
func didYouMean(got string, candidates []string) string {
	if best, ok := suggest.Nearest(got, candidates); ok {
		return fmt.Sprintf(", did you mean %q?", best)
	}
	return ""
}
