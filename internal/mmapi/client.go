package mmapi

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
)

// Family is one of the vendor's API families; it decides the URL prefix and
// how the call is authenticated.
type Family string

// The vendor's API families.
const (
	// FamilyClient is the Client API: {base}/api, token from login.
	FamilyClient Family = "client"
	// FamilyOpenAPI is the Open API: {base}/openapi-c, no token; the caller's
	// http.Client carries a RoundTripper that adds apiKey and signature.
	FamilyOpenAPI Family = "openapi"
	// FamilyManager is the Manager (B-side) API: {base}/openapi-b, token
	// from the company auth call.
	FamilyManager Family = "manager"
	// FamilyAuth2 is the Auth2 single sign-on API for third-party systems:
	// {Config.Auth2BaseURL}/auth2/{step}, with the header company instead
	// of companyId; see auth2.go.
	FamilyAuth2 Family = "auth2"
)

// Operation names one vendor call.
type Operation struct {
	Family  Family // "" means FamilyClient
	BizType string // e.g. customer.app.CustomerWebApiService.findCustomerInfo
	Version string // header "version"; "" means "0.0.1"
	Group   string // header "group"; "" = none; tradeapi.* operations use "tradeApi"
	Path    string // "global" (default), "login", "auth", "register", "cats-gateway/global", ...
	// Quote marks the Manager API's quote REST endpoints (GET
	// /openapi-b/quote-b-api/{BizType}, Path the service): sent as GET with
	// the Manager token in the "token" query parameter and the body's
	// "trace" set to the trace sent, and answered with the quote envelope
	// {ret, msg, trace, data}, where ret 200 is success.
	Quote bool
	// QueryBody sends a Quote operation's body URL-encoded in the "query"
	// query parameter rather than as the request body, as the tick and
	// kline endpoints document (batch-kline takes a body).
	QueryBody bool
}

// Well-known operations the client itself performs.
var (
	// LoginOperation is the Client API login.
	LoginOperation = Operation{Family: FamilyClient, BizType: "customer.app.CustomerWebApiService.login", Path: "login"}
	// ManagerAuthOperation is the Manager API company authentication.
	ManagerAuthOperation = Operation{Family: FamilyManager, BizType: "admin.admin.CompanyAuthDubboService.auth", Path: "auth"}
)

// Default values applied by New.
const (
	DefaultLang          = "en-US"
	DefaultVersion       = "0.0.1"
	DefaultTimeout       = 15 * time.Second // the vendor's own server-side limit
	DefaultMaxBodyBytes  = 16 << 20
	DefaultMaxRetries    = 2
	DefaultRatePerMinute = 240 // under the vendor's 300/min/endpoint, with room for a burst
	DefaultRetryBackoff  = 250 * time.Millisecond
	DefaultMaxRetryAfter = 30 * time.Second
)

// Login types of the vendor's login call.
const (
	LoginTypeEmail   = 1
	LoginTypePhone   = 2
	LoginTypeAccount = 3
)

// deviceSystem is the vendor's login "device" value for a server-side
// system client (1 H5, 2 PC web, 3 System, 4 Android, ...).
const deviceSystem = 3

