package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"golang.org/x/net/html"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/junit/junittest"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/suites/webhook"
)

// verifyWebhook runs `mmcontract webhook verify` against url and reads its
// results.json back.
func verifyWebhook(t *testing.T, env []string, url string, args ...string) (runResult, results.Results) {
	t.Helper()
	out := t.TempDir()
	r := mmcontract(t, env, append([]string{"webhook", "verify", "--url", url, "--out", out}, args...)...)
	r.out = out
	return r, readResults(t, out)
}

// Ensure the reference receiver passes every check, and that every output
// is read back by its consumer: results.json, junit.xml against the XSD,
// ginkgo.json, and report.html by an HTML parser; the test account's user
// name, personal data at a real receiver, is in none of them.
func TestWebhookVerifyReferenceReceiver(t *testing.T) {
	sim := startSim(t, "--webhook-receiver")
	r, res := verifyWebhook(t, nil, sim.base)
	if r.code != verdict.ExitOK || res.Verdict != verdict.Pass {
		t.Fatalf("exit %d verdict %s, want 0 and pass\nstdout:\n%s\nstderr:\n%s", r.code, res.Verdict, r.stdout, r.stderr)
	}
	if res.TargetKind != results.TargetReceiver || res.Target != sim.base {
		t.Errorf("target %q kind %q, want %s and %s", res.Target, res.TargetKind, sim.base, results.TargetReceiver)
	}
	ops := map[string]int{}
	for _, c := range res.Checks {
		ops[c.Operation]++
		if c.Family != webhook.Family || c.Verdict != verdict.Pass {
			t.Errorf("check %q: family %q verdict %s", c.Spec, c.Family, c.Verdict)
		}
	}
	for _, e := range webhook.Endpoints {
		if ops[e.Name] == 0 {
			t.Errorf("no check of %s: %v", e.Name, ops)
		}
	}
	if res.Counts[verdict.Pass] != 10 {
		t.Errorf("%d checks pass, want 10: %v", res.Counts[verdict.Pass], res.Counts)
	}

	junittest.Validate(t, filepath.Join(r.out, "junit.xml"))
	raw, err := os.ReadFile(filepath.Join(r.out, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := junittest.Parse(t, raw)
	if len(doc.Suites) != 1 || doc.Suites[0].Name != "mmcontract webhook "+sim.base || len(doc.Suites[0].Cases) != len(res.Checks) {
		t.Errorf("junit.xml: want one suite %q with %d testcases, got %+v", "mmcontract webhook "+sim.base, len(res.Checks), doc.Suites)
	}

	rows, banners := htmlChecks(t, filepath.Join(r.out, "report.html"))
	if len(rows) != len(res.Checks) || slices.ContainsFunc(rows, func(v string) bool { return v != string(verdict.Pass) }) {
		t.Errorf("report.html shows %d checks %v, want %d passing", len(rows), rows, len(res.Checks))
	}
	if !slices.Contains(banners, "Webhook receiver:") || slices.Contains(banners, "Simulator run:") {
		t.Errorf("report.html banners %q: want the webhook receiver's, not the simulator's", banners)
	}

	raw, err = os.ReadFile(filepath.Join(r.out, "ginkgo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("ginkgo.json: %v (%d reports)", err, len(reports))
	}
	exchanges := 0
	for _, s := range reports[0].SpecReports {
		if obs, ok := results.ObservationOf(s); ok && obs.Exchange != nil {
			exchanges++
			if obs.Exchange.RequestHeaders["Trace"] == nil || obs.Exchange.RequestHeaders["Companyid"] == nil || obs.Exchange.RequestHeaders["Timestamp"] == nil {
				t.Errorf("%s: the vendor's headers were not sent: %v", s.FullText(), obs.Exchange.RequestHeaders)
			}
		}
	}
	if exchanges != len(res.Checks) {
		t.Errorf("ginkgo.json records %d exchanges, want one per check (%d)", exchanges, len(res.Checks))
	}
	for _, f := range []string{"results.json", "junit.xml", "ginkgo.json", "report.html"} {
		b, err := os.ReadFile(filepath.Join(r.out, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(simulator.DefaultWebhookUser)) {
			t.Errorf("%s holds the test account's user name %s", f, simulator.DefaultWebhookUser)
		}
	}
	if strings.Contains(r.stdout, simulator.DefaultWebhookUser) {
		t.Errorf("the console shows the test account's user name:\n%s", r.stdout)
	}
}

// htmlChecks parses report.html with an HTML parser and returns the verdict
// of each check row, in order, and the headings of its notices.
func htmlChecks(t *testing.T, path string) (verdicts, banners []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	root, err := html.Parse(f)
	if err != nil {
		t.Fatalf("report.html does not parse: %v", err)
	}
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			switch {
			case n.Data == "tbody" && a.Key == "data-verdict":
				verdicts = append(verdicts, a.Val)
			case n.Data == "p" && a.Key == "class" && a.Val == "notice" && n.FirstChild != nil && n.FirstChild.FirstChild != nil:
				banners = append(banners, n.FirstChild.FirstChild.Data) // <p class="notice"><strong>…</strong>
			}
		}
	}
	return verdicts, banners
}

// Ensure each scenario of the reference receiver fails the check it
// breaks, through the real command: verdict broken, exit 1, and the check
// names the pointer and rule; a receiver that is slow or never answers
// fails within the deadline instead of holding the run.
func TestWebhookVerifyFailingReceivers(t *testing.T) {
	want := map[string]struct{ pointer, keyword string }{
		"slow":                     {"", "deadline"},
		"hang":                     {"", "deadline"},
		"double-adjust":            {"/data/amount", "idempotency"},
		"wrong-cancel-codes":       {"/code", "cancel_code"},
		"negative-accepted":        {"/code", "refusal"},
		"unknown-biztype-accepted": {"/code", "refusal"},
		"close-takes-amount":       {"/data/amount", "normal_close"},
		"bad-envelope":             {"/tm", "type"},
		"bad-data":                 {"/data/amount", "type"},
	}
	for _, s := range simulator.ReceiverScenarios() {
		if s.Breaks == "" {
			continue
		}
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("receiver scenario %s has no expectation here", s.Name)
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, "--webhook-receiver", "--scenario", s.Name)
			start := time.Now()
			r, res := verifyWebhook(t, nil, sim.base)
			elapsed := time.Since(start)
			if r.code != verdict.ExitBroken || res.Verdict != verdict.Broken {
				t.Fatalf("exit %d verdict %s, want 1 and broken\n%s%s", r.code, res.Verdict, r.stdout, r.stderr)
			}
			junittest.Validate(t, filepath.Join(r.out, "junit.xml")) // failures, and errors for the calls not made
			// Two deadlines per endpoint at most, and every spec's own calls
			// stop at the first that misses: far below one deadline per call.
			if limit := 20 * time.Second; elapsed > limit {
				t.Errorf("took %s against a %s receiver, want under %s", elapsed, s.Name, limit)
			}
			var found *contract.Violation
			for _, c := range res.Checks {
				if c.Verdict != verdict.Broken {
					continue
				}
				for i, v := range c.Violations {
					if v.Pointer == w.pointer && v.Keyword == w.keyword && (s.Breaks == "deadline" || slices.Contains(c.Labels, s.Breaks)) {
						found = &c.Violations[i]
					}
				}
			}
			if found == nil {
				t.Fatalf("no broken %s check names %q [%s]:\n%s", s.Breaks, w.pointer, w.keyword, r.stdout)
			}
			if w.keyword == "deadline" && !strings.Contains(found.Message, "3s") {
				t.Errorf("the deadline violation does not name the time: %q", found.Message)
			}
			if s.Breaks != "deadline" && s.Breaks != webhook.LabelSchema {
				// One rule broken: the other kinds of check still pass.
				for _, c := range res.Checks {
					if c.Verdict != verdict.Pass && !slices.Contains(c.Labels, s.Breaks) {
						t.Errorf("%s: %s is %s: %s", s.Name, c.Spec, c.Verdict, c.Message)
					}
				}
			}
		})
	}
}

