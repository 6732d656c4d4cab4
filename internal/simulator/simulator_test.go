package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is an injectable clock for tokens and the rate limiter.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	t     testing.TB
	sim   *Simulator
	srv   *httptest.Server
	clock *fakeClock
	seq   atomic.Int64 // do may be called from several goroutines
}

func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	clock := newFakeClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	sim, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return &harness{t: t, sim: sim, srv: srv, clock: clock}
}

// reply is one HTTP exchange's outcome.
type reply struct {
	status int
	header http.Header
	body   []byte
	trace  string // the trace sent
}

// envelope decodes the reply body as an envelope (numbers kept exact).
func (r reply) envelope(t testing.TB) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode envelope: %v\nbody: %.300s", err, r.body)
	}
	return m
}

// data returns the raw data member.
func (r reply) data(t testing.TB) json.RawMessage {
	t.Helper()
	var m struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode data: %v", err)
	}
	return m.Data
}

// req describes a request; zero fields get the vendor's normal headers.
type req struct {
	method  string
	path    string
	body    string
	token   string
	headers map[string]string // "" value deletes the header
}

func (h *harness) do(q req) reply {
	h.t.Helper()
	trace := fmt.Sprintf("t-test-%04d-%d", h.seq.Add(1), 1717243200)
	method := q.method
	if method == "" {
		method = http.MethodPost
	}
	body := q.body
	if body == "" && method == http.MethodPost {
		body = "{}"
	}
	r, err := http.NewRequest(method, h.srv.URL+q.path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("companyId", "439")
	r.Header.Set("trace", trace)
	// The simulator's own clock, as a client in time sends (the replay window).
	r.Header.Set("timestamp", strconv.FormatInt(h.sim.now().UnixMilli(), 10))
	r.Header.Set("lang", "en-US")
	if q.token != "" {
		r.Header.Set("token", q.token)
	}
	for k, v := range q.headers {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	resp, err := noRedirect.Do(r)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, q.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read %s: %v", q.path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b, trace: trace}
}

var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func loginBody(name, password string) string {
	return fmt.Sprintf(`{"type":1,"loginName":%q,"loginPwd":%q,"device":1,"isThird":false}`, name, md5Hex(password))
}

func (h *harness) login() string {
	h.t.Helper()
	u := DefaultUser()
	rep := h.do(req{path: "/api/login/" + loginBizType, body: loginBody(u.LoginName, u.Password)})
	env := rep.envelope(h.t)
	data, _ := env["data"].(map[string]any)
	tok, _ := data["token"].(string)
	if env["code"] != "0" || tok == "" {
		h.t.Fatalf("login failed: %s", rep.body)
	}
	return tok
}

// opHeaders returns the routing headers an operation needs.
func opHeaders(o *op) map[string]string {
	m := map[string]string{"version": o.version}
	if o.group != "" {
		m["group"] = o.group
	}
	return m
}

func global(biz string) string { return "/api/global/" + biz }

// Ensure login accepts the demo user's MD5 password and returns the customer
// object plus an "app" token and a 64-hex rToken, and rejects anything else
// with the customer service's wrong-password code.
func TestLogin(t *testing.T) {
	h := newHarness(t, Options{})
	u := DefaultUser()
	tests := []struct {
		name     string
		body     string
		company  string
		wantCode string
		wantBiz  string
	}{
		{"email", loginBody(u.LoginName, u.Password), "439", "0", ""},
		{"customer number", fmt.Sprintf(`{"type":3,"loginName":%q,"loginPwd":%q,"device":1,"isThird":false}`, u.CustomerNo, md5Hex(u.Password)), "439", "0", ""},
		{"wrong password", loginBody(u.LoginName, "nope"), "439", codeBadPassword, bizCustomer},
		{"plaintext password", fmt.Sprintf(`{"type":1,"loginName":%q,"loginPwd":%q,"device":1,"isThird":false}`, u.LoginName, u.Password), "439", codeBadPassword, bizCustomer},
		{"uppercase md5", fmt.Sprintf(`{"type":1,"loginName":%q,"loginPwd":%q,"device":1,"isThird":false}`, u.LoginName, strings.ToUpper(md5Hex(u.Password))), "439", codeBadPassword, bizCustomer},
		{"unknown user", loginBody("nobody@example.com", u.Password), "439", codeBadPassword, bizCustomer},
		{"other company", loginBody(u.LoginName, u.Password), "440", codeBadPassword, bizCustomer},
		{"not json", `{"type":`, "439", codeParamsInvalid, bizGateway},
	}
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	uuidAppRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}app$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := h.do(req{path: "/api/login/" + loginBizType, body: tt.body, headers: map[string]string{"companyId": tt.company}})
			env := rep.envelope(t)
			if rep.status != http.StatusOK || env["code"] != tt.wantCode || env["bizCode"] != tt.wantBiz {
				t.Fatalf("status %d code %v bizCode %v, want 200 %s %q; body %s", rep.status, env["code"], env["bizCode"], tt.wantCode, tt.wantBiz, rep.body)
			}
			if env["trace"] != rep.trace {
				t.Errorf("trace %v, want %s", env["trace"], rep.trace)
			}
			if tt.wantCode != "0" {
				if env["ok"] != false || env["fail"] != true || env["data"] != loginBizType || env["msg"] == "" {
					t.Errorf("error envelope ok/fail/data/msg = %v/%v/%v/%v", env["ok"], env["fail"], env["data"], env["msg"])
				}
				return
			}
			data := env["data"].(map[string]any)
			if tok, _ := data["token"].(string); !uuidAppRE.MatchString(tok) {
				t.Errorf("token %q: want uuid v4 + app", tok)
			}
			if rt, _ := data["rToken"].(string); !hexRE.MatchString(rt) {
				t.Errorf("rToken %q: want 64 hex", rt)
			}
			if data["email"] != u.Email || data["customerNo"] != u.CustomerNo {
				t.Errorf("customer fields: email %v customerNo %v", data["email"], data["customerNo"])
			}
			if _, ok := data["accountList"].([]any); !ok {
				t.Errorf("accountList %T, want array", data["accountList"])
			}
		})
	}
}

