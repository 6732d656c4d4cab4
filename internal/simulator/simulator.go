// Package simulator is the embedded stand-in for the MultiMarkets Client API:
// `mmcontract sim` serves it on a loopback port, and `mmcontract run` starts it
// in-process when no target is given. It reproduces what the suites assert on
// — the gateway's routing and error envelopes, login and token expiry, the
// per-endpoint rate limit with the vendor's headers, and deterministic,
// realistic data for the read-only operations — and it injects contract drift
// and transport faults by named scenario, so every verdict the tool can reach
// is exercised end to end without the real vendor.
//
// It also serves the Open API, the Manager API and the Auth2 API (auth2.go),
// and applies the gateway's replay window to the Client and Manager APIs
// (replay.go).
//
// Everything is answered the way the vendor's gateway answers: HTTP 200 with
// an envelope {bizCode, code, msg, tm, trace, msgParams, data, ok, fail},
// where a failure carries ok=false, fail=true and the bizType in data. Only
// the rate limit (429) and the fault scenarios use other HTTP statuses.
package simulator

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmcontract/mmcontract/internal/jsontok"
	"github.com/mmcontract/mmcontract/schemas"
)

// Options configures a Simulator. The zero value is usable.
type Options struct {
	// Schemas, when set, lets the simulator serve every client operation
	// of the catalog under /global/ that has a data schema, with data
	// generated deterministically from it and the catalog's routing.
	Schemas *schemas.Set
	// Scenario is the initial scenario name; "" means "nominal".
	Scenario string
	// CompanyID is the only company the simulator hosts (a decimal long,
	// as the vendor's companyId header). Default "439", the vendor's PRE
	// test company.
	CompanyID string
	// Now is the clock for tokens, the rate limiter and tm. Default time.Now.
	Now func() time.Time
	// RatePerMinute is the per-endpoint limit. Default 300, the vendor's.
	RatePerMinute int
	// TokenTTL is how long a login token lives. Default 30 minutes.
	TokenTTL time.Duration
	// Users are the customers that can log in. Default: DefaultUser().
	Users []User
	// SymbolCount is the number of symbols served (getSymbolBaseList,
	// getSymbolList). Default 56, so that every trade type has some; the
	// benchmarks use 10,000.
	SymbolCount int
	// StallFor is how long the "stall" scenario holds a request before
	// answering normally, unless the client gives up first. Default 20s.
	StallFor time.Duration
	// SlowBodyInterval is the pause between the 8-byte chunks of the
	// "slow-body" scenario. Default 500ms (a 2 KiB body takes minutes).
	SlowBodyInterval time.Duration
	// RedirectTo is the origin the "redirect-off-host" scenario redirects
	// to. Default "http://127.0.0.2:1", another loopback host on which
	// nothing listens.
	RedirectTo string
	// APIKeys are the Open API keys accepted besides the demo key (see
	// Demo). Keys with the same name replace the demo's.
	APIKeys []APIKey
	// ManagerApps are the Manager API apps accepted besides the demo app.
	ManagerApps []ManagerApp
	// QuoteIdleTimeout is how long a quote socket waits for a client frame
	// before it disconnects. Default 30s, the vendor's.
	QuoteIdleTimeout time.Duration
	// QuotePushInterval is the cadence of each subscribed symbol's quote
	// pushes. Default 50ms.
	QuotePushInterval time.Duration
	// QuoteCloseAfter is when the "ws-server-closes" scenario closes a quote
	// connection. Default 300ms: shorter than a cancel or resubscribe spec
	// holds its connection, so the default suite sees the close.
	QuoteCloseAfter time.Duration
	// CompanyKey is the company key pair of the encrypted mode (its public
	// half is what MM_COMPANY_PUBLIC_KEY holds); nil uses the fixed demo
	// key, see DemoCompanyPublicKey.
	CompanyKey *rsa.PrivateKey
	// CheckRequests refuses, with GATEWAY_CODE_015 naming the first
	// violation, a request body that breaks the operation's request schema
	// in Schemas: what `mmcontract run` and `mmcontract sim` serve, so every
	// body mmcontract's suites send is held to the vendor's spec.
	CheckRequests bool
	// QuoteSeed sets where each symbol's deterministic quote swing starts
	// (trading.go). Default 1.
	QuoteSeed int64
	// Demo makes every customer a demo customer: findCustomerInfo reports
	// type 1 ("demo") and companyType "demo", the only accounts mutating
	// specs may trade on against a real target.
	Demo bool
	// Auth2Apps are the Auth2 applications accepted besides the demo app
	// (DemoAuth2AppID).
	Auth2Apps []Auth2App
	// Auth2TokenTTL is how long an Auth2 access token lives (its refresh
	// token twice as long). Default DefaultAuth2TokenTTL.
	Auth2TokenTTL time.Duration
	// FeedPushInterval paces the pushes of the trade-message and Manager
	// push sockets. Default DefaultFeedPushInterval.
	FeedPushInterval time.Duration
	// ManagerPingInterval is the heartbeat the Manager push expects; three
	// missed ones close the socket. Default 10 s, the vendor's.
	ManagerPingInterval time.Duration
}

