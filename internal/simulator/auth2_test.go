package simulator

import (
	"fmt"
	"testing"
	"time"
)

// auth2Do posts body to an Auth2 step with the company header (and without
// companyId, which the Auth2 API does not read).
func (h *harness) auth2Do(step, body, token string, headers map[string]string) map[string]any {
	h.t.Helper()
	hdr := map[string]string{"companyId": "", "company": DefaultCompanyID}
	for k, v := range headers {
		hdr[k] = v
	}
	return h.do(req{path: "/cats-gateway-auth2/auth2/" + step, body: body, token: token, headers: hdr}).envelope(h.t)
}

// auth2Tokens runs code and token for the customer of tok and returns the
// token pair.
func (h *harness) auth2Tokens(tok string) (access, refresh string) {
	h.t.Helper()
	code := h.auth2Do("code", `{"appId":"`+DemoAuth2AppID+`","thirdAppType":"HG"}`, tok, nil)
	c, ok := code["data"].(string)
	if code["code"] != "0" || !ok || c == "" {
		h.t.Fatalf("/auth2/code: %v", code)
	}
	env := h.auth2Do("token", fmt.Sprintf(`{"appId":%q,"appSecret":%q,"code":%q}`, DemoAuth2AppID, DemoAuth2AppSecret, c), "", nil)
	data, _ := env["data"].(map[string]any)
	access, _ = data["accessToken"].(string)
	refresh, _ = data["refreshToken"].(string)
	if env["code"] != "0" || access == "" || refresh == "" || access == refresh {
		h.t.Fatalf("/auth2/token: %v", env)
	}
	return access, refresh
}

// setScenario switches the harness's simulator to name until the test ends.
func (h *harness) setScenario(name string) {
	h.t.Helper()
	if err := h.sim.SetScenario(name); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = h.sim.SetScenario("nominal") })
}

func wantCode(t *testing.T, what string, env map[string]any, code string) {
	t.Helper()
	if env["code"] != code || env["ok"] != false || env["fail"] != true {
		t.Errorf("%s: code %v ok %v fail %v, want %s refused (%v)", what, env["code"], env["ok"], env["fail"], code, env)
	}
}

// Ensure the Auth2 flow: code (with the customer's token) → token → user →
// refresh, the user being the customer who granted the code, at both mounts.
func TestAuth2Flow(t *testing.T) {
	h := newHarness(t, Options{})
	access, refresh := h.auth2Tokens(h.login())

	user := h.auth2Do("user", `{"accessToken":"`+access+`"}`, "", nil)
	data, _ := user["data"].(map[string]any)
	if user["code"] != "0" || data["customerNo"] != DefaultUser().CustomerNo {
		t.Fatalf("/auth2/user: %v", user)
	}
	for _, k := range []string{"thirdUserId", "accountId", "thirdLoginSource", "customerNo", "email"} {
		if _, ok := data[k]; !ok {
			t.Errorf("/auth2/user data lacks %s, which the vendor's example has", k)
		}
	}
	// The plain mount answers too.
	rep := h.do(req{path: "/auth2/user", body: `{"accessToken":"` + access + `"}`, headers: map[string]string{"company": DefaultCompanyID}})
	if env := rep.envelope(t); env["code"] != "0" {
		t.Errorf("/auth2/user at the plain mount: %v", env)
	}

	next := h.auth2Do("refresh", `{"refreshToken":"`+refresh+`"}`, "", nil)
	nd, _ := next["data"].(map[string]any)
	newAccess, _ := nd["accessToken"].(string)
	newRefresh, _ := nd["refreshToken"].(string)
	if next["code"] != "0" || newAccess == "" || newAccess == access || newRefresh == "" || newRefresh == refresh {
		t.Fatalf("/auth2/refresh: %v", next)
	}
	if env := h.auth2Do("user", `{"accessToken":"`+newAccess+`"}`, "", nil); env["code"] != "0" {
		t.Errorf("the refreshed access token is refused: %v", env)
	}
	// The refresh retired the old pair.
	wantCode(t, "old access token after refresh", h.auth2Do("user", `{"accessToken":"`+access+`"}`, "", nil), codeLoginExpired)
	wantCode(t, "old refresh token reused", h.auth2Do("refresh", `{"refreshToken":"`+refresh+`"}`, "", nil), codeLoginExpired)
}

