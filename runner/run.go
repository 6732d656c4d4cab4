package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/atomicfile"
	"github.com/mmcontract/mmcontract/internal/mmapi"
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
	Insecure       bool
	Scenario       string        // simulator scenario, only without BaseURL
	Redaction      redact.Config // sensitive keys; the zero value is the safe default
	Verbose        bool
	Version        string
	Commit         string
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
	if _, err := types.ParseLabelFilter(opts.LabelFilter); err != nil {
		return Outcome{}, usagef("--label-filter %q: %v", opts.LabelFilter, err)
	}
	if opts.BaseURL != "" && opts.Scenario != "" {
		return Outcome{}, usagef("--scenario selects a simulator scenario; it cannot be combined with a target (--base-url or MM_BASE_URL)")
	}
	if opts.FlakeAttempts < 1 {
		opts.FlakeAttempts = 1
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return Outcome{}, usagef("--out %s: %v", opts.OutDir, err)
	}
	// One redactor for the whole run: the schemas' violation texts, the
	// recorded exchanges and every writer share what it has learned.
	red := redact.New(opts.Redaction)
	set, err := schemas.Load(schemas.WithRedactor(red))
	if err != nil {
		return Outcome{}, fmt.Errorf("loading schemas: %w", err)
	}
	red.Learn(opts.Credentials.LoginPassword, opts.Credentials.Token, opts.Credentials.AppSecret,
		opts.Credentials.APIKey, opts.Credentials.APISecret)

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
	fam, err := buildFamilies(target, creds, opts, red)
	if err != nil {
		return Outcome{}, err
	}
	if err := preflightLogin(ctx, fam.client, creds); err != nil {
		return Outcome{}, err
	}

	env := &suites.Env{
		Client: fam.client, OpenAPI: fam.openAPI, Manager: fam.manager, OpenAPIVariant: fam.openAPIVariant,
		Schemas: set, Redactor: red,
		Simulator: opts.BaseURL == "", AllowMutations: opts.AllowMutations,
		RequestTimeout: opts.Timeout, Retries: opts.Retries,
	}
	drift, err := newDriftChecker(set, opts.BaselineDir)
	if err != nil {
		return Outcome{}, err
	}
	env.Drift = drift
	if err := suites.Register(env); err != nil {
		return Outcome{}, fmt.Errorf("building the suite: %w", err)
	}

	console := red.Writer(stdout)
	progress := newProgress(console)
	ginkgo.ReportAfterEach(progress.spec)
	var report types.Report
	ginkgo.ReportAfterSuite("mmcontract outputs", func(r types.Report) { report = r })

	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	suiteConfig.LabelFilter = opts.LabelFilter
	suiteConfig.FlakeAttempts = opts.FlakeAttempts
	suiteConfig.Timeout = 24 * time.Hour // a run is bounded by its specs' own timeouts and the caller's context
	suiteConfig.RandomSeed = 1           // stable order: the same run reads the same way twice
	reporterConfig.NoColor = true
	reporterConfig.Succinct = true
	// Ginkgo's console reporter writes to formatter.ColorableStdOut. Route it
	// through the redactor, and keep it for --verbose: our own progress lines
	// and summary are what a person reads.
	formatter.ColorableStdOut = io.Discard
	if opts.Verbose {
		formatter.ColorableStdOut = red.Writer(stderr)
	}
	fmt.Fprintf(console, "mmcontract %s: checking %s\n", opts.Version, displayTarget(opts.BaseURL, target, opts.Scenario))
	ginkgo.RunSpecs(failer{}, "mmcontract", suiteConfig, reporterConfig)

	res := results.Build(report, results.Meta{
		Target: displayTarget(opts.BaseURL, target, opts.Scenario), Version: opts.Version, Commit: opts.Commit,
		LabelFilter: opts.LabelFilter, Baseline: opts.BaselineDir,
	})
	if err := writeOutputs(opts.OutDir, report, res, red); err != nil {
		return Outcome{}, err
	}
	printSummary(console, res, opts)
	return Outcome{Results: res, ExitCode: opts.FailOn.ExitCode(res.Counts)}, nil
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

// preflightLogin turns rejected credentials into a usage error before any
// spec runs, so a wrong password reads as "fix your config", not as a broken
// vendor. An unreachable vendor is left to the specs, which report it.
func preflightLogin(ctx context.Context, c *mmapi.Client, creds Credentials) error {
	if creds.Token != "" {
		return nil
	}
	err := c.Login(ctx)
	var ve *mmapi.VendorError
	if errors.As(err, &ve) {
		return usagef("login rejected by the vendor: bizCode=%s code=%s msg=%s (check MM_LOGIN_NAME, MM_LOGIN_PASSWORD, MM_COMPANY_ID)", ve.BizCode, ve.Code, ve.Msg)
	}
	return nil
}

// startSimulator serves the embedded simulator on loopback. It trusts the
// Open API key and Manager app given in creds as well as its demo ones, so a
// run with real-looking credentials exercises them end to end.
func startSimulator(set *schemas.Set, scenario string, creds Credentials) (string, simulator.DemoCredentials, func(), error) {
	var none simulator.DemoCredentials
	simOpts := simulator.Options{Schemas: set, Scenario: scenario}
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
func writeOutputs(dir string, report types.Report, res results.Results, red *redact.Redactor) error {
	ginkgoJSON, err := json.MarshalIndent([]types.Report{report}, "", "  ")
	if err != nil {
		return fmt.Errorf("ginkgo.json: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, "ginkgo.json"), []byte(red.Known(string(ginkgoJSON))), 0o644); err != nil {
		return err
	}
	resJSON, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, "results.json"), []byte(red.Known(string(resJSON))+"\n"), 0o644); err != nil {
		return err
	}
	if err := junit.Write(filepath.Join(dir, "junit.xml"), report, res.Checks, red); err != nil {
		return err
	}
	return writeHTML(dir, report, res, red)
}
