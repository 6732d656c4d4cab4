package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/atomicfile"
	"github.com/mmcontract/mmcontract/internal/jsontok"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/signing"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/junit"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites"
)

// Credentials come from the environment only, never from flags or files.
type Credentials struct {
	CompanyID     string // MM_COMPANY_ID
	LoginName     string // MM_LOGIN_NAME
	LoginPassword string // MM_LOGIN_PASSWORD
	LoginType     int    // MM_LOGIN_TYPE
	PhoneArea     string // MM_PHONE_AREA
	Token         string // MM_TOKEN
	Lang          string // MM_LANG
	AppID         string // MM_APP_ID
	AppSecret     string // MM_APP_SECRET
	// APIKey and APISecret enable the Open API family: the vendor's apiKey
	// and its secret key (base64 PKCS#8 DER, or PEM).
	APIKey    string // MM_API_KEY
	APISecret string // MM_API_SECRET
	// CompanyPublicKey switches the Client and Manager families to the
	// encrypted mode (base64 X.509 DER, or PEM).
	CompanyPublicKey string // MM_COMPANY_PUBLIC_KEY
	// Auth2AppID and Auth2AppSecret are the third-party application the
	// auth2 specs sign the customer in for; Auth2ThirdAppType is its
	// thirdAppType and Auth2BaseURL where the Auth2 API lives ("":
	// {base}/cats-gateway-auth2).
	Auth2AppID        string // MM_AUTH2_APP_ID
	Auth2AppSecret    string // MM_AUTH2_APP_SECRET
	Auth2ThirdAppType string // MM_AUTH2_THIRD_APP_TYPE
	Auth2BaseURL      string // MM_AUTH2_BASE_URL
}

// Options configure one run.
type Options struct {
	BaseURL        string // server root; "" runs against the embedded simulator
	Credentials    Credentials
	LabelFilter    string
	OutDir         string
	Timeout        time.Duration // per request
	Retries        int
	FailOn         verdict.FailOn
	FlakeAttempts  int
	BaselineDir    string
	AllowMutations bool
	// MaxOrderNotional caps every order a mutating spec places (0: none).
	MaxOrderNotional float64
	Insecure         bool
	Scenario         string // simulator scenario, only without BaseURL
	// FaultBudget is the run-wide time for retry backoff and rate-limit
	// waits (mmapi.Breaker); 0 means mmapi.DefaultWaitBudget.
	FaultBudget time.Duration
	// Signals delivers the SIGINT or SIGTERM that interrupts the run, so its
	// exit code can say which (130 or 143); nil reads as SIGINT.
	Signals <-chan os.Signal
	// Shard narrows the run to one shard of the selected operations; nil
	// runs them all.
	Shard *results.Shard
	// RatePerMinute is the target's per-operation budget (0: the client's
	// default, 240); a shard uses its share (ShardRate).
	RatePerMinute int
	Redaction     redact.Config // sensitive keys; the zero value is the safe default
	// QuoteSymbols are the quote specs' products, "id:tradeType:tradeMode"
	// comma-separated (MM_QUOTE_SYMBOLS); "" against the simulator uses its
	// first two symbols, against a target skips the specs that need them.
	QuoteSymbols string
	// MaxFrameBytes caps a websocket frame (0: wsclient.DefaultMaxFrameBytes).
	MaxFrameBytes int64
	Verbose       bool
	Version       string
	Commit        string
}

// UsageError is a problem with flags, environment or configuration: exit 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// Outcome is what a finished run produced.
type Outcome struct {
	Results  results.Results
	ExitCode int
}

