package runner

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/webhook"
)

// WebhookOptions configure one `mmcontract webhook verify`.
type WebhookOptions struct {
	// URL is the base URL of the user's receiver; the endpoints' paths are
	// appended to it.
	URL string
	// CompanyID is the companyId header the vendor sends.
	CompanyID string
	// UserName, Currency and ThirdServerCode name the test account at the
	// receiver; Amount is what each adjustment moves.
	UserName, Currency, ThirdServerCode, Amount string
	LabelFilter                                 string
	OutDir                                      string
	FailOn                                      verdict.FailOn
	AllowMutations                              bool
	Insecure                                    bool
	Redaction                                   redact.Config
	// Signals delivers the signal that interrupts the run (see Options).
	Signals <-chan os.Signal
	Verbose bool
	Version string
	Commit  string
}

// ParseReceiverURL checks --url: an absolute http or https URL with a host,
// without query or fragment (the endpoints' paths are appended to it).
func ParseReceiverURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, usagef("--url is required: the base URL of your Webhook API receiver, e.g. https://wallet.example.com/mm (the endpoints /get-user-amount, … are appended)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usagef("--url %q is not a URL: %v", raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, usagef("--url %q: the scheme must be http or https", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return nil, usagef("--url %q has no host", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, usagef("--url %q: give the base URL without a query or fragment; the endpoints' paths are appended to it", u.Redacted())
	}
	return u, nil
}

// VerifyWebhook checks the user's Webhook API receiver as the vendor calls
// it and writes the same outputs as Run. Like Run, it must be called at most
// once per process.
func VerifyWebhook(ctx context.Context, opts WebhookOptions, stdout, stderr io.Writer) (Outcome, error) {
	formatter.SingletonFormatter = formatter.New(formatter.ColorModeNone)
	target, err := ParseReceiverURL(opts.URL)
	if err != nil {
		return Outcome{}, err
	}
	if _, err := types.ParseLabelFilter(opts.LabelFilter); err != nil {
		return Outcome{}, usagef("--label-filter %q: %s", opts.LabelFilter, ginkgoReason(err))
	}
	if err := webhook.CheckAmount(opts.Amount); err != nil {
		return Outcome{}, usagef("--amount: %v", err)
	}
	if opts.CompanyID == "" || opts.UserName == "" || opts.Currency == "" || opts.ThirdServerCode == "" {
		return Outcome{}, usagef("--company-id, --user, --currency and --third-server-code must not be empty: the vendor sends each of them")
	}
	// The vendor's own bounds (the Webhook request schemas): a flag beyond
	// them would make every check send a request the vendor never sends.
	if _, err := strconv.ParseInt(opts.CompanyID, 10, 64); err != nil {
		return Outcome{}, usagef("--company-id %q: the companyId header is a long, e.g. 439", opts.CompanyID)
	}
	if n := utf8.RuneCountInString(opts.UserName); n > 48 {
		return Outcome{}, usagef("--user is %d characters long; the vendor's userName has at most 48", n)
	}
	if n := utf8.RuneCountInString(opts.Currency); n > 16 {
		return Outcome{}, usagef("--currency %q is %d characters long; the vendor's currency has at most 16 (an ISO code such as USD)", opts.Currency, n)
	}
	if err := checkWritable(opts.OutDir); err != nil {
		return Outcome{}, err
	}
	red := redact.New(opts.Redaction)
	if pw, ok := target.User.Password(); ok {
		red.Learn(pw)
	}
	set, err := schemas.Load(schemas.WithRedactor(red))
	if err != nil {
		return Outcome{}, fmt.Errorf("loading schemas: %w", err)
	}
	v, err := webhook.New(webhook.Config{
		URL: target, HTTP: mmapi.NewHTTPClient(opts.Insecure), CompanyID: opts.CompanyID,
		UserName: opts.UserName, Currency: opts.Currency, ThirdServerCode: opts.ThirdServerCode, Amount: opts.Amount,
		AllowMutations: opts.AllowMutations, Schemas: set, Redactor: red,
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("building the verification: %w", err)
	}
	if opts.Insecure {
		fmt.Fprintln(stderr, "WARNING: --insecure: TLS certificates are not verified")
	}
	webhook.Register(v)

	g := newGinkgoRun(stdout, stderr, red, opts.LabelFilter, opts.Verbose)
	// Never retried: a mutating check sent twice is a different check.
	g.suite.FlakeAttempts = 1
	g.suite.Timeout = time.Hour // bounded by the specs' own timeouts
	console := g.console
	shown := red.Text(target.Redacted())
	mutations := "on (the receiver is on loopback)"
	switch {
	case opts.AllowMutations:
		mutations = "on (--allow-mutations)"
	case !v.MutationsAllowed():
		mutations = "off: the receiver is not on loopback; they are skipped (give --allow-mutations, against a demo account only)"
	}
	fmt.Fprintf(console, "mmcontract %s: verifying the Webhook API receiver at %s as the vendor calls it (deadline %s; mutating checks %s)\n",
		opts.Version, shown, webhook.Deadline, mutations)
	if ctx.Err() != nil {
		return Outcome{ExitCode: interruptExit(opts.Signals)}, nil
	}
	report := g.runSpecs("mmcontract webhook verify")

	if report.PreRunStats.SpecsThatWillRun == 0 && !results.Interrupted(report) {
		return Outcome{}, usagef("label filter %q selected no check (labels: webhook, the endpoint names, readonly, mutating, %s, %s, %s, %s, %s, %s, smoke)",
			opts.LabelFilter, webhook.LabelSchema, webhook.LabelIdempotency, webhook.LabelNormalClose, webhook.LabelCancel, webhook.LabelNegativeAmount, webhook.LabelUnknownBizType)
	}
	ix := results.NewIndex([]types.Report{report})
	res := results.BuildIndexed(report, ix, results.Meta{
		Target: shown, TargetKind: results.TargetReceiver, Version: opts.Version, Commit: opts.Commit, LabelFilter: opts.LabelFilter,
	})
	if err := writeOutputs(opts.OutDir, report, ix, res, red); err != nil {
		return Outcome{}, err
	}
	printVerdict(console, res, opts.OutDir)
	code := opts.FailOn.ExitCode(res.Counts)
	if res.Interrupted {
		fmt.Fprintf(stderr, "mmcontract webhook verify: interrupted; the checks not run are marked \"not run: interrupted\" in %s/results.json\n", opts.OutDir)
		code = interruptExit(opts.Signals)
	}
	return Outcome{Results: res, ExitCode: code}, nil
}
