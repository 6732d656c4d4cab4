package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner/alert"
)

// These tests drive the real binary and the embedded simulator through the
// ways a run can end and a page can be lost (issue 12).

// delayed answers every request after d, like a vendor that fails slowly.
func delayed(d time.Duration) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// runsWhere counts the finished runs of the customer job with verdict v.
func runsWhere(t testing.TB, store string, v verdict.Verdict) []string {
	var notes []string
	for _, r := range storeRuns(t, store, "customer") {
		if r.Verdict == v {
			notes = append(notes, r.Error)
		}
	}
	return notes
}

// Ensure a vendor answering 503 so slowly that the job timeout kills every
// run pages exactly once, as unavailability, after unavailable_after runs
// (it used to be recorded as a harness error and page nobody).
func TestMonitorJobTimeoutPagesUnavailable(t *testing.T) {
	_, simURL := simServerWith(t, "http-503", delayed(700*time.Millisecond))
	hook, hookURL := newHookSink(t)
	cfg, store := monitorConfig(t, t.TempDir(), simURL, hookURL, "", 1)
	editConfig(t, cfg, "timeout: 30s\n    request_timeout: 2s", "timeout: 1500ms\n    request_timeout: 1s")
	p := startMonitor(t, cfg)
	eventually(t, "three runs stopped by the job timeout", 60*time.Second, func() bool {
		return len(runsWhere(t, store, verdict.Unavailable)) >= 3
	})
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
	for _, note := range runsWhere(t, store, verdict.Unavailable) {
		if !strings.Contains(note, "run exceeded its timeout of 1.5s") {
			t.Errorf("history note %q, want the timeout named", note)
		}
	}
	if n := len(runsWhere(t, store, verdict.Error)); n != 0 {
		t.Errorf("%d runs recorded as harness errors; a job timeout is unavailability", n)
	}
	pages := hook.of(alert.KindUnavailable, alert.Firing)
	if len(pages) != 1 || len(hook.got()) != 1 {
		t.Fatalf("webhooks %+v; want exactly one unavailability page", hook.got())
	}
	if !strings.Contains(pages[0].Summary, "exceeded its timeout") || pages[0].ID == "" {
		t.Errorf("page %+v: want the timeout in the summary and an id", pages[0].Event)
	}
}

// Ensure a page decided while the receiver answers 500 for 90 s is kept in
// the outbox (visible in the metrics) and arrives once after the receiver
// recovers, within a minute of the recovery. The old dispatcher gave up
// after 6 attempts, about a minute.
func TestMonitorOutboxOutlivesReceiverOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("a 90 s receiver outage")
	}
	const outage = 90 * time.Second
	_, simURL := simServer(t, "type-change")
	hook, hookURL := newHookSink(t)
	var (
		mu                   sync.Mutex
		recovered, firstCall time.Time
	)
	hook.status = func() int {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if firstCall.IsZero() {
			firstCall = now
		}
		if now.Sub(firstCall) < outage {
			return http.StatusInternalServerError
		}
		if recovered.IsZero() {
			recovered = now
		}
		return http.StatusOK
	}
	cfg, store := monitorConfig(t, t.TempDir(), simURL, hookURL, "", 3)
	p := startMonitor(t, cfg)
	time.Sleep(outage / 2)
	if m := scrape(t, p.addr); !strings.Contains(m, `mmcontract_alert_outbox_pending{receiver="oncall"} 1`) {
		t.Errorf("during the outage the page is not pending in the metrics:\n%s", grep(m, "outbox"))
	}
	if r := mmcontract(t, nil, "history", "--store", store, "--last", "1"); !strings.Contains(r.stdout, "outbox: 1 notification(s) to oncall not delivered yet") {
		t.Errorf("history during the outage does not show the pending page:\n%s%s", r.stdout, r.stderr)
	}
	eventually(t, "the page after the receiver recovered", outage+90*time.Second, func() bool {
		return hook.count(alert.Firing) >= 1
	})
	time.Sleep(3 * time.Second) // a second delivery would arrive now
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
	pages := hook.of(alert.KindContract, alert.Firing)
	if len(pages) != 1 || len(hook.got()) != 1 {
		t.Fatalf("webhooks %+v; want the page exactly once", hook.got())
	}
	mu.Lock()
	rec := recovered
	mu.Unlock()
	d := pages[0].at.Sub(rec)
	if d > time.Minute {
		t.Errorf("delivered %s after the receiver recovered, want within a minute", d)
	}
	t.Logf("page delivered %s after the receiver recovered from a %s outage", d.Round(time.Millisecond), outage)
}