// Config configures a Client. Zero values take the defaults above.
type Config struct {
	BaseURL       string // server root; client API at BaseURL+"/api"
	CompanyID     string
	Lang          string // default "en-US"
	LoginName     string
	LoginPassword string // plaintext; sent as lowercase hex MD5 in loginPwd
	LoginType     int    // 1 email, 2 phone, 3 account; 0 = infer (contains "@" -> 1 else 3)
	PhoneArea     string
	Token         string // MM_TOKEN: used instead of login
	AppID         string // manager auth
	AppSecret     string
	// Auth2BaseURL is where the Auth2 API lives; "" means
	// BaseURL+"/cats-gateway-auth2", the mount of the vendor's spec.
	Auth2BaseURL  string
	Timeout       time.Duration // per request (headers and body); default 15s
	MaxBodyBytes  int64         // default 16 MiB
	MaxRetries    int           // transient retries; default 2; negative = none
	RatePerMinute int           // client-side limiter per operation; default 240; negative = off
	// RetryBackoff is the first backoff step; later steps double, with jitter,
	// up to 20x. Default 250ms.
	RetryBackoff time.Duration
	// MaxRetryAfter caps how long a 429 or an exhausted rate-limit window is
	// waited for; longer demands end in *UnavailableError. Default 30s.
	MaxRetryAfter time.Duration
	Now           func() time.Time // clock for the timestamp/trace headers; default time.Now
	Redactor      *redact.Redactor // learns the token/password/md5 it handles; nil = a private one
	// Breaker is the run's fault budget, shared by all of its Clients; nil
	// means no breaker and no wait budget.
	Breaker *Breaker
	// Encrypted marks the encrypted mode (the http.Client wraps
	// signing.EncryptedTransport): traces are sent with the "x-" prefix the
	// transport would add, so Exchange.Trace matches the wire.
	Encrypted bool
}

// CallOptions adjust one call, mostly for negative specs.
type CallOptions struct {
	NoToken   bool   // send no token header and never log in
	Token     string // send this token instead of the session's (e.g. a bad one); no re-login
	NoRelogin bool   // do not log in again on GATEWAY_CODE_005/017
	// NoRetry disables transient-failure retries (a 429 is still waited out:
	// the vendor refused it, so resending is safe). Mutating operations
	// should set it, since a reset after the request was sent may hide a
	// processed order.
	NoRetry bool
	// Timestamp, when non-zero, is sent as the timestamp header instead of
	// the clock's time; the signing transports keep a preset timestamp, so
	// this is how a negative spec sends a stale one.
	Timestamp time.Time
	// NoTimestamp sends no timestamp header, for the negative spec of the
	// gateway's replay window; every other request carries the clock's
	// time, taken afresh for each attempt.
	NoTimestamp bool
}

// Exchange records one call for reports: the request exactly as built (the
// signing RoundTripper may add headers after this point) and the response.
// Sinks must pass it through the Redactor; it holds secrets.
type Exchange struct {
	Method        string
	URL           string
	RequestHeader http.Header
	RequestBody   []byte
	Trace         string // the trace header sent
	HTTPStatus    int
	Header        http.Header
	Body          []byte    // raw response body, at most MaxBodyBytes
	Envelope      *Envelope // nil when the body is not a decodable envelope
	// Latency is the last attempt's time from sending to the end of the body.
	Latency time.Duration
	// Attempts counts HTTP requests made for this call, retries and the
	// retry after a re-login included.
	Attempts int
}

// Client is a vendor client. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    string
	hc      *http.Client
	red     *redact.Redactor
	limiter *limiter

	client  session // Client API login token
	manager session // Manager API auth token
}

// session caches one token. sem (one slot) serialises logins so concurrent
// callers log in once, while staying cancellable, unlike a mutex.
type session struct {
	sem   chan struct{}
	mu    sync.Mutex
	token string
	// err remembers a vendor rejection of the credentials: retrying a
	// wrong password from every spec would lock the account.
	err error
	// first is the exchange of the session's first login, so the login
	// response every run receives can be checked without logging in again
	// (a second login may end the first session on a single-session tenant).
	first *Exchange
}