// Ensure a --user the receiver does not know is the set-up's fault, as
// `run`'s rejected credentials are: verdict config, kind
// unknown_test_account, exit 2 and a message naming --user, on the console
// and in results.json; every later call is not made, and the user name is
// in no output. A receiver that forgets the account after reporting its
// balance is broken instead (the receiver's fault, not the flags').
func TestWebhookVerifyUnknownUser(t *testing.T) {
	sim := startSim(t, "--webhook-receiver")
	const stranger = "86009999"
	r, res := verifyWebhook(t, nil, sim.base, "--user", stranger)
	if r.code != verdict.ExitUsage || res.Verdict != verdict.Config {
		t.Fatalf("exit %d verdict %s, want 2 and config\n%s%s", r.code, res.Verdict, r.stdout, r.stderr)
	}
	ce := res.ConfigError
	if ce == nil || ce.Kind != verdict.UnknownTestAccount || !strings.Contains(ce.Message, "--user") {
		t.Fatalf("config_error %+v, want kind %s naming --user", ce, verdict.UnknownTestAccount)
	}
	if !strings.Contains(r.stdout, "set-up problem ("+string(verdict.UnknownTestAccount)+")") || !strings.Contains(r.stdout, "--user") {
		t.Errorf("the console does not name the set-up problem and --user:\n%s", r.stdout)
	}
	found := 0
	// Every check that reads the balance is config; the two cancel checks
	// that never touch the account judge the receiver and pass.
	for _, c := range res.Checks {
		want := verdict.Config
		if strings.Contains(c.Spec, webhook.CodeNotProcessed) || strings.Contains(c.Spec, webhook.CodeNeverReceived) {
			want = verdict.Pass
		}
		if c.Verdict != want {
			t.Errorf("%s: %s %q, want %s", c.Spec, c.Verdict, c.Message, want)
		}
		switch {
		case c.Verdict != verdict.Config:
		case strings.HasPrefix(c.Message, "unknown test account"):
			found++
		case !strings.HasPrefix(c.Message, "not called: unknown test account"):
			t.Errorf("%s: %q, want \"not called: unknown test account…\"", c.Spec, c.Message)
		}
	}
	if found != 1 {
		t.Errorf("%d checks found the unknown account, want the first one only", found)
	}
	if n := res.Counts[verdict.Config]; n != len(res.Checks)-2 {
		t.Errorf("counts %v over %d checks, want all but two config", res.Counts, len(res.Checks))
	}
	junittest.Validate(t, filepath.Join(r.out, "junit.xml"))
	raw, err := os.ReadFile(filepath.Join(r.out, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	errored := 0
	for _, c := range junittest.Parse(t, raw).Suites[0].Cases {
		if len(c.Errors) > 0 {
			errored++
		}
	}
	if errored != res.Counts[verdict.Config] {
		t.Errorf("junit.xml has %d <error> testcases, want one per config check (%d)", errored, res.Counts[verdict.Config])
	}
	if rows, _ := htmlChecks(t, filepath.Join(r.out, "report.html")); slices.Index(rows, string(verdict.Config)) < 0 {
		t.Errorf("report.html shows no config check: %v", rows)
	}
	for _, f := range []string{"results.json", "junit.xml", "ginkgo.json", "report.html"} {
		b, err := os.ReadFile(filepath.Join(r.out, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(stranger)) {
			t.Errorf("%s holds the test account's user name", f)
		}
	}
	if strings.Contains(r.stdout+r.stderr, stranger) {
		t.Errorf("the console shows the test account's user name:\n%s%s", r.stdout, r.stderr)
	}
	// --fail-on cannot turn a set-up problem into a pass.
	if r, _ := verifyWebhook(t, nil, sim.base, "--user", stranger, "--fail-on", "skipped"); r.code != verdict.ExitUsage {
		t.Errorf("--fail-on skipped: exit %d, want 2", r.code)
	}

	// The account known at the first call and refused later: broken.
	forgets := forgetfulReceiver(t)
	r, res = verifyWebhook(t, nil, forgets.URL)
	if r.code != verdict.ExitBroken || res.Verdict != verdict.Broken || res.ConfigError != nil {
		t.Errorf("a receiver that forgets the account: exit %d verdict %s config_error %+v, want 1, broken and none\n%s",
			r.code, res.Verdict, res.ConfigError, r.stdout)
	}
}

// forgetfulReceiver is the reference receiver that, after its first
// get-user-amount, answers every later one as for an unknown account.
func forgetfulReceiver(t *testing.T) *httptest.Server {
	t.Helper()
	ref, err := simulator.NewWebhookReceiver(simulator.ReceiverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var balances atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == webhook.UserAmount.Path && balances.Add(1) > 1 {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"bizCode":"US","code":"USER_NOT_FOUND","msg":"no such account","msgParams":null,"tm":0,"trace":"`+
				r.Header.Get("trace")+`","data":null,"ok":false,"fail":true}`)
			return
		}
		ref.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(ref.Close)
	return srv
}

// Ensure the mutating checks are refused, as skipped with the reason,
// against a receiver that is not on loopback unless --allow-mutations is
// given. The receiver is reached as http://wallet.invalid through a proxy
// on loopback (HTTP_PROXY), the way a user behind one reaches theirs.
func TestWebhookVerifyRefusesMutationsOffLoopback(t *testing.T) {
	sim := startSim(t, "--webhook-receiver")
	proxy := []string{"HTTP_PROXY=" + sim.base}
	r, res := verifyWebhook(t, proxy, "http://wallet.invalid")
	if r.code != verdict.ExitOK {
		t.Fatalf("exit %d, want 0 (skipped is not in --fail-on)\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, c := range res.Checks {
		mutating := slices.Contains(c.Labels, "mutating")
		switch {
		case mutating && (c.Verdict != verdict.Skipped || !strings.Contains(c.Message, "--allow-mutations")):
			t.Errorf("mutating %s: %s %q, want skipped naming --allow-mutations", c.Spec, c.Verdict, c.Message)
		case !mutating && c.Verdict != verdict.Pass:
			t.Errorf("read-only %s: %s %s, want pass through the proxy", c.Spec, c.Verdict, c.Message)
		}
		if c.Family != webhook.Family || !slices.Contains(c.Labels, c.Operation) {
			t.Errorf("%s: family %q operation %q; want %s and the endpoint it checks", c.Spec, c.Family, c.Operation, webhook.Family)
		}
	}
	junittest.Validate(t, filepath.Join(r.out, "junit.xml")) // skipped elements
	if res.Counts[verdict.Skipped] != 9 || res.Counts[verdict.Pass] != 1 {
		t.Errorf("counts %v, want 9 skipped and 1 pass", res.Counts)
	}
	if !strings.Contains(r.stdout, "mutating checks off") {
		t.Errorf("the first line does not say the mutating checks are off:\n%s", r.stdout)
	}
	// Skipped is a verdict --fail-on can name, so CI can insist.
	if r, _ := verifyWebhook(t, proxy, "http://wallet.invalid", "--fail-on", "broken,skipped"); r.code != verdict.ExitBroken {
		t.Errorf("--fail-on broken,skipped: exit %d, want 1", r.code)
	}
	r, res = verifyWebhook(t, proxy, "http://wallet.invalid", "--allow-mutations")
	if r.code != verdict.ExitOK || res.Counts[verdict.Pass] != 10 {
		t.Errorf("--allow-mutations: exit %d counts %v, want 0 and 10 pass\n%s", r.code, res.Counts, r.stdout)
	}
}

// Ensure a verification stopped by SIGTERM while the receiver hangs writes
// its outputs, says "interrupted": true, marks the checks it did not run and
// exits 143, as `run` does.
func TestWebhookVerifyInterrupted(t *testing.T) {
	// A receiver that never answers, and says when the first call is in:
	// the specs are running then, and the call holds for 3 s.
	arrived, done := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer srv.Close()
	defer close(done)
	out := t.TempDir()
	cmd := mmcontractCmd(t, nil, "webhook", "verify", "--url", srv.URL, "--out", out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("no call reached the receiver in 30 s")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Fatalf("exit %d, want 143", code)
	}
	res := readResults(t, out)
	notRun := 0
	for _, c := range res.Checks {
		if c.Message == "not run: interrupted" && c.Verdict == verdict.Skipped {
			notRun++
		}
	}
	if !res.Interrupted || notRun == 0 {
		t.Errorf("interrupted %t, %d checks marked not run: interrupted; want true and some", res.Interrupted, notRun)
	}
}

// Ensure a receiver that nobody serves is unavailable (exit 3), not broken.
func TestWebhookVerifyNoReceiver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port that was free a moment ago
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	_ = ln.Close()
	r, res := verifyWebhook(t, nil, url, "--label-filter", "readonly")
	if r.code != verdict.ExitUnavailable || res.Verdict != verdict.Unavailable {
		t.Errorf("exit %d verdict %s, want 3 and unavailable\n%s%s", r.code, res.Verdict, r.stdout, r.stderr)
	}
}

// Ensure an error page is read as `run` reads one: a server that is down
// (5xx, 429) is unavailable, any other status (a wrong --url path) breaks
// the contract, which wants HTTP 200 with an envelope.
func TestWebhookVerifyErrorPages(t *testing.T) {
	for _, tt := range []struct {
		status int
		code   int
		v      verdict.Verdict
	}{
		{http.StatusServiceUnavailable, verdict.ExitUnavailable, verdict.Unavailable},
		{http.StatusTooManyRequests, verdict.ExitUnavailable, verdict.Unavailable},
		{http.StatusNotFound, verdict.ExitBroken, verdict.Broken},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "<html>error page</html>", tt.status)
		}))
		r, res := verifyWebhook(t, nil, srv.URL, "--label-filter", "readonly")
		srv.Close()
		if r.code != tt.code || res.Verdict != tt.v {
			t.Errorf("HTTP %d: exit %d verdict %s, want %d and %s\n%s", tt.status, r.code, res.Verdict, tt.code, tt.v, r.stdout)
			continue
		}
		if tt.v == verdict.Broken {
			vs := res.Checks[0].Violations
			if len(vs) != 1 || vs[0].Keyword != "http_status" || vs[0].Seen != "404" {
				t.Errorf("HTTP 404: violations %+v, want one http_status seeing 404", vs)
			}
		}
	}
}

