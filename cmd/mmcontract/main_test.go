package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"github.com/mmcontract/mmcontract/runner/history/pgtest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/junit/junittest"
	"github.com/mmcontract/mmcontract/reports/results"
)

// binary is the real mmcontract, built once for every end-to-end test:
// Ginkgo runs specs once per process, so each run is its own process, as in
// production.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// The inner loop: no binary, so every end-to-end test skips
		// (needBinary) and the package's unit tests still run.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "mmcontract-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "mmcontract")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic("building mmcontract: " + err.Error())
	}
	code := pgtest.Main(m) // stops the PostgreSQL server if a test started one
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

type runResult struct {
	code           int
	stdout, stderr string
	out            string
}

// needBinary skips t in -short mode, where the real binary is not built:
// every test that runs it is an end-to-end test, seconds each.
func needBinary(t testing.TB) {
	t.Helper()
	if binary == "" {
		t.Skip("end-to-end test skipped in -short mode (it builds and runs the real binary)")
	}
}

// mmcontractCmd is the binary with args and a clean environment plus env,
// not yet started; t is skipped in -short mode.
func mmcontractCmd(t testing.TB, env []string, args ...string) *exec.Cmd {
	needBinary(t)
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	return cmd
}

// mmcontract runs the binary with args and a clean environment plus env.
func mmcontract(t testing.TB, env []string, args ...string) runResult {
	t.Helper()
	cmd := mmcontractCmd(t, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running mmcontract %v: %v", args, err)
	}
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// runSim runs `mmcontract run` against the embedded simulator.
func runSim(t *testing.T, out string, args ...string) (runResult, results.Results) {
	t.Helper()
	r := mmcontract(t, nil, append([]string{"run", "--out", out}, args...)...)
	r.out = out
	return r, readResults(t, out)
}

func readResults(t testing.TB, out string) results.Results {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatalf("results.json: %v", err)
	}
	var res results.Results
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("results.json does not parse: %v", err)
	}
	return res
}

// Ensure the main job passes against the simulator and writes every output
// in a form its consumer accepts.
func TestRunNominal(t *testing.T) {
	out := t.TempDir()
	r, res := runSim(t, out)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if res.Verdict != verdict.Pass || res.SchemaVersion != 1 {
		t.Fatalf("verdict %s schema_version %d, want pass and 1", res.Verdict, res.SchemaVersion)
	}
	if res.Counts[verdict.Pass] < 17*5 {
		t.Errorf("only %d passing checks; want at least 5 per operation for 17 operations", res.Counts[verdict.Pass])
	}
	ids := map[string]bool{}
	for _, c := range res.Checks {
		if ids[c.ID] {
			t.Errorf("duplicate check id %s (%s)", c.ID, c.Spec)
		}
		ids[c.ID] = true
		if c.Operation == "" || len(c.Labels) == 0 {
			t.Errorf("check %q lacks operation or labels", c.Spec)
		}
	}
	// One testcase per spec, parsed back by an XML JUnit reader.
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name       string `xml:"name,attr"`
				Properties []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"properties>property"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	raw, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(raw, &suites); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	cases := 0
	for _, s := range suites.Suites {
		cases += len(s.Cases)
	}
	junittest.Validate(t, filepath.Join(out, "junit.xml"))
	if cases != len(res.Checks) || suites.Failures != 0 {
		t.Errorf("junit has %d testcases and %d failures; want %d and 0", cases, suites.Failures, len(res.Checks))
	}
	for _, f := range []string{"ginkgo.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	if !strings.Contains(r.stdout, "verdict PASS") {
		t.Errorf("the summary does not state the verdict:\n%s", r.stdout)
	}
	// A bare run checks the simulator and says so plainly (issue 11).
	if res.TargetKind != results.TargetSimulator || !strings.Contains(r.stdout, "checking the embedded SIMULATOR, not the vendor") ||
		!strings.Contains(r.stdout, "target: the embedded simulator, not the vendor") {
		t.Errorf("target_kind %q; the console does not say the run checked the simulator:\n%s", res.TargetKind, r.stdout)
	}
	if html, err := os.ReadFile(filepath.Join(out, "report.html")); err != nil || !strings.Contains(string(html), "<strong>Simulator run:</strong>") {
		t.Errorf("report.html lacks the simulator banner (%v)", err)
	}
}

