package simulator

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/mmcontract/mmcontract/internal/signing"
)

// APIKey is one Open API key the simulator accepts. The flags provoke the
// vendor's refusals that a client cannot trigger by itself.
type APIKey struct {
	Key          string
	Pub          *rsa.PublicKey // verifies the request signature
	Expired      bool           // 00012006
	NoPermission bool           // 00012004 on every operation
	// AllowedIPs, when non-empty, is the key's IP whitelist (00012007).
	AllowedIPs []string
}

// ManagerApp is one Manager API application (appId/appSecret pair).
type ManagerApp struct{ AppID, AppSecret string }

// DemoCredentials are the simulator's own credentials for the signed
// families, generated at first use: `mmcontract run` uses them against the
// embedded simulator so every family always runs there.
type DemoCredentials struct {
	APIKey     string
	APISecret  *rsa.PrivateKey // signs Open API requests; its public half verifies
	AppID      string
	AppSecret  string
	CompanyKey *rsa.PrivateKey // the company key pair of the encrypted mode
}

// Demo credential names. They are not secrets, but the runner still teaches
// them to its redactor like real ones.
const (
	DemoAPIKey    = "sim-demo-api-key"
	DemoAppID     = "sim-demo-app"
	DemoAppSecret = "sim-demo-app-secret"
	// OpenAPIRatePerMinute is the vendor's Open API limit per key.
	OpenAPIRatePerMinute = 100
)

// Open API and Manager bizCodes. The vendor documents only the codes of
// these refusals; "OA" is our choice, distinct from the gateway's "G", so a
// report shows which layer refused.
const bizOpenAPI = "OA"

// Manager auth refusal: the vendor documents no dedicated code, so a wrong
// appId/appSecret is answered like any invalid parameter (GATEWAY_CODE_015).
const codeBadApp = codeParamsInvalid

// managerTokenSuffix ends every Manager token, as the vendor's do.
const managerTokenSuffix = "admin"

const (
	getMsgPushToken = "getMsgPushToken"
	managerAuthBiz  = "admin.admin.CompanyAuthDubboService.auth"
)

// openAPIOps are the Client API operations also served under /openapi-c,
// plus getMsgPushToken, which exists only there.
var openAPIOps = map[string]bool{
	findCustomerInfo: true,
	"customer.app.CustomerApiWebService.page": true,
	getSymbolBaseList:                         true,
	getMsgPushToken:                           true,
}

// managerOps are the Manager API operations served, with data generated
// from the manager schemas.
var managerOps = map[string]bool{
	"config.admin.AdminDictDubboService.getListByParentCode":    true,
	"config.admin.AdminAssetsDubboService.getAssetsList":        true,
	"config.admin.AdminSymbolDubboService.getSymbolByCompanyId": true,
	"customer.admin.WhiteCustomerAdminApiService.page":          true,
	"customer.admin.WhiteCustomerAdminApiService.detail":        true,
	"customer.admin.CustomerGroupAdminApiService.groupList":     true,
	"customer.admin.CustomerAdminApiService.queryAccountList":   true,
}

// signedState is the lazily built key material of the signed families.
type signedState struct {
	once     sync.Once
	err      error
	demo     DemoCredentials
	keys     map[string]APIKey
	apps     map[string]string // appId -> appSecret
	company  *rsa.PrivateKey
	limiter  *limiter // Open API, per key
	mgrToken sync.Map // token -> struct{}
	// pushToken holds the message tokens getMsgPushToken issued, each
	// with the apiKey it was issued to (the trade-message socket's appId).
	pushToken sync.Map // token -> apiKey
}

func (s *Simulator) signed() (*signedState, error) {
	st := &s.sign
	st.once.Do(func() {
		st.err = s.initSigned(st)
	})
	return st, st.err
}

func (s *Simulator) initSigned(st *signedState) error {
	apiKey, err := signing.ParsePrivateKey(demoAPIKeyPair)
	if err != nil {
		return err
	}
	company := s.opts.CompanyKey
	if company == nil {
		if company, err = signing.ParsePrivateKey(demoCompanyKey); err != nil {
			return err
		}
	}
	st.company = company
	st.demo = DemoCredentials{APIKey: DemoAPIKey, APISecret: apiKey, AppID: DemoAppID, AppSecret: DemoAppSecret, CompanyKey: company}
	st.keys = map[string]APIKey{DemoAPIKey: {Key: DemoAPIKey, Pub: &apiKey.PublicKey}}
	for _, k := range s.opts.APIKeys {
		st.keys[k.Key] = k
	}
	st.apps = map[string]string{DemoAppID: DemoAppSecret}
	for _, a := range s.opts.ManagerApps {
		st.apps[a.AppID] = a.AppSecret
	}
	st.limiter = newLimiter(OpenAPIRatePerMinute)
	return nil
}

// Demo returns the simulator's own credentials for the Open API, the
// Manager API and the encrypted mode, generating the key pairs on first use.
func (s *Simulator) Demo() (DemoCredentials, error) {
	st, err := s.signed()
	if err != nil {
		return DemoCredentials{}, fmt.Errorf("simulator: demo keys: %w", err)
	}
	return st.demo, nil
}

