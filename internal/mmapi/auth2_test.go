package mmapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Ensure the Auth2 steps go to {base}/cats-gateway-auth2/auth2/{step} with
// the company header and never companyId; /auth2/code and /auth2/refresh
// carry the customer's login token, /auth2/token and /auth2/user none; and
// the code, a bare string in data, is taught to the redactor.
func TestAuth2Calls(t *testing.T) {
	const code = "f25bcfc4-0b0c-48ac-adab-ef45714d9543"
	var mu sync.Mutex
	seen := map[string]http.Header{}
	v := newFakeVendor()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		step, ok := strings.CutPrefix(r.URL.Path, "/cats-gateway-auth2/auth2/")
		if !ok {
			v.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		seen[step] = r.Header.Clone()
		mu.Unlock()
		switch step {
		case Auth2Code:
			_, _ = w.Write(envelope("0", code))
		default:
			_, _ = w.Write(envelope("0", map[string]any{"accessToken": "acc-1", "refreshToken": "ref-1"}))
		}
	}))
	t.Cleanup(srv.Close)
	families := map[string]Family{}
	c := newClient(t, srv.URL, nil)
	c.hc.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if step, ok := strings.CutPrefix(r.URL.Path, "/cats-gateway-auth2/auth2/"); ok {
			mu.Lock()
			families[step] = FamilyOf(r)
			mu.Unlock()
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	ctx := context.Background()
	for _, op := range []Operation{
		{Family: FamilyAuth2, BizType: "auth2/code"}, // as the catalog names it
		Auth2Operation(Auth2Token), Auth2Operation(Auth2User), Auth2Operation(Auth2Refresh),
	} {
		ex, err := c.Call(ctx, op, map[string]any{"appId": "a"})
		if err != nil {
			t.Fatalf("%s: %v", op.BizType, err)
		}
		if !strings.HasPrefix(ex.URL, srv.URL+"/cats-gateway-auth2/auth2/") {
			t.Errorf("%s: URL %s", op.BizType, ex.URL)
		}
	}
	for step, h := range seen {
		if h.Get("company") != "439" || h.Get("companyId") != "" {
			t.Errorf("%s: company %q companyId %q, want 439 and none", step, h.Get("company"), h.Get("companyId"))
		}
		wantToken := step == Auth2Code || step == Auth2Refresh
		if got := h.Get("token"); (got != "") != wantToken || wantToken && !strings.HasSuffix(got, "app") {
			t.Errorf("%s: token header %q, want the login token: %v", step, got, wantToken)
		}
	}
	if len(families) != 4 || families[Auth2Code] != FamilyAuth2 {
		t.Errorf("FamilyOf the requests: %v, want auth2 for each step", families)
	}
	if len(seen) != 4 {
		t.Errorf("steps seen: %v", seen)
	}
	if got := c.red.Text("code " + code); strings.Contains(got, code) {
		t.Errorf("the Auth2 code was not taught to the redactor: %q", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Ensure MM_AUTH2_BASE_URL moves the Auth2 API, and a bad one is refused.
func TestAuth2BaseURL(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1", func(cfg *Config) { cfg.Auth2BaseURL = "https://sso.example.test/cats-gateway-auth2/" })
	if got := c.URL(Operation{Family: FamilyAuth2, BizType: Auth2User, Path: "auth2"}); got != "https://sso.example.test/cats-gateway-auth2/auth2/user" {
		t.Errorf("URL %s", got)
	}
	if _, err := New(Config{BaseURL: "http://127.0.0.1:1", Auth2BaseURL: "sso.example.test"}, nil); err == nil || !strings.Contains(err.Error(), "Auth2 base URL") {
		t.Errorf("New with a relative Auth2 base URL: %v", err)
	}
}
