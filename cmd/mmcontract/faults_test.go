package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/schemas"
)

// faultToken is the session token the fault servers hand out at login; it
// must never reach another host.
const faultToken = "f4a17c0e-7d3b-4c2a-9e1f-faulttoken00app"

// faultServer is a raw TCP vendor: it answers login correctly, so the run
// gets past its preflight, and applies fault to every other request.
type faultServer struct {
	ln    net.Listener
	fault func(conn net.Conn, req *http.Request)
	wg    sync.WaitGroup

	mu      sync.Mutex
	faulted int // requests that got the fault
}

func (s *faultServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faulted
}

func newFaultServer(t *testing.T, fault func(conn net.Conn, req *http.Request)) *faultServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &faultServer{ln: ln, fault: fault}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() { _ = ln.Close(); s.wg.Wait() })
	return s
}

func (s *faultServer) URL() string { return "http://" + s.ln.Addr().String() }

func (s *faultServer) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			br := bufio.NewReader(conn)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				if strings.HasSuffix(req.URL.Path, "/login") {
					writeLogin(conn, req)
					continue
				}
				s.mu.Lock()
				s.faulted++
				s.mu.Unlock()
				s.fault(conn, req)
				return
			}
		}()
	}
}

// writeLogin answers a login with a minimal success envelope carrying
// faultToken, echoing the request's trace as the vendor does.
func writeLogin(w io.Writer, req *http.Request) {
	body := fmt.Sprintf(`{"bizCode":"0","code":"0","msg":"success","tm":%d,"trace":%q,"msgParams":null,"ok":true,"fail":false,"data":{"token":%q,"rToken":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}}`,
		time.Now().UnixMilli(), req.Header.Get("trace"), faultToken)
	fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// faultArgs keeps fault runs small: one operation, no retries, one attempt.
func faultArgs(out string, extra ...string) []string {
	return append([]string{"run", "--out", out, "--label-filter", "findCustomerInfo && !negative",
		"--retries", "0", "--flake-attempts", "1"}, extra...)
}

func targetEnv(base string) []string {
	u := simulator.DefaultUser()
	return []string{"MM_BASE_URL=" + base, "MM_COMPANY_ID=" + simulator.DefaultCompanyID,
		"MM_LOGIN_NAME=" + u.LoginName, "MM_LOGIN_PASSWORD=" + u.Password}
}

// unavailableReasons checks that the run completed as unavailable with a
// one-line reason on every unavailable check, and returns those reasons.
func unavailableReasons(t *testing.T, r runResult, res results.Results) []string {
	t.Helper()
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("stderr shows a panic:\n%s", r.stderr)
	}
	if res.Verdict != verdict.Unavailable || r.code != verdict.ExitUnavailable {
		t.Errorf("verdict %s exit %d, want unavailable and %d\n%s\n%s", res.Verdict, r.code, verdict.ExitUnavailable, r.stdout, r.stderr)
	}
	var reasons []string
	for _, c := range res.Checks {
		if c.Verdict != verdict.Unavailable {
			continue
		}
		if c.Message == "" || strings.Contains(c.Message, "\n") {
			t.Errorf("check %q has no one-line reason: %q", c.Spec, c.Message)
		}
		reasons = append(reasons, c.Message)
	}
	if len(reasons) == 0 {
		t.Errorf("no unavailable check in results.json")
	}
	return reasons
}