// Ensure a label filter selects exactly one operation's specs.
func TestRunLabelFilterSelectsOneOperation(t *testing.T) {
	r, res := runSim(t, t.TempDir(), "--label-filter", "findCustomerInfo && client")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ran := 0
	for _, c := range res.Checks {
		if c.Verdict == verdict.Skipped {
			continue
		}
		ran++
		if c.Operation != "customer.app.CustomerWebApiService.findCustomerInfo" {
			t.Errorf("ran %s (%s), not selected by the filter", c.Operation, c.Spec)
		}
	}
	if ran < 5 {
		t.Errorf("ran %d findCustomerInfo checks, want at least 5 (4 contract specs, drift, negative auth)", ran)
	}
}

// Ensure every simulator scenario ends with its documented verdict, exit code
// and, for contract breaks, the JSON pointer that broke.
func TestRunScenarios(t *testing.T) {
	for _, sc := range simulator.Scenarios() {
		sc := sc
		if sc.Kind == "nominal" || sc.Name == "enum-added" || sc.Kind == simulator.KindWebsocket {
			// enum-added is drift only against a baseline that saw the old
			// values; TestDriftAgainstAcceptedBaseline covers it. Websocket
			// scenarios reach other checks: TestQuoteScenarios runs them.
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			r, res := runSim(t, out, "--scenario", sc.Name, "--label-filter", "findCustomerInfo && !negative",
				"--timeout", "2s", "--retries", "1", "--flake-attempts", "1")
			if res.Verdict != sc.ExpectedVerdict {
				t.Fatalf("verdict %s, want %s\n%s", res.Verdict, sc.ExpectedVerdict, r.stdout)
			}
			want := map[verdict.Verdict]int{verdict.Pass: 0, verdict.Drifted: 0, verdict.Broken: 1, verdict.Unavailable: 3}[sc.ExpectedVerdict]
			if r.code != want {
				t.Errorf("exit %d, want %d", r.code, want)
			}
			var reasons []string
			found := sc.Pointer == ""
			for _, c := range res.Checks {
				if c.Verdict == verdict.Unavailable || c.Verdict == verdict.Broken {
					if c.Message == "" || strings.Contains(c.Message, "\n") {
						t.Errorf("check %q has no one-line reason: %q", c.Spec, c.Message)
					}
					reasons = append(reasons, c.Message)
				}
				for _, v := range c.Violations {
					found = found || v.Pointer == sc.Pointer
				}
				for _, d := range c.Drift {
					found = found || d.Pointer == sc.Pointer
				}
			}
			if !found {
				t.Errorf("no violation or drift names %s; reasons: %q", sc.Pointer, reasons)
			}
		})
	}
}

