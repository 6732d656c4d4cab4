package simulator

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/signing"
	"github.com/mmcontract/mmcontract/schemas"
)

type signedEnv struct {
	Code string          `json:"code"`
	OK   bool            `json:"ok"`
	Data json.RawMessage `json:"data"`
}

func postSigned(t *testing.T, rt http.RoundTripper, url string, h map[string]string, body string) signedEnv {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("companyId", DefaultCompanyID)
	req.Header.Set("trace", "t-"+strconv.FormatInt(time.Now().UnixNano(), 10))
	// A fresh timestamp, as every client sends (the gateway's replay window).
	req.Header.Set("timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env signedEnv
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatalf("decoding the envelope: %v", err)
	}
	return env
}

func mustKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := signing.GenerateKeyPair(2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Ensure the simulator answers every Open API refusal code the vendor
// documents, each provoked through a real loopback server.
func TestOpenAPICodes(t *testing.T) {
	good, other := mustKey(t), mustKey(t)
	sim, err := New(Options{APIKeys: []APIKey{
		{Key: "good", Pub: &good.PublicKey},
		{Key: "expired", Pub: &good.PublicKey, Expired: true},
		{Key: "denied", Pub: &good.PublicKey, NoPermission: true},
		{Key: "elsewhere", Pub: &good.PublicKey, AllowedIPs: []string{"203.0.113.9"}},
		{Key: "busy", Pub: &good.PublicKey},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	url := srv.URL + "/openapi-c/global/" + findCustomerInfo
	signer := func(key string, k *rsa.PrivateKey) http.RoundTripper {
		return &signing.OpenAPITransport{APIKey: key, Key: k}
	}
	stale := strconv.FormatInt(time.Now().Add(-10*time.Minute).UnixMilli(), 10)
	cases := []struct {
		name string
		rt   http.RoundTripper
		h    map[string]string
		want string
	}{
		{"valid", signer("good", good), nil, "0"},
		{"bad signature", signer("good", other), nil, "00012001"},
		{"stale timestamp", signer("good", good), map[string]string{"timestamp": stale}, "00012002"},
		{"unknown key", signer("nobody", good), nil, "00012003"},
		{"no permission", signer("denied", good), nil, "00012004"},
		{"expired", signer("expired", good), nil, "00012006"},
		{"illegal ip", signer("elsewhere", good), nil, "00012007"},
		{"unsigned", http.DefaultTransport, map[string]string{"apiKey": "good", "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}, "00012001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := postSigned(t, tc.rt, url, tc.h, `{}`)
			if env.Code != tc.want {
				t.Errorf("code %q, want %q", env.Code, tc.want)
			}
		})
	}
	t.Run("too frequent", func(t *testing.T) {
		rt := signer("busy", good)
		for i := 0; i < OpenAPIRatePerMinute; i++ {
			if env := postSigned(t, rt, url, nil, `{}`); env.Code != "0" {
				t.Fatalf("request %d: code %q before the limit", i+1, env.Code)
			}
		}
		if env := postSigned(t, rt, url, nil, `{}`); env.Code != "00012005" {
			t.Errorf("request %d: code %q, want 00012005", OpenAPIRatePerMinute+1, env.Code)
		}
	})
	t.Run("push token", func(t *testing.T) {
		env := postSigned(t, signer("good", good), srv.URL+"/openapi-c/global/getMsgPushToken", nil, `{}`)
		var tok string
		if err := json.Unmarshal(env.Data, &tok); err != nil || !strings.HasSuffix(tok, "push") || len(tok) != 36+4 {
			t.Errorf("data %s, want a UUID followed by push", env.Data)
		}
	})
}

// Ensure the Manager API issues a token ending in "admin" for a known app,
// refuses a wrong secret and calls without or with an unknown token with
// the gateway codes, and serves both path forms.
func TestManagerAPI(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := New(Options{Schemas: set, ManagerApps: []ManagerApp{{AppID: "app", AppSecret: "s3cret"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	rt := http.DefaultTransport
	auth := srv.URL + "/openapi-b/auth/admin.admin.CompanyAuthDubboService.auth"
	if env := postSigned(t, rt, auth, nil, `{"appId":"app","appSecret":"wrong"}`); env.Code != codeBadApp {
		t.Errorf("wrong secret: code %q, want %s", env.Code, codeBadApp)
	}
	env := postSigned(t, rt, auth, nil, `{"appId":"app","appSecret":"s3cret"}`)
	var data struct {
		Token     string  `json:"token"`
		PublicKey string  `json:"publicKey"`
		AppSecret *string `json:"appSecret"`
	}
	if err := json.Unmarshal(env.Data, &data); err != nil || !strings.HasSuffix(data.Token, "admin") {
		t.Fatalf("auth data %s: want a token ending in admin", env.Data)
	}
	if data.AppSecret != nil || data.PublicKey != DemoCompanyPublicKey() {
		t.Errorf("auth data echoes the secret or lacks the company public key: %s", env.Data)
	}
	const biz = "customer.admin.CustomerGroupAdminApiService.groupList"
	for _, path := range []string{"/openapi-b/", "/openapi-b/global/"} {
		if env := postSigned(t, rt, srv.URL+path+biz, map[string]string{"token": data.Token}, `{}`); env.Code != "0" || !env.OK {
			t.Errorf("%s: code %q, want success", path, env.Code)
		}
	}
	if env := postSigned(t, rt, srv.URL+"/openapi-b/"+biz, nil, `{}`); env.Code != codeTokenNull {
		t.Errorf("no token: code %q, want %s", env.Code, codeTokenNull)
	}
	if env := postSigned(t, rt, srv.URL+"/openapi-b/"+biz, map[string]string{"token": "x-admin"}, `{}`); env.Code != codeLoginExpired {
		t.Errorf("unknown token: code %q, want %s", env.Code, codeLoginExpired)
	}
}

// Ensure the encrypted mode round-trips: an encrypted login succeeds, and an
// encrypted body with a tampered signature or for another key is refused
// with GATEWAY_CODE_015.
func TestEncryptedClientMode(t *testing.T) {
	sim, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	pub, err := signing.ParsePublicKey(DemoCompanyPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	u := DefaultUser()
	login := `{"type":3,"loginName":"` + u.LoginName + `","loginPwd":"` + md5Hex(u.Password) + `"}`
	url := srv.URL + "/api/login/" + loginBizType
	if env := postSigned(t, &signing.EncryptedTransport{Pub: pub}, url, nil, login); env.Code != "0" {
		t.Fatalf("encrypted login: code %q, want 0", env.Code)
	}
	if env := postSigned(t, &signing.EncryptedTransport{Pub: &mustKey(t).PublicKey}, url, nil, login); env.Code != codeParamsInvalid {
		t.Errorf("other key: code %q, want %s", env.Code, codeParamsInvalid)
	}
	// A valid encryption of a body whose signature does not match.
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	plain, _, err := signing.SignClientBody([]byte(login), ts)
	if err != nil {
		t.Fatal(err)
	}
	plain = bytes.Replace(plain, []byte(`"signature":"`), []byte(`"signature":"0`), 1)
	enc, err := signing.EncryptClientBody(plain, pub)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"data": enc})
	if env := postSigned(t, http.DefaultTransport, url, map[string]string{"trace": "x-tampered", "timestamp": ts}, string(body)); env.Code != codeParamsInvalid {
		t.Errorf("tampered signature: code %q, want %s", env.Code, codeParamsInvalid)
	}
}
