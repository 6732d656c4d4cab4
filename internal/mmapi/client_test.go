package mmapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
)

var traceRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-[0-9]{13}$`)

// Ensure every request carries the vendor's headers, a fresh trace in the
// vendor's format, and goes to the family's URL.
func TestRequestHeadersAndURLs(t *testing.T) {
	checkLeaks(t)
	v := newFakeVendor()
	srv := httptest.NewServer(v)
	defer srv.Close()
	fixed := time.UnixMilli(1_700_000_000_123)
	c := newClient(t, srv.URL+"/", func(cfg *Config) { cfg.Now = func() time.Time { return fixed } })

	tests := []struct {
		name        string
		op          Operation
		wantPath    string
		wantVersion string
		wantGroup   string
		wantToken   bool
	}{
		{"client default", opFind, "/api/global/" + findCustomerInfo, "0.0.1", "", true},
		{"client version 0.0.2", Operation{BizType: "config.app.AppSymbolDubboService.getSymbolDetail", Version: "0.0.2"},
			"/api/global/config.app.AppSymbolDubboService.getSymbolDetail", "0.0.2", "", true},
		{"trade group", Operation{BizType: "tradeapi.app.PositionApiService.queryPositionPage", Group: "tradeApi"},
			"/api/global/tradeapi.app.PositionApiService.queryPositionPage", "0.0.1", "tradeApi", true},
		{"open api has no token", Operation{Family: FamilyOpenAPI, BizType: findCustomerInfo},
			"/openapi-c/global/" + findCustomerInfo, "0.0.1", "", false},
	}
	traces := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := c.Call(context.Background(), tt.op, map[string]any{"customerGroupId": 1})
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			h := v.seenHeader
			var data struct{ Path string }
			_ = json.Unmarshal(ex.Envelope.Data, &data)
			if data.Path != tt.wantPath {
				t.Errorf("path = %q, want %q", data.Path, tt.wantPath)
			}
			if ex.URL != srv.URL+tt.wantPath {
				t.Errorf("Exchange.URL = %q", ex.URL)
			}
			checks := map[string]string{
				"companyId": "439", "timestamp": "1700000000123", "version": tt.wantVersion, "group": tt.wantGroup,
				"lang": "en-US", "Content-Type": "application/json",
			}
			for k, want := range checks {
				if got := h.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if got := h.Get("token"); (got != "") != tt.wantToken || (tt.wantToken && !strings.HasSuffix(got, "app")) {
				t.Errorf("token header = %q, want present=%v", got, tt.wantToken)
			}
			tr := h.Get("trace")
			if !traceRE.MatchString(tr) || !strings.HasSuffix(tr, "-1700000000123") {
				t.Errorf("trace %q is not in the vendor format", tr)
			}
			if ex.Trace != tr || traces[tr] {
				t.Errorf("trace %q not recorded or not fresh", tr)
			}
			traces[tr] = true
			if string(ex.RequestBody) != `{"customerGroupId":1}` {
				t.Errorf("RequestBody = %s", ex.RequestBody)
			}
		})
	}
}

// Ensure login sends the documented body with the password as lowercase hex
// MD5, and that the password, its MD5 and the token are taught to the
// Redactor.
func TestLoginBodyAndRedaction(t *testing.T) {
	checkLeaks(t)
	if got := md5Hex("a123456"); got != "dc483e80a7a0bd9ef71d8cf973673924" {
		t.Fatalf("md5Hex = %s", got)
	}
	tests := []struct {
		name      string
		loginName string
		loginType int
		want      map[string]any
	}{
		{"email inferred", "canary@example.com", 0, map[string]any{"type": 1.0, "loginName": "canary@example.com"}},
		{"account inferred", "86000001", 0, map[string]any{"type": 3.0}},
		{"phone with area", "13429837442", 2, map[string]any{"type": 2.0, "phoneArea": "+86"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newFakeVendor()
			srv := httptest.NewServer(v)
			defer srv.Close()
			red := redact.New(redact.DefaultConfig())
			c := newClient(t, srv.URL, func(cfg *Config) {
				cfg.LoginName, cfg.LoginType, cfg.PhoneArea, cfg.Redactor = tt.loginName, tt.loginType, "+86", red
			})
			if err := c.Login(context.Background()); err != nil {
				t.Fatalf("Login: %v", err)
			}
			b := v.loginBody
			if b["loginPwd"] != "dc483e80a7a0bd9ef71d8cf973673924" || b["device"] != 3.0 || b["isThird"] != false {
				t.Errorf("login body = %v", b)
			}
			for k, want := range tt.want {
				if b[k] != want {
					t.Errorf("login body %s = %v, want %v", k, b[k], want)
				}
			}
			if _, has := b["phoneArea"]; has != (tt.loginType == 2) {
				t.Errorf("phoneArea present = %v for type %d", has, tt.loginType)
			}
			text := red.Text("pwd a123456 md5 dc483e80a7a0bd9ef71d8cf973673924 token tok-1-app")
			for _, secret := range []string{"a123456", "dc483e80a7a0bd9ef71d8cf973673924", "tok-1-app"} {
				if strings.Contains(text, secret) {
					t.Errorf("redactor did not learn %q: %s", secret, text)
				}
			}
		})
	}
}

// Ensure concurrent callers share one login and the token is cached.
func TestTokenCachedAcrossConcurrentCalls(t *testing.T) {
	checkLeaks(t)
	v := newFakeVendor()
	v.loginDelay = 50 * time.Millisecond
	srv := httptest.NewServer(v)
	defer srv.Close()
	c := newClient(t, srv.URL, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Call(context.Background(), opFind, nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Call: %v", err)
		}
	}
	if n := v.logins.Load(); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
	if n := v.calls.Load(); n != 20 {
		t.Errorf("calls = %d, want 20", n)
	}
}

// Ensure an expired token (005 or 017) triggers exactly one re-login and
// retry, and that the client gives up when the retry expires too.
func TestReloginOnce(t *testing.T) {
	checkLeaks(t)
	for _, code := range []string{CodeTokenExpired, CodeLoginExpired} {
		t.Run(code+" recovers", func(t *testing.T) {
			v := newFakeVendor()
			srv := httptest.NewServer(v)
			defer srv.Close()
			c := newClient(t, srv.URL, nil)
			if _, err := c.Call(context.Background(), opFind, nil); err != nil {
				t.Fatal(err)
			}
			v.expireAll() // the vendor forgets the token: answers 005
			ex, err := c.Call(context.Background(), opFind, nil)
			if err != nil {
				t.Fatalf("after expiry: %v", err)
			}
			if v.logins.Load() != 2 || v.calls.Load() != 3 || ex.Attempts != 2 {
				t.Errorf("logins=%d calls=%d attempts=%d, want 2, 3, 2", v.logins.Load(), v.calls.Load(), ex.Attempts)
			}
		})
		t.Run(code+" gives up", func(t *testing.T) {
			v := newFakeVendor()
			v.expireWith = code
			srv := httptest.NewServer(v)
			defer srv.Close()
			c := newClient(t, srv.URL, nil)
			_, err := c.Call(context.Background(), opFind, nil)
			ve := wantErr[*VendorError](t, err)
			if ve.Code != code || v.logins.Load() != 2 || v.calls.Load() != 2 {
				t.Errorf("code=%s logins=%d calls=%d, want %s, 2, 2", ve.Code, v.logins.Load(), v.calls.Load(), code)
			}
		})
	}
	t.Run("NoRelogin and Token override never log in again", func(t *testing.T) {
		v := newFakeVendor()
		v.expireWith = CodeTokenExpired
		srv := httptest.NewServer(v)
		defer srv.Close()
		c := newClient(t, srv.URL, nil)
		_, err := c.CallWith(context.Background(), opFind, nil, CallOptions{NoRelogin: true})
		wantErr[*VendorError](t, err)
		_, err = c.CallWith(context.Background(), opFind, nil, CallOptions{Token: "bad-token-app"})
		wantErr[*VendorError](t, err)
		if v.logins.Load() != 1 || v.calls.Load() != 2 {
			t.Errorf("logins=%d calls=%d, want 1, 2", v.logins.Load(), v.calls.Load())
		}
		if v.seenHeader.Get("token") != "bad-token-app" {
			t.Errorf("override token not sent: %q", v.seenHeader.Get("token"))
		}
	})
}

// Ensure a wrong password is a VendorError that is remembered, so specs do
// not hammer the login into an account lock.
func TestWrongPasswordIsStickyVendorError(t *testing.T) {
	checkLeaks(t)
	v := newFakeVendor()
	srv := httptest.NewServer(v)
	defer srv.Close()
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.LoginPassword = "wrong" })
	for range 3 {
		ex, err := c.Call(context.Background(), opFind, nil)
		ve := wantErr[*VendorError](t, err)
		if ve.Code != "CUSTOMER_API_0000102" || ve.BizCode != "US" {
			t.Errorf("vendor error = %+v", ve)
		}
		_ = ex
	}
	if v.logins.Load() != 1 || v.calls.Load() != 0 {
		t.Errorf("logins=%d calls=%d, want 1, 0", v.logins.Load(), v.calls.Load())
	}
}

// Ensure MM_TOKEN replaces login, and that without credentials nothing is
// attempted.
func TestConfiguredToken(t *testing.T) {
	checkLeaks(t)
	v := newFakeVendor()
	v.valid["env-token-app"] = true
	srv := httptest.NewServer(v)
	defer srv.Close()
	red := redact.New(redact.DefaultConfig())
	c := newClient(t, srv.URL, func(cfg *Config) {
		cfg.Token, cfg.LoginName, cfg.LoginPassword, cfg.Redactor = "env-token-app", "", "", red
	})
	if _, err := c.Call(context.Background(), opFind, nil); err != nil {
		t.Fatal(err)
	}
	if v.logins.Load() != 0 || v.seenHeader.Get("token") != "env-token-app" {
		t.Errorf("logins=%d token=%q", v.logins.Load(), v.seenHeader.Get("token"))
	}
	if strings.Contains(red.Text("env-token-app"), "env-token-app") {
		t.Error("configured token not learned by the redactor")
	}
	v.expireAll()
	_, err := c.Call(context.Background(), opFind, nil)
	if ve := wantErr[*VendorError](t, err); ve.Code != CodeTokenExpired || v.logins.Load() != 0 {
		t.Errorf("expired MM_TOKEN without credentials: %v, logins=%d", ve, v.logins.Load())
	}

	bare := newClient(t, srv.URL, func(cfg *Config) { cfg.LoginName, cfg.LoginPassword = "", "" })
	if _, err := bare.Call(context.Background(), opFind, nil); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no credentials: %v", err)
	}
	if _, err := bare.CallWith(context.Background(), opFind, nil, CallOptions{NoToken: true}); err == nil {
		t.Error("NoToken call against a login-only operation should fail with GATEWAY_CODE_001")
	} else if ve := wantErr[*VendorError](t, err); ve.Code != CodeTokenMissing {
		t.Errorf("NoToken: %v", ve)
	}
}

// Ensure the Manager family authenticates with appId/appSecret, sends the
// admin token to /openapi-b/{bizType}, and renews it once on expiry.
func TestManagerAuth(t *testing.T) {
	checkLeaks(t)
	v := newFakeVendor()
	srv := httptest.NewServer(v)
	defer srv.Close()
	red := redact.New(redact.DefaultConfig())
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.AppID, cfg.AppSecret, cfg.Redactor = "app-1", "s3cret-app", red })
	op := Operation{Family: FamilyManager, BizType: "customer.admin.CustomerGroupAdminApiService.groupList"}
	ex, err := c.Call(context.Background(), op, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(ex.URL, "/openapi-b/customer.admin.CustomerGroupAdminApiService.groupList") {
		t.Errorf("URL = %s", ex.URL)
	}
	if tok := v.seenHeader.Get("token"); tok != "mgr-1-admin" {
		t.Errorf("token = %q", tok)
	}
	v.expireAll()
	if _, err := c.Call(context.Background(), op, nil); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if v.auths.Load() != 2 || v.logins.Load() != 0 {
		t.Errorf("auths=%d logins=%d, want 2, 0", v.auths.Load(), v.logins.Load())
	}
	if out := red.Text("s3cret-app mgr-2-admin"); strings.Contains(out, "s3cret") || strings.Contains(out, "mgr-2") {
		t.Errorf("secrets not learned: %s", out)
	}
}

// Ensure 429 honours Retry-After and x-ratelimit-reset, gives up after the
// retry budget, and refuses waits beyond the cap without waiting.
func TestRateLimited429(t *testing.T) {
	checkLeaks(t)
	tests := []struct {
		name      string
		headers   map[string]string
		okAfter   int32 // succeed from this hit on; 0 = never
		wantErr   bool
		wantHits  int32
		wantInMsg string
	}{
		{"Retry-After seconds then success", map[string]string{"Retry-After": "1"}, 2, false, 2, ""},
		{"x-ratelimit-reset then success", map[string]string{"x-ratelimit-limit": "300", "x-ratelimit-remairing": "0", "x-ratelimit-reset": "0.05"}, 2, false, 2, ""},
		{"no Retry-After gives up", nil, 0, true, 3, "rate limited (429) after 3 attempts"},
		{"Retry-After beyond cap", map[string]string{"Retry-After": "120"}, 0, true, 1, "more than the 30s cap"},
		{"Retry-After HTTP date beyond cap", map[string]string{"Retry-After": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}, 0, true, 1, "cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := hits.Add(1)
				if tt.okAfter != 0 && n >= tt.okAfter {
					_, _ = w.Write(envelope("0", nil))
					return
				}
				for k, v := range tt.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(http.StatusTooManyRequests)
			}))
			defer srv.Close()
			c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token = "t-app" })
			ex, err := c.Call(context.Background(), opFind, nil)
			if hits.Load() != tt.wantHits {
				t.Errorf("hits = %d, want %d", hits.Load(), tt.wantHits)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Call: %v", err)
				}
				return
			}
			ue := wantErr[*UnavailableError](t, err)
			if !strings.Contains(ue.Reason, tt.wantInMsg) || ue.HTTPStatus != 429 || ex.HTTPStatus != 429 {
				t.Errorf("reason %q status %d, want %q", ue.Reason, ue.HTTPStatus, tt.wantInMsg)
			}
		})
	}
}

// Ensure only transient failures are retried: 502/503/504 and EOF before
// headers are; 500, contract failures and vendor errors are not.
func TestRetryOnlyTransient(t *testing.T) {
	checkLeaks(t)
	tests := []struct {
		name     string
		status   int
		body     string
		okAfter  int32
		wantHits int32
		wantType string
	}{
		{"503 then success", 503, "", 3, 3, ""},
		{"502 exhausted", 502, "", 0, 3, "unavailable"},
		{"504 exhausted", 504, "", 0, 3, "unavailable"},
		{"500 not retried", 500, "", 0, 1, "unavailable"},
		{"contract failure not retried", 200, "<html>oops</html>", 0, 1, "contract"},
		{"vendor error not retried", 200, string(envelope("GATEWAY_CODE_010", nil)), 0, 1, "vendor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := hits.Add(1)
				if tt.okAfter != 0 && n >= tt.okAfter {
					_, _ = w.Write(envelope("0", nil))
					return
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token = "t-app" })
			ex, err := c.Call(context.Background(), opFind, nil)
			if hits.Load() != tt.wantHits || ex.Attempts != int(tt.wantHits) {
				t.Errorf("hits = %d attempts = %d, want %d", hits.Load(), ex.Attempts, tt.wantHits)
			}
			switch tt.wantType {
			case "":
				if err != nil {
					t.Fatal(err)
				}
			case "unavailable":
				wantErr[*UnavailableError](t, err)
			case "contract":
				wantErr[*ContractError](t, err)
			case "vendor":
				wantErr[*VendorError](t, err)
			}
		})
	}
	t.Run("NoRetry", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.WriteHeader(503)
		}))
		defer srv.Close()
		c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token = "t-app" })
		_, err := c.CallWith(context.Background(), opFind, nil, CallOptions{NoRetry: true})
		wantErr[*UnavailableError](t, err)
		if hits.Load() != 1 {
			t.Errorf("hits = %d, want 1", hits.Load())
		}
	})
}

// Ensure a stalled server ends in an UnavailableError at the per-request
// timeout and is not retried.
func TestTimeoutNotRetried(t *testing.T) {
	checkLeaks(t)
	var hits atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-time.After(2 * time.Second):
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token, cfg.Timeout = "t-app", 200*time.Millisecond })
	_, err := c.Call(context.Background(), opFind, nil)
	ue := wantErr[*UnavailableError](t, err)
	if !strings.Contains(ue.Reason, "timeout after 200ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("reason = %q (err %v)", ue.Reason, err)
	}
	if hits.Load() != 1 {
		t.Errorf("hits = %d, want 1", hits.Load())
	}
}

// Ensure a caller's cancelled context is reported as such, not as an
// unavailable vendor.
func TestCallerCancellation(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token = "t-app" })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Call(ctx, opFind, nil)
	var ue *UnavailableError
	if errors.As(err, &ue) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the caller's deadline", err)
	}
}

// Ensure the body cap: a body over it is a ContractError, Exchange.Body is
// capped, and an endless body is not read to the end.
func TestBodyCap(t *testing.T) {
	checkLeaks(t)
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("endless") || strings.HasSuffix(r.URL.Path, ".endless") {
			chunk := []byte(strings.Repeat(" ", 4096))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
		_, _ = w.Write([]byte(`{"code":"0","ok":true,"data":"` + strings.Repeat("x", 2048) + `"}`))
	}))
	defer srv.Close()
	defer close(stop)
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token, cfg.MaxBodyBytes = "t-app", 1024 })
	for _, biz := range []string{findCustomerInfo, "x.y.Z.endless"} {
		ex, err := c.Call(context.Background(), Operation{BizType: biz}, nil)
		ce := wantErr[*ContractError](t, err)
		if !strings.Contains(ce.Reason, "body exceeds 1 KiB cap") || len(ex.Body) != 1024 || ex.Envelope != nil {
			t.Errorf("%s: reason %q, body %d bytes", biz, ce.Reason, len(ex.Body))
		}
	}
	if got := formatBytes(DefaultMaxBodyBytes); got != "16 MiB" {
		t.Errorf("formatBytes(default) = %q", got)
	}
}

// Ensure an off-host redirect is not followed and the other host never sees
// the credentials, while a same-host redirect is followed.
func TestRedirects(t *testing.T) {
	checkLeaks(t)
	var otherHits atomic.Int32
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		for _, h := range credentialHeaders {
			if r.Header.Get(h) != "" {
				leaked.Store(h)
			}
		}
		_, _ = w.Write(envelope("0", nil))
	}))
	defer other.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".same") {
			http.Redirect(w, r, "/api/global/x.y.Z.landed", http.StatusTemporaryRedirect)
			return
		}
		if strings.HasSuffix(r.URL.Path, ".landed") {
			_, _ = w.Write(envelope("0", map[string]string{"token": r.Header.Get("token")}))
			return
		}
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer target.Close()
	c := newClient(t, target.URL, func(cfg *Config) { cfg.Token = "secret-token-app" })

	ex, err := c.Call(context.Background(), opFind, nil)
	ue := wantErr[*UnavailableError](t, err)
	otherHost := strings.TrimPrefix(other.URL, "http://")
	if ue.Reason != "redirected to another host: "+otherHost || ex.HTTPStatus != 307 {
		t.Errorf("reason %q status %d", ue.Reason, ex.HTTPStatus)
	}
	if otherHits.Load() != 0 {
		t.Errorf("the other host was contacted %d times", otherHits.Load())
	}

	ex, err = c.Call(context.Background(), Operation{BizType: "x.y.Z.same"}, nil)
	if err != nil || !strings.Contains(string(ex.Envelope.Data), "secret-token-app") {
		t.Errorf("same-host redirect: %v %s", err, ex.Body)
	}

	// Defence in depth: a policy that follows anyway still strips.
	hc := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		stripOnHostChange(req, via)
		return nil
	}}
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, target.URL+"/api/global/x", strings.NewReader("{}"))
	for _, h := range credentialHeaders {
		req.Header.Set(h, "canary-"+h)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if otherHits.Load() != 1 {
		t.Fatalf("the following client did not reach the other host (%d)", otherHits.Load())
	}
	if h := leaked.Load(); h != nil {
		t.Errorf("credential header %v reached the other host", h)
	}
}

// Ensure TLS verification is on by default and off only when asked.
func TestTLSVerification(t *testing.T) {
	checkLeaks(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(envelope("0", nil))
	}))
	defer srv.Close()
	for _, insecure := range []bool{false, true} {
		hc := NewHTTPClient(insecure)
		c, err := New(Config{BaseURL: srv.URL, Token: "t-app", RetryBackoff: time.Millisecond}, hc)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Call(context.Background(), opFind, nil)
		hc.CloseIdleConnections()
		if insecure {
			if err != nil {
				t.Errorf("insecure: %v", err)
			}
			continue
		}
		ue := wantErr[*UnavailableError](t, err)
		if !strings.HasPrefix(ue.Reason, "TLS certificate verification failed") {
			t.Errorf("reason = %q", ue.Reason)
		}
	}
}

// Ensure a spent rate-limit window (the vendor's misspelled
// x-ratelimit-remairing: 0) holds the next call until the reset.
func TestRemainingZeroHoldsOperation(t *testing.T) {
	checkLeaks(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ratelimit-remairing", "0")
		w.Header().Set("x-ratelimit-reset", "20")
		_, _ = w.Write(envelope("0", nil))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token = "t-app" })
	if _, err := c.Call(context.Background(), opFind, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Call(ctx, opFind, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "rate limiter") {
		t.Errorf("err = %v, want to be held by the limiter", err)
	}
	// Another operation is not held.
	if _, err := c.Call(context.Background(), Operation{BizType: "x.y.Z.other"}, nil); err != nil {
		t.Errorf("other operation: %v", err)
	}
}

// Ensure New rejects configurations that cannot work.
func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: ""}, {BaseURL: "ftp://x"}, {BaseURL: "http://"}, {BaseURL: "http://h?x=1"},
		{BaseURL: "http://h", LoginType: 4}, {BaseURL: "http://h", Timeout: -1},
	} {
		if _, err := New(cfg, nil); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	c, err := New(Config{BaseURL: "http://h"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []Operation{{BizType: ""}, {BizType: "a/../b"}, {BizType: "a?x"}, {BizType: "ok", Family: "nope"}, {BizType: "ok", Path: "x/y"}} {
		if _, err := c.Call(context.Background(), op, nil); err == nil || strings.Contains(err.Error(), "unavailable") {
			t.Errorf("Call(%+v) = %v, want a validation error", op, err)
		}
	}
	if _, err := c.Call(context.Background(), Operation{BizType: "ok"}, func() {}); err == nil {
		t.Error("unencodable body accepted")
	}
}
