package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/receivers"
	"github.com/mmcontract/mmcontract/runner/alert/webhook"
	"github.com/mmcontract/mmcontract/runner/history"
)

// fakeRunner stands in for the child process: it writes the results the
// test chooses, optionally waiting on gate first.
type fakeRunner struct {
	mu      sync.Mutex
	results func(req RunRequest) RunResult
	gate    chan struct{} // when non-nil, each run waits for a receive
	started chan string   // when non-nil, receives each run id as it starts
}

func (f *fakeRunner) RunJob(ctx context.Context, req RunRequest) RunResult {
	if f.started != nil {
		f.started <- req.RunID
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return RunResult{ExitCode: -1, Err: ctx.Err()}
		}
	}
	f.mu.Lock()
	fn := f.results
	f.mu.Unlock()
	return fn(req)
}

func (f *fakeRunner) set(fn func(RunRequest) RunResult) {
	f.mu.Lock()
	f.results = fn
	f.mu.Unlock()
}

const testOp = "customer.app.CustomerWebApiService.findCustomerInfo"

// passResults is a nominal run of one operation.
func passResults(RunRequest) RunResult {
	return RunResult{Results: results.Results{SchemaVersion: 1, Verdict: verdict.Pass, Target: "sim",
		StartedAt: time.Now().UTC(), FinishedAt: time.Now().UTC(), Counts: map[verdict.Verdict]int{verdict.Pass: 1},
		Checks: []results.Check{{ID: "c1", Operation: testOp, Verdict: verdict.Pass, LatencyMS: 42}}}}
}

// brokenResults is a run where op lost a required field.
func brokenResults(op string) func(RunRequest) RunResult {
	return func(RunRequest) RunResult {
		return RunResult{ExitCode: 1, Results: results.Results{SchemaVersion: 1, Verdict: verdict.Broken, Target: "sim",
			StartedAt: time.Now().UTC(), FinishedAt: time.Now().UTC(), Counts: map[verdict.Verdict]int{verdict.Broken: 1},
			Checks: []results.Check{{ID: "c1", Operation: op, Verdict: verdict.Broken, LatencyMS: 1200,
				Drift: []contract.Drift{{Pointer: "/data/customerNo", Change: "removed", Severity: "breaking"}}}}}}
	}
}