// Defaults of Options.
const (
	DefaultCompanyID        = "439"
	DefaultRatePerMinute    = 300
	DefaultTokenTTL         = 30 * time.Minute
	DefaultSymbolCount      = 56 // every trade type has symbols: spot, full-margin, isolated, stock
	DefaultStallFor         = 20 * time.Second
	DefaultSlowBodyInterval = 500 * time.Millisecond
	DefaultRedirectTo       = "http://127.0.0.2:1"
)

// maxRequestBody caps what the simulator reads from a request body.
const maxRequestBody = 1 << 20

// Simulator is an http.Handler that behaves like the vendor's Client API
// gateway. It is safe for concurrent use.
type Simulator struct {
	opts         Options
	now          func() time.Time
	companyID    int64
	companyIDStr string
	customers    []*customer
	sessions     *sessions
	limiter      *limiter
	scenario     atomic.Pointer[scenarioDef]
	symbols      []symbol

	generated sync.Map // bizType -> *op generated from Options.Schemas

	symbolBaseOnce sync.Once
	symbolBase     rawJSON // getSymbolBaseList data, rendered once

	sign signedState // Open API keys, Manager apps, company key

	book      *tradeBook    // accounts, orders, positions, capital flows (trading.go)
	auth2     *auth2State   // Auth2 apps, codes and tokens
	mgrGroups managerGroups // Manager push: live connection and replay cursor per group

	traceSeq  atomic.Uint64
	done      chan struct{}
	closeOnce sync.Once
}

