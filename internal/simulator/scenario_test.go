package simulator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Ensure the registry is complete: every scenario is documented, has a kind
// and an expected verdict, contract ones name a pointer, and an unknown name
// is refused with the list of valid ones.
func TestScenarioRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range Scenarios() {
		if seen[sc.Name] {
			t.Errorf("duplicate scenario %q", sc.Name)
		}
		seen[sc.Name] = true
		if sc.Description == "" || sc.ExpectedVerdict == "" {
			t.Errorf("%s: missing description or expected verdict", sc.Name)
		}
		switch sc.Kind {
		case KindNominal, KindFault:
		case KindWebsocket:
			if !strings.HasPrefix(sc.Name, "ws-") || sc.Label == "" {
				t.Errorf("%s: a websocket scenario is named ws-… and has the label filter of its checks", sc.Name)
			}
		case KindGateway:
			if sc.Filter == "" {
				t.Errorf("%s: gateway scenario without the label filter that shows it", sc.Name)
			}
		case KindContract, KindAuth2:
			if !strings.HasPrefix(sc.Pointer, "/") {
				t.Errorf("%s: contract scenario without pointer", sc.Name)
			}
		case KindQuote:
			if !strings.HasPrefix(sc.Pointer, "/") || sc.Filter == "" || !strings.HasPrefix(sc.Name, "quote-rest-") {
				t.Errorf("%s: quote scenario without pointer, label filter or quote-rest- prefix", sc.Name)
			}
		case KindTrade:
			if !strings.HasPrefix(sc.Pointer, "/") || sc.Step == "" || !strings.HasPrefix(sc.Name, "trade-") {
				t.Errorf("%s: trade scenario without pointer, step or trade- prefix", sc.Name)
			}
		default:
			t.Errorf("%s: kind %q", sc.Name, sc.Kind)
		}
	}
	for _, want := range []string{"nominal", "added-field", "removed-field", "type-change", "null-field", "code-number",
		"ok-fail-mismatch", "trace-not-echoed", "enum-added", "http-503", "http-500", "http-502", "http-504", "waf-403",
		"ban-418", "non-json", "empty-200", "truncated-json", "stall", "slow-body", "rate-limit",
		"rate-limit-no-retry-after", "redirect-off-host", "over-cap", "invalid-utf8", "deep-json", "duplicate-keys",
		"big-int", "reset-mid-body", "truncated-90", "cut-near-end", "over-cap-profile", "html-profile", "msg-pii",
		"hostile-code", "hostile-field"} {
		if !seen[want] {
			t.Errorf("scenario %q missing", want)
		}
	}
	sim, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = sim.SetScenario("http-999")
	if err == nil || !strings.Contains(err.Error(), "http-503") || !strings.Contains(err.Error(), "nominal") {
		t.Fatalf("SetScenario(unknown) = %v, want an error listing valid names", err)
	}
	if sim.Scenario().Name != "nominal" {
		t.Errorf("scenario after failed switch: %s", sim.Scenario().Name)
	}
}