// serveOpenAPI answers POST /openapi-c/global/{bizType}. The checks run in
// this order: gateway headers, apiKey known (00012003), not expired
// (00012006), caller IP allowed (00012007), time window then signature
// (00012002, 00012001), permission (00012004), per-key rate (00012005).
// The vendor does not document its order; authentication before
// authorisation before metering is the common one, and it means an
// unsigned request never consumes a key's quota.
func (s *Simulator) serveOpenAPI(w http.ResponseWriter, c *call) {
	if !s.gatewayHeaders(w, c) {
		return
	}
	st, err := s.signed()
	if err != nil {
		s.writeError(w, http.StatusInternalServerError, c, bizGateway, "G500")
		return
	}
	r := c.r
	key, ok := st.keys[r.Header.Get(signing.HeaderAPIKey)]
	switch {
	case !ok:
		s.writeOpenAPIError(w, c, signing.CodeUnknownAPIKey)
		return
	case key.Expired:
		s.writeOpenAPIError(w, c, signing.CodeKeyExpired)
		return
	case len(key.AllowedIPs) > 0 && !ipAllowed(r.RemoteAddr, key.AllowedIPs):
		s.writeOpenAPIError(w, c, signing.CodeIllegalIP)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return
	}
	if err := signing.VerifyOpenAPI(r, key.Pub, s.vendorNow(c), raw); err != nil {
		code := signing.CodeSignatureFailed
		var ve *signing.VerifyError
		if errors.As(err, &ve) {
			code = ve.Code
		}
		s.writeOpenAPIError(w, c, code)
		return
	}
	if key.NoPermission {
		s.writeOpenAPIError(w, c, signing.CodeNoPermission)
		return
	}
	if !st.limiter.take(key.Key, c.started, http.Header{}) {
		s.writeOpenAPIError(w, c, signing.CodeTooFrequent)
		return
	}
	if c.route.kind != "global" || !openAPIOps[c.route.bizType] {
		s.writeError(w, http.StatusOK, c, bizGateway, codeNoInterface)
		return
	}
	body, err := decodeBody(raw)
	if err != nil {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return
	}
	c.body = body
	if c.route.bizType == getMsgPushToken {
		s.writeEnvelope(w, http.StatusOK, c, s.success(c, s.issuePushToken(st, key.Key)))
		return
	}
	// An Open API key acts for the company; customer operations address a
	// customer by customerNo, defaulting to the first one.
	c.cust = s.customers[0]
	if no, ok := bodyString(body, "customerNo"); ok {
		for _, cu := range s.customers {
			if cu.CustomerNo == no {
				c.cust = cu
			}
		}
	}
	o := ops[c.route.bizType]
	data, err := o.build(s, c)
	if err != nil {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return
	}
	s.writeEnvelope(w, http.StatusOK, c, s.success(c, data))
}

// writeOpenAPIError writes an Open API refusal envelope, with the vendor's
// (Chinese) message, as its docs quote them.
func (s *Simulator) writeOpenAPIError(w http.ResponseWriter, c *call, code signing.Code) {
	var data any
	if c.route.bizType != "" {
		data = c.route.bizType
	}
	s.writeEnvelope(w, http.StatusOK, c, &envelope{bizCode: bizOpenAPI, code: string(code), msg: code.VendorMessage(), trace: c.trace, data: data, fail: true})
}

func ipAllowed(remote string, allowed []string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	for _, a := range allowed {
		if a == host {
			return true
		}
	}
	return false
}

// gatewayHeaders runs the method, trace and companyId checks every family
// shares, writing the refusal when one fails.
func (s *Simulator) gatewayHeaders(w http.ResponseWriter, c *call) bool {
	r := c.r
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, http.StatusOK, c, bizGateway, codeBadMethod)
		return false
	}
	if strings.TrimSpace(c.trace) == "" {
		c.trace = s.serverTrace()
		s.writeError(w, http.StatusOK, c, bizGateway, codeTraceNull)
		return false
	}
	return true
}

// serveManager answers the Manager API: POST /openapi-b/auth/<auth bizType>
// with {appId, appSecret}, and POST /openapi-b/{bizType} or
// /openapi-b/global/{bizType} with the token it issued. Manager tokens do
// not expire in the simulator.
func (s *Simulator) serveManager(w http.ResponseWriter, c *call) {
	if !s.gatewayHeaders(w, c) {
		return
	}
	st, err := s.signed()
	if err != nil {
		s.writeError(w, http.StatusInternalServerError, c, bizGateway, "G500")
		return
	}
	if !s.inReplayWindow(w, c) {
		return
	}
	body, ok := s.readRequest(w, c, st)
	if !ok {
		return
	}
	c.body = body
	if c.route.kind == "auth" {
		if c.route.bizType != managerAuthBiz {
			s.writeError(w, http.StatusOK, c, bizGateway, codeNoInterface)
			return
		}
		id, _ := bodyString(body, "appId")
		secret, _ := bodyString(body, "appSecret")
		want, ok := st.apps[id]
		if !ok || id == "" || secret != want {
			s.writeError(w, http.StatusOK, c, bizGateway, codeBadApp)
			return
		}
		token := s.newUUID() + managerTokenSuffix
		st.mgrToken.Store(token, struct{}{})
		s.writeEnvelope(w, http.StatusOK, c, s.success(c, s.managerAuthData(st, id, token)))
		return
	}
	if !managerOps[c.route.bizType] {
		s.writeError(w, http.StatusOK, c, bizGateway, codeNoInterface)
		return
	}
	token := c.r.Header.Get("token")
	if token == "" {
		s.writeError(w, http.StatusOK, c, bizGateway, codeTokenNull)
		return
	}
	if _, ok := st.mgrToken.Load(token); !ok {
		s.writeError(w, http.StatusOK, c, bizGateway, codeLoginExpired)
		return
	}
	data, ok := s.managerData(c.route.bizType)
	if !ok {
		s.writeError(w, http.StatusOK, c, bizGateway, codeNoInterface)
		return
	}
	s.writeEnvelope(w, http.StatusOK, c, s.success(c, data))
}

