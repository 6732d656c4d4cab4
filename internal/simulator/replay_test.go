package simulator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/signing"
)

// Ensure the gateway's replay window both ways on the Client API: a
// timestamp within 5000 ms either side of the vendor's clock passes, one
// outside it is GATEWAY_CODE_014, a missing or malformed one
// GATEWAY_CODE_009, login included.
func TestReplayWindowClientAPI(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	now := h.clock.Now()
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	for _, tc := range []struct {
		name, timestamp, code string
	}{
		{"now", ms(0), codeOK},
		{"4.9 s late", ms(-4900 * time.Millisecond), codeOK},
		{"4.9 s early", ms(4900 * time.Millisecond), codeOK},
		{"exactly the window", ms(-5000 * time.Millisecond), codeOK},
		{"5.001 s late", ms(-5001 * time.Millisecond), codeRequestExpired},
		{"6 s early", ms(6 * time.Second), codeRequestExpired},
		{"in 2020", strconv.FormatInt(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 10), codeRequestExpired},
		{"missing", "", codeHeaderNull},
		{"not a number", "yesterday", codeHeaderNull},
		{"seconds, not ms", strconv.FormatInt(now.Unix(), 10), codeRequestExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := h.do(req{path: global(findCustomerInfo), token: tok, headers: map[string]string{"timestamp": tc.timestamp}}).envelope(t)
			if env["code"] != tc.code {
				t.Errorf("code %v, want %s (%v)", env["code"], tc.code, env)
			}
		})
	}
	u := DefaultUser()
	env := h.do(req{path: "/api/login/" + loginBizType, body: loginBody(u.LoginName, u.Password), headers: map[string]string{"timestamp": ms(-time.Minute)}}).envelope(t)
	if env["code"] != codeRequestExpired || env["msg"] != msgRequestExpired {
		t.Errorf("stale login: %v, want %s %q", env, codeRequestExpired, msgRequestExpired)
	}
}

// Ensure the encrypted mode and the Manager API have the window too: the
// issue's two cases, an encrypted request without a timestamp header and one
// timestamped in 2020, are refused.
func TestReplayWindowEncryptedAndManager(t *testing.T) {
	h := newHarness(t, Options{})
	pub, err := signing.ParsePublicKey(DemoCompanyPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	u := DefaultUser()
	login := fmt.Sprintf(`{"type":3,"loginName":%q,"loginPwd":%q}`, u.LoginName, md5Hex(u.Password))
	post := func(path, body string, headers map[string]string) string {
		t.Helper()
		env := h.do(req{path: path, body: body, headers: headers}).envelope(t)
		code, _ := env["code"].(string)
		return code
	}
	encrypted := func(ts string) string {
		plain, _, err := signing.SignClientBody([]byte(login), ts)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := signing.EncryptClientBody(plain, pub)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(map[string]string{"data": enc})
		return string(b)
	}
	loginPath := "/api/login/" + loginBizType
	fresh := strconv.FormatInt(h.clock.Now().UnixMilli(), 10)
	if code := post(loginPath, encrypted(fresh), map[string]string{"trace": "x-fresh", "timestamp": fresh}); code != codeOK {
		t.Fatalf("fresh encrypted login: %q, want 0", code)
	}
	if code := post(loginPath, encrypted(fresh), map[string]string{"trace": "x-no-ts", "timestamp": ""}); code != codeHeaderNull {
		t.Errorf("encrypted login without a timestamp header: %q, want %s", code, codeHeaderNull)
	}
	old := strconv.FormatInt(time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 10)
	if code := post(loginPath, encrypted(old), map[string]string{"trace": "x-2020", "timestamp": old}); code != codeRequestExpired {
		t.Errorf("encrypted login timestamped in 2020: %q, want %s", code, codeRequestExpired)
	}
	auth := "/openapi-b/auth/" + managerAuthBiz
	body := fmt.Sprintf(`{"appId":%q,"appSecret":%q}`, DemoAppID, DemoAppSecret)
	if code := post(auth, body, map[string]string{"timestamp": old}); code != codeRequestExpired {
		t.Errorf("manager auth timestamped in 2020: %q, want %s", code, codeRequestExpired)
	}
	if code := post(auth, body, map[string]string{}); code != codeOK {
		t.Errorf("fresh manager auth: %q, want 0", code)
	}
}

// Ensure the gateway scenarios: replay-window-off accepts what the window
// refuses, clock-ahead refuses a fresh request on every family that has a
// window (the Open API with its own code) and leaves Auth2 alone.
func TestGatewayScenarios(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	h.setScenario(scenarioReplayWindowOff)
	for _, ts := range []string{"", "1577836800000"} {
		if env := h.do(req{path: global(findCustomerInfo), token: tok, headers: map[string]string{"timestamp": ts}}).envelope(t); env["code"] != codeOK {
			t.Errorf("%s, timestamp %q: %v, want accepted", scenarioReplayWindowOff, ts, env)
		}
	}
	h.setScenario(scenarioClockAhead)
	if env := h.do(req{path: global(findCustomerInfo), token: tok}).envelope(t); env["code"] != codeRequestExpired {
		t.Errorf("%s: a fresh request: %v, want %s", scenarioClockAhead, env, codeRequestExpired)
	}
	if env := h.do(req{path: "/openapi-c/global/" + findCustomerInfo, headers: map[string]string{"apiKey": DemoAPIKey}}).envelope(t); env["code"] != string(signing.CodeOutsideWindow) {
		t.Errorf("%s: Open API: %v, want %s", scenarioClockAhead, env, signing.CodeOutsideWindow)
	}
	if env := h.auth2Do("user", `{"accessToken":"x"}`, "", nil); env["code"] != codeLoginExpired {
		t.Errorf("%s: Auth2 has no window, want its own refusal: %v", scenarioClockAhead, env)
	}
}
