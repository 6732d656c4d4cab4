package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// countingVendor answers every request with body and counts the requests.
func countingVendor(t *testing.T, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		fmt.Fprintf(w, body, time.Now().UnixMilli(), r.Header.Get("trace"))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// gateway010 is the gateway's "no such interface" envelope (tm and trace
// are filled in per request).
const gateway010 = `{"bizCode":"GATEWAY","code":"GATEWAY_CODE_010","msg":"interface not found","tm":%d,"trace":%q,"msgParams":null,"data":null,"ok":false,"fail":true}`

// wantConfig checks a run that ended as a set-up problem: exit 2, verdict
// config with its kind and a message holding want, nothing broken, and the
// outputs written.
func wantConfig(t *testing.T, r runResult, out string, kind verdict.ConfigKind, want string) results.Results {
	t.Helper()
	res := readResults(t, out)
	if r.code != verdict.ExitUsage || res.Verdict != verdict.Config {
		t.Errorf("exit %d verdict %s, want 2 and config\n%s\n%s", r.code, res.Verdict, r.stdout, r.stderr)
	}
	if res.ConfigError == nil || res.ConfigError.Kind != kind || !strings.Contains(res.ConfigError.Message, want) {
		t.Errorf("config_error %+v, want kind %s with %q", res.ConfigError, kind, want)
	}
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stdout, "set-up problem ("+string(kind)+")") {
		t.Errorf("the console does not name the problem %q:\nstdout:\n%s\nstderr:\n%s", want, r.stdout, r.stderr)
	}
	if res.Counts[verdict.Broken] != 0 || res.Counts[verdict.Config] == 0 {
		t.Errorf("counts %v: want config checks and nothing broken", res.Counts)
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Errorf("report.html not written: %v", err)
	}
	return res
}

// Ensure a base URL that already carries a family prefix is a set-up
// problem named with its fix, found before any request.
func TestRunWrongBaseURL(t *testing.T) {
	srv, hits := countingVendor(t, gateway010)
	for _, suffix := range []string{"/api", "/openapi-c/", "/openapi-b"} {
		t.Run(suffix, func(t *testing.T) {
			out := t.TempDir()
			r := mmcontract(t, targetEnv(srv.URL+suffix), "run", "--out", out, "--label-filter", "smoke")
			want := fmt.Sprintf("wrong base URL: give the server root, e.g. %s, not %s%s", srv.URL, srv.URL, strings.TrimSuffix(suffix, "/"))
			wantConfig(t, r, out, verdict.WrongBaseURL, want)
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests reached the target; a wrong base URL must cost none", n)
	}
}

// Ensure GATEWAY_CODE_010 on the login reads as a wrong base URL, not as
// rejected credentials, and costs one request.
func TestRunGatewayCode010OnLogin(t *testing.T) {
	srv, hits := countingVendor(t, gateway010)
	out := t.TempDir()
	r := mmcontract(t, targetEnv(srv.URL+"/gateway"), "run", "--out", out, "--label-filter", "smoke")
	wantConfig(t, r, out, verdict.WrongBaseURL, "wrong base URL: the gateway does not route the login call (GATEWAY_CODE_010")
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests, want only the login", n)
	}
}

// Ensure a login answered with a bare HTTP 404 page (a server or path that
// is not the gateway) reads as a wrong base URL, not as a broken contract.
func TestRunLoginNotFound(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	out := t.TempDir()
	r := mmcontract(t, targetEnv(srv.URL+"/v2"), "run", "--out", out, "--label-filter", "smoke")
	wantConfig(t, r, out, verdict.WrongBaseURL, "wrong base URL: the login call was answered HTTP 404 without an envelope ("+srv.URL+"/v2/api/login/")
}

// Ensure an expired or unknown MM_TOKEN is a credentials problem: verdict
// config, exit 2, never broken, and the checks after the first refusal are
// not called. With login credentials too, the one re-login is tried, and its
// rejection is the problem named.
func TestRunRejectedToken(t *testing.T) {
	sim := startSim(t)
	const badToken = "MM_TOKEN=00000000-0000-4000-8000-00000000dead"
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"token only", []string{badToken}, "refused the session token with GATEWAY_CODE_005"},
		{"token and a wrong password", []string{badToken, "MM_LOGIN_NAME=" + simulator.DefaultUser().LoginName, "MM_LOGIN_PASSWORD=wrong"},
			"credentials rejected: the vendor refused the login: bizCode="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			env := append([]string{"MM_BASE_URL=" + sim.base, "MM_COMPANY_ID=" + simulator.DefaultCompanyID}, tc.env...)
			r := mmcontract(t, env, "run", "--out", out, "--label-filter", "smoke && !negative")
			res := wantConfig(t, r, out, verdict.CredentialsRejected, tc.want)
			notCalled := 0
			for _, c := range res.Checks {
				if strings.HasPrefix(c.Message, "not called: credentials rejected") {
					notCalled++
				}
			}
			if notCalled == 0 {
				t.Errorf("every check called the vendor after it rejected the credentials: %v", res.Counts)
			}
		})
	}
}

