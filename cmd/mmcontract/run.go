package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/redact"

	"github.com/mmcontract/mmcontract/internal/signing"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner"
)

// runCommand runs the contract suites once: `mmcontract run`.
type runCommand struct{ stdio }

func (c *runCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("run", c.stderr)
	opts := runner.Options{Version: version, Commit: commit()}
	fs.StringVar(&opts.BaseURL, "base-url", c.getenv("MM_BASE_URL"), "vendor server root, e.g. https://prewppc-3.cmfbl.com (default $MM_BASE_URL; empty: the embedded simulator)")
	fs.StringVar(&opts.LabelFilter, "label-filter", "", "Ginkgo label filter, e.g. 'findCustomerInfo && client' or 'smoke'")
	fs.StringVar(&opts.OutDir, "out", "out", "directory for results.json, junit.xml, ginkgo.json and report.html")
	fs.DurationVar(&opts.Timeout, "timeout", 15*time.Second, "per-request timeout (the vendor's own server limit is 15s)")
	fs.IntVar(&opts.Retries, "retries", 2, "retries of transient transport failures per request (never of contract failures)")
	failOn := fs.String("fail-on", verdict.DefaultFailOn, "verdicts that make the run exit non-zero: broken, unavailable, flaky, drifted, skipped")
	fs.IntVar(&opts.FlakeAttempts, "flake-attempts", 2, "attempts per spec; a spec that passes on a later attempt is reported flaky")
	fs.StringVar(&opts.BaselineDir, "baseline", "", "directory of accepted baselines; empty: drift is checked against the schemas only")
	fs.BoolVar(&opts.AllowMutations, "allow-mutations", false, "allow specs labelled mutating against a real target (they change vendor state)")
	fs.BoolVar(&opts.Insecure, "insecure", false, "skip TLS certificate verification (prints a warning)")
	fs.StringVar(&opts.Scenario, "scenario", "", "simulator scenario when no target is given (see 'mmcontract sim -list')")
	fs.DurationVar(&opts.FaultBudget, "fault-budget", mmapi.DefaultWaitBudget, "run-wide time for retry backoff and rate-limit waits; past it failures are not retried")
	requireTarget := fs.Bool("require-target", c.getenv("MM_REQUIRE_TARGET") == "1", "refuse to run without a target (--base-url or MM_BASE_URL) instead of using the simulator (default $MM_REQUIRE_TARGET=1)")
	redactConfig := fs.String("redact-config", "", "YAML file extending or adjusting the redacted keys (default: the built-in safe list)")
	fs.BoolVar(&opts.Verbose, "v", false, "also stream Ginkgo's own reporter output to stderr")
	shard := fs.String("shard", "", "run shard I of N (I/N, counted from 1) of the selected operations (default: JOB_COMPLETION_INDEX+1 of JOB_COMPLETIONS when both are set)")
	rate := fs.String("rate-per-minute", c.getenv("MM_RATE_PER_MINUTE"), "the target's budget of requests per minute per operation; a shard uses its share, rate/N (default $MM_RATE_PER_MINUTE, else 240)")
	fs.Int64Var(&opts.MaxFrameBytes, "ws-max-frame", 1<<20, "largest websocket frame accepted, in bytes, also once inflated; a larger one is a broken check")
	opts.QuoteSymbols = c.getenv("MM_QUOTE_SYMBOLS")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if opts.Shard, err = shardOption(*shard, c.getenv); err != nil {
		return &runner.UsageError{Err: err}
	}
	if *rate != "" {
		if opts.RatePerMinute, err = strconv.Atoi(*rate); err != nil || opts.RatePerMinute < 1 {
			return &runner.UsageError{Err: fmt.Errorf("--rate-per-minute (or MM_RATE_PER_MINUTE) must be a positive integer, got %q", *rate)}
		}
	}
	if opts.FailOn, err = verdict.ParseFailOn(*failOn); err != nil {
		return &runner.UsageError{Err: err}
	}
	if len(opts.FailOn) == 0 {
		return &runner.UsageError{Err: fmt.Errorf("--fail-on %q lists no verdict, so no run could ever fail; give at least one, e.g. --fail-on %s", *failOn, verdict.DefaultFailOn)}
	}
	if opts.FaultBudget <= 0 {
		return &runner.UsageError{Err: fmt.Errorf("--fault-budget must be positive, got %s", opts.FaultBudget)}
	}
	if opts.Redaction, err = redact.LoadFile(*redactConfig); err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--redact-config: %w", err)}
	}
	if opts.Timeout <= 0 {
		return &runner.UsageError{Err: fmt.Errorf("--timeout must be positive, got %s", opts.Timeout)}
	}
	if opts.MaxFrameBytes <= 0 {
		return &runner.UsageError{Err: fmt.Errorf("--ws-max-frame must be a positive number of bytes, got %d", opts.MaxFrameBytes)}
	}
	if opts.Retries < 0 || opts.Retries > 10 {
		return &runner.UsageError{Err: fmt.Errorf("--retries must be between 0 and 10, got %d", opts.Retries)}
	}
	if opts.FlakeAttempts < 1 || opts.FlakeAttempts > 5 {
		return &runner.UsageError{Err: fmt.Errorf("--flake-attempts must be between 1 and 5, got %d", opts.FlakeAttempts)}
	}
	if opts.BaseURL == "" {
		if *requireTarget {
			return &runner.UsageError{Err: fmt.Errorf("no target: --require-target (or MM_REQUIRE_TARGET=1) is set but MM_BASE_URL and --base-url are empty; a run meant for the vendor must not pass on the embedded simulator")}
		}
		if name := credentialWithoutTarget(c.getenv); name != "" && opts.Scenario == "" {
			return &runner.UsageError{Err: fmt.Errorf("%s is set but MM_BASE_URL is not: the run would send your credentials to the embedded simulator instead of the vendor. "+
				"Set MM_BASE_URL (or --base-url) to the vendor's server root, or unset %s; to try credentials on the simulator on purpose, give --scenario nominal", name, name)}
		}
	}
	// After the target checks: a credential without a target is the problem to
	// name first, before whether the credentials are complete.
	if opts.Credentials, err = credentialsFromEnv(c.getenv); err != nil {
		return err
	}
	// The signal that interrupts the run decides its exit code (130 or 143).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	opts.Signals = sigs
	out, err := runner.Run(ctx, opts, c.stdout, c.stderr)
	if err != nil {
		return err
	}
	return &exitError{code: out.ExitCode}
}

