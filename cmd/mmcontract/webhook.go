package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner"
)

// webhookCommand checks the user's own implementation of the vendor's
// Webhook API, as the vendor calls it:
//
//	mmcontract webhook verify --url URL [flags]
type webhookCommand struct{ stdio }

const webhookUsage = "usage: mmcontract webhook verify --url URL [--out DIR] [--fail-on broken,unavailable] [--allow-mutations]\n" +
	"                                 [--company-id ID] [--user NAME] [--currency CCY] [--third-server-code CODE]\n" +
	"                                 [--amount 1.00] [--label-filter EXPR] [--insecure] [--redact-config FILE] [-v]"

func (c *webhookCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &runner.UsageError{Err: errors.New("a subcommand is required\n" + webhookUsage)}
	}
	switch args[0] {
	case "verify":
		return c.verify(ctx, args[1:])
	case "-h", "--help", "help":
		return &helpRequest{usage: webhookUsage + "\n"}
	}
	return &runner.UsageError{Err: fmt.Errorf("unknown webhook subcommand %q%s\n%s", args[0], didYouMean(args[0], []string{"verify"}), webhookUsage)}
}

func (c *webhookCommand) verify(ctx context.Context, args []string) error {
	fs := newFlagSet("webhook verify", c.stderr)
	opts := runner.WebhookOptions{Version: version, Commit: commit()}
	fs.StringVar(&opts.URL, "url", "", "base URL of your Webhook API receiver (required); /get-user-amount and the other paths are appended")
	fs.StringVar(&opts.OutDir, "out", "out", "directory for results.json, junit.xml, ginkgo.json and report.html")
	failOn := fs.String("fail-on", verdict.DefaultFailOn, "verdicts that make the run exit non-zero: broken, unavailable, skipped")
	fs.BoolVar(&opts.AllowMutations, "allow-mutations", false, "run the mutating checks (they adjust the test account's balance, and cancel each adjustment) against a receiver that is not on loopback")
	companyID := c.getenv("MM_COMPANY_ID")
	if companyID == "" {
		companyID = simulator.DefaultCompanyID
	}
	fs.StringVar(&opts.CompanyID, "company-id", companyID, "the companyId header the vendor sends ($MM_COMPANY_ID when set, else the vendor's test company)")
	fs.StringVar(&opts.UserName, "user", simulator.DefaultWebhookUser, "userName of the test account at your receiver (a demo account: the mutating checks move --amount in and out of it)")
	fs.StringVar(&opts.Currency, "currency", simulator.DefaultWebhookCurrency, "currency of the test account (ISO 3-letter)")
	fs.StringVar(&opts.ThirdServerCode, "third-server-code", "mmcontract", "thirdServerCode sent with every request")
	fs.StringVar(&opts.Amount, "amount", "1.00", "positive decimal amount each adjustment moves; its decimal places are the amountDigits sent")
	fs.StringVar(&opts.LabelFilter, "label-filter", "", "Ginkgo label filter over the checks, e.g. 'readonly' or 'cancel'")
	fs.BoolVar(&opts.Insecure, "insecure", false, "skip TLS certificate verification (prints a warning)")
	redactConfig := fs.String("redact-config", "", "YAML file extending or adjusting the redacted keys (default: the built-in safe list)")
	fs.BoolVar(&opts.Verbose, "v", false, "also stream Ginkgo's own reporter output to stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if opts.FailOn, err = failOnFlag(*failOn); err != nil {
		return err
	}
	if opts.Redaction, err = redact.LoadFile(*redactConfig); err != nil {
		return &runner.UsageError{Err: fmt.Errorf("--redact-config: %w", err)}
	}
	var stop func()
	opts.Signals, stop = interruptSignals()
	defer stop()
	out, err := runner.VerifyWebhook(ctx, opts, c.stdout, c.stderr)
	if err != nil {
		return err
	}
	return &exitError{code: out.ExitCode}
}
