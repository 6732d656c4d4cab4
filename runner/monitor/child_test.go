package monitor

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
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
)

// Ensure a simulator target's child gets no MM_* variable at all, neither
// the monitor's own credentials nor ones configured on the target.
func TestChildEnvSimulatorHasNoCredentials(t *testing.T) {
	t.Setenv("MM_LOGIN_NAME", "monitor-own@example.com")
	t.Setenv("MM_LOGIN_PASSWORD", "monitor-own-secret")
	t.Setenv("MM_TOKEN", "monitor-token")
	t.Setenv("PATH", "/usr/bin")
	for name, tg := range map[string]Target{
		"bare simulator":             {},
		"simulator with credentials": {LoginName: "ops", LoginPassword: "pw", Token: "tok", Scenario: "nominal"},
	} {
		env := childEnv(tg)
		for _, kv := range env {
			if strings.HasPrefix(kv, "MM_") {
				t.Errorf("%s: child env has %s", name, kv)
			}
		}
		if !strings.Contains(strings.Join(env, "\n"), "PATH=/usr/bin") {
			t.Errorf("%s: child env lacks PATH: %q", name, env)
		}
	}
}

// Ensure the first non-empty stderr line is kept, without colour, bounded,
// whatever the chunking of the writes.
func TestFirstLineWriter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chunks []string
		want   string
	}{
		{"one write", []string{"mmcontract run: login rejected\nmore\n"}, "mmcontract run: login rejected"},
		{"split writes", []string{"mmcontract run: lo", "gin rejected", "\nsecond\n"}, "mmcontract run: login rejected"},
		{"leading blank lines", []string{"\n  \n", "error: x\n"}, "error: x"},
		{"colour removed", []string{"\x1b[31merror\x1b[0m: bad filter\n"}, "error: bad filter"},
		{"no newline yet", []string{"half a line"}, "half a line"},
		{"long line bounded", []string{strings.Repeat("x", 1000) + "\n"}, strings.Repeat("x", maxFirstLine)},
	} {
		w := &firstLineWriter{}
		for _, c := range tc.chunks {
			if n, err := w.Write([]byte(c)); n != len(c) || err != nil {
				t.Fatalf("%s: Write = %d, %v", tc.name, n, err)
			}
		}
		if got := w.String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Ensure the monitor's HTTP server refuses oversized headers and closes a
// connection that never finishes its request headers.
func TestHTTPServerLimits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d %v", n, err != nil)
	}), log.New(io.Discard, "", 0))
	srv.ReadHeaderTimeout = 300 * time.Millisecond // the production value is 10s
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2*maxHeaderBytes))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized header: HTTP %d, want 431", resp.StatusCode)
	}

	resp, err = http.Post(base+"/", "text/plain", strings.NewReader(strings.Repeat("b", 2*maxBodyBytes)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("%d true", maxBodyBytes); string(body) != want {
		t.Errorf("oversized body read as %q, want %q (capped, with an error)", body, want)
	}

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")); err != nil { // never ends its headers
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		// The server may answer 408 before closing; either way it must close.
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("slow client's connection not closed: %v", err)
		}
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("the server kept a connection with unfinished headers open for 5s")
	}
}

// Ensure /healthz turns 503 when a notification waited longer than
// health.max_outbox_age (a receiver that is down) and when a job stopped
// ticking (the scheduler), naming each problem, and is "ok" otherwise.
func TestHealthzOutboxAgeAndScheduler(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "outage", http.StatusBadGateway)
	}))
	defer down.Close()
	cfg := baseConfig(t, down.URL) // job @every 1h
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	m := newTestMonitorAt(t, cfg, &fakeRunner{results: brokenResults(testOp)}, clock)
	if code, body := get(t, m, "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz at start: %d %q", code, body)
	}
	m.Tick("customer") // fires; the receiver is down, so the page stays pending
	waitUntil(t, "a pending notification", 5*time.Second, func() bool {
		st, err := m.Store().OutboxStats(context.Background())
		return err == nil && st["hook"].Pending == 1
	})
	advance(11 * time.Minute) // past the default max_outbox_age, within the hour
	code, body := get(t, m, "/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "outbox: 1 notification(s) to hook pending since") {
		t.Errorf("/healthz with an old pending page: %d %q", code, body)
	}
	if strings.Contains(body, "scheduler") {
		t.Errorf("/healthz blames the scheduler within the hour: %q", body)
	}
	advance(2 * time.Hour) // the @every 1h job has not ticked since
	if _, body := get(t, m, "/healthz"); !strings.Contains(body, "scheduler: job customer has not ticked since") {
		t.Errorf("/healthz does not see a scheduler that stopped: %q", body)
	}
}

// fakeChild writes an executable shell script standing in for `mmcontract
// run` (called as: run --out DIR ...).
func fakeChild(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-mmcontract")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nout=\"$3\"\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// Ensure the child runner tells every way a run ends apart: results,
// results with config_error (exit 2), exit 2 without results, a crash, and
// the job timeout; and keeps the child's first stderr line.
func TestChildRunnerOutcomes(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	const configResults = `{"schema_version":1,"verdict":"config","checks":[],"config_error":{"kind":"credentials_rejected","message":"the vendor rejected MM_TOKEN (GATEWAY_CODE_005): get a new token"}}`
	for _, tc := range []struct {
		name    string
		script  string
		timeout time.Duration
		check   func(RunResult) string
	}{
		{"results", `echo '{"schema_version":1,"verdict":"broken","checks":[]}' > "$out/results.json"; exit 1`, 10 * time.Second,
			func(r RunResult) string {
				if !r.HaveResults || r.Results.Verdict != "broken" || r.Err != nil || r.Config != nil || r.TimedOut {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			}},
		{"config_error in results.json", `echo '` + configResults + `' > "$out/results.json"; echo "mmcontract run: token rejected" >&2; exit 2`, 10 * time.Second,
			func(r RunResult) string {
				if r.Config == nil || r.Config.Summary() != "credentials rejected: the vendor rejected MM_TOKEN (GATEWAY_CODE_005): get a new token" || !r.HaveResults {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			}},
		{"exit 2 without results", `echo "" >&2; echo "mmcontract run: MM_LOGIN_NAME is set but MM_BASE_URL is not" >&2; echo second >&2; exit 2`, 10 * time.Second,
			func(r RunResult) string {
				if r.Config == nil || r.Config.Summary() != "set-up problem: mmcontract run: MM_LOGIN_NAME is set but MM_BASE_URL is not" || r.HaveResults || r.Err != nil {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			}},
		{"crash", `echo "panic: boom" >&2; exit 4`, 10 * time.Second,
			func(r RunResult) string {
				if r.Err == nil || r.FirstError != "panic: boom" || r.Config != nil || r.TimedOut {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			}},
		{"job timeout", `sleep 30`, 300 * time.Millisecond,
			func(r RunResult) string {
				if !r.TimedOut || r.Err != nil || r.Config != nil {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := childRunner{Executable: fakeChild(t, tc.script)}
			res := c.RunJob(context.Background(), RunRequest{Job: "customer", RunID: "r1",
				OutDir: filepath.Join(t.TempDir(), "r1"), Timeout: tc.timeout})
			if bad := tc.check(res); bad != "" {
				t.Errorf("result %s", bad)
			}
		})
	}
}