// Ensure every gateway failure is an HTTP 200 envelope with the vendor's code,
// bizCode G, ok=false, fail=true and the bizType in data.
func TestGatewayErrors(t *testing.T) {
	h := newHarness(t, Options{TokenTTL: time.Minute})
	tok := h.login()
	stale := h.login()
	info := global(findCustomerInfo)
	pos := tradingOps[queryPositionBiz]
	detail := ops["config.app.AppSymbolDubboService.getSymbolDetail"]
	tests := []struct {
		name     string
		q        req
		expire   bool
		wantCode string
		wantData any
	}{
		{"no token", req{path: info}, false, codeTokenNull, findCustomerInfo},
		{"bad token", req{path: info, token: "00000000-0000-4000-8000-000000000000app"}, false, codeLoginExpired, findCustomerInfo},
		{"token for another company", req{path: info, token: tok, headers: map[string]string{"companyId": "440"}}, false, codeLoginExpired, findCustomerInfo},
		{"unknown bizType", req{path: global("customer.app.NoSuchService.find"), token: tok}, false, codeNoInterface, "customer.app.NoSuchService.find"},
		{"unknown path", req{path: "/api/other/thing", token: tok}, false, codeNoInterface, "thing"},
		{"missing companyId", req{path: info, token: tok, headers: map[string]string{"companyId": ""}}, false, codeCompanyNull, findCustomerInfo},
		{"non-numeric companyId", req{path: info, token: tok, headers: map[string]string{"companyId": "abc"}}, false, codeParamsInvalid, findCustomerInfo},
		{"missing trace", req{path: info, token: tok, headers: map[string]string{"trace": ""}}, false, codeTraceNull, findCustomerInfo},
		{"tradeapi without group", req{path: global(pos.bizType), token: tok, body: `{"tradeType":1}`}, false, codeNoInterface, pos.bizType},
		{"getSymbolDetail at 0.0.1", req{path: global(detail.bizType), token: tok, headers: map[string]string{"version": "0.0.1"}}, false, codeNoInterface, detail.bizType},
		{"GET", req{method: http.MethodGet, path: info, token: tok}, false, codeBadMethod, findCustomerInfo},
		{"body not json", req{path: info, token: tok, body: "[1,"}, false, codeParamsInvalid, findCustomerInfo},
		{"expired token", req{path: info, token: stale}, true, codeLoginExpired, findCustomerInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.expire {
				h.clock.Advance(2 * time.Minute)
			}
			rep := h.do(tt.q)
			env := rep.envelope(t)
			if rep.status != http.StatusOK || env["code"] != tt.wantCode || env["bizCode"] != bizGateway {
				t.Fatalf("status %d code %v bizCode %v, want 200 %s G; body %s", rep.status, env["code"], env["bizCode"], tt.wantCode, rep.body)
			}
			if env["ok"] != false || env["fail"] != true || env["data"] != tt.wantData {
				t.Errorf("ok %v fail %v data %v, want false true %v", env["ok"], env["fail"], env["data"], tt.wantData)
			}
			if tr, _ := env["trace"].(string); tr == "" || (tt.q.headers["trace"] == "" && tr != rep.trace && tt.wantCode != codeTraceNull) {
				t.Errorf("trace %q (sent %q)", tr, rep.trace)
			}
		})
	}
}

