package main

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// outageBound is the whole-run bound of issue 11 for a default-suite run
// against a total outage; the run's own timestamps are held against it.
const outageBound = 30 * time.Second

// Ensure a default-suite run against each total-outage scenario ends well
// within the bound, exit 3, every unavailable check naming the cause, and
// most checks not called at all once the fault budget's breaker opened.
func TestRunTotalOutage(t *testing.T) {
	cases := []struct {
		scenario string
		cause    []string // every unavailable check names one of these
	}{
		{"http-502", []string{"HTTP 502"}},
		{"http-503", []string{"HTTP 503"}},
		{"http-504", []string{"HTTP 504"}},
		{"reset-mid-body", []string{"reset", "closed mid-response"}},
		{"rate-limit", []string{"rate limited"}},
		{"rate-limit-no-retry-after", []string{"rate limited"}},
	}
	known := map[string]bool{}
	for _, sc := range simulator.Scenarios() {
		known[sc.Name] = true
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			if !known[tc.scenario] {
				t.Fatalf("the simulator has no scenario %q", tc.scenario)
			}
			out := t.TempDir()
			r, res := runSim(t, out, "--scenario", tc.scenario)
			took := res.Duration()
			t.Logf("%s: exit %d, verdict %s, %s (results.json finished_at - started_at), counts %v",
				tc.scenario, r.code, res.Verdict, took.Round(time.Millisecond), res.Counts)
			if r.code != verdict.ExitUnavailable || res.Verdict != verdict.Unavailable {
				t.Errorf("exit %d verdict %s, want %d and unavailable\n%s", r.code, res.Verdict, verdict.ExitUnavailable, r.stderr)
			}
			if took <= 0 || took >= outageBound {
				t.Errorf("the run took %s, want under %s", took, outageBound)
			}
			if res.Counts[verdict.Broken] != 0 || res.Counts[verdict.Error] != 0 {
				t.Errorf("an outage reads as broken or error: %v", res.Counts)
			}
			notCalled := 0
			for _, c := range res.Checks {
				if c.Verdict != verdict.Unavailable {
					continue
				}
				if !containsAnyFold(c.Message, tc.cause) {
					t.Errorf("check %q: message %q names none of %q", c.Spec, c.Message, tc.cause)
				}
				if strings.Contains(c.Message, "not called: ") {
					notCalled++
				}
			}
			if notCalled < res.Counts[verdict.Unavailable]/2 {
				t.Errorf("only %d of %d unavailable checks were spared a call: the breaker did not open", notCalled, res.Counts[verdict.Unavailable])
			}
		})
	}
}

// flakyOnce serves the embedded simulator over loopback, answering the
// first /global/ request with 503: one transient fault in a healthy run.
func flakyOnce(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	sim := newSimulator(t)
	var faulted atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/global/") && faulted.CompareAndSwap(0, 1) {
			http.Error(w, "<html><title>503 Service Temporarily Unavailable</title></html>", http.StatusServiceUnavailable)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &faulted
}

// Ensure the fault budget leaves an isolated fault alone: the request is
// retried and the run passes.
func TestRunTransientFaultStillPasses(t *testing.T) {
	srv, faulted := flakyOnce(t)
	out := t.TempDir()
	r := mmcontract(t, targetEnv(srv.URL), "run", "--out", out, "--label-filter", "smoke", "--flake-attempts", "1")
	res := readResults(t, out)
	if faulted.Load() != 1 {
		t.Fatal("the fault was never served")
	}
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Errorf("exit %d verdict %s, want 0 and pass after one retried 503\n%s", r.code, res.Verdict, r.stdout)
	}
}

// Ensure a run stopped by SIGINT or SIGTERM writes its outputs, says
// "interrupted": true, marks the checks it did not run, and exits 130 or 143.
func TestRunInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		code int
	}{
		{"SIGINT", syscall.SIGINT, 130},
		{"SIGTERM", syscall.SIGTERM, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			// Every client call stalls for the 10 s request timeout, so the
			// run is still going when the signal comes.
			cmd := mmcontractCmd(t, nil, "run", "--out", out, "--scenario", "stall", "--timeout", "10s")
			pipe, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The first finished check (the first request's timeout, after
			// 10 s) proves the specs are running; the second timeout, 10 s
			// later, would open the breaker and end the run at once, so the
			// signal comes in between.
			sc := bufio.NewScanner(pipe)
			for sc.Scan() && !strings.HasPrefix(sc.Text(), "UNAVAILABLE ") && !strings.HasPrefix(sc.Text(), "PASS ") {
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			for sc.Scan() {
			}
			err = cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if code != tc.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tc.code)
			}
			res := readResults(t, out)
			if !res.Interrupted {
				t.Error(`results.json lacks "interrupted": true`)
			}
			if took := res.Duration(); took >= outageBound {
				t.Errorf("the interrupted run took %s", took)
			}
			notRun := 0
			for _, c := range res.Checks {
				if c.Message == "not run: interrupted" {
					notRun++
					if c.Verdict != verdict.Skipped {
						t.Errorf("unrun check %q is %s, want skipped", c.Spec, c.Verdict)
					}
				}
			}
			if notRun == 0 {
				t.Errorf("no check is marked \"not run: interrupted\"; counts %v", res.Counts)
			}
			if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
				t.Errorf("report.html not written: %v", err)
			}
		})
	}
}
