package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert/alertmanager/amtest"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/webhook"
	"github.com/mmcontract/mmcontract/runner/history"
	"github.com/mmcontract/mmcontract/schemas"
)

const hookSecret = "e2e-hook-secret"

// simServer is the vendor simulator on a loopback port, its scenario
// switched by the test between monitor ticks.
func simServer(t testing.TB, scenario string) (*simulator.Simulator, string) {
	t.Helper()
	return simServerWith(t, scenario, nil)
}

// simServerWith is simServer with wrap around the simulator's handler (a
// vendor that is also slow, say); nil wraps nothing.
func simServerWith(t testing.TB, scenario string, wrap func(http.Handler) http.Handler) (*simulator.Simulator, string) {
	t.Helper()
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulator.New(simulator.Options{Schemas: set, Scenario: scenario})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// hookSink is a webhook receiver that checks each delivery's Standard
// Webhooks signature (and the legacy header kept for one release).
// status, when set, answers instead of accepting (an outage).
type hookSink struct {
	t       testing.TB
	mu      sync.Mutex
	events  []alert.Event
	arrived []time.Time
	status  func() int
	hang    bool
}

func newHookSink(t testing.TB) (*hookSink, string) {
	h := &hookSink{t: t}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := webhook.Verify([]byte(hookSecret), r.Header, body, time.Now(), 5*time.Minute); err != nil {
		h.t.Errorf("webhook signature: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if got, want := r.Header.Get(webhook.LegacySignatureHeader), webhook.LegacySign([]byte(hookSecret), body); got != want {
		h.t.Errorf("legacy webhook signature %q, want %q", got, want)
	}
	h.mu.Lock()
	status, hang := h.status, h.hang
	h.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	if status != nil {
		if code := status(); code != http.StatusOK {
			http.Error(w, "receiver outage", code)
			return
		}
	}
	var ev alert.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		h.t.Errorf("webhook body: %v", err)
		return
	}
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.arrived = append(h.arrived, time.Now())
	h.mu.Unlock()
}

// delivery is one accepted webhook and when it arrived.
type delivery struct {
	alert.Event
	at time.Time
}

// of returns the accepted deliveries of kind with status, in arrival order.
func (h *hookSink) of(kind alert.Kind, st alert.Status) []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []delivery
	for i, ev := range h.events {
		if ev.Kind == kind && ev.Status == st {
			out = append(out, delivery{ev, h.arrived[i]})
		}
	}
	return out
}

func (h *hookSink) got() []alert.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]alert.Event(nil), h.events...)
}

func (h *hookSink) count(st alert.Status) int {
	n := 0
	for _, ev := range h.got() {
		if ev.Status == st {
			n++
		}
	}
	return n
}

