package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mmcontract/mmcontract/internal/signing"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// The Auth2 API: a third-party system (an app with an appId and appSecret)
// signs a platform customer in. POST /auth2/code, sent with the customer's
// Client API token, grants the app a one-time code; /auth2/token exchanges
// code, appId and appSecret for an access and a refresh token;
// /auth2/user answers the customer's identity for an access token;
// /auth2/refresh trades a refresh token for a new pair. Every step names
// the company in the header "company" (not "companyId", as the Client API
// does), and the service is mounted at /cats-gateway-auth2 (the server URL
// of the vendor's spec); the simulator also answers at /auth2/ directly.
//
// The vendor documents no error codes for this service, so its refusals
// reuse the gateway's, one per cause so a report tells them apart: an
// unknown, used or expired code is an invalid parameter (GATEWAY_CODE_015),
// an unknown app or a wrong secret has no access rights (GATEWAY_CODE_019),
// an unknown, expired or superseded access or refresh token is an expired
// login (GATEWAY_CODE_005), which the vendor's own client answers by
// signing in again.

// Auth2App is one third-party application registered for Auth2.
type Auth2App struct{ AppID, AppSecret string }

// Demo Auth2 application of the embedded simulator. Like the other demo
// credentials they are not secrets; the runner still teaches them to its
// redactor.
const (
	DemoAuth2AppID     = "sim-demo-auth2-app"
	DemoAuth2AppSecret = "sim-demo-auth2-app-secret"
)

// Auth2 lifetimes. The vendor documents none; a code is meant to be
// exchanged at once, like OAuth's (RFC 6749 §4.1.2 recommends at most 10
// minutes), and the access token lives as long as a login session unless
// Options.Auth2TokenTTL says otherwise.
const (
	Auth2CodeTTL           = 5 * time.Minute
	DefaultAuth2TokenTTL   = DefaultTokenTTL
	auth2MountPrefix       = "/cats-gateway-auth2/auth2/"
	auth2DirectPrefix      = "/auth2/"
	codeNoAccess           = "GATEWAY_CODE_019"
	auth2RouteKind         = "auth2"
	auth2MsgNoAccess       = "No access rights"
	auth2MsgCompanyMissing = "company is empty"
)

// KindAuth2 marks the scenarios in which the Auth2 service breaks its
// contract while every other family behaves as documented: a run checks
// them with --label-filter auth2.
const KindAuth2 = "auth2"

// The Auth2 scenarios, by name; auth2Scenarios describes each.
const (
	scenarioAuth2NoRefreshToken      = "auth2-no-refresh-token"
	scenarioAuth2RefreshSameToken    = "auth2-refresh-same-token"
	scenarioAuth2AcceptsBadSecret    = "auth2-accepts-bad-secret"
	scenarioAuth2AcceptsBadCode      = "auth2-accepts-bad-code"
	scenarioAuth2AcceptsUnknownToken = "auth2-accepts-unknown-token"
)

var auth2Scenarios = []scenarioDef{
	{Scenario: Scenario{Name: scenarioAuth2NoRefreshToken, Kind: KindAuth2, Filter: "auth2", ExpectedVerdict: verdict.Broken, Pointer: "/data/refreshToken",
		Description: "/auth2/token answers an access token without its refresh token"}},
	{Scenario: Scenario{Name: scenarioAuth2RefreshSameToken, Kind: KindAuth2, Filter: "auth2", ExpectedVerdict: verdict.Broken, Pointer: "/data/accessToken",
		Description: "/auth2/refresh answers the access token it was meant to replace"}},
	{Scenario: Scenario{Name: scenarioAuth2AcceptsBadSecret, Kind: KindAuth2, Filter: "auth2", ExpectedVerdict: verdict.Broken, Pointer: "/code",
		Description: "/auth2/token issues tokens for a wrong appSecret"}},
	{Scenario: Scenario{Name: scenarioAuth2AcceptsBadCode, Kind: KindAuth2, Filter: "auth2", ExpectedVerdict: verdict.Broken, Pointer: "/code",
		Description: "/auth2/token issues tokens for an authorization code it never granted"}},
	{Scenario: Scenario{Name: scenarioAuth2AcceptsUnknownToken, Kind: KindAuth2, Filter: "auth2", ExpectedVerdict: verdict.Broken, Pointer: "/code",
		Description: "/auth2/user answers for an access token it never issued"}},
}