// Ensure a receiver that hangs does not delay another: the healthy one gets
// its page within seconds of the run that decided it.
func TestMonitorHangingReceiverDelaysNobody(t *testing.T) {
	_, simURL := simServer(t, "removed-field")
	hook, hookURL := newHookSink(t)
	hang, hangURL := newHookSink(t)
	hang.hang = true
	extra := "    - name: hang\n      type: webhook\n      url: " + hangURL + "\n      secret: ${HOOK_SECRET}\n      timeout: 3s\n"
	cfg, _ := monitorConfig(t, t.TempDir(), simURL, hookURL, extra, 3)
	editConfig(t, cfg, "  routes:\n", "  routes:\n    - receiver: hang\n")
	p := startMonitor(t, cfg)
	eventually(t, "the healthy receiver's page", 30*time.Second, func() bool { return hook.count(alert.Firing) >= 1 })
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
	pages := hook.of(alert.KindContract, alert.Firing)
	if len(pages) != 1 {
		t.Fatalf("healthy receiver got %+v", hook.got())
	}
	// started_at is the run's start; the run takes well under a second.
	if d := pages[0].at.Sub(pages[0].StartedAt); d > 10*time.Second {
		t.Errorf("the healthy receiver got its page %s after the run started, want seconds", d)
	}
	if n := len(hang.got()); n != 0 {
		t.Errorf("the hanging receiver accepted %d", n)
	}
}

// Ensure a full disk under the store fails /healthz and pages "monitor
// cannot record runs" through the webhook (no store needed), and that both
// recover once space is back. It mounts a small tmpfs, so it needs root;
// it skips cleanly elsewhere.
func TestMonitorFullDiskPages(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "store")
	if err := os.MkdirAll(mnt, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", mnt).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v %s", mnt, err, out)
		}
	})
	_, simURL := simServer(t, "nominal")
	hook, hookURL := newHookSink(t)
	cfg, store := monitorConfig(t, dir, simURL, hookURL, "", 3)
	if filepath.Dir(store) != mnt {
		t.Fatalf("store %s is not on the tmpfs %s", store, mnt)
	}
	p := startMonitor(t, cfg)
	waitMoreRuns(t, store, 2)
	if code, _ := httpGet(t, "http://"+p.addr+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz %d before the disk filled", code)
	}
	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	eventually(t, `the "monitor cannot record runs" page`, 30*time.Second, func() bool {
		return len(hook.of(alert.KindMonitor, alert.Firing)) >= 1
	})
	code, body := httpGet(t, "http://"+p.addr+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store") {
		t.Errorf("/healthz with a full disk: %d %q, want 503 naming the store", code, body)
	}
	if m := scrape(t, p.addr); !strings.Contains(m, "mmcontract_store_errors_total{") {
		t.Errorf("no store errors counted:\n%s", grep(m, "store_errors"))
	}
	page := hook.of(alert.KindMonitor, alert.Firing)[0]
	if !strings.Contains(page.Summary, "monitor cannot record runs") || page.Severity != alert.Critical {
		t.Errorf("page %+v", page.Event)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resolve once space is back", 30*time.Second, func() bool {
		return len(hook.of(alert.KindMonitor, alert.Resolved)) >= 1
	})
	eventually(t, "/healthz 200 again", 30*time.Second, func() bool {
		code, _ := httpGet(t, "http://"+p.addr+"/healthz")
		return code == http.StatusOK
	})
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
	if n := len(hook.of(alert.KindMonitor, alert.Firing)); n != 1 {
		t.Errorf("%d monitor pages, want one per incident", n)
	}
}