// Ensure every served operation answers its nominal envelope through each
// gateway mount, with the trace echoed, tm filled and code the string "0".
func TestServedOperations(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	for _, biz := range ServedOperations() {
		o := ops[biz]
		for _, mount := range []string{"/api/global/", "/cats-gateway/global/", "/api/cats-gateway/global/"} {
			t.Run(biz+mount, func(t *testing.T) {
				rep := h.do(req{path: mount + biz, token: tok, headers: opHeaders(o), body: requestBodies[biz]})
				env := rep.envelope(t)
				if rep.status != http.StatusOK || env["code"] != "0" || env["ok"] != true || env["fail"] != false || env["bizCode"] != "" {
					t.Fatalf("status %d envelope %.400s", rep.status, rep.body)
				}
				if env["trace"] != rep.trace {
					t.Errorf("trace %v, want %s", env["trace"], rep.trace)
				}
				if tm, ok := env["tm"].(json.Number); !ok || tm.String() != fmt.Sprint(h.clock.Now().UnixMilli()) {
					t.Errorf("tm %v, want the clock's ms", env["tm"])
				}
				if env["msgParams"] != nil || env["msg"] != "Success" {
					t.Errorf("msgParams %v msg %v", env["msgParams"], env["msg"])
				}
				if ct := rep.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q", ct)
				}
				if env["data"] == nil && biz != "config.app.AppSymbolDubboService.getSymbolDetail" {
					t.Errorf("data is null")
				}
			})
		}
	}
}

// requestBodies are minimal valid request bodies, with the fields the spec
// marks required.
var requestBodies = map[string]string{
	"customer.app.CustomerExtendWebApiService.findCustomerExtend": `{"type":1}`,
	"customer.app.CustomerOptionalWebApiService.optionalList":     `{"tradeTypeList":[1,5]}`,
	"config.app.AppSymbolDubboService.getSymbolBaseList":          `{"customerGroupId":1}`,
	"config.app.AppSymbolDubboService.getSymbolList":              `{"tradeType":5,"customerGroupId":1}`,
	"config.app.AppSymbolDubboService.getSymbolDetail":            `{"tradeType":5,"symbolId":1001}`,
	"config.app.AppDictDubboService.getListByParentCode":          `{"parentCode":"USDT"}`,
	"fund.app.DepositAppDubboService.getDepositCoinList":          `{"tradeType":1,"customerGroupId":1,"clientType":"H5","country":"CN"}`,
	"fund.app.WithdrawAppDubboService.getWithdrawCurrencyList":    `{"tradeType":1}`,
	"fund.app.FundExchangeRateQueryService.getExchangeRateList":   `{"companyId":439,"currencies":[{"source":"USD","target":"USDT"}]}`,
	"message.app.CompanyNoticeApiService.customerViewNoticePage":  `{"companyId":439,"lang":"en-US","size":10,"current":1}`,
	"tradeapi.app.PositionApiService.queryPositionPage":           `{"tradeType":1}`,
	"customer.app.KycWebApiService.findAllBizKycList":             `{"openAccountType":0}`,
	"customer.app.CustomerApiWebService.page":                     `{"size":20,"current":1}`,
	"customer.app.CustomerWalletWebApiService.walletList":         `{}`,
	"customer.app.WithdrawBankWebApiService.bankList":             `{}`,
	"config.app.AppAssetsDubboService.getAssetsList":              `{}`,
	"customer.app.CustomerWebApiService.findCustomerInfo":         `{}`,
}

// Ensure the same request yields the same data bytes, across requests and
// across simulator instances, so baselines and fidelity checks are stable.
func TestDeterminism(t *testing.T) {
	a, b := newHarness(t, Options{}), newHarness(t, Options{})
	ta, tb := a.login(), b.login()
	for _, biz := range ServedOperations() {
		o := ops[biz]
		q := func(tok string) req {
			return req{path: global(biz), token: tok, headers: opHeaders(o), body: requestBodies[biz]}
		}
		first := a.do(q(ta)).data(t)
		again := a.do(q(ta)).data(t)
		other := b.do(q(tb)).data(t)
		if !bytes.Equal(first, again) || !bytes.Equal(first, other) {
			t.Errorf("%s: data differs between identical requests:\n%s\n%s\n%s", biz, first, again, other)
		}
	}
}