// New returns a Client for cfg. hc may wrap a signing RoundTripper; nil means
// NewHTTPClient(false). The client uses a copy of hc whose redirect policy
// refuses to leave the target host.
func New(cfg Config, hc *http.Client) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mmapi: base URL %q: want an absolute http(s) URL", cfg.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("mmapi: base URL %q: must not carry a query or fragment", cfg.BaseURL)
	}
	if cfg.LoginType < 0 || cfg.LoginType > LoginTypeAccount {
		return nil, fmt.Errorf("mmapi: login type %d: want 1 (email), 2 (phone) or 3 (account)", cfg.LoginType)
	}
	if cfg.Auth2BaseURL == "" {
		cfg.Auth2BaseURL = strings.TrimRight(cfg.BaseURL, "/") + auth2Mount
	}
	if u, err := url.Parse(cfg.Auth2BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("mmapi: Auth2 base URL %q: want an absolute http(s) URL without query or fragment", cfg.Auth2BaseURL)
	}
	if cfg.Timeout < 0 || cfg.MaxBodyBytes < 0 || cfg.RetryBackoff < 0 || cfg.MaxRetryAfter < 0 {
		return nil, errors.New("mmapi: timeout, body cap, backoff and retry-after cap must not be negative")
	}
	if cfg.Lang == "" {
		cfg.Lang = DefaultLang
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = DefaultRatePerMinute
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = DefaultRetryBackoff
	}
	if cfg.MaxRetryAfter == 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Redactor == nil {
		cfg.Redactor = redact.New(redact.DefaultConfig())
	}
	if hc == nil {
		hc = NewHTTPClient(false)
	}
	c := &Client{
		cfg:     cfg,
		base:    strings.TrimRight(cfg.BaseURL, "/"),
		hc:      Confine(hc),
		red:     cfg.Redactor,
		limiter: newLimiter(cfg.RatePerMinute),
		client:  session{sem: make(chan struct{}, 1), token: cfg.Token},
		manager: session{sem: make(chan struct{}, 1)},
	}
	if cfg.LoginPassword != "" {
		c.red.Learn(cfg.LoginPassword, md5Hex(cfg.LoginPassword))
	}
	c.red.Learn(cfg.Token, cfg.AppSecret, cfg.LoginName)
	return c, nil
}

// Encrypted reports whether the client speaks the encrypted mode
// (Config.Encrypted).
func (c *Client) Encrypted() bool { return c.cfg.Encrypted }

// CloseIdleConnections closes the underlying transport's idle connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Call performs op with body (nil means {}; []byte and json.RawMessage are
// sent verbatim; anything else is JSON-encoded). See CallWith.
func (c *Client) Call(ctx context.Context, op Operation, body any) (*Exchange, error) {
	return c.CallWith(ctx, op, body, CallOptions{})
}

// CallWith performs op. It logs in lazily when the operation needs a token,
// and logs in again once when the vendor answers GATEWAY_CODE_005 or 017.
//
// The error is nil, or a *VendorError, *ContractError or *UnavailableError
// (use errors.As), or a wrapped context error when ctx ended, or a plain error
// for a bad operation or body. The *Exchange is non-nil whenever a request
// was built, and always when any HTTP response was received.
//
// ManagerAuthOperation with a nil body performs the Manager authentication
// with the configured appId and appSecret, without caching the token.
func (c *Client) CallWith(ctx context.Context, op Operation, body any, o CallOptions) (*Exchange, error) {
	op, err := op.normalize()
	if err != nil {
		return nil, err
	}
	if op.Family == FamilyManager && op.Path == ManagerAuthOperation.Path && op.BizType == ManagerAuthOperation.BizType && body == nil {
		// The auth call itself, with the configured appId/appSecret: a spec
		// checks its contract without ever holding the secret.
		_, ex, err := c.authManager(ctx)
		return ex, err
	}
	reqBody, err := encodeBody(body)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding request body: %w", op.BizType, err)
	}
	s := c.sessionFor(op)
	switch {
	case s == nil || o.NoToken:
		ex, err := c.send(ctx, op, reqBody, "", o)
		c.learnAuth2(op, ex, err)
		return ex, err
	case o.Token != "":
		c.red.Learn(o.Token)
		ex, err := c.send(ctx, op, reqBody, o.Token, o)
		c.learnAuth2(op, ex, err)
		return ex, err
	}
	tok, lex, err := c.token(ctx, s, op.Family)
	if err != nil {
		return lex, err
	}
	ex, err := c.send(ctx, op, reqBody, tok, o)
	c.learnAuth2(op, ex, err)
	var ve *VendorError
	if o.NoRelogin || !errors.As(err, &ve) || !ve.TokenExpired() || !c.canRenew(op.Family) {
		return ex, err
	}
	s.invalidate(tok)
	tok, lex, lerr := c.token(ctx, s, op.Family)
	if lerr != nil {
		if lex == nil {
			lex = ex
		}
		return lex, fmt.Errorf("%s: logging in again after %s: %w", op.BizType, ve.Code, lerr)
	}
	ex2, err := c.send(ctx, op, reqBody, tok, o)
	c.learnAuth2(op, ex2, err)
	if ex2 != nil && ex != nil {
		ex2.Attempts += ex.Attempts
	}
	return ex2, err
}