// auth2Grant is what a code or token stands for.
type auth2Grant struct {
	appID   string
	cust    *customer
	expires time.Time
	// refresh is the refresh token issued with an access token (and the
	// access token issued with a refresh token), so a refresh retires both.
	pair string
}

// auth2State is the Auth2 service's store. Codes are single use; a refresh
// retires the pair it replaces.
type auth2State struct {
	mu      sync.Mutex
	apps    map[string]string // appId -> appSecret
	codes   map[string]auth2Grant
	access  map[string]auth2Grant
	refresh map[string]auth2Grant
}

func newAuth2State(apps []Auth2App) *auth2State {
	st := &auth2State{apps: map[string]string{DemoAuth2AppID: DemoAuth2AppSecret},
		codes: map[string]auth2Grant{}, access: map[string]auth2Grant{}, refresh: map[string]auth2Grant{}}
	for _, a := range apps {
		st.apps[a.AppID] = a.AppSecret
	}
	return st
}

// auth2Step returns the Auth2 step a path names, if it is an Auth2 path.
func auth2Step(path string) (string, bool) {
	for _, p := range []string{auth2MountPrefix, auth2DirectPrefix} {
		if step, ok := strings.CutPrefix(path, p); ok {
			return step, true
		}
	}
	return "", false
}

// serveAuth2 answers one Auth2 request.
func (s *Simulator) serveAuth2(w http.ResponseWriter, c *call) {
	if !s.gatewayHeaders(w, c) {
		return
	}
	company := strings.TrimSpace(c.r.Header.Get("company"))
	if company == "" {
		s.writeRefusal(w, c, codeCompanyNull, auth2MsgCompanyMissing)
		return
	}
	if _, err := strconv.ParseInt(company, 10, 64); err != nil || company != s.companyIDStr {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return
	}
	// Plain JSON only: the Auth2 API documents no encrypted mode, so an
	// encrypted body is no request it understands.
	raw, err := io.ReadAll(http.MaxBytesReader(w, c.r.Body, maxRequestBody))
	body, derr := decodeBody(raw)
	if err != nil || derr != nil || signing.IsEncrypted(c.r.Header) {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return
	}
	if !s.requestValid(w, c, raw) {
		return
	}
	c.body = body
	st := s.auth2
	scenario := s.scenario.Load().Name
	now := c.started
	switch strings.TrimPrefix(c.route.bizType, auth2RouteKind+"/") {
	case "code":
		s.auth2Code(w, c, st, company, now)
	case "token":
		s.auth2Token(w, c, st, scenario, now)
	case "user":
		token, _ := bodyString(body, "accessToken")
		st.mu.Lock()
		g, ok := st.access[token]
		st.mu.Unlock()
		if scenario == scenarioAuth2AcceptsUnknownToken && !ok {
			g, ok = auth2Grant{cust: s.customers[0], expires: now.Add(time.Minute)}, true
		}
		if !ok || !now.Before(g.expires) {
			s.writeError(w, http.StatusOK, c, bizGateway, codeLoginExpired)
			return
		}
		s.writeEnvelope(w, http.StatusOK, c, s.success(c, auth2User(g.cust)))
	case "refresh":
		s.auth2Refresh(w, c, st, scenario, now)
	default:
		s.writeError(w, http.StatusOK, c, bizGateway, codeNoInterface)
	}
}

// auth2Code grants a code to the app for the customer whose Client API
// token the request carries.
func (s *Simulator) auth2Code(w http.ResponseWriter, c *call, st *auth2State, company string, now time.Time) {
	token := c.r.Header.Get("token")
	if token == "" {
		s.writeError(w, http.StatusOK, c, bizGateway, codeTokenNull)
		return
	}
	ss, ok := s.sessions.lookup(token, company, now)
	if !ok {
		s.writeError(w, http.StatusOK, c, bizGateway, codeLoginExpired)
		return
	}
	appID, _ := bodyString(c.body, "appId")
	third, _ := bodyString(c.body, "thirdAppType")
	if appID == "" || third == "" {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return
	}
	st.mu.Lock()
	_, known := st.apps[appID]
	code := randomUUID()
	if known {
		st.codes[code] = auth2Grant{appID: appID, cust: ss.cust, expires: now.Add(Auth2CodeTTL)}
	}
	st.mu.Unlock()
	if !known {
		s.writeRefusal(w, c, codeNoAccess, auth2MsgNoAccess)
		return
	}
	s.writeEnvelope(w, http.StatusOK, c, s.success(c, code))
}