// managerAuthData is the auth call's data: the manager schema's company
// configuration, generated, with the token, the appId and the company's
// public key (base64 X.509) set. appSecret is never echoed back.
func (s *Simulator) managerAuthData(st *signedState, appID, token string) any {
	var out obj
	if g, ok := s.managerData(managerAuthBiz); ok {
		out, _ = g.(obj)
	}
	pub, _ := signing.EncodePublicKey(&st.company.PublicKey)
	set := map[string]any{"token": token, "appId": appID, "appSecret": nil, "publicKey": pub,
		"companyId": s.companyID, "id": s.companyID, "companyType": "demo", "status": int64(1)}
	res := make(obj, 0, len(out)+len(set))
	seen := map[string]bool{}
	for _, f := range out {
		if v, ok := set[f.k]; ok {
			if _, isStr := f.v.(string); f.v == nil || isStr || f.k == "token" || f.k == "appSecret" || f.k == "publicKey" {
				f.v = v
			} else if _, isInt := f.v.(int64); isInt {
				f.v = v
			}
			seen[f.k] = true
		}
		res = append(res, f)
	}
	if !seen["token"] {
		res = append(res, kv{"token", token})
	}
	return res
}

// managerData generates a Manager operation's data from its schema.
func (s *Simulator) managerData(bizType string) (any, bool) {
	if s.opts.Schemas == nil {
		return nil, false
	}
	raw, ok := s.opts.Schemas.DataSchema("manager", bizType)
	if !ok {
		return nil, false
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		return nil, false
	}
	return distinctStrings(generate(schema, "", seedOf("manager "+bizType), 0), ""), true
}

// distinctStrings rewrites the generator's placeholder strings ("str-N") as
// "<field>-N." so that no value is a substring of another: the runner's
// redactor learns the values of sensitive fields and scrubs them from all
// text, and "str-5" learnt from a name would otherwise scrub the middle of
// an unrelated "str-530".
func distinctStrings(v any, field string) any {
	switch t := v.(type) {
	case obj:
		for i := range t {
			t[i].v = distinctStrings(t[i].v, t[i].k)
		}
		return t
	case []any:
		for i := range t {
			t[i] = distinctStrings(t[i], field)
		}
		return t
	case string:
		if n, ok := strings.CutPrefix(t, "str-"); ok && field != "" {
			return field + "-" + n + "."
		}
	}
	return v
}

// readRequest reads and decodes a request body, decrypting it first when the
// trace declares the encrypted mode. A body that cannot be decrypted or
// whose signature does not match is refused with GATEWAY_CODE_015: the
// vendor documents no dedicated code, and to its gateway it is an invalid
// parameter.
func (s *Simulator) readRequest(w http.ResponseWriter, c *call, st *signedState) (map[string]any, bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, c.r.Body, maxRequestBody))
	if err != nil {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return nil, false
	}
	if signing.IsEncrypted(c.r.Header) {
		if st == nil {
			if st, err = s.signed(); err != nil {
				s.writeError(w, http.StatusInternalServerError, c, bizGateway, "G500")
				return nil, false
			}
		}
		if raw, err = signing.OpenClientRequest(c.r.Header, raw, st.company); err != nil {
			s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
			return nil, false
		}
	}
	body, err := decodeBody(raw)
	if err != nil {
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return nil, false
	}
	if !s.requestValid(w, c, raw) {
		return nil, false
	}
	return body, true
}

// decodeBody decodes a request body: a JSON object, or nothing.
func decodeBody(raw []byte) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("decode body: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode body: trailing data")
	}
	if body == nil {
		body = map[string]any{}
	}
	return body, nil
}

// newUUID returns a version-4-shaped UUID, deterministic per simulator (a
// counter through a mixing function), for tokens that must differ per call.
func (s *Simulator) newUUID() string {
	n := s.traceSeq.Add(1)
	a := n*0x9E3779B97F4A7C15 ^ uint64(s.companyID)
	b := a*0xBF58476D1CE4E5B9 ^ n
	h := strconv.FormatUint(a|1<<63, 16) + strconv.FormatUint(b|1<<63, 16)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}