// New builds a Simulator from opts, filling defaults.
func New(opts Options) (*Simulator, error) {
	if opts.CompanyID == "" {
		opts.CompanyID = DefaultCompanyID
	}
	cid, err := strconv.ParseInt(opts.CompanyID, 10, 64)
	if err != nil || cid <= 0 {
		return nil, fmt.Errorf("simulator: CompanyID %q: want a positive decimal integer", opts.CompanyID)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RatePerMinute <= 0 {
		opts.RatePerMinute = DefaultRatePerMinute
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.Auth2TokenTTL <= 0 {
		opts.Auth2TokenTTL = DefaultAuth2TokenTTL
	}
	if opts.SymbolCount <= 0 {
		opts.SymbolCount = DefaultSymbolCount
	}
	if opts.StallFor <= 0 {
		opts.StallFor = DefaultStallFor
	}
	if opts.SlowBodyInterval <= 0 {
		opts.SlowBodyInterval = DefaultSlowBodyInterval
	}
	if opts.RedirectTo == "" {
		opts.RedirectTo = DefaultRedirectTo
	}
	opts.RedirectTo = strings.TrimRight(opts.RedirectTo, "/")
	if opts.QuoteSeed == 0 {
		opts.QuoteSeed = 1
	}
	customers, err := prepareUsers(opts.Users, cid, opts.Demo)
	if err != nil {
		return nil, err
	}
	s := &Simulator{
		opts:         opts,
		now:          opts.Now,
		companyID:    cid,
		companyIDStr: opts.CompanyID,
		customers:    customers,
		sessions:     newSessions(opts.TokenTTL),
		limiter:      newLimiter(opts.RatePerMinute),
		symbols:      makeSymbols(opts.SymbolCount),
		book:         newTradeBook(opts.QuoteSeed),
		auth2:        newAuth2State(opts.Auth2Apps),
		done:         make(chan struct{}),
	}
	if err := s.SetScenario(opts.Scenario); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the simulator as an http.Handler.
func (s *Simulator) Handler() http.Handler { return s }

// Close releases requests held by the stall and slow-body scenarios, so a
// server shutdown does not wait for them. The simulator keeps answering
// other requests; held ones end at once.
func (s *Simulator) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

// Gateway codes (bizCode "G") and the customer service's wrong-password code.
const (
	codeOK            = "0"
	codeTokenNull     = "GATEWAY_CODE_001"
	codeCompanyNull   = "GATEWAY_CODE_003"
	codeTraceNull     = "GATEWAY_CODE_004"
	codeLoginExpired  = "GATEWAY_CODE_005"
	codeNoInterface   = "GATEWAY_CODE_010"
	codeParamsInvalid = "GATEWAY_CODE_015"
	codeBadMethod     = "GATEWAY_CODE_016"
	codeTooFrequent   = "GATEWAY_CODE_018"
	codeBadPassword   = "CUSTOMER_API_0000102"
	bizGateway        = "G"
	bizCustomer       = "US"
)

// Vendor-style messages for the errors above (our wording).
var errorMsg = map[string]string{
	codeTokenNull:     "Token is empty",
	codeCompanyNull:   "companyId is empty",
	codeTraceNull:     "trace is empty",
	codeLoginExpired:  "Login info has expired, please log in again",
	codeNoInterface:   "The downstream interface does not exist",
	codeParamsInvalid: "Request parameters are invalid",
	codeBadMethod:     "Request type not supported",
	codeTooFrequent:   "Request frequency is too fast",
	codeBadPassword:   "Account or password is incorrect",
}

// loginBizType is the only operation served under /login/.
const loginBizType = "customer.app.CustomerWebApiService.login"

// route is a parsed request path.
type route struct {
	kind    string // "login", "global" or "" (no such route)
	bizType string
	// catsGateway is set under the cats-gateway mounts, the only place the
	// operations documented there (schemas.CatsGatewayPath) are served.
	catsGateway bool
}

// gatewayPrefixes are the mounts of the client gateway: /api is documented;
// the vendor's own H5 client uses /cats-gateway, and some spec paths use
// /api/cats-gateway. Longest first.
var gatewayPrefixes = []string{"/api/cats-gateway/", "/api/", "/cats-gateway/"}

func parseRoute(path string) route {
	for _, p := range gatewayPrefixes {
		rest, ok := strings.CutPrefix(path, p)
		if !ok {
			continue
		}
		kind, biz, ok := strings.Cut(rest, "/")
		// A few catalog bizTypes contain "/" (a raw Dubbo path), so only
		// login's must be one segment.
		if ok && biz != "" && (kind == "global" || kind == "login" && !strings.Contains(biz, "/")) {
			return route{kind: kind, bizType: biz, catsGateway: p != "/api/"}
		}
		break
	}
	last := path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		last = path[i+1:]
	}
	return route{bizType: last}
}

// parseSignedRoute recognises the Open API (/openapi-c/global/{bizType})
// and Manager API (/openapi-b/auth/{bizType}, /openapi-b/global/{bizType}
// and /openapi-b/{bizType}) paths.
func parseSignedRoute(path string) (family string, rt route, ok bool) {
	if rest, found := strings.CutPrefix(path, "/openapi-c/"); found {
		kind, biz, _ := strings.Cut(rest, "/")
		return "openapi", route{kind: kind, bizType: biz}, true
	}
	if rest, found := strings.CutPrefix(path, "/openapi-b/"); found {
		if kind, biz, cut := strings.Cut(rest, "/"); cut && (kind == "auth" || kind == "global") {
			return "manager", route{kind: kind, bizType: biz}, true
		}
		return "manager", route{kind: "global", bizType: rest}, true
	}
	return "", route{}, false
}

// call is one request on its way through the gateway.
type call struct {
	r       *http.Request
	route   route
	trace   string
	op      *op
	cust    *customer
	body    map[string]any
	started time.Time
}

// ServeHTTP answers one request like the vendor's gateway.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if sock, ok := quoteSockets[r.URL.Path]; ok {
		s.serveQuote(w, r, sock)
		return
	}
	now := s.now()
	if s.serveOpenMsg(w, r) || s.serveManagerPush(w, r) {
		return
	}
	if fam, rt, ok := parseSignedRoute(r.URL.Path); ok {
		c := &call{r: r, route: rt, trace: r.Header.Get("trace"), started: now}
		if sc := s.scenario.Load(); sc.outage && sc.serve(s, w, c) {
			return
		}
		if service, endpoint, quote := managerQuoteRoute(rt.bizType); fam == "manager" && quote {
			s.serveManagerQuote(w, c, service, endpoint)
		} else if fam == "openapi" {
			s.serveOpenAPI(w, c)
		} else {
			s.serveManager(w, c)
		}
		return
	}
	if step, ok := auth2Step(r.URL.Path); ok {
		c := &call{r: r, route: route{kind: auth2RouteKind, bizType: auth2RouteKind + "/" + step}, trace: r.Header.Get("trace"), started: now}
		if sc := s.scenario.Load(); sc.outage && sc.serve(s, w, c) {
			return
		}
		s.serveAuth2(w, c)
		return
	}
	rt := parseRoute(r.URL.Path)
	o := s.lookupOp(rt)
	endpoint := "unknown"
	if o != nil {
		endpoint = rt.kind + "/" + o.bizType
	}
	if !s.limiter.take(endpoint, now, w.Header()) {
		s.writeError(w, http.StatusTooManyRequests, &call{r: r, route: rt, trace: r.Header.Get("trace"), started: now}, bizGateway, codeTooFrequent)
		return
	}
	sc := s.scenario.Load()
	c := &call{r: r, route: rt, op: o, trace: r.Header.Get("trace"), started: now}
	if rt.kind == "global" && sc.serve != nil && sc.serve(s, w, c) {
		return
	}
	s.serveGateway(w, c, sc)
}