// Ensure each contract scenario changes findCustomerInfo exactly as
// documented, that the schemas flag the broken ones at the scenario's
// pointer, and that other operations and login are untouched.
func TestContractScenarios(t *testing.T) {
	set := loadSchemas(t)
	checks := map[string]func(t *testing.T, env map[string]any, raw []byte, sent string){
		"added-field": func(t *testing.T, env map[string]any, _ []byte, _ string) {
			if v := env["data"].(map[string]any)["riskLevel"]; v == nil {
				t.Error("no data.riskLevel")
			}
		},
		"removed-field": func(t *testing.T, env map[string]any, _ []byte, _ string) {
			if _, ok := env["data"].(map[string]any)["customerNo"]; ok {
				t.Error("data.customerNo still present")
			}
		},
		"type-change": func(t *testing.T, env map[string]any, _ []byte, _ string) {
			if _, ok := env["data"].(map[string]any)["id"].(string); !ok {
				t.Errorf("data.id %T, want string", env["data"].(map[string]any)["id"])
			}
		},
		"null-field": func(t *testing.T, env map[string]any, _ []byte, _ string) {
			if v, ok := env["data"].(map[string]any)["id"]; !ok || v != nil {
				t.Errorf("data.id = %v, want null", v)
			}
		},
		"code-number": func(t *testing.T, _ map[string]any, raw []byte, _ string) {
			if !bytes.Contains(raw, []byte(`"code":0,`)) {
				t.Errorf("code is not the number 0: %.80s", raw)
			}
		},
		"ok-fail-mismatch": func(t *testing.T, env map[string]any, _ []byte, _ string) {
			if env["ok"] != true || env["fail"] != true {
				t.Errorf("ok %v fail %v", env["ok"], env["fail"])
			}
		},
		"trace-not-echoed": func(t *testing.T, env map[string]any, _ []byte, sent string) {
			if tr, _ := env["trace"].(string); tr == "" || tr == sent {
				t.Errorf("trace %q (sent %q)", tr, sent)
			}
		},
		"hostile-field": func(t *testing.T, env map[string]any, _ []byte, _ string) {
			if v := env["data"].(map[string]any)[HostileField]; v != "x" {
				t.Errorf("data[%q] = %v, want x", HostileField, v)
			}
		},
		"accountlist-object": func(t *testing.T, env map[string]any, _ []byte, _ string) {
			if v, ok := env["data"].(map[string]any)["accountList"].(map[string]any); !ok || len(v) != 0 {
				t.Errorf("data.accountList %v, want {}", env["data"].(map[string]any)["accountList"])
			}
		},
		"enum-added": func(t *testing.T, env map[string]any, _ []byte, _ string) {
			if v := env["data"].(map[string]any)["status"]; v != json.Number("7") {
				t.Errorf("data.status %v, want 7", v)
			}
		},
	}
	h := newHarness(t, Options{Schemas: set})
	tok := h.login()
	for _, sc := range Scenarios() {
		if sc.Kind != KindContract {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			if err := h.sim.SetScenario(sc.Name); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = h.sim.SetScenario("nominal") }()
			check, ok := checks[sc.Name]
			if !ok {
				t.Fatalf("no check for contract scenario %s", sc.Name)
			}
			rep := h.do(req{path: global(findCustomerInfo), token: tok})
			if rep.status != http.StatusOK {
				t.Fatalf("status %d", rep.status)
			}
			check(t, rep.envelope(t), rep.body, rep.trace)

			// Schema-visible breaks are reported at the scenario's pointer.
			env, _ := set.ValidateEnvelope(rep.body)
			data, _ := set.ValidateData("client", findCustomerInfo, rep.data(t))
			atPointer := false
			for _, v := range append(env, data...) {
				atPointer = atPointer || v.Pointer == sc.Pointer
			}
			schemaVisible := map[string]bool{"removed-field": true, "type-change": true, "null-field": true, "code-number": true}
			if schemaVisible[sc.Name] && !atPointer {
				t.Errorf("no schema violation at %s: envelope %v data %v", sc.Pointer, env, data)
			}
			if sc.ExpectedVerdict == verdict.Drifted && len(env)+len(data) > 0 {
				t.Errorf("drift scenario breaks the schema: %s", formatViolations(append(env, data...)))
			}

			// Other operations and login keep their nominal shape.
			other := h.do(req{path: global("config.app.AppSymbolDubboService.getSymbolList"), body: `{}`})
			if e := other.envelope(t); e["code"] != "0" || e["trace"] != other.trace || e["fail"] != false {
				t.Errorf("getSymbolList affected: %.200s", other.body)
			}
			h.login()
		})
	}
}