// monitorConfig writes a config for one job against simURL, alerting to
// the webhook at hook (and any extra receivers YAML), and returns its path
// and the store path.
func monitorConfig(t testing.TB, dir, simURL, hook, extra string, unavailableAfter int) (string, string) {
	t.Helper()
	store := filepath.Join(dir, "store", "history.db")
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
store: %s
shutdown_grace: 10s
targets:
  sim:
    base_url: %s
    company_id: "%s"
    login_name: ${MM_LOGIN_NAME}
    login_password: ${MM_LOGIN_PASSWORD}
jobs:
  - name: customer
    target: sim
    schedule: "@every 1s"
    label_filter: "findCustomerInfo && client && !negative"
    timeout: 30s
    request_timeout: 2s
    flake_attempts: 1
alerting:
  unavailable_after: %d
  flap_window: 1s
  receivers:
    - name: oncall
      type: webhook
      url: %s
      secret: ${HOOK_SECRET}
%s  routes:
    - receiver: oncall
`, store, simURL, simulator.DefaultCompanyID, unavailableAfter, hook, extra)
	if strings.Contains(extra, "name: am") {
		cfg += "    - receiver: am\n"
	}
	path := filepath.Join(dir, "monitor.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, store
}

// editConfig replaces old by new in the config file at path (once, and old
// must be there): the tests that need another job timeout, scenario or flap
// window start from monitorConfig's file.
func editConfig(t testing.TB, path, old, new string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(old)) {
		t.Fatalf("config %s has no %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(raw, []byte(old), []byte(new), 1), 0o600); err != nil {
		t.Fatal(err)
	}
}

func monitorEnv() []string {
	u := simulator.DefaultUser()
	return []string{"MM_LOGIN_NAME=" + u.LoginName, "MM_LOGIN_PASSWORD=" + u.Password, "HOOK_SECRET=" + hookSecret}
}

// syncBuffer is a bytes.Buffer safe to read while the process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type monitorProc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncBuffer
	done   chan struct{}
}

var listeningRE = regexp.MustCompile(`monitor listening on http://(\S+)`)

// startMonitor runs `mmcontract monitor --config cfg` and waits until it
// serves HTTP. The process is killed at cleanup if the test left it running.
func startMonitor(t testing.TB, cfg string) *monitorProc {
	t.Helper()
	return startMonitorEnv(t, cfg)
}

// startMonitorEnv is startMonitor with more environment variables.
func startMonitorEnv(t testing.TB, cfg string, env ...string) *monitorProc {
	t.Helper()
	needBinary(t)
	cmd := exec.Command(binary, "monitor", "--config", cfg)
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, monitorEnv()...), env...)
	cmd.Dir = filepath.Dir(cfg) // a Postgres-backed monitor keeps run folders in its working directory
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &monitorProc{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("monitor stderr:\n%s", p.stderr.String())
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	select {
	case p.addr = <-addr:
	case <-p.done:
		t.Fatalf("monitor exited at start: %s", p.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("monitor did not start listening: %s", p.stderr.String())
	}
	return p
}

// stop sends SIGTERM and returns the exit code.
func (p *monitorProc) stop(t testing.TB) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("monitor did not stop within 30s of SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

// storeRuns reads the runs of job (newest first) through a read-only open,
// as `mmcontract history` does next to a running monitor.
func storeRuns(t testing.TB, path, job string) []history.Run {
	t.Helper()
	s, err := history.Open(context.Background(), path, history.ReadOnly())
	if err != nil {
		return nil // not created yet
	}
	defer s.Close()
	runs, err := s.Runs(context.Background(), history.Filter{Job: job})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// finished counts finished, non-skipped runs.
func finished(runs []history.Run) int {
	n := 0
	for _, r := range runs {
		if !r.InFlight() && r.Verdict != verdict.Skipped {
			n++
		}
	}
	return n
}

func eventually(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitMoreRuns waits until n more runs than now have finished.
func waitMoreRuns(t testing.TB, store string, n int) {
	t.Helper()
	base := finished(storeRuns(t, store, "customer"))
	eventually(t, fmt.Sprintf("%d more finished runs", n), 30*time.Second, func() bool {
		return finished(storeRuns(t, store, "customer")) >= base+n
	})
}

// Ensure scheduled runs against the simulator, switched nominal →
// removed-field → nominal, send exactly one signed firing webhook and, after
// recovery, exactly one resolved with the same fingerprint; the alert's
// report link serves the run's report; `mmcontract history` lists the runs;
// SIGTERM stops the monitor with exit 0.
func TestMonitorScenarioSwitchPagesOnce(t *testing.T) {
	sim, simURL := simServer(t, "nominal")
	hook, hookURL := newHookSink(t)
	dir := t.TempDir()
	cfg, store := monitorConfig(t, dir, simURL, hookURL, "", 3)
	p := startMonitor(t, cfg)

	waitMoreRuns(t, store, 2)
	if n := len(hook.got()); n != 0 {
		t.Fatalf("%d webhooks during nominal runs, want none", n)
	}
	if err := sim.SetScenario("removed-field"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the firing webhook", 30*time.Second, func() bool { return hook.count(alert.Firing) >= 1 })
	waitMoreRuns(t, store, 2) // still broken: must not page again
	if err := sim.SetScenario("nominal"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resolved webhook", 30*time.Second, func() bool { return hook.count(alert.Resolved) >= 1 })
	waitMoreRuns(t, store, 2) // nominal again: nothing more

	evs := hook.got()
	firing := evs[0]
	// The report link works while the monitor runs, re-rendered with history.
	resp, err := http.Get(firing.ReportURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("<!DOCTYPE html>")) {
		t.Errorf("report_url %s: HTTP %d", firing.ReportURL, resp.StatusCode)
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d after SIGTERM, want 0", code)
	}

	if hook.count(alert.Firing) != 1 || hook.count(alert.Resolved) != 1 || len(evs) != 2 {
		t.Fatalf("webhooks %+v, want exactly one firing then one resolved", evs)
	}
	resolved := evs[1]
	if firing.Status != alert.Firing || resolved.Status != alert.Resolved || firing.Fingerprint != resolved.Fingerprint {
		t.Errorf("firing %s/%s then %s/%s: want firing then resolved, same fingerprint", firing.Status, firing.Fingerprint,
			resolved.Status, resolved.Fingerprint)
	}
	if firing.Severity != alert.Critical || firing.Job != "customer" || firing.Target != "sim" ||
		firing.Operation != "customer.app.CustomerWebApiService.findCustomerInfo" {
		t.Errorf("firing event %+v", firing)
	}
	if want := "http://" + p.addr + "/runs/" + firing.RunID + "/report.html"; firing.ReportURL != want {
		t.Errorf("report_url %s, want %s", firing.ReportURL, want)
	}
	if u := simulator.DefaultUser(); strings.Contains(fmt.Sprint(evs), u.Password) {
		t.Errorf("an alert carries the login password")
	}

	// history, read-only, both formats.
	r := mmcontract(t, nil, "history", "--store", store, "--job", "customer", "--last", "3", "--format", "json")
	var hist []struct {
		ID, Job, Verdict string
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &hist) != nil || len(hist) != 3 || hist[0].Job != "customer" {
		t.Errorf("history json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = mmcontract(t, nil, "history", "--store", store, "--last", "2")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "RUN") || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("history text: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// --config needs none of the secrets it references.
	if r := mmcontract(t, nil, "history", "--config", cfg, "--last", "1"); r.code != 0 || strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("history --config without the environment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := mmcontract(t, nil, "history", "--store", store, "--config", cfg); r.code != 2 {
		t.Errorf("history with both --store and --config: exit %d, want 2", r.code)
	}
}

// Ensure a monitor restarted between firing and resolve does not page the
// same alert again, and still sends its resolved notice.
func TestMonitorRestartDoesNotRepage(t *testing.T) {
	sim, simURL := simServer(t, "removed-field")
	hook, hookURL := newHookSink(t)
	dir := t.TempDir()
	cfg, store := monitorConfig(t, dir, simURL, hookURL, "", 3)
	p := startMonitor(t, cfg)
	eventually(t, "the firing webhook", 30*time.Second, func() bool { return hook.count(alert.Firing) >= 1 })
	if code := p.stop(t); code != 0 {
		t.Fatalf("monitor exit %d after SIGTERM", code)
	}
	p = startMonitor(t, cfg)
	waitMoreRuns(t, store, 2) // still broken after the restart
	if n := hook.count(alert.Firing); n != 1 {
		t.Fatalf("%d firing webhooks after the restart, want 1", n)
	}
	if err := sim.SetScenario("nominal"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resolved webhook", 30*time.Second, func() bool { return hook.count(alert.Resolved) >= 1 })
	waitMoreRuns(t, store, 1)
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
	evs := hook.got()
	if len(evs) != 2 || evs[0].Fingerprint != evs[1].Fingerprint {
		t.Errorf("webhooks %+v, want one firing and one resolved with one fingerprint", evs)
	}
}

// Ensure an unavailable vendor pages only after unavailable_after
// consecutive unavailable runs, once, as one alert for the job and target.
func TestMonitorUnavailabilityPagesAfterN(t *testing.T) {
	_, simURL := simServer(t, "http-503")
	hook, hookURL := newHookSink(t)
	dir := t.TempDir()
	cfg, store := monitorConfig(t, dir, simURL, hookURL, "", 2)
	p := startMonitor(t, cfg)
	unavailable := func() int {
		n := 0
		for _, r := range storeRuns(t, store, "customer") {
			if r.Verdict == verdict.Unavailable {
				n++
			}
		}
		return n
	}
	eventually(t, "one unavailable run", 30*time.Second, func() bool { return unavailable() >= 1 })
	time.Sleep(300 * time.Millisecond) // let a (wrong) delivery arrive
	if unavailable() == 1 && len(hook.got()) != 0 {
		t.Fatalf("paged after one unavailable run: %+v", hook.got())
	}
	eventually(t, "the unavailability page", 30*time.Second, func() bool { return hook.count(alert.Firing) >= 1 })
	if n := unavailable(); n < 2 {
		t.Errorf("paged after %d unavailable runs, want 2", n)
	}
	base := unavailable()
	eventually(t, "a third unavailable run", 30*time.Second, func() bool { return unavailable() > base })
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
	evs := hook.got()
	if len(evs) != 1 || evs[0].Kind != alert.KindUnavailable || evs[0].Severity != alert.Critical || evs[0].Operation != "" {
		t.Errorf("webhooks %+v, want one critical unavailability alert for the job", evs)
	}
}

// Ensure a real Alertmanager receives the monitor's alert with a short
// endsAt that every run pushes forward (not now+24h), and, after the vendor
// recovers, no longer lists it active (API v2); the watchdog is there too.
func TestMonitorRealAlertmanager(t *testing.T) {
	base := amtest.Start(t)
	dir := t.TempDir()

	sim, simURL := simServer(t, "nominal")
	hook, hookURL := newHookSink(t)
	extra := fmt.Sprintf("    - name: am\n      type: alertmanager\n      url: %s\n", base)
	cfg, store := monitorConfig(t, dir, simURL, hookURL, extra, 3)
	p := startMonitor(t, cfg)
	waitMoreRuns(t, store, 1)
	if err := sim.SetScenario("removed-field"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the firing webhook", 30*time.Second, func() bool { return hook.count(alert.Firing) >= 1 })
	fp := hook.got()[0].Fingerprint
	active := func() ([]amtest.Alert, error) { return amtest.Alerts(base, fp) }
	var first amtest.Alert
	eventually(t, "alertmanager lists the alert active", 20*time.Second, func() bool {
		as, err := active()
		if err != nil || len(as) != 1 {
			return false
		}
		first = as[0]
		return as[0].Status.State == "active"
	})
	// Two schedule intervals (1s), the job timeout (30s) and a minute.
	if now := time.Now(); !first.EndsAt.After(now) || first.EndsAt.After(now.Add(5*time.Minute)) {
		t.Errorf("endsAt %s: want a short expiry after now (%s), not hours away", first.EndsAt, now)
	}
	eventually(t, "a later run refreshes endsAt", 20*time.Second, func() bool {
		as, err := active()
		return err == nil && len(as) == 1 && as[0].EndsAt.After(first.EndsAt)
	})
	eventually(t, "the watchdog is active in alertmanager", 20*time.Second, func() bool {
		as, err := amtest.AlertsWhere(base, `alertname="MmcontractWatchdog"`)
		return err == nil && len(as) == 1 && as[0].Status.State == "active"
	})
	if err := sim.SetScenario("nominal"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "alertmanager no longer lists it", 30*time.Second, func() bool {
		as, err := active()
		return err == nil && len(as) == 0
	})
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
}

// childrenOf returns the pids whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may contain spaces, so cut at ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 {
			if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
				out = append(out, n)
			}
		}
	}
	return out
}

// Ensure a kill -9 of the monitor in the middle of a run loses only that
// run: its child dies with it (no orphan writing into a run already marked
// interrupted); after a restart the store opens, passes its integrity
// check, keeps every earlier run, records the interrupted one as an error,
// and the alert that fired before the kill is not paged again.
func TestMonitorKill9MidRun(t *testing.T) {
	sim, simURL := simServer(t, "nominal")
	hook, hookURL := newHookSink(t)
	dir := t.TempDir()
	cfg, store := monitorConfig(t, dir, simURL, hookURL, "", 3)
	p := startMonitor(t, cfg)
	waitMoreRuns(t, store, 2)
	if err := sim.SetScenario("removed-field"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the firing webhook", 30*time.Second, func() bool { return hook.count(alert.Firing) >= 1 })
	// A stalled vendor keeps the next run in flight for seconds.
	if err := sim.SetScenario("stall"); err != nil {
		t.Fatal(err)
	}
	var inflight history.Run
	eventually(t, "a run in flight on the stalled vendor", 30*time.Second, func() bool {
		for _, r := range storeRuns(t, store, "customer") {
			if r.InFlight() && time.Since(r.StartedAt) > 300*time.Millisecond {
				inflight = r
				return true
			}
		}
		return false
	})
	before := storeRuns(t, store, "customer")
	children := childrenOf(p.cmd.Process.Pid)
	if len(children) == 0 {
		t.Fatal("no child run in flight")
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	// Issue 12 changed this: the child used to outlive its SIGKILLed parent
	// (the test killed it). It must now die with the monitor.
	eventually(t, "the child to die with the monitor", 10*time.Second, func() bool {
		for _, c := range children {
			if !processGone(c) {
				return false
			}
		}
		return true
	})
	for _, c := range children { // never leave one behind, whatever happened
		_ = syscall.Kill(-c, syscall.SIGKILL)
	}
	if err := sim.SetScenario("removed-field"); err != nil {
		t.Fatal(err)
	}

	p = startMonitor(t, cfg)
	waitMoreRuns(t, store, 2) // still broken after the restart
	if code := p.stop(t); code != 0 {
		t.Errorf("restarted monitor exit %d", code)
	}
	if pages := hook.of(alert.KindContract, alert.Firing); len(pages) != 1 {
		t.Errorf("%d pages of the alert across the kill and restart, want 1: %+v", len(pages), hook.got())
	}
	s, err := history.Open(context.Background(), store, history.ReadOnly())
	if err != nil {
		t.Fatalf("store does not open after kill -9: %v", err)
	}
	defer s.Close()
	if err := s.IntegrityCheck(context.Background()); err != nil {
		t.Errorf("store corrupted: %v", err)
	}
	got, err := s.Run(context.Background(), inflight.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != verdict.Error || got.Error != history.Interrupted {
		t.Errorf("interrupted run recorded as %s %q, want error %q", got.Verdict, got.Error, history.Interrupted)
	}
	for _, r := range before {
		if r.InFlight() || r.ID == inflight.ID {
			continue
		}
		after, err := s.Run(context.Background(), r.ID)
		if err != nil || after.Verdict != r.Verdict || !after.FinishedAt.Equal(r.FinishedAt) {
			t.Errorf("run %s changed across the kill: %+v -> %+v (%v)", r.ID, r, after, err)
		}
	}
}

// Ensure --check-config accepts the minimal config and rejects each
// invalid fixture of runner/monitor with exit 2 and its exact message.
func TestMonitorCheckConfig(t *testing.T) {
	env := []string{"MM_LOGIN_NAME=ops@example.com", "MM_LOGIN_PASSWORD=pw", "HOOK_SECRET=k"}
	r := mmcontract(t, env, "monitor", "--config", "../../runner/monitor/testdata/minimal.yaml", "--check-config")
	if r.code != 0 || !strings.Contains(r.stdout, "configuration valid") {
		t.Fatalf("minimal config: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	files, err := filepath.Glob("../../runner/monitor/testdata/invalid-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(raw), "\n")
		want := strings.TrimPrefix(first, "# want: ")
		r := mmcontract(t, env, "monitor", "--config", f, "--check-config")
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", filepath.Base(f), r.code, r.stderr, want)
		}
	}
	if r := mmcontract(t, nil, "monitor", "--check-config"); r.code != 2 || !strings.Contains(r.stderr, "--config is required") {
		t.Errorf("without --config: exit %d %q", r.code, r.stderr)
	}
}