// Ensure bad flags and URLs are exit 2 with a message naming the problem,
// before any request.
func TestWebhookVerifyUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"webhook"}, "a subcommand is required"},
		{[]string{"webhook", "verfy"}, `did you mean "verify"`},
		{[]string{"webhook", "verify"}, "--url is required"},
		{[]string{"webhook", "verify", "--url", "ftp://wallet.example.com"}, "scheme must be http or https"},
		{[]string{"webhook", "verify", "--url", "http://"}, "has no host"},
		{[]string{"webhook", "verify", "--url", "wallet.example.com"}, "scheme must be http or https"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1/?a=b"}, "without a query"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--amount", "-1"}, "must be positive"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--amount", "1e3"}, "not a decimal number"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--fail-on", ""}, "lists no verdict"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--fail-on", "brokn"}, "brokn"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--user", ""}, "must not be empty"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--company-id", "acme"}, "is a long"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--user", strings.Repeat("u", 49)}, "at most 48"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--currency", "DOLLARS-OF-THE-US"}, "at most 16"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--label-filter", "(("}, "--label-filter"},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "--label-filter", "nosuchlabel"}, "selected no check"},
		{[]string{"webhook", "verify", "--urll", "http://127.0.0.1:1"}, `did you mean "--url"`},
		{[]string{"webhook", "verify", "--url", "http://127.0.0.1:1", "extra"}, `unexpected argument "extra"`},
		{[]string{"sim", "--webhook-receiver", "--scenario", "slw"}, `did you mean "slow"`},
	} {
		args := tt.args
		if len(args) > 1 && args[1] == "verify" {
			args = append(args, "--out", t.TempDir()) // never the working directory
		}
		r := mmcontract(t, nil, args...)
		if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "panic") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// Ensure sim -list with --webhook-receiver lists the receiver's scenarios