func baseConfig(t testing.TB, hook string) *Config {
	t.Helper()
	cfg := &Config{
		Listen:  "127.0.0.1:0",
		Store:   filepath.Join(t.TempDir(), "history.db"),
		Targets: map[string]Target{"sim": {}},
		Jobs:    []Job{{Name: "customer", Target: "sim", Schedule: "@every 1h", LabelFilter: "readonly"}},
	}
	if hook != "" {
		cfg.Alerting.Receivers = []receivers.Config{receivers.Of("hook", webhook.Config{URL: hook, Secret: "hook-secret"})}
		cfg.Alerting.Routes = []alert.Route{{Receiver: "hook"}}
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	return cfg
}

func newTestMonitor(t testing.TB, cfg *Config, r JobRunner) *Monitor {
	t.Helper()
	return newTestMonitorAt(t, cfg, r, nil)
}

func newTestMonitorAt(t testing.TB, cfg *Config, r JobRunner, now func() time.Time) *Monitor {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(context.Background(), Options{Config: cfg, Runner: r, Listener: ln, Grace: 2 * time.Second,
		Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// hookRecorder is a webhook receiver that keeps what it was sent.
type hookRecorder struct {
	mu     sync.Mutex
	events []alert.Event
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev alert.Event
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *hookRecorder) got() []alert.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]alert.Event(nil), h.events...)
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(t *testing.T, m *Monitor, path string, header ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// Ensure a tick that would overlap the still-running run of the same job is
// skipped, recorded in the store with verdict skipped and counted, and that
// shutdown then waits for the running child within the grace period.
func TestOverlappingTickSkippedAndRecorded(t *testing.T) {
	cfg := baseConfig(t, "")
	cfg.Jobs[0].Schedule = "@every 1s"
	f := &fakeRunner{results: passResults, gate: make(chan struct{}), started: make(chan string, 8)}
	m := newTestMonitor(t, cfg, f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	select {
	case <-f.started:
	case <-time.After(5 * time.Second):
		t.Fatal("no tick started within 5s")
	}
	waitUntil(t, "a skipped tick recorded", 5*time.Second, func() bool {
		runs, err := m.Store().Runs(context.Background(), history.Filter{Job: "customer"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.Verdict == verdict.Skipped && strings.Contains(r.Error, "still running") {
				return true
			}
		}
		return false
	})
	_, metrics := get(t, m, "/metrics")
	if !strings.Contains(metrics, `mmcontract_skipped_ticks_total{job="customer"}`) {
		t.Errorf("skipped tick not counted:\n%s", grepLines(metrics, "skipped"))
	}
	cancel()
	// The running child is still gated: shutdown must let it finish.
	time.Sleep(100 * time.Millisecond)
	f.gate <- struct{}{}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	store, err := history.Open(context.Background(), cfg.Store, history.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, err := store.Runs(context.Background(), history.Filter{Job: "customer"})
	if err != nil {
		t.Fatal(err)
	}
	var pass int
	for _, r := range runs {
		if r.InFlight() {
			t.Errorf("run %s left in flight after a graceful stop", r.ID)
		}
		if r.Verdict == verdict.Pass {
			pass++
		}
	}
	if pass != 1 {
		t.Errorf("%d passing runs, want the one that was running at shutdown", pass)
	}
}

// Ensure a child still running when the grace period ends is stopped and
// recorded as an error, and Run still returns cleanly.
func TestShutdownStopsChildAfterGrace(t *testing.T) {
	cfg := baseConfig(t, "")
	cfg.Jobs[0].Schedule = "@every 1s"
	f := &fakeRunner{results: passResults, gate: make(chan struct{}), started: make(chan string, 8)}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	m, err := New(context.Background(), Options{Config: cfg, Runner: f, Listener: ln, Grace: 300 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	id := <-f.started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the grace period")
	}
	store, err := history.Open(context.Background(), cfg.Store, history.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r, err := store.Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != verdict.Error || r.Error == "" {
		t.Errorf("run stopped at shutdown recorded as %s %q, want error with a cause", r.Verdict, r.Error)
	}
}

// Ensure a broken run pages once through the webhook, a second broken run
// does not page again, and the pages, /metrics and the report link agree;
// /metrics passes promtool when it is installed.
func TestTickAlertsMetricsAndPages(t *testing.T) {
	hook := &hookRecorder{}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	cfg := baseConfig(t, hs.URL)
	op := `evil<script>alert(1)</script>`
	f := &fakeRunner{results: brokenResults(op)}
	m := newTestMonitor(t, cfg, f)
	m.Tick("customer")
	m.Tick("customer")
	waitUntil(t, "the firing webhook", 5*time.Second, func() bool { return len(hook.got()) >= 1 })
	time.Sleep(100 * time.Millisecond)
	evs := hook.got()
	if len(evs) != 1 || evs[0].Status != alert.Firing || evs[0].Severity != alert.Critical || evs[0].Target != "sim" {
		t.Fatalf("webhook got %+v, want one critical firing for target sim", evs)
	}
	if want := "http://" + m.Addr() + "/runs/" + evs[0].RunID + "/report.html"; evs[0].ReportURL != want {
		t.Errorf("report_url %q, want %q", evs[0].ReportURL, want)
	}

	code, metrics := get(t, m, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`mmcontract_runs_total{job="customer",verdict="broken"} 2`,
		`mmcontract_checks_total{operation="evil<script>alert(1)</script>",verdict="broken"} 2`,
		`mmcontract_request_duration_seconds_bucket{operation="evil<script>alert(1)</script>",le="2.5"} 2`,
		`mmcontract_drift_events_total{severity="breaking"} 2`,
		`mmcontract_alerts_firing{severity="critical"} 1`,
		`mmcontract_alert_deliveries_total{outcome="delivered",receiver="hook"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, "mmcontract_last_success_timestamp_seconds{") {
		t.Errorf("a broken job must not have a last success:\n%s", grepLines(metrics, "last_success"))
	}
	promtool(t, metrics)

	code, index := get(t, m, "/")
	if code != 200 || strings.Contains(index, "<script>alert(1)") || !strings.Contains(index, "evil&lt;script&gt;") {
		t.Errorf("index %d does not show the firing alert escaped:\n%s", code, index)
	}
	if !strings.Contains(index, `href="/history?job=customer"`) {
		t.Errorf("index lacks the job")
	}
	code, hist := get(t, m, "/history?job=customer&last=5")
	if code != 200 || strings.Count(hist, `class="v v-broken"`) != 2 {
		t.Errorf("history %d does not list the two broken runs", code)
	}
	if code, _ := get(t, m, "/history?last=0"); code != http.StatusBadRequest {
		t.Errorf("/history?last=0: %d, want 400", code)
	}
	if code, _ := get(t, m, "/runs/..%2F..%2Fetc/report.html"); code != http.StatusNotFound {
		t.Errorf("path traversal: %d, want 404", code)
	}
	if code, _ := get(t, m, "/runs/"+evs[0].RunID+"/run.log"); code != http.StatusNotFound {
		t.Errorf("run.log must not be served: %d", code)
	}
	if code, body := get(t, m, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
}

// Ensure a run whose folder holds a report is served, re-rendered with the
// job's trend strip, and a run without one is a 404.
func TestServesRunReport(t *testing.T) {
	cfg := baseConfig(t, "")
	f := &fakeRunner{results: func(req RunRequest) RunResult {
		r := passResults(req)
		// A report the monitor can serve as written (no ginkgo.json to re-render from).
		_ = os.MkdirAll(req.OutDir, 0o750)
		_ = os.WriteFile(filepath.Join(req.OutDir, "report.html"), []byte("<!DOCTYPE html><title>r</title>"), 0o640)
		return r
	}}
	m := newTestMonitor(t, cfg, f)
	m.Tick("customer")
	runs, err := m.Store().Runs(context.Background(), history.Filter{Job: "customer"})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %d", err, len(runs))
	}
	code, body := get(t, m, "/runs/"+runs[0].ID+"/report.html")
	if code != 200 || !strings.Contains(body, "<title>r</title>") {
		t.Errorf("report: %d %q", code, body)
	}
	if code, _ := get(t, m, "/runs/20990101T000000Z-00000000/report.html"); code != 404 {
		t.Errorf("unknown run: %d, want 404", code)
	}
}

// Ensure a configured auth token guards every page but /healthz.
func TestAuthToken(t *testing.T) {
	cfg := baseConfig(t, "")
	cfg.AuthToken = "tok-123"
	m := newTestMonitor(t, cfg, &fakeRunner{results: passResults})
	for _, p := range []string{"/", "/metrics", "/history"} {
		if code, _ := get(t, m, p); code != http.StatusUnauthorized {
			t.Errorf("%s without token: %d, want 401", p, code)
		}
		if code, _ := get(t, m, p, "Authorization", "Bearer wrong"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d, want 401", p, code)
		}
		if code, _ := get(t, m, p, "Authorization", "Bearer tok-123"); code != http.StatusOK {
			t.Errorf("%s with the token: %d, want 200", p, code)
		}
	}
	if code, _ := get(t, m, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz must stay open for probes: %d", code)
	}
}

// Ensure retention removes old runs and their folders after a tick, and
// only folders under the runs directory.
func TestRetentionDeletesRunFolders(t *testing.T) {
	cfg := baseConfig(t, "")
	cfg.Retention.MaxRuns = 2
	f := &fakeRunner{results: func(req RunRequest) RunResult {
		_ = os.MkdirAll(req.OutDir, 0o750)
		return passResults(req)
	}}
	m := newTestMonitor(t, cfg, f)
	for range 5 {
		m.Tick("customer")
	}
	runs, err := m.Store().Runs(context.Background(), history.Filter{Job: "customer"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Errorf("%d runs kept, want 2", len(runs))
	}
	dirs, _ := os.ReadDir(filepath.Join(filepath.Dir(cfg.Store), "runs"))
	if len(dirs) != 2 {
		t.Errorf("%d run folders kept, want 2", len(dirs))
	}
}

// Ensure the child gets its credentials in MM_* variables and never on the
// command line, and nothing else of the monitor's MM_* environment.
func TestChildArgsAndEnv(t *testing.T) {
	t.Setenv("MM_BASE_URL", "https://elsewhere.example")
	tg := Target{BaseURL: "https://staging.example", CompanyID: "439", LoginName: "ops", LoginPassword: "pw-secret",
		Token: "tok-secret", APIKey: "ak", APISecret: "as-secret", LoginType: 1,
		Auth2AppID: "a2", Auth2AppSecret: "a2-secret", Auth2BaseURL: "https://sso.example/cats-gateway-auth2"}
	j := &Job{Name: "customer", LabelFilter: "readonly", RequestTimeout: Duration(15 * time.Second), FlakeAttempts: 2,
		Baseline: "baselines/staging"}
	args := strings.Join(childArgs(j, tg), " ")
	for _, secret := range []string{"pw-secret", "tok-secret", "as-secret", "a2-secret"} {
		if strings.Contains(args, secret) {
			t.Errorf("argv carries a secret: %s", args)
		}
	}
	want := "--label-filter readonly --timeout 15s --flake-attempts 2 --fail-on broken,unavailable --baseline baselines/staging --base-url https://staging.example"
	if args != want {
		t.Errorf("args\n got %s\nwant %s", args, want)
	}
	env := strings.Join(childEnv(tg), "\n")
	for _, kv := range []string{"MM_COMPANY_ID=439", "MM_LOGIN_NAME=ops", "MM_LOGIN_PASSWORD=pw-secret", "MM_TOKEN=tok-secret",
		"MM_API_KEY=ak", "MM_API_SECRET=as-secret", "MM_LOGIN_TYPE=1",
		"MM_AUTH2_APP_ID=a2", "MM_AUTH2_APP_SECRET=a2-secret", "MM_AUTH2_BASE_URL=https://sso.example/cats-gateway-auth2"} {
		if !strings.Contains(env, kv) {
			t.Errorf("env lacks %s", kv)
		}
	}
	if strings.Contains(env, "MM_BASE_URL") {
		t.Errorf("the monitor's MM_BASE_URL leaked into the child")
	}
	if got := strings.Join(childArgs(j, Target{Scenario: "removed-field"}), " "); !strings.HasSuffix(got, "--scenario removed-field") {
		t.Errorf("simulator target: %s", got)
	}
}

func promtool(t *testing.T, metrics string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not installed; skipping promtool check metrics")
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(metrics)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