// Run performs one run and writes its outputs into opts.OutDir. It must be
// called at most once per process (a Ginkgo constraint).
func Run(ctx context.Context, opts Options, stdout, stderr io.Writer) (Outcome, error) {
	formatter.SingletonFormatter = formatter.New(formatter.ColorModeNone) // Ginkgo's texts, e.g. its errors, never in colour
	selects, err := types.ParseLabelFilter(opts.LabelFilter)
	if err != nil {
		return Outcome{}, usagef("--label-filter %q: %s", opts.LabelFilter, ginkgoReason(err))
	}
	if opts.BaseURL != "" && opts.Scenario != "" {
		return Outcome{}, usagef("--scenario selects a simulator scenario; it cannot be combined with a target (--base-url or MM_BASE_URL)")
	}
	if opts.FlakeAttempts < 1 {
		opts.FlakeAttempts = 1
	}
	if err := checkWritable(opts.OutDir); err != nil {
		return Outcome{}, err
	}
	// One redactor for the whole run: the schemas' violation texts, the
	// recorded exchanges and every writer share what it has learned.
	red := redact.New(opts.Redaction)
	set, err := schemas.Load(schemas.WithRedactor(red))
	if err != nil {
		return Outcome{}, fmt.Errorf("loading schemas: %w", err)
	}
	red.Learn(opts.Credentials.LoginPassword, opts.Credentials.Token, opts.Credentials.AppSecret,
		opts.Credentials.APIKey, opts.Credentials.APISecret, opts.Credentials.Auth2AppSecret)

	target := opts.BaseURL
	creds := opts.Credentials
	if target == "" {
		sim, demo, stop, err := startSimulator(set, opts.Scenario, creds)
		if err != nil {
			return Outcome{}, err
		}
		defer stop()
		target = sim
		if err := useDemoCredentials(&creds, demo, red); err != nil {
			return Outcome{}, err
		}
		if creds.LoginName == "" && creds.Token == "" {
			u := simulator.DefaultUser()
			creds.LoginName, creds.LoginPassword = u.LoginName, u.Password
			red.Learn(u.Password)
		}
		if creds.CompanyID == "" {
			creds.CompanyID = simulator.DefaultCompanyID
		}
	}
	if creds.CompanyID == "" {
		return Outcome{}, usagef("MM_COMPANY_ID is required with a target")
	}
	if creds.Token == "" && (creds.LoginName == "" || creds.LoginPassword == "") {
		return Outcome{}, usagef("credentials: set MM_LOGIN_NAME and MM_LOGIN_PASSWORD, or MM_TOKEN")
	}
	if opts.Insecure {
		fmt.Fprintln(stderr, "WARNING: --insecure: TLS certificates are not verified; anyone on the path can read the credentials")
	}
	breaker := mmapi.NewBreaker(0, 0, opts.FaultBudget)
	rate := ShardRate(opts.RatePerMinute, opts.Shard)
	fam, err := buildFamilies(target, creds, opts, rate, red, breaker)
	if err != nil {
		return Outcome{}, err
	}

	env := &suites.Env{
		Client: fam.client, OpenAPI: fam.openAPI, Manager: fam.manager, OpenAPIVariant: fam.openAPIVariant,
		Auth2:   suites.Auth2Config{AppID: creds.Auth2AppID, AppSecret: creds.Auth2AppSecret, ThirdAppType: creds.Auth2ThirdAppType},
		Schemas: set, Redactor: red,
		Simulator: opts.BaseURL == "", AllowMutations: opts.AllowMutations, MaxOrderNotional: opts.MaxOrderNotional,
		RequestTimeout: opts.Timeout, Retries: opts.Retries,
		Setup: baseURLProblem(opts.BaseURL),
	}
	if opts.LabelFilter != "" {
		// Ginkgo would only skip the specs the filter leaves out, after
		// building, ordering and reporting each (most of a smoke run's tree).
		env.Selects = selects
	}
	drift, err := newDriftChecker(set, opts.BaselineDir)
	if err != nil {
		return Outcome{}, err
	}
	env.Drift = drift
	if env.Websocket, err = websocketTarget(target, opts, red); err != nil {
		return Outcome{}, err
	}
	env.OpenMsgAppID = creds.APIKey
	if err := suites.Register(env); err != nil {
		return Outcome{}, fmt.Errorf("building the suite: %w", err)
	}
	var plan shardPlan
	if opts.Shard != nil {
		if plan, err = planShard(env, withoutSlow(opts.LabelFilter), *opts.Shard); err != nil {
			return Outcome{}, err
		}
		if plan.selected == 0 {
			return Outcome{}, noSpecs(opts.LabelFilter)
		}
	}
	// The login is checked once, before the first spec, and only when the
	// label filter selected any: a rejected login or a gateway that does not
	// route it is a set-up problem that every check then reports as config.
	ginkgo.BeforeSuite(func(ctx ginkgo.SpecContext) {
		if env.Setup == nil {
			env.Setup = preflightLogin(ctx, fam.client, creds, red)
		}
	}, ginkgo.NodeTimeout(env.CallTimeout()))

	g := newGinkgoRun(stdout, stderr, red, withoutSlow(opts.LabelFilter), opts.Verbose)
	g.suite.FlakeAttempts = opts.FlakeAttempts
	g.suite.Timeout = 24 * time.Hour // a run is bounded by its specs' own timeouts and the caller's context
	console := g.console
	kind := results.TargetVendor
	if opts.BaseURL == "" {
		kind = results.TargetSimulator
		fmt.Fprintf(console, "mmcontract %s: checking the embedded SIMULATOR, not the vendor: %s (set MM_BASE_URL to check the vendor)\n",
			opts.Version, displayTarget(opts.BaseURL, target, opts.Scenario))
	} else {
		fmt.Fprintf(console, "mmcontract %s: checking the vendor at %s\n", opts.Version, red.Text(target))
	}
	if opts.Shard != nil {
		fmt.Fprintf(console, "shard %s: %d of the %d operations the label filter selects; %d requests per minute per operation (%d shared by %d shards)\n",
			opts.Shard, len(plan.mine), plan.selected, rate, ShardRate(opts.RatePerMinute, nil), opts.Shard.Total)
		if len(plan.mine) == 0 {
			fmt.Fprintf(console, "shard %s is empty: the label filter selects only %d operations; nothing to check here\n", opts.Shard, plan.selected)
		}
	}
	if ctx.Err() != nil {
		return Outcome{ExitCode: interruptExit(opts.Signals)}, nil
	}
	report := g.runSpecs("mmcontract")

	// An empty shard is not an error: the filter selected operations, the
	// other shards have them (planShard refused a filter selecting none).
	if report.PreRunStats.SpecsThatWillRun == 0 && !results.Interrupted(report) && opts.Shard == nil {
		return Outcome{}, noSpecs(opts.LabelFilter)
	}
	ix := results.NewIndex([]types.Report{report})
	res := results.BuildIndexed(report, ix, results.Meta{
		Target: displayTarget(opts.BaseURL, target, opts.Scenario), TargetKind: kind, Version: opts.Version, Commit: opts.Commit,
		LabelFilter: opts.LabelFilter, Baseline: opts.BaselineDir, ConfigError: env.Setup,
		Shard: opts.Shard, RatePerMinute: rate,
	})
	if opts.BaselineDir != "" {
		res.Baselines = drift.account(opts.BaselineDir, res.Checks)
	}
	if err := writeOutputs(opts.OutDir, report, ix, res, red); err != nil {
		return Outcome{}, err
	}
	printSummary(console, res, opts)
	return Outcome{Results: res, ExitCode: exitCode(res, opts, red, stderr)}, nil
}