// Ensure bad input exits 2 with a message naming the problem.
func TestRunUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"unknown flag", nil, []string{"run", "--nope"}, "flag provided but not defined: -nope"},
		{"bad label filter", nil, []string{"run", "--label-filter", "smoke &&"}, "--label-filter"},
		{"bad fail-on", nil, []string{"run", "--fail-on", "broken,sometimes"}, `unknown verdict "sometimes"`},
		{"unknown scenario", nil, []string{"run", "--scenario", "no-such"}, "no-such"},
		{"negative timeout", nil, []string{"run", "--timeout", "-1s"}, "--timeout must be positive"},
		{"target without company", []string{"MM_BASE_URL=http://127.0.0.1:9"}, []string{"run"}, "MM_COMPANY_ID"},
		{"target without credentials", []string{"MM_BASE_URL=http://127.0.0.1:9", "MM_COMPANY_ID=439"}, []string{"run"}, "MM_LOGIN_NAME"},
		{"bad login type", []string{"MM_LOGIN_TYPE=9"}, []string{"run"}, "MM_LOGIN_TYPE"},
		{"scenario with target", []string{"MM_BASE_URL=http://127.0.0.1:9"}, []string{"run", "--scenario", "waf-403"}, "--scenario"},
		{"missing baseline", nil, []string{"run", "--baseline", "/nonexistent/baselines"}, "baseline accept"},
		{"unknown command", nil, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"stray argument", nil, []string{"run", "extra"}, `unexpected argument "extra"`},
		{"report from nothing", nil, []string{"report", "--from", "/nonexistent"}, "results.json"},
		{"baseline without dir", nil, []string{"baseline", "accept", "--from", "/nonexistent"}, "--baseline DIR is required"},
		// Issue 11: nothing that was meant to check the vendor passes on the simulator or by accident.
		{"fail-on empty", nil, []string{"run", "--fail-on", ""}, `--fail-on "" lists no verdict, so no run could ever fail`},
		{"fault budget zero", nil, []string{"run", "--fault-budget", "0s"}, "--fault-budget must be positive"},
		{"label filter selects nothing", nil, []string{"run", "--label-filter", "findCustomerInf"}, `label filter "findCustomerInf" selected no specs`},
		{"require target flag", nil, []string{"run", "--require-target"}, "no target: --require-target (or MM_REQUIRE_TARGET=1) is set but MM_BASE_URL and --base-url are empty"},
		{"require target env", []string{"MM_REQUIRE_TARGET=1"}, []string{"run"}, "no target: --require-target"},
		{"login without target", []string{"MM_LOGIN_NAME=ops@example.com", "MM_LOGIN_PASSWORD=pw"}, []string{"run"},
			"MM_LOGIN_NAME is set but MM_BASE_URL is not: the run would send your credentials to the embedded simulator"},
		{"token without target", []string{"MM_TOKEN=t"}, []string{"run"}, "MM_TOKEN is set but MM_BASE_URL is not"},
		{"half a login without target", []string{"MM_LOGIN_NAME=ops@example.com"}, []string{"run"}, "MM_LOGIN_NAME is set but MM_BASE_URL is not"},
		{"company without target", []string{"MM_COMPANY_ID=439"}, []string{"run"}, "MM_COMPANY_ID is set but MM_BASE_URL is not"},
		{"manager app without target", []string{"MM_APP_ID=a", "MM_APP_SECRET=s"}, []string{"run"}, "MM_APP_ID is set but MM_BASE_URL is not"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args[0] == "run" {
				args = append([]string{"run", "--out", t.TempDir()}, args[1:]...)
			}
			r := mmcontract(t, tc.env, args...)
			if r.code != verdict.ExitUsage {
				t.Fatalf("exit %d, want 2\nstderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr does not name the problem (%q):\n%s", tc.want, r.stderr)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("stderr shows a panic:\n%s", r.stderr)
			}
		})
	}
}

// Ensure `mmcontract sim` serves on loopback and `run` checks it as a real
// target over HTTP, credentials from the environment.
func TestSimAsTarget(t *testing.T) {
	needBinary(t)
	cmd := exec.Command(binary, "sim", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the sim's banner: %v", err)
	}
	fields := strings.Fields(line)
	var base string
	for _, f := range fields {
		if strings.HasPrefix(f, "http://127.0.0.1:") {
			base = f
		}
	}
	if base == "" {
		t.Fatalf("no loopback address in %q", line)
	}
	u := simulator.DefaultUser()
	out := t.TempDir()
	r := mmcontract(t, []string{"MM_BASE_URL=" + base, "MM_COMPANY_ID=" + simulator.DefaultCompanyID,
		"MM_LOGIN_NAME=" + u.LoginName, "MM_LOGIN_PASSWORD=" + u.Password}, "run", "--out", out, "--label-filter", "smoke")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	res := readResults(t, out)
	if res.Target != base || res.TargetKind != results.TargetVendor {
		t.Errorf("target %q (%s), want %q (vendor)", res.Target, res.TargetKind, base)
	}
	// A wrong password is a configuration error, not a broken vendor: exit
	// 2, verdict config, and outputs still written for the monitor.
	out = t.TempDir()
	r = mmcontract(t, []string{"MM_BASE_URL=" + base, "MM_COMPANY_ID=" + simulator.DefaultCompanyID,
		"MM_LOGIN_NAME=" + u.LoginName, "MM_LOGIN_PASSWORD=wrong-password"}, "run", "--out", out)
	if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "CUSTOMER_API_0000102") {
		t.Errorf("wrong password: exit %d, want 2 naming CUSTOMER_API_0000102\n%s", r.code, r.stderr)
	}
	res = readResults(t, out)
	if res.Verdict != verdict.Config || res.ConfigError == nil || res.ConfigError.Kind != verdict.CredentialsRejected ||
		!strings.Contains(res.ConfigError.Message, "check MM_LOGIN_NAME, MM_LOGIN_PASSWORD") || res.Counts[verdict.Broken] != 0 {
		t.Errorf("wrong password: verdict %s, config_error %+v, counts %v; want config, credentials_rejected naming the variables, nothing broken",
			res.Verdict, res.ConfigError, res.Counts)
	}
}