// auth2Token exchanges a code for a token pair: the app must be known and
// its secret right (GATEWAY_CODE_019), the code granted to that app, unused
// and not expired (GATEWAY_CODE_015). The code is spent even when the
// secret is wrong, as OAuth servers do, so a leaked code cannot be tried
// against secrets.
func (s *Simulator) auth2Token(w http.ResponseWriter, c *call, st *auth2State, scenario string, now time.Time) {
	appID, _ := bodyString(c.body, "appId")
	secret, _ := bodyString(c.body, "appSecret")
	code, _ := bodyString(c.body, "code")
	st.mu.Lock()
	want, known := st.apps[appID]
	g, granted := st.codes[code]
	delete(st.codes, code)
	st.mu.Unlock()
	if scenario == scenarioAuth2AcceptsBadSecret {
		secret = want
	}
	if scenario == scenarioAuth2AcceptsBadCode && !granted {
		g, granted = auth2Grant{appID: appID, cust: s.customers[0], expires: now.Add(time.Minute)}, true
	}
	switch {
	case !known || secret != want:
		s.writeRefusal(w, c, codeNoAccess, auth2MsgNoAccess)
		return
	case !granted || g.appID != appID || !now.Before(g.expires):
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return
	}
	access, refresh := s.issueAuth2(st, g, now)
	data := obj{{"accessToken", access}, {"refreshToken", refresh}}
	if scenario == scenarioAuth2NoRefreshToken {
		data = data.without("refreshToken")
	}
	s.writeEnvelope(w, http.StatusOK, c, s.success(c, data))
}

// auth2Refresh trades a live refresh token for a new pair and retires the
// old one: the old access token and the old refresh token stop working.
func (s *Simulator) auth2Refresh(w http.ResponseWriter, c *call, st *auth2State, scenario string, now time.Time) {
	refresh, _ := bodyString(c.body, "refreshToken")
	st.mu.Lock()
	g, ok := st.refresh[refresh]
	if ok && scenario != scenarioAuth2RefreshSameToken {
		delete(st.refresh, refresh)
		delete(st.access, g.pair)
	}
	st.mu.Unlock()
	if !ok || !now.Before(g.expires) {
		s.writeError(w, http.StatusOK, c, bizGateway, codeLoginExpired)
		return
	}
	if scenario == scenarioAuth2RefreshSameToken {
		s.writeEnvelope(w, http.StatusOK, c, s.success(c, obj{{"accessToken", g.pair}, {"refreshToken", refresh}}))
		return
	}
	access, next := s.issueAuth2(st, g, now)
	s.writeEnvelope(w, http.StatusOK, c, s.success(c, obj{{"accessToken", access}, {"refreshToken", next}}))
}

// issueAuth2 stores a new access and refresh token for g's app and
// customer. The refresh token outlives the access token (twice its TTL), so
// an expired access token can still be refreshed.
func (s *Simulator) issueAuth2(st *auth2State, g auth2Grant, now time.Time) (access, refresh string) {
	access, refresh = randomUUID(), randomUUID()
	ttl := s.opts.Auth2TokenTTL
	st.mu.Lock()
	defer st.mu.Unlock()
	st.access[access] = auth2Grant{appID: g.appID, cust: g.cust, expires: now.Add(ttl), pair: refresh}
	st.refresh[refresh] = auth2Grant{appID: g.appID, cust: g.cust, expires: now.Add(2 * ttl), pair: access}
	return access, refresh
}

// auth2User is /auth2/user's data for a customer, in the vendor example's
// field order: the identities the customer signed in with elsewhere
// (thirdUserId and thirdLoginSource, comma-separated; none here), the
// account id (0 in the vendor's example), customerNo and e-mail.
func auth2User(c *customer) obj {
	var email any
	if c.Email != "" {
		email = c.Email
	}
	return obj{{"thirdUserId", ""}, {"accountId", int64(0)}, {"thirdLoginSource", ""}, {"customerNo", c.CustomerNo}, {"email", email}}
}

// randomUUID is a random version-4 UUID: Auth2 codes and tokens are bearer
// credentials, so unlike newUUID's they must not be predictable.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