// noSpecs is the usage error of a label filter that selects nothing.
func noSpecs(filter string) error {
	return usagef("label filter %q selected no specs (labels: operation names such as findCustomerInfo, "+
		"families client, openapi, manager; areas; readonly, mutating, smoke, negative, catalog)", filter)
}

// exitCode is the run's exit code: --fail-on's, unless the run was
// interrupted (130/143) or its set-up or baseline turned out unusable (2);
// the reason for the latter goes to stderr.
func exitCode(res results.Results, opts Options, red *redact.Redactor, stderr io.Writer) int {
	code := opts.FailOn.ExitCode(res.Counts)
	switch {
	case res.Interrupted:
		fmt.Fprintf(stderr, "mmcontract run: interrupted; the checks not run are marked \"not run: interrupted\" in %s/results.json\n", opts.OutDir)
		return interruptExit(opts.Signals)
	case code == verdict.ExitHarness:
		return code
	case res.ConfigError != nil:
		fmt.Fprintf(stderr, "mmcontract run: %s\n", red.Text(res.ConfigError.Message))
		return verdict.ExitUsage
	case res.Baselines != nil && res.Baselines.OperationsWithBaseline == 0 && res.Baselines.OperationsChecked > 0:
		fmt.Fprintf(stderr, "mmcontract run: --baseline %s: none of its baselines matches an operation this run checked "+
			"(want %s/<family>/<bizType>.json, e.g. %s/client/customer.app.CustomerWebApiService.findCustomerInfo.json)\n",
			opts.BaselineDir, opts.BaselineDir, opts.BaselineDir)
		return verdict.ExitUsage
	}
	return code
}

// Exit codes of an interrupted run: 128 plus the signal's number, the shell's
// convention.
const (
	ExitInterrupted = 130 // SIGINT
	ExitTerminated  = 143 // SIGTERM
)