// serveGateway runs the gateway checks and the operation, and writes the
// envelope. Fault scenarios that rewrite bodies hook in at the end.
func (s *Simulator) serveGateway(w http.ResponseWriter, c *call, sc *scenarioDef) {
	r := c.r
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, http.StatusOK, c, bizGateway, codeBadMethod)
		return
	}
	if strings.TrimSpace(c.trace) == "" {
		// The vendor answers with a trace of its own making.
		c.trace = s.serverTrace()
		s.writeError(w, http.StatusOK, c, bizGateway, codeTraceNull)
		return
	}
	company := strings.TrimSpace(r.Header.Get("companyId"))
	if company == "" {
		s.writeError(w, http.StatusOK, c, bizGateway, codeCompanyNull)
		return
	}
	if _, err := strconv.ParseInt(company, 10, 64); err != nil {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return
	}
	if c.op == nil || !s.routable(c) {
		s.writeError(w, http.StatusOK, c, bizGateway, codeNoInterface)
		return
	}
	if !s.inReplayWindow(w, c) {
		return
	}
	if c.op.login {
		token := r.Header.Get("token")
		if token == "" {
			s.writeError(w, http.StatusOK, c, bizGateway, codeTokenNull)
			return
		}
		ss, ok := s.sessions.lookup(token, company, c.started)
		if !ok {
			s.writeError(w, http.StatusOK, c, bizGateway, codeLoginExpired)
			return
		}
		c.cust = ss.cust
	}
	body, ok := s.readRequest(w, c, nil)
	if !ok {
		return
	}
	c.body = body
	if c.route.kind == "login" {
		s.login(w, c, company)
		return
	}
	data, err := c.op.build(s, c)
	var be *bizError
	if errors.As(err, &be) {
		s.writeEnvelope(w, http.StatusOK, c, &envelope{bizCode: be.bizCode, code: be.code, msg: be.msg, trace: c.trace, data: c.route.bizType, fail: true})
		return
	}
	if err != nil {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return
	}
	env := s.success(c, data)
	if c.op.bizType == findCustomerInfo && sc.Kind == KindContract {
		if sc.data != nil {
			env.data = sc.data(data.(obj))
		}
		if sc.envelope != nil {
			sc.envelope(s, env)
		}
	}
	s.writeEnvelope(w, http.StatusOK, c, env)
}

// routable applies the routing headers: tradeapi.* operations are only found
// with group=tradeApi, and each operation exists at one version (header
// "version", "0.0.1" when absent). The vendor's gateway routes to Dubbo
// services by (interface, group, version); a mismatch finds no provider, so
// both answer GATEWAY_CODE_010.
func (s *Simulator) routable(c *call) bool {
	if c.r.Header.Get("group") != c.op.group {
		return false
	}
	v := c.r.Header.Get("version")
	if v == "" {
		v = "0.0.1"
	}
	return v == c.op.version
}