// fillDisk writes path until the file system is full.
func fillDisk(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 256<<10)
	for i := 0; i < 1<<12; i++ {
		if _, err := f.Write(chunk); err != nil {
			return // ENOSPC: full
		}
	}
	t.Fatal("the disk never filled")
}

// Ensure a contract that flips between broken and fixed on every run is one
// incident per flap window: one page, and one resolve with the flap count
// once it stays fixed for the window.
func TestMonitorFlapDampingOneIncident(t *testing.T) {
	sim, simURL := simServer(t, "nominal")
	hook, hookURL := newHookSink(t)
	cfg, store := monitorConfig(t, t.TempDir(), simURL, hookURL, "", 3)
	editConfig(t, cfg, "flap_window: 1s", "flap_window: 6s")
	p := startMonitor(t, cfg)
	waitMoreRuns(t, store, 1)
	for i := 0; i < 8; i++ { // eight flips, a run each: well within the window each time
		scenario := "removed-field"
		if i%2 == 1 {
			scenario = "nominal"
		}
		if err := sim.SetScenario(scenario); err != nil {
			t.Fatal(err)
		}
		waitMoreRuns(t, store, 1)
	}
	if n := hook.count(alert.Resolved); n != 0 {
		t.Fatalf("%d resolves while flapping, want none", n)
	}
	if err := sim.SetScenario("nominal"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resolve after the window", 30*time.Second, func() bool { return hook.count(alert.Resolved) >= 1 })
	time.Sleep(2 * time.Second)
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
	firing, resolved := hook.of(alert.KindContract, alert.Firing), hook.of(alert.KindContract, alert.Resolved)
	if len(firing) != 1 || len(resolved) != 1 {
		t.Fatalf("%d pages and %d resolves for one flapping incident: %+v", len(firing), len(resolved), hook.got())
	}
	if resolved[0].Flaps < 3 || !strings.Contains(resolved[0].Summary, "flapped") {
		t.Errorf("resolve %+v: want the flap count", resolved[0].Event)
	}
}

// Ensure rejected credentials make config runs that page as their own kind,
// with the child's first error line, never as a broken contract.
func TestMonitorRejectedCredentialsPageConfig(t *testing.T) {
	_, simURL := simServer(t, "nominal")
	hook, hookURL := newHookSink(t)
	cfg, store := monitorConfig(t, t.TempDir(), simURL, hookURL, "", 3)
	editConfig(t, cfg, "login_password: ${MM_LOGIN_PASSWORD}", "login_password: not-the-password")
	p := startMonitor(t, cfg)
	eventually(t, "the config page", 30*time.Second, func() bool { return hook.count(alert.Firing) >= 1 })
	waitMoreRuns(t, store, 1)
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
	pages := hook.got()
	if len(pages) != 1 || pages[0].Kind != alert.KindConfig || !strings.Contains(pages[0].Summary, "login rejected") {
		t.Fatalf("webhooks %+v; want one config page naming the rejected login", pages)
	}
	notes := runsWhere(t, store, verdict.Config)
	if len(notes) < 2 || !strings.Contains(notes[0], "login rejected") {
		t.Errorf("config runs %q: want the child's first error line as the note", notes)
	}
	if !strings.Contains(p.stderr.String(), "login rejected") {
		t.Errorf("the monitor log lacks the child's error line")
	}
	r := mmcontract(t, nil, "history", "--store", store, "--last", "1")
	if !strings.Contains(r.stdout, "config") || !strings.Contains(r.stdout, "login rejected") {
		t.Errorf("history:\n%s", r.stdout)
	}
}

func httpGet(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func scrape(t testing.TB, addr string) string {
	t.Helper()
	_, body := httpGet(t, "http://"+addr+"/metrics")
	return body
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// processGone reports whether pid has exited (gone, or a zombie nobody
// reaped yet).
func processGone(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i >= 0 && len(stat) > i+2 && stat[i+2] == 'Z'
}