func interruptExit(signals <-chan os.Signal) int {
	select {
	case s := <-signals:
		if s == syscall.SIGTERM {
			return ExitTerminated
		}
	default:
	}
	return ExitInterrupted
}

// checkWritable makes sure the outputs can be written before the first
// request, so an unwritable --out costs nothing.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usagef("--out %s: %v", dir, err)
	}
	f, err := os.CreateTemp(dir, ".mmcontract-probe-*")
	if err != nil {
		return usagef("--out %s is not writable: %v", dir, errors.Unwrap(err))
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return usagef("--out %s: %v", dir, err)
	}
	return nil
}

// apiPrefixes are the family prefixes the client appends to the base URL.
var apiPrefixes = []string{"/api", "/openapi-c", "/openapi-b"}

// baseURLProblem recognises a base URL that already carries a family
// prefix: every request would go to /api/api/…, which the vendor answers in
// ways that look like a broken contract.
func baseURLProblem(base string) *verdict.ConfigError {
	u, err := url.Parse(base)
	if base == "" || err != nil {
		return nil
	}
	path := strings.TrimRight(u.Path, "/")
	for _, p := range apiPrefixes {
		if strings.HasSuffix(path, p) {
			root := u.Scheme + "://" + u.Host + strings.TrimSuffix(path, p)
			return &verdict.ConfigError{Kind: verdict.WrongBaseURL, Message: fmt.Sprintf(
				"wrong base URL: give the server root, e.g. %s, not %s%s (MM_BASE_URL or --base-url; the client adds %s itself)",
				root, root, p, strings.Join(apiPrefixes, ", "))}
		}
	}
	return nil
}

// ginkgoRun is what every command that runs specs once (run, webhook
// verify) sets up around Ginkgo: a progress line per check on the redacted
// console, the report captured after the suite, plain text, a stable order.
type ginkgoRun struct {
	console  io.Writer
	report   types.Report
	suite    types.SuiteConfig
	reporter types.ReporterConfig
}

func newGinkgoRun(stdout, stderr io.Writer, red *redact.Redactor, labelFilter string, verbose bool) *ginkgoRun {
	g := &ginkgoRun{console: red.Writer(stdout)}
	ginkgo.ReportAfterEach(newProgress(g.console).spec)
	ginkgo.ReportAfterSuite("mmcontract outputs", func(r types.Report) { g.report = r })
	g.suite, g.reporter = ginkgo.GinkgoConfiguration()
	g.suite.LabelFilter = labelFilter
	g.suite.RandomSeed = 1 // stable order: the same run reads the same way twice
	g.reporter.NoColor = true
	g.reporter.Succinct = true
	// Ginkgo's console reporter writes to formatter.ColorableStdOut. Route it
	// through the redactor, and keep it for --verbose: our own progress lines
	// and summary are what a person reads.
	formatter.ColorableStdOut = io.Discard
	if verbose {
		formatter.ColorableStdOut = red.Writer(stderr)
	}
	return g
}

// runSpecs runs the tree once and returns Ginkgo's report of it.
func (g *ginkgoRun) runSpecs(name string) types.Report {
	ginkgo.RunSpecs(failer{}, name, g.suite, g.reporter)
	return g.report
}

// failer satisfies ginkgo.GinkgoTestingT outside `go test`; the verdict comes
// from the report, not from this.
type failer struct{}

func (failer) Fail() {}

func displayTarget(base, actual, scenario string) string {
	if base != "" {
		return base
	}
	if scenario == "" {
		scenario = "nominal"
	}
	return fmt.Sprintf("simulator (%s, scenario %s)", actual, scenario)
}