// Ensure transport faults a simulator cannot produce from inside HTTP end as
// unavailable (exit 3) with a one-line reason naming the fault, and that a
// redirect to another host never carries the session token there.
func TestFaultMatrixRawTCP(t *testing.T) {
	// Another host (a different port is a different origin) that records
	// whatever a redirected client sends it.
	var (
		otherMu  sync.Mutex
		otherGot []http.Header
	)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherMu.Lock()
		otherGot = append(otherGot, r.Header.Clone())
		otherMu.Unlock()
		http.Error(w, "not the vendor", http.StatusNotFound)
	}))
	t.Cleanup(other.Close)

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + closed.Addr().String()
	_ = closed.Close()

	cases := []struct {
		name  string
		base  func(t *testing.T) string // a server's URL; sets srv when it is a fault server
		extra []string
		want  []string // the reason names the fault: any of these, case-insensitive
	}{
		{"connection refused", func(*testing.T) string { return refused }, nil, []string{"refused"}},
		{"reset mid-body", func(t *testing.T) string {
			return newFaultServer(t, func(conn net.Conn, req *http.Request) {
				fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"+`{"bizCode":"0","code":"0","msg":"succ`)
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // close with RST, not FIN
				}
			}).URL()
		}, nil, []string{"reset", "EOF", "body"}},
		{"no response headers", func(t *testing.T) string {
			return newFaultServer(t, func(conn net.Conn, req *http.Request) {
				// Hold the request until the client gives up and closes.
				_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
				_, _ = io.Copy(io.Discard, conn)
			}).URL()
		}, []string{"--timeout", "2s"}, []string{"timeout", "deadline", "timed out"}},
		{"redirect to another host", func(t *testing.T) string {
			return newFaultServer(t, func(conn net.Conn, req *http.Request) {
				loc := other.URL + req.URL.RequestURI()
				// Connection: close, as the server closes after it: a
				// keep-alive answer let the client send its next request
				// on a socket being closed, and that request's reason was
				// a reset, not the redirect.
				fmt.Fprintf(conn, "HTTP/1.1 307 Temporary Redirect\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", loc)
			}).URL()
		}, nil, []string{"redirect"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			r := mmcontract(t, targetEnv(tc.base(t)), faultArgs(out, tc.extra...)...)
			res := readResults(t, out)
			reasons := unavailableReasons(t, r, res)
			t.Logf("exit %d verdict %s reason %q", r.code, res.Verdict, first(reasons))
			for _, reason := range reasons {
				if !containsAnyFold(reason, tc.want) {
					t.Errorf("reason %q names none of %q", reason, tc.want)
				}
				// faultArgs passes --retries 0: one attempt per request.
				if strings.Contains(reason, "attempts") {
					t.Errorf("--retries 0 still retried: %q", reason)
				}
			}
		})
	}
	t.Cleanup(func() {
		otherMu.Lock()
		defer otherMu.Unlock()
		for _, h := range otherGot {
			t.Logf("the other host received: %v", h)
			for k, v := range h {
				lk := strings.ToLower(k)
				if lk == "token" || lk == "apikey" || lk == "signature" || lk == "authorization" || lk == "cookie" ||
					strings.Contains(strings.Join(v, " "), faultToken) {
					t.Errorf("credential header %s sent to another host after a redirect", k)
				}
			}
		}
		if len(otherGot) == 0 {
			t.Logf("the other host received no request at all (the client did not follow the redirect)")
		}
	})
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func containsAnyFold(s string, subs []string) bool {
	ls := strings.ToLower(s)
	for _, sub := range subs {
		if strings.Contains(ls, strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

// Ensure a vendor that stalls for 20 s costs about the request timeout, not
// the stall: the run ends well before the stall would and reads unavailable.
func TestSlowVendor(t *testing.T) {
	srv := newFaultServer(t, func(conn net.Conn, req *http.Request) {
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, _ = io.Copy(io.Discard, conn)
	})
	out := t.TempDir()
	start := time.Now()
	r := mmcontract(t, targetEnv(srv.URL()), faultArgs(out, "--timeout", "3s")...)
	took := time.Since(start)
	res := readResults(t, out)
	reasons := unavailableReasons(t, r, res)
	t.Logf("took %s, reason %q", took.Round(time.Millisecond), first(reasons))
	if n := srv.count(); n > len(reasons) {
		t.Errorf("%d requests for %d unavailable checks: --retries 0 retried", n, len(reasons))
	}
	if took >= 15*time.Second {
		t.Errorf("the run took %s against a 20s stall with --timeout 3s; want well under 15s", took.Round(time.Millisecond))
	}
}

// newSimulator is the embedded simulator as an http.Handler, for tests that
// serve it themselves.
func newSimulator(t *testing.T) *simulator.Simulator {
	t.Helper()
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulator.New(simulator.Options{Schemas: set})
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// tlsSimulator serves the embedded simulator over TLS with httptest's
// self-signed certificate.
func tlsSimulator(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(newSimulator(t))
	// The rejected handshakes are the point of the test, not noise to log.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// Ensure TLS verification is on by default (a self-signed target is
// unavailable, the reason naming the certificate) and that --insecure works
// but prints a warning.
func TestTLSVerification(t *testing.T) {
	srv := tlsSimulator(t)
	env := targetEnv(srv.URL)

	out := t.TempDir()
	r := mmcontract(t, env, faultArgs(out, "--timeout", "3s")...)
	if strings.Contains(r.stderr, "WARNING") {
		t.Errorf("a warning without --insecure:\n%s", r.stderr)
	}
	reasons := unavailableReasons(t, r, readResults(t, out))
	for _, reason := range reasons {
		if !strings.Contains(reason, "certificate") {
			t.Errorf("reason %q does not mention the certificate", reason)
		}
	}

	out = t.TempDir()
	r = mmcontract(t, env, faultArgs(out, "--timeout", "3s", "--insecure")...)
	if r.code != 0 || !strings.Contains(r.stderr, "WARNING") {
		t.Errorf("--insecure: exit %d, want 0 with a WARNING on stderr\n%s", r.code, r.stderr)
	}
	if res := readResults(t, out); res.Verdict != verdict.Pass {
		t.Errorf("--insecure: verdict %s, want pass", res.Verdict)
	}
}

// Ensure a run, a report and a baseline accept leave only their artifacts:
// every write goes through a temp file and a rename, and no temp file is left.
func TestAtomicWritesLeaveNoTempFiles(t *testing.T) {
	out, base := t.TempDir(), t.TempDir()
	r := mmcontract(t, nil, "run", "--out", out, "--label-filter", "findCustomerInfo && !negative")
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	if r = mmcontract(t, nil, "report", "--from", out, "--html-bodies", "all"); r.code != 0 {
		t.Fatalf("report: exit %d\n%s", r.code, r.stderr)
	}
	if r = mmcontract(t, nil, "baseline", "accept", "--from", out, "--baseline", base); r.code != 0 {
		t.Fatalf("baseline accept: exit %d\n%s", r.code, r.stderr)
	}
	want := map[string]bool{"results.json": true, "junit.xml": true, "ginkgo.json": true, "report.html": true}
	for _, dir := range []string{out, base} {
		n := 0
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			n++
			name := d.Name()
			if strings.Contains(name, ".tmp") || strings.HasPrefix(name, ".") {
				t.Errorf("temp file left behind: %s", path)
			}
			if dir == out && !want[name] {
				t.Errorf("unexpected file in the out dir: %s", path)
			}
			if dir == base && !strings.HasSuffix(name, ".json") {
				t.Errorf("unexpected file in the baseline dir: %s", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("%s is empty", dir)
		}
	}
}

// Ensure bad input files exit 2 with a message naming the problem and the
// file: a baseline with an unknown key, and a spec that is an HTML page.
func TestFaultBadInputFiles(t *testing.T) {
	t.Run("baseline unknown key", func(t *testing.T) {
		dir := t.TempDir()
		bad := filepath.Join(dir, "client", "customer.app.CustomerWebApiService.findCustomerInfo.json")
		if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bad, []byte(`{"version":1,"samples":1,"fields":{},"comment":"hand edited"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		r := mmcontract(t, nil, "run", "--out", t.TempDir(), "--baseline", dir, "--label-filter", "findCustomerInfo")
		if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "findCustomerInfo.json") || !strings.Contains(r.stderr, "comment") {
			t.Errorf("exit %d, want 2 naming the file and the key \"comment\"\n%s", r.code, r.stderr)
		}
	})
	t.Run("sim users file", func(t *testing.T) {
		dir := t.TempDir()
		for _, tc := range []struct{ name, body, want string }{
			{"unknown key", `[{"loginName":"a@example.test","password":"p","emial":"x"}]`, `unknown field "emial"`},
			{"not a list", `{"loginName":"a@example.test"}`, "cannot unmarshal"},
			{"empty list", `[]`, "no users listed"},
			{"no password", `[{"loginName":"a@example.test"}]`, "empty Password"},
		} {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			r := mmcontract(t, nil, "sim", "--addr", "127.0.0.1:0", "--users", path)
			if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "--users") || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%s: exit %d, want 2 naming --users and %q\n%s", tc.name, r.code, tc.want, r.stderr)
			}
		}
	})
	t.Run("spec diff on an HTML page", func(t *testing.T) {
		dir := t.TempDir()
		page := filepath.Join(dir, "swagger.html")
		if err := os.WriteFile(page, []byte("<!DOCTYPE html>\n<html><head><title>Swagger UI</title></head><body><div id=\"swagger-ui\"></div></body></html>\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := mmcontract(t, nil, "spec", "diff", page, page)
		if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "swagger.html") {
			t.Errorf("exit %d, want 2 naming the file\n%s", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "panic") {
			t.Errorf("panic:\n%s", r.stderr)
		}
		t.Logf("stderr: %s", strings.TrimSpace(r.stderr))
	})
}