// Ensure specs the label filter leaves out are no checks of the run: not in
// counts or checks, so --fail-on skipped passes a filtered run.
func TestRunFilteredSpecsAreNotChecks(t *testing.T) {
	const filter = "findCustomerInfo && client && !negative"
	r, res := runSim(t, t.TempDir(), "--label-filter", filter, "--fail-on", "skipped,broken")
	if r.code != 0 {
		t.Errorf("exit %d, want 0: filtered-out specs were counted as skipped\n%s", r.code, r.stdout)
	}
	match, err := types.ParseLabelFilter(filter)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range res.Counts {
		total += n
	}
	if total != len(res.Checks) || len(res.Checks) != 5 {
		t.Errorf("%d checks, counts %v; want the 5 selected specs and counts that add up", len(res.Checks), res.Counts)
	}
	for _, c := range res.Checks {
		if !match(c.Labels) {
			t.Errorf("check %q (labels %v) is outside the filter", c.Spec, c.Labels)
		}
	}
	if !strings.Contains(r.stdout, "checks: 5 pass\n") {
		t.Errorf("the summary counts more than the selected specs:\n%s", r.stdout)
	}
}

// Ensure an --out that cannot be written is exit 2 before any request.
func TestRunOutUnwritable(t *testing.T) {
	// /proc/self exists and refuses new files even to root, unlike a
	// chmod'ed directory.
	if st, err := os.Stat("/proc/self"); err != nil || !st.IsDir() {
		t.Skip("no /proc on this system")
	}
	srv, hits := countingVendor(t, gateway010)
	r := mmcontract(t, targetEnv(srv.URL), "run", "--out", "/proc/self", "--label-filter", "smoke")
	if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "--out /proc/self is not writable") {
		t.Errorf("exit %d, want 2 naming --out\n%s", r.code, r.stderr)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests before the unwritable --out was noticed", n)
	}
}

// Ensure the run says how many operations had a baseline, and that a
// baseline directory that is empty, wrongly laid out, or matching no
// operation of the run is exit 2 naming the layout.
func TestRunBaselineAccounting(t *testing.T) {
	nominal := t.TempDir()
	one := []string{"--label-filter", "findCustomerInfo && client && !negative"}
	if r, _ := runSim(t, nominal, one...); r.code != 0 {
		t.Fatalf("nominal run: exit %d", r.code)
	}
	base := filepath.Join(t.TempDir(), "baselines")
	if r := mmcontract(t, nil, "baseline", "accept", "--from", nominal, "--baseline", base); r.code != 0 {
		t.Fatalf("accept: exit %d\n%s", r.code, r.stderr)
	}

	r, res := runSim(t, t.TempDir(), append(one, "--baseline", base)...)
	if r.code != 0 || res.Baselines == nil || *res.Baselines != (results.Baselines{Dir: base, OperationsWithBaseline: 1, OperationsChecked: 1}) {
		t.Errorf("matching baseline: exit %d, baselines %+v; want 0 and 1 of 1", r.code, res.Baselines)
	}
	if !strings.Contains(r.stdout, "baseline "+base+": 1 of 1 operations checked had a baseline") {
		t.Errorf("the summary does not account for the baseline:\n%s", r.stdout)
	}

	r, res = runSim(t, t.TempDir(), "--label-filter", "getSymbolList && client && !negative", "--baseline", base)
	if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "none of its baselines matches an operation this run checked") {
		t.Errorf("no matching baseline: exit %d, want 2\n%s", r.code, r.stderr)
	}
	if res.Baselines == nil || res.Baselines.OperationsWithBaseline != 0 || res.Baselines.OperationsChecked == 0 {
		t.Errorf("no matching baseline: baselines %+v, want 0 of the operations checked", res.Baselines)
	}

	flat := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(base, "*", "*.json"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(flat, filepath.Base(f)), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, dir := range map[string]string{"empty": t.TempDir(), "flat": flat} {
		r := mmcontract(t, nil, append([]string{"run", "--out", t.TempDir(), "--baseline", dir}, one...)...)
		if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "holds no baselines: want one file per operation, "+dir+"/<family>/<bizType>.json") {
			t.Errorf("%s baseline: exit %d, want 2 naming the layout\n%s", name, r.code, r.stderr)
		}
	}
}

// Ensure `baseline accept` refuses a run whose checks broke or could not
// run, listing them, unless --force.
func TestBaselineAcceptRefusesFailedRun(t *testing.T) {
	for _, tc := range []struct{ scenario, want string }{
		{"removed-field", "broken"},
		{"http-503", "unavailable"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			out := t.TempDir()
			runSim(t, out, "--scenario", tc.scenario, "--label-filter", "findCustomerInfo && client && !negative", "--flake-attempts", "1")
			base := filepath.Join(t.TempDir(), "baselines")
			r := mmcontract(t, nil, "baseline", "accept", "--from", out, "--baseline", base)
			if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "refusing to accept a run whose checks did not all hold") ||
				!strings.Contains(r.stderr, tc.want+" ") || !strings.Contains(r.stderr, "--force") {
				t.Errorf("exit %d, want 2 listing the %s checks and naming --force\n%s", r.code, tc.want, r.stderr)
			}
			if _, err := os.Stat(base); err == nil {
				t.Error("the refused accept wrote the baseline anyway")
			}
			if tc.want != "broken" {
				return // an unavailable run has no shapes to accept even with --force
			}
			if r := mmcontract(t, nil, "baseline", "accept", "--from", out, "--baseline", base, "--force"); r.code != 0 {
				t.Errorf("--force: exit %d\n%s", r.code, r.stderr)
			}
		})
	}
}