// preflightLogin turns a rejected login into the run's set-up problem before
// any spec calls, so a wrong password reads as "fix your config" (verdict
// config, exit 2), never as a broken vendor. GATEWAY_CODE_010 on the login
// (or a bare HTTP 404) means the gateway does not route it: the base URL is
// not the server root.
// An unreachable vendor is left to the specs, which report it.
func preflightLogin(ctx context.Context, c *mmapi.Client, creds Credentials, red *redact.Redactor) *verdict.ConfigError {
	if creds.Token != "" {
		return nil // a rejected token shows on the first call (suites.Env)
	}
	err := c.Login(ctx)
	var ce *mmapi.ContractError
	if errors.As(err, &ce) && ce.HTTPStatus == http.StatusNotFound {
		// The gateway answers every path with an envelope; a bare 404 means
		// the login went to a server or path that is not the gateway.
		return &verdict.ConfigError{Kind: verdict.WrongBaseURL, Message: fmt.Sprintf(
			"wrong base URL: the login call was answered HTTP 404 without an envelope (%s): give the server root, e.g. https://host, not https://host/api (MM_BASE_URL or --base-url)",
			red.Text(c.URL(mmapi.LoginOperation)))}
	}
	var ve *mmapi.VendorError
	if !errors.As(err, &ve) {
		return nil
	}
	msg := red.Text(oneline.Collapse(ve.Msg, 200))
	if ve.OutsideWindow() {
		return &verdict.ConfigError{Kind: verdict.ClockSkew, Message: suites.ClockSkewMessage(ve.Code, msg)}
	}
	if ve.Code == codeNoSuchInterface {
		return &verdict.ConfigError{Kind: verdict.WrongBaseURL, Message: fmt.Sprintf(
			"wrong base URL: the gateway does not route the login call (%s %s): give the server root, e.g. https://host, not https://host/api (MM_BASE_URL or --base-url)",
			ve.Code, msg)}
	}
	return &verdict.ConfigError{Kind: verdict.CredentialsRejected, Message: fmt.Sprintf(
		"credentials rejected: login rejected by the vendor: bizCode=%s code=%s msg=%s (check MM_LOGIN_NAME, MM_LOGIN_PASSWORD, MM_LOGIN_TYPE and MM_COMPANY_ID)",
		ve.BizCode, ve.Code, msg)}
}

// codeNoSuchInterface is the gateway's "no such interface" answer.
const codeNoSuchInterface = "GATEWAY_CODE_010"

// startSimulator serves the embedded simulator on loopback. It trusts the
// Open API key and Manager app given in creds as well as its demo ones, so a
// run with real-looking credentials exercises them end to end.
func startSimulator(set *schemas.Set, scenario string, creds Credentials) (string, simulator.DemoCredentials, func(), error) {
	var none simulator.DemoCredentials
	simOpts := simulator.Options{Schemas: set, Scenario: scenario, CheckRequests: true}
	if creds.APIKey != "" && creds.APISecret != "" {
		k, err := signing.ParsePrivateKey(creds.APISecret)
		if err != nil {
			return "", none, nil, usagef("MM_API_SECRET: %v", err)
		}
		simOpts.APIKeys = []simulator.APIKey{{Key: creds.APIKey, Pub: &k.PublicKey}}
	}
	if creds.AppID != "" && creds.AppSecret != "" {
		simOpts.ManagerApps = []simulator.ManagerApp{{AppID: creds.AppID, AppSecret: creds.AppSecret}}
	}
	if creds.Auth2AppID != "" && creds.Auth2AppSecret != "" {
		simOpts.Auth2Apps = []simulator.Auth2App{{AppID: creds.Auth2AppID, AppSecret: creds.Auth2AppSecret}}
	}
	sim, err := simulator.New(simOpts)
	if err != nil {
		return "", none, nil, usagef("--scenario: %v", err)
	}
	demo, err := sim.Demo()
	if err != nil {
		return "", none, nil, fmt.Errorf("starting the simulator: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", none, nil, fmt.Errorf("starting the simulator: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = srv.Close()
	}
	return "http://" + ln.Addr().String(), demo, stop, nil
}

// writeOutputs writes every artifact through the redactor's text filter, the
// last line of defence behind the structured redaction done while recording.
// ix is the run's index of report, shared so the observations are decoded
// once for every writer.
func writeOutputs(dir string, report types.Report, ix *results.Index, res results.Results, red *redact.Redactor) error {
	ginkgoJSON, err := jsontok.MarshalIndent([]types.Report{results.Checked(report)}, "", "  ")
	if err != nil {
		return fmt.Errorf("ginkgo.json: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, "ginkgo.json"), red.KnownJSON(ginkgoJSON), 0o644); err != nil {
		return err
	}
	resJSON, err := results.Encode(res)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "results.json"), red.KnownJSON(resJSON), 0o644); err != nil {
		return err
	}
	if err := junit.Write(filepath.Join(dir, "junit.xml"), res, ix, red, junit.Options{Target: res.Target, TargetKind: res.TargetKind, Shard: res.Shard, Merged: res.Merged}); err != nil {
		return err
	}
	return writeHTML(dir, report, ix, res, red)
}