// Ensure each refusal has its own code: a code never granted, spent or
// expired (GATEWAY_CODE_015), an unknown app or wrong secret
// (GATEWAY_CODE_019), an expired access token (GATEWAY_CODE_005), no
// customer token on /auth2/code (GATEWAY_CODE_001), and the Client API's
// companyId in place of company (GATEWAY_CODE_003).
func TestAuth2Refusals(t *testing.T) {
	h := newHarness(t, Options{Auth2TokenTTL: time.Hour})
	tok := h.login()
	grant := func() string {
		env := h.auth2Do("code", `{"appId":"`+DemoAuth2AppID+`","thirdAppType":"HG"}`, tok, nil)
		return env["data"].(string)
	}
	exchange := func(secret, code string) map[string]any {
		return h.auth2Do("token", fmt.Sprintf(`{"appId":%q,"appSecret":%q,"code":%q}`, DemoAuth2AppID, secret, code), "", nil)
	}

	wantCode(t, "code never granted", exchange(DemoAuth2AppSecret, "00000000-0000-4000-8000-000000000000"), codeParamsInvalid)
	wantCode(t, "wrong secret", exchange("wrong", grant()), codeNoAccess)
	code := grant()
	if env := exchange(DemoAuth2AppSecret, code); env["code"] != "0" {
		t.Fatalf("first exchange: %v", env)
	}
	wantCode(t, "code spent", exchange(DemoAuth2AppSecret, code), codeParamsInvalid)
	code = grant()
	h.clock.Advance(Auth2CodeTTL + time.Second)
	tok = h.login() // the customer's session lives on; the code does not
	wantCode(t, "code expired", exchange(DemoAuth2AppSecret, code), codeParamsInvalid)
	wantCode(t, "unknown app", h.auth2Do("code", `{"appId":"no-such-app","thirdAppType":"HG"}`, tok, nil), codeNoAccess)
	wantCode(t, "code without a customer token", h.auth2Do("code", `{"appId":"`+DemoAuth2AppID+`","thirdAppType":"HG"}`, "", nil), codeTokenNull)
	wantCode(t, "companyId instead of company", h.auth2Do("code", `{"appId":"`+DemoAuth2AppID+`","thirdAppType":"HG"}`, tok,
		map[string]string{"company": "", "companyId": DefaultCompanyID}), codeCompanyNull)

	access, refresh := h.auth2Tokens(tok)
	h.clock.Advance(time.Hour + time.Second)
	wantCode(t, "expired access token", h.auth2Do("user", `{"accessToken":"`+access+`"}`, "", nil), codeLoginExpired)
	// The refresh token outlives the access token: that is what it is for.
	if env := h.auth2Do("refresh", `{"refreshToken":"`+refresh+`"}`, "", nil); env["code"] != "0" {
		t.Errorf("refresh after the access token expired: %v", env)
	}
	wantCode(t, "unknown step", h.auth2Do("revoke", `{}`, "", nil), codeNoInterface)
	// The Auth2 API speaks plain JSON only.
	wantCode(t, "an encrypted request", h.auth2Do("user", `{"data":"c2VjcmV0"}`, "", map[string]string{"trace": "x-enc-1"}), codeParamsInvalid)
}

// Ensure the Auth2 scenarios do what they say, and only to Auth2.
func TestAuth2Scenarios(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	set := h.setScenario

	set(scenarioAuth2AcceptsBadSecret)
	code := h.auth2Do("code", `{"appId":"`+DemoAuth2AppID+`","thirdAppType":"HG"}`, tok, nil)["data"].(string)
	if env := h.auth2Do("token", fmt.Sprintf(`{"appId":%q,"appSecret":"wrong","code":%q}`, DemoAuth2AppID, code), "", nil); env["code"] != "0" {
		t.Errorf("%s: wrong secret refused: %v", scenarioAuth2AcceptsBadSecret, env)
	}
	set(scenarioAuth2AcceptsBadCode)
	if env := h.auth2Do("token", fmt.Sprintf(`{"appId":%q,"appSecret":%q,"code":"nope"}`, DemoAuth2AppID, DemoAuth2AppSecret), "", nil); env["code"] != "0" {
		t.Errorf("%s: code refused: %v", scenarioAuth2AcceptsBadCode, env)
	}
	set(scenarioAuth2AcceptsUnknownToken)
	if env := h.auth2Do("user", `{"accessToken":"nope"}`, "", nil); env["code"] != "0" {
		t.Errorf("%s: token refused: %v", scenarioAuth2AcceptsUnknownToken, env)
	}
	set(scenarioAuth2NoRefreshToken)
	code = h.auth2Do("code", `{"appId":"`+DemoAuth2AppID+`","thirdAppType":"HG"}`, tok, nil)["data"].(string)
	env := h.auth2Do("token", fmt.Sprintf(`{"appId":%q,"appSecret":%q,"code":%q}`, DemoAuth2AppID, DemoAuth2AppSecret, code), "", nil)
	if data := env["data"].(map[string]any); data["accessToken"] == nil || data["refreshToken"] != nil {
		t.Errorf("%s: %v", scenarioAuth2NoRefreshToken, env)
	}
	set(scenarioAuth2RefreshSameToken)
	access, refresh := h.auth2Tokens(tok)
	env = h.auth2Do("refresh", `{"refreshToken":"`+refresh+`"}`, "", nil)
	if data := env["data"].(map[string]any); data["accessToken"] != access {
		t.Errorf("%s: %v", scenarioAuth2RefreshSameToken, env)
	}
	// The Client API is untouched by an Auth2 scenario.
	if env := h.do(req{path: global(findCustomerInfo), token: tok}).envelope(t); env["code"] != "0" {
		t.Errorf("findCustomerInfo under %s: %v", scenarioAuth2RefreshSameToken, env)
	}
}