func (op Operation) normalize() (Operation, error) {
	if op.Family == "" {
		op.Family = FamilyClient
	}
	switch op.Family {
	case FamilyClient, FamilyOpenAPI, FamilyManager:
	case FamilyAuth2:
		op = op.auth2Step()
	default:
		return op, fmt.Errorf("mmapi: unknown API family %q", op.Family)
	}
	if op.Version == "" {
		op.Version = DefaultVersion
	}
	if op.Path == "" {
		op.Path = "global"
	}
	if !safeSegment(op.BizType) || !safePath(op.Path) {
		return op, fmt.Errorf("mmapi: bizType %q / path %q: want non-empty names of letters, digits, '.', '_' or '-'", op.BizType, op.Path)
	}
	return op, nil
}

// safePath is a path of safe segments: the catalog's multi-segment paths
// (cats-gateway/global) are spec paths, not an operation name's smuggling.
func safePath(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if !safeSegment(seg) {
			return false
		}
	}
	return true
}

// safeSegment keeps operation names from smuggling path, query or host parts
// into the URL.
func safeSegment(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// URL returns the request URL of op.
func (c *Client) URL(op Operation) string {
	switch op.Family {
	case FamilyOpenAPI:
		return c.base + "/openapi-c/" + op.Path + "/" + op.BizType
	case FamilyAuth2:
		return strings.TrimRight(c.cfg.Auth2BaseURL, "/") + "/" + op.Path + "/" + op.BizType
	case FamilyManager:
		// The Manager spec paths omit /global/.
		if op.Path == "global" {
			return c.base + "/openapi-b/" + op.BizType
		}
		return c.base + "/openapi-b/" + op.Path + "/" + op.BizType
	default:
		return c.base + "/api/" + op.Path + "/" + op.BizType
	}
}

func encodeBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return []byte("{}"), nil
	case []byte:
		return b, nil
	case json.RawMessage:
		return b, nil
	}
	return json.Marshal(body)
}

// sessionFor returns the token session op needs, or nil for none.
func (c *Client) sessionFor(op Operation) *session {
	switch op.Family {
	case FamilyClient:
		if op.Path == "login" || op.Path == "register" {
			return nil
		}
		return &c.client
	case FamilyManager:
		if op.Path == "auth" {
			return nil
		}
		return &c.manager
	case FamilyAuth2:
		if auth2NeedsClientToken(op) {
			return &c.client
		}
	}
	return nil
}

func (c *Client) canRenew(f Family) bool {
	if f == FamilyManager {
		return c.cfg.AppID != "" && c.cfg.AppSecret != ""
	}
	return c.cfg.LoginName != "" && c.cfg.LoginPassword != ""
}

// LoginExchange returns the exchange of the client's first Client API login
// (its request and response, as sent and received), or nil when it has not
// logged in: no login yet, or a token configured instead (Config.Token).
// The caller redacts before recording it, as with any exchange.
func (c *Client) LoginExchange() *Exchange {
	c.client.mu.Lock()
	defer c.client.mu.Unlock()
	return c.client.first
}

// Login obtains and caches the Client API token, unless one is cached
// already (from an earlier login or Config.Token).
func (c *Client) Login(ctx context.Context) error {
	_, _, err := c.token(ctx, &c.client, FamilyClient)
	return err
}

