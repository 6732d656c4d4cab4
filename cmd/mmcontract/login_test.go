package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/schemas"
)

// loginTap serves the simulator and remembers the tokens its login
// responses carry; with dropRToken it removes rToken from them, as a vendor
// that broke the login contract would.
type loginTap struct {
	sim        http.Handler
	dropRToken bool

	mu     sync.Mutex
	issued []string
}

func (l *loginTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.URL.Path, "/login/") {
		l.sim.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	l.sim.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var env map[string]any
	if json.Unmarshal(body, &env) == nil {
		if data, ok := env["data"].(map[string]any); ok {
			l.mu.Lock()
			for _, k := range []string{"token", "rToken"} {
				if s, ok := data[k].(string); ok {
					l.issued = append(l.issued, s)
				}
			}
			l.mu.Unlock()
			if l.dropRToken {
				delete(data, "rToken")
				body, _ = json.Marshal(env)
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

func (l *loginTap) tokens() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.issued...)
}

func runAgainstTap(t *testing.T, tap *loginTap, args ...string) (runResult, string) {
	t.Helper()
	srv := httptest.NewServer(tap)
	t.Cleanup(srv.Close)
	u := simulator.DefaultUser()
	out := t.TempDir()
	r := mmcontract(t, []string{"MM_BASE_URL=" + srv.URL, "MM_COMPANY_ID=" + simulator.DefaultCompanyID,
		"MM_LOGIN_NAME=" + u.LoginName, "MM_LOGIN_PASSWORD=" + u.Password}, append([]string{"run", "--out", out}, args...)...)
	return r, out
}

// Ensure the login response every run receives is checked by a spec of its
// own (labelled smoke and readonly: it makes no call of its own), that its
// data must carry token and rToken (a login without rToken is broken, with
// the pointer), and that the token and refresh token the vendor issued never
// reach any output: results.json, JUnit, ginkgo.json, the HTML report, the
// log, stdout or stderr.
func TestLoginResponseChecked(t *testing.T) {
	needBinary(t)
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulator.New(simulator.Options{Schemas: set, CheckRequests: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)

	tap := &loginTap{sim: sim}
	r, out := runAgainstTap(t, tap, "--label-filter", "smoke")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	login := loginCheck(t, out)
	if login == nil || login.verdict != verdict.Pass {
		t.Fatalf("login check %+v, want one that passes", login)
	}
	issued := tap.tokens()
	if len(issued) < 2 {
		t.Fatalf("the run's login issued %v, want a token and an rToken", issued)
	}
	for _, secret := range issued {
		if dirContains(t, out, secret) || strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("a token the login issued (%d chars) reached the outputs", len(secret))
		}
	}

	broken := &loginTap{sim: sim, dropRToken: true}
	r, out = runAgainstTap(t, broken, "--label-filter", "smoke")
	if r.code != verdict.ExitBroken {
		t.Errorf("a login without rToken: exit %d, want %d\n%s", r.code, verdict.ExitBroken, r.stderr)
	}
	login = loginCheck(t, out)
	if login == nil || login.verdict != verdict.Broken || !strings.Contains(login.pointers, "/data/rToken required") {
		t.Errorf("a login without rToken: login check %+v, want broken at /data/rToken", login)
	}
}

type loginResult struct {
	verdict  verdict.Verdict
	pointers string
}

// loginCheck is the login check of the run in out, nil if there is none.
func loginCheck(t *testing.T, out string) *loginResult {
	t.Helper()
	for _, c := range readResults(t, out).Checks {
		if c.Operation == "customer.app.CustomerWebApiService.login" && strings.Contains(c.Spec, "the run's own login") {
			var ps []string
			for _, v := range c.Violations {
				ps = append(ps, v.Pointer+" "+v.Keyword)
			}
			if !hasLabel(c.Labels, "smoke") || !hasLabel(c.Labels, "readonly") {
				t.Errorf("login check labels %v, want smoke and readonly", c.Labels)
			}
			return &loginResult{verdict: c.Verdict, pointers: strings.Join(ps, ", ")}
		}
	}
	return nil
}