// faultChecks verify the raw behaviour of each fault scenario on a
// findCustomerInfo request made with a valid token.
var faultChecks = map[string]func(t *testing.T, h *harness, tok string){
	"http-500": statusCheck(500, "text/html"),
	"http-502": statusCheck(502, "text/html"),
	"http-503": statusCheck(503, "text/html"),
	"http-504": statusCheck(504, "text/html"),
	"waf-403":  statusCheck(403, "text/html"),
	"ban-418":  statusCheck(418, "text/html"),
	"non-json": statusCheck(200, "text/html"),
	"empty-200": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if rep.status != 200 || len(rep.body) != 0 || !strings.HasPrefix(rep.header.Get("Content-Type"), "application/json") {
			t.Errorf("status %d, %d bytes, %s", rep.status, len(rep.body), rep.header.Get("Content-Type"))
		}
	},
	"truncated-json": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if rep.status != 200 || json.Valid(rep.body) || !bytes.HasPrefix(rep.body, []byte(`{"bizCode":""`)) {
			t.Errorf("status %d body %.100s", rep.status, rep.body)
		}
	},
	"rate-limit": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if rep.status != 429 || rep.header.Get("Retry-After") != "1" || rep.header.Get("x-ratelimit-remairing") != "0" {
			t.Errorf("status %d Retry-After %q remaining %q", rep.status, rep.header.Get("Retry-After"), rep.header.Get("x-ratelimit-remairing"))
		}
		if env := rep.envelope(t); env["code"] != codeTooFrequent {
			t.Errorf("body %s", rep.body)
		}
	},
	"rate-limit-no-retry-after": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if _, ok := rep.header["Retry-After"]; rep.status != 429 || ok || rep.header.Get("x-ratelimit-limit") == "" {
			t.Errorf("status %d header %v", rep.status, rep.header)
		}
	},
	"redirect-off-host": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		want := DefaultRedirectTo + "/api/global/" + findCustomerInfo
		if rep.status != 307 || rep.header.Get("Location") != want {
			t.Errorf("status %d Location %q, want 307 %q", rep.status, rep.header.Get("Location"), want)
		}
	},
	"over-cap": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if rep.status != 200 || len(rep.body) <= 17<<20 || !json.Valid(rep.body) || rep.header.Get("Content-Length") != "" {
			t.Errorf("status %d, %d bytes, valid %v, Content-Length %q", rep.status, len(rep.body), json.Valid(rep.body), rep.header.Get("Content-Length"))
		}
	},
	"invalid-utf8": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if rep.status != 200 || utf8.Valid(rep.body) || !bytes.Contains(rep.body, []byte("\xff\xfe")) {
			t.Errorf("status %d, utf8 valid %v", rep.status, utf8.Valid(rep.body))
		}
	},
	"deep-json": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if !bytes.Contains(rep.body, []byte(`"data":`+strings.Repeat("[", 10000)+"]")) || bytes.Contains(rep.body, []byte(strings.Repeat("[", 10001))) {
			t.Errorf("data is not 10,000 nested arrays")
		}
		var v any
		if err := json.Unmarshal(rep.body, &v); err == nil {
			t.Errorf("encoding/json accepted 10,000-deep nesting; the fault would not be a fault")
		}
	},
	"duplicate-keys": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if bytes.Count(rep.body, []byte(`"ok":`)) != 2 || !bytes.HasSuffix(rep.body, []byte(`"ok":true,"fail":false,"ok":false}`)) {
			t.Errorf("body tail %q", rep.body[max(0, len(rep.body)-60):])
		}
	},
	"big-int": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if !bytes.Contains(rep.body, []byte(`"id":`+bigInt+`,`)) || !json.Valid(rep.body) {
			t.Errorf("no big id: %.200s", rep.body)
		}
		// Lists get it in their first item.
		rep = h.do(req{path: global(getSymbolBaseList), body: `{"customerGroupId":1}`})
		if !bytes.Contains(rep.body, []byte(`"data":[{"id":`+bigInt+`,`)) || !json.Valid(rep.body) {
			t.Errorf("no big id in list: %.200s", rep.body)
		}
	},
	"reset-mid-body": func(t *testing.T, h *harness, tok string) {
		r, _ := http.NewRequest(http.MethodPost, h.srv.URL+global(findCustomerInfo), strings.NewReader("{}"))
		r.Header.Set("companyId", "439")
		r.Header.Set("trace", "t-reset")
		r.Header.Set("token", tok)
		resp, err := noRedirect.Do(r)
		if err != nil {
			t.Fatalf("headers should arrive: %v", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Errorf("body read completed (%d bytes); want a reset", len(b))
		}
		if resp.StatusCode != 200 || len(b) == 0 || resp.ContentLength <= int64(len(b)) {
			t.Errorf("status %d, read %d of %d", resp.StatusCode, len(b), resp.ContentLength)
		}
	},
	"slow-body": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if env := rep.envelope(t); rep.status != 200 || env["code"] != "0" || env["trace"] != rep.trace {
			t.Errorf("slow body is not the nominal response: %.200s", rep.body)
		}
	},
	"stall": func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if env := rep.envelope(t); rep.status != 200 || env["code"] != "0" {
			t.Errorf("after StallFor the answer is not nominal: %.200s", rep.body)
		}
	},
}