// SessionToken returns the Client API token, logging in when none is
// cached: the quote socket takes it as ?token=. It is a secret; the run's
// redactor has learned it from the login response.
func (c *Client) SessionToken(ctx context.Context) (string, error) {
	tok, _, err := c.token(ctx, &c.client, FamilyClient)
	return tok, err
}

// ManagerAuth obtains and caches the Manager API token.
func (c *Client) ManagerAuth(ctx context.Context) error {
	_, _, err := c.token(ctx, &c.manager, FamilyManager)
	return err
}

// token returns the session's token, logging in when there is none. The
// Exchange is the login's, when this caller performed one that failed.
func (c *Client) token(ctx context.Context, s *session, f Family) (string, *Exchange, error) {
	if tok, err, ok := s.cached(); ok {
		return tok, nil, err
	}
	if !c.canRenew(f) {
		if f == FamilyManager {
			return "", nil, errors.New("manager auth: no credentials: set the app id and app secret")
		}
		return "", nil, ErrNoCredentials
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return "", nil, fmt.Errorf("waiting for login: %w", ctx.Err())
	}
	defer func() { <-s.sem }()
	if tok, err, ok := s.cached(); ok {
		return tok, nil, err
	}
	var (
		tok string
		ex  *Exchange
		err error
	)
	if f == FamilyManager {
		tok, ex, err = c.authManager(ctx)
	} else {
		tok, ex, err = c.login(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == nil {
		s.first = ex
	}
	var ve *VendorError
	switch {
	case err == nil:
		s.token = tok
	case errors.As(err, &ve) && !ve.TokenExpired():
		s.err = err
	}
	return tok, ex, err
}

func (s *session) cached() (string, error, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return "", s.err, true
	}
	return s.token, nil, s.token != ""
}

// invalidate forgets tok unless another caller has already replaced it, so
// concurrent expiries cause one re-login, not one each.
func (s *session) invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == tok {
		s.token = ""
	}
}

type loginRequest struct {
	Type      int    `json:"type"`
	LoginName string `json:"loginName"`
	LoginPwd  string `json:"loginPwd"`
	Device    int    `json:"device"`
	IsThird   bool   `json:"isThird"`
	PhoneArea string `json:"phoneArea,omitempty"`
}

func (c *Client) loginType() int {
	switch {
	case c.cfg.LoginType != 0:
		return c.cfg.LoginType
	case strings.Contains(c.cfg.LoginName, "@"):
		return LoginTypeEmail
	default:
		return LoginTypeAccount
	}
}

func (c *Client) login(ctx context.Context) (string, *Exchange, error) {
	req := loginRequest{
		Type:      c.loginType(),
		LoginName: c.cfg.LoginName,
		LoginPwd:  md5Hex(c.cfg.LoginPassword),
		Device:    deviceSystem,
	}
	if req.Type == LoginTypePhone {
		req.PhoneArea = c.cfg.PhoneArea
	}
	return c.fetchToken(ctx, LoginOperation, req, "login")
}

func (c *Client) authManager(ctx context.Context) (string, *Exchange, error) {
	req := struct {
		AppID     string `json:"appId"`
		AppSecret string `json:"appSecret"`
	}{c.cfg.AppID, c.cfg.AppSecret}
	return c.fetchToken(ctx, ManagerAuthOperation, req, "manager auth")
}

func (c *Client) fetchToken(ctx context.Context, op Operation, body any, what string) (string, *Exchange, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", what, err)
	}
	op, _ = op.normalize()
	ex, err := c.send(ctx, op, b, "", CallOptions{})
	if err != nil {
		return "", ex, fmt.Errorf("%s (company %s): %w", what, c.cfg.CompanyID, err)
	}
	var data struct {
		Token *string `json:"token"`
	}
	if ex.Envelope == nil || json.Unmarshal(ex.Envelope.Data, &data) != nil || data.Token == nil || *data.Token == "" {
		return "", ex, fmt.Errorf("%s (company %s): %w", what, c.cfg.CompanyID,
			&ContractError{Reason: "success envelope without a string data.token"})
	}
	c.red.Learn(*data.Token)
	return *data.Token, ex, nil
}