// login handles customer.app.CustomerWebApiService.login.
func (s *Simulator) login(w http.ResponseWriter, c *call, company string) {
	typ, _ := bodyInt(c.body, "type")
	name, _ := c.body["loginName"].(string)
	pwd, _ := c.body["loginPwd"].(string)
	var cust *customer
	if company == s.companyIDStr {
		for _, cu := range s.customers {
			if cu.matches(typ, name) {
				cust = cu
				break
			}
		}
	}
	// The password must be the lowercase hex MD5: an uppercase digest or the
	// plaintext is a client bug the vendor rejects like a wrong password.
	if cust == nil || pwd != cust.pwdMD5 {
		s.writeError(w, http.StatusOK, c, bizCustomer, codeBadPassword)
		return
	}
	token, rToken, err := s.sessions.issue(cust, company, c.started)
	if err != nil {
		s.writeError(w, http.StatusInternalServerError, c, bizGateway, "G500")
		return
	}
	data := cust.info.with("token", token).with("rToken", rToken)
	s.writeEnvelope(w, http.StatusOK, c, s.success(c, data))
}

// envelope is one response body before rendering.
type envelope struct {
	bizCode    string
	code       string
	codeNumber bool // render code as a JSON number (code-number scenario)
	msg        string
	trace      string
	data       any
	ok, fail   bool
}

func (s *Simulator) success(c *call, data any) *envelope {
	return &envelope{code: codeOK, msg: "Success", trace: c.trace, data: data, ok: true}
}

// writeError writes a failure envelope: ok=false, fail=true and, as the
// vendor does on exceptions, the bizType in data.
func (s *Simulator) writeError(w http.ResponseWriter, status int, c *call, bizCode, code string) {
	msg, ok := errorMsg[code]
	if !ok {
		msg = "System error"
	}
	var data any
	if c.route.bizType != "" {
		data = c.route.bizType
	}
	s.writeEnvelope(w, status, c, &envelope{bizCode: bizCode, code: code, msg: msg, trace: c.trace, data: data, fail: true})
}

// writeEnvelope renders env, lets a body-rewriting fault scenario alter it
// (for /global/ requests only), and writes it.
func (s *Simulator) writeEnvelope(w http.ResponseWriter, status int, c *call, env *envelope) {
	sc := s.scenario.Load()
	var body []byte
	if c.route.kind == "global" && sc.rewrite != nil {
		body = sc.rewrite(s, env)
	} else {
		body = s.render(env, nil)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // a client that went away is not our error
}

// render renders env in the vendor's field order. msg, when non-nil, is
// written verbatim in place of env.msg (the invalid-utf8 scenario).
func (s *Simulator) render(env *envelope, rawMsg []byte) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"bizCode":`...)
	b = jsontok.AppendString(b, env.bizCode)
	b = append(b, `,"code":`...)
	if env.codeNumber {
		if n, err := strconv.ParseInt(env.code, 10, 64); err == nil {
			b = strconv.AppendInt(b, n, 10)
		} else {
			b = jsontok.AppendString(b, env.code)
		}
	} else {
		b = jsontok.AppendString(b, env.code)
	}
	b = append(b, `,"msg":`...)
	if rawMsg != nil {
		b = append(b, '"')
		b = append(b, rawMsg...)
		b = append(b, '"')
	} else {
		b = jsontok.AppendString(b, env.msg)
	}
	b = append(b, `,"tm":`...)
	b = strconv.AppendInt(b, s.now().UnixMilli(), 10)
	b = append(b, `,"trace":`...)
	b = jsontok.AppendString(b, env.trace)
	b = append(b, `,"msgParams":null,"data":`...)
	b = appendJSON(b, env.data)
	b = append(b, `,"ok":`...)
	b = strconv.AppendBool(b, env.ok)
	b = append(b, `,"fail":`...)
	b = strconv.AppendBool(b, env.fail)
	return append(b, '}')
}

// serverTrace makes a trace in the vendor's server-side shape
// (x-<groups>-<epoch seconds>) for responses to requests that sent none.
func (s *Simulator) serverTrace() string {
	n := s.traceSeq.Add(1)
	return fmt.Sprintf("x-sim%05d-%04x-%04x-%d", n%100000, n*2654435761%65536, n*40503%65536, s.now().Unix())
}

// bodyInt reads an integer field of a decoded body.
func bodyInt(body map[string]any, key string) (int64, bool) {
	switch v := body[key].(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// bodyString reads a string field of a decoded body.
func bodyString(body map[string]any, key string) (string, bool) {
	v, ok := body[key].(string)
	return v, ok
}