func statusCheck(status int, contentType string) func(t *testing.T, h *harness, tok string) {
	return func(t *testing.T, h *harness, tok string) {
		rep := h.do(req{path: global(findCustomerInfo), token: tok})
		if rep.status != status || !strings.HasPrefix(rep.header.Get("Content-Type"), contentType) || json.Valid(rep.body) || len(rep.body) == 0 {
			t.Errorf("status %d, Content-Type %q, body %.80q; want %d %s non-JSON", rep.status, rep.header.Get("Content-Type"), rep.body, status, contentType)
		}
	}
}

// Ensure every fault scenario behaves as described on /global/ requests while
// login keeps working, so a run logs in and then meets the fault.
func TestFaultScenarios(t *testing.T) {
	h := newHarness(t, Options{StallFor: 20 * time.Millisecond, SlowBodyInterval: time.Millisecond})
	for _, sc := range Scenarios() {
		if sc.Kind != KindFault {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			check, ok := faultChecks[sc.Name]
			if !ok {
				t.Fatalf("no check for fault scenario %s", sc.Name)
			}
			if err := h.sim.SetScenario(sc.Name); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = h.sim.SetScenario("nominal") }()
			tok := h.login()
			check(t, h, tok)
		})
	}
}

// activeHandler counts handlers in flight, to prove held requests end.
type activeHandler struct {
	next   http.Handler
	active atomic.Int64
}

func (a *activeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.active.Add(1)
	defer a.active.Add(-1)
	a.next.ServeHTTP(w, r)
}

func waitIdle(t *testing.T, a *activeHandler) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for a.active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d handlers still running after the client left", a.active.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Ensure requests held by stall, slow-body and over-cap end as soon as the
// client gives up, instead of holding a goroutine for StallFor or the whole
// trickle.
func TestHeldRequestsEndWhenClientLeaves(t *testing.T) {
	for _, name := range []string{"stall", "slow-body", "over-cap"} {
		t.Run(name, func(t *testing.T) {
			sim, err := New(Options{Scenario: name, StallFor: time.Hour, SlowBodyInterval: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			a := &activeHandler{next: sim}
			srv := httptest.NewServer(a)
			defer srv.Close()
			defer sim.Close() // on failure, release the handler so srv.Close returns
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			r, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+global(getSymbolBaseList), strings.NewReader("{}"))
			r.Header.Set("companyId", "439")
			r.Header.Set("trace", "t-held")
			resp, err := http.DefaultClient.Do(r)
			if name == "stall" {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("client error %v, want its deadline (no headers ever)", err)
				}
			} else {
				// Headers arrive at once; read a little, then hang up.
				if err != nil {
					t.Fatalf("headers should arrive: %v", err)
				}
				_, _ = bufio.NewReader(resp.Body).Peek(1)
				_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
				resp.Body.Close()
				cancel()
			}
			waitIdle(t, a)
		})
	}
}

// Ensure Close releases a stalled request at once, so a server shutdown is
// not held for StallFor.
func TestCloseReleasesStalls(t *testing.T) {
	sim, err := New(Options{Scenario: "stall", StallFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	a := &activeHandler{next: sim}
	srv := httptest.NewServer(a)
	defer srv.Close()
	done := make(chan int)
	go func() {
		r, _ := http.NewRequest(http.MethodPost, srv.URL+global(getSymbolBaseList), strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for a.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	sim.Close()
	if got := <-done; got != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", got)
	}
	waitIdle(t, a)
}