// and the check each breaks.
func TestSimWebhookReceiverList(t *testing.T) {
	r := mmcontract(t, nil, "sim", "--webhook-receiver", "-list")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, s := range simulator.ReceiverScenarios() {
		if !strings.Contains(r.stdout, s.Name) || !strings.Contains(r.stdout, s.Breaks) {
			t.Errorf("-list lacks %s (%s):\n%s", s.Name, s.Breaks, r.stdout)
		}
	}
}

// Ensure the README's section on webhook verify documents every flag the
// command has and every scenario of the reference receiver with the check
// it breaks, so the two cannot drift apart.
func TestWebhookREADME(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "## `mmcontract webhook verify`\n")
	if !ok {
		t.Fatal("README has no section \"mmcontract webhook verify\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")

	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"webhook", "verify", "-h"}, &stdout, &stderr, func(string) string { return "" }); code != 0 {
		t.Fatalf("webhook verify -h: exit %d: %s", code, stderr.String())
	}
	flags := 0
	for _, line := range strings.Split(stdout.String(), "\n") {
		name, ok := strings.CutPrefix(line, "  -")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(strings.ReplaceAll(name, "\t", " "), " ")
		flags++
		dashes := "--"
		if len(name) == 1 {
			dashes = "-"
		}
		if !strings.Contains(section, "`"+dashes+name+"`") {
			t.Errorf("the README's flags table lacks %s%s", dashes, name)
		}
	}
	if flags < 10 {
		t.Fatalf("found only %d flags in the usage:\n%s", flags, stdout.String())
	}
	for _, s := range simulator.ReceiverScenarios() {
		row := strings.ReplaceAll("| `"+s.Name+"` | "+s.Breaks+" |", "  ", " ")
		if !strings.Contains(section, row) {
			t.Errorf("the README's scenario table lacks the row %q", row)
		}
	}
}

// BenchmarkWebhookVerify measures a whole `mmcontract webhook verify` of the
// reference receiver, process start to exit, beside the bare start of the
// same binary (`mmcontract version`), so the verification's own cost reads
// as a ratio (x-process-start) on any machine.
func BenchmarkWebhookVerify(b *testing.B) {
	sim := startSim(b, "--webhook-receiver")
	var verify, bare time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if r := mmcontract(b, nil, "version"); r.code != 0 {
			b.Fatalf("version: exit %d", r.code)
		}
		bare += time.Since(start)
		out := b.TempDir()
		start = time.Now()
		r := mmcontract(b, nil, "webhook", "verify", "--url", sim.base, "--out", out)
		verify += time.Since(start)
		if r.code != 0 {
			b.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
	}
	b.ReportMetric(float64(verify.Microseconds())/1000/float64(b.N), "ms/verification")
	b.ReportMetric(float64(verify)/float64(bare), "x-process-start")
}