// shardOption is --shard, else the Indexed Job's environment, else nil.
func shardOption(flag string, getenv func(string) string) (*results.Shard, error) {
	if flag == "" {
		return runner.ShardFromEnv(getenv)
	}
	s, err := runner.ParseShard(flag)
	return &s, err
}

// vendorCredentialVars are the environment variables that hold a vendor
// credential or identity; none is meant for the embedded simulator.
var vendorCredentialVars = []string{"MM_LOGIN_NAME", "MM_LOGIN_PASSWORD", "MM_TOKEN", "MM_COMPANY_ID",
	"MM_APP_ID", "MM_APP_SECRET", "MM_API_KEY", "MM_API_SECRET", "MM_COMPANY_PUBLIC_KEY"}

// credentialWithoutTarget names the first vendor credential set in the
// environment, or "": a missing MM_BASE_URL secret in CI must not send the
// real credentials to the simulator and pass.
func credentialWithoutTarget(getenv func(string) string) string {
	for _, name := range vendorCredentialVars {
		if getenv(name) != "" {
			return name
		}
	}
	return ""
}

// credentialsFromEnv reads credentials from the environment only: they must
// never appear in flags (visible in ps) or files.
func credentialsFromEnv(getenv func(string) string) (runner.Credentials, error) {
	creds := runner.Credentials{
		CompanyID:     getenv("MM_COMPANY_ID"),
		LoginName:     getenv("MM_LOGIN_NAME"),
		LoginPassword: getenv("MM_LOGIN_PASSWORD"),
		PhoneArea:     getenv("MM_PHONE_AREA"),
		Token:         getenv("MM_TOKEN"),
		Lang:          getenv("MM_LANG"),
		AppID:         getenv("MM_APP_ID"),
		AppSecret:     getenv("MM_APP_SECRET"),
		APIKey:        getenv("MM_API_KEY"),
		APISecret:     getenv("MM_API_SECRET"),
		// A key pasted with literal "\n" escapes (common in CI secret
		// stores) is still a key.
		CompanyPublicKey: strings.ReplaceAll(getenv("MM_COMPANY_PUBLIC_KEY"), `\n`, "\n"),
	}
	creds.APISecret = strings.ReplaceAll(creds.APISecret, `\n`, "\n")
	// Keys are parsed here so a bad one is a usage error (exit 2) before
	// anything runs; the errors name the variable, never its value.
	if (creds.APIKey == "") != (creds.APISecret == "") {
		return creds, &runner.UsageError{Err: fmt.Errorf("MM_API_KEY and MM_API_SECRET must be set together")}
	}
	if creds.APISecret != "" {
		if _, err := signing.ParsePrivateKey(creds.APISecret); err != nil {
			return creds, &runner.UsageError{Err: fmt.Errorf("MM_API_SECRET is not a usable RSA private key (want base64 PKCS#8 DER or PEM): %w", err)}
		}
	}
	if creds.CompanyPublicKey != "" {
		if _, err := signing.ParsePublicKey(creds.CompanyPublicKey); err != nil {
			return creds, &runner.UsageError{Err: fmt.Errorf("MM_COMPANY_PUBLIC_KEY is not a usable RSA public key (want base64 X.509 DER or PEM): %w", err)}
		}
	}
	if t := getenv("MM_LOGIN_TYPE"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 3 {
			return creds, &runner.UsageError{Err: fmt.Errorf("MM_LOGIN_TYPE must be 1 (email), 2 (phone) or 3 (account), got %q", t)}
		}
		creds.LoginType = n
	}
	if creds.LoginName != "" && creds.LoginPassword == "" && creds.Token == "" {
		return creds, &runner.UsageError{Err: fmt.Errorf("MM_LOGIN_NAME is set but MM_LOGIN_PASSWORD is empty")}
	}
	return creds, nil
}