// Ensure the rate limit counts per endpoint per minute on the injected clock,
// sends the vendor's headers (with its misspelling) on every response, and
// answers 429 past the limit until the window resets.
func TestRateLimit(t *testing.T) {
	h := newHarness(t, Options{RatePerMinute: 3})
	dict := req{path: global("config.app.AppDictDubboService.getListByParentCode"), body: `{"parentCode":"USDT"}`}
	wantRemaining := []string{"2", "1", "0", "0"}
	for i, want := range wantRemaining {
		if i == 1 {
			h.clock.Advance(20 * time.Second)
		}
		rep := h.do(dict)
		if got := rep.header.Get("x-ratelimit-remairing"); got != want {
			t.Errorf("request %d: remaining %q, want %q", i+1, got, want)
		}
		if got := rep.header.Get("x-ratelimit-limit"); got != "3" {
			t.Errorf("request %d: limit %q", i+1, got)
		}
		wantReset := "60"
		if i > 0 {
			wantReset = "40"
		}
		if got := rep.header.Get("x-ratelimit-reset"); got != wantReset {
			t.Errorf("request %d: reset %q, want %s", i+1, got, wantReset)
		}
		wantStatus := http.StatusOK
		if i == 3 {
			wantStatus = http.StatusTooManyRequests
		}
		if rep.status != wantStatus {
			t.Fatalf("request %d: status %d, want %d", i+1, rep.status, wantStatus)
		}
		if i == 3 {
			if env := rep.envelope(t); env["code"] != codeTooFrequent || env["trace"] != rep.trace {
				t.Errorf("429 envelope %s", rep.body)
			}
		}
	}
	// Other endpoints have their own budget.
	if rep := h.do(req{path: global("config.app.AppSymbolDubboService.getSymbolList"), body: `{}`}); rep.status != http.StatusOK || rep.header.Get("x-ratelimit-remairing") != "2" {
		t.Errorf("other endpoint: status %d remaining %q", rep.status, rep.header.Get("x-ratelimit-remairing"))
	}
	h.clock.Advance(41 * time.Second)
	if rep := h.do(dict); rep.status != http.StatusOK || rep.header.Get("x-ratelimit-remairing") != "2" {
		t.Errorf("after reset: status %d remaining %q", rep.status, rep.header.Get("x-ratelimit-remairing"))
	}
}

// Ensure every PII value of a User reaches the responses, so a canary test
// that plants values in a User really exercises the redaction of each.
func TestUserPIIIsServed(t *testing.T) {
	canary := User{
		LoginName: "canary-login@canary.test", Password: "canary-pass",
		Email: "canary-email@canary.test", Phone: "canary-phone", Name: "canary-name",
		FirstName: "canary-first", LastName: "canary-last", IDCard: "canary-idcard",
		PostalCode: "canary-postal", Address: "canary-address", BankCardNumber: "canary-card",
		WalletAddress: "canary-wallet",
	}
	h := newHarness(t, Options{Users: []User{canary}})
	rep := h.do(req{path: "/api/login/" + loginBizType, body: loginBody(canary.LoginName, canary.Password)})
	tok := rep.envelope(t)["data"].(map[string]any)["token"].(string)
	var all bytes.Buffer
	all.Write(rep.body)
	for _, biz := range ServedOperations() {
		all.Write(h.do(req{path: global(biz), token: tok, headers: opHeaders(ops[biz]), body: requestBodies[biz]}).body)
	}
	for _, v := range []string{canary.Email, canary.Phone, canary.Name, canary.FirstName, canary.LastName,
		canary.IDCard, canary.PostalCode, canary.Address, canary.BankCardNumber, canary.WalletAddress} {
		if !bytes.Contains(all.Bytes(), []byte(v)) {
			t.Errorf("PII value %q is never served", v)
		}
	}
}

// Ensure invalid options are refused with a message naming the problem.
func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"company", Options{CompanyID: "acme"}, "CompanyID"},
		{"scenario", Options{Scenario: "nope"}, "unknown scenario"},
		{"empty login", Options{Users: []User{{Password: "x"}}}, "LoginName"},
		{"empty password", Options{Users: []User{{LoginName: "x"}}}, "Password"},
		{"duplicate", Options{Users: []User{{LoginName: "x", Password: "y"}, {LoginName: "x", Password: "z"}}}, "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want mention of %q", err, tt.want)
			}
		})
	}
}
