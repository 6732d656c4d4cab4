package simulator

import (
	"strings"
	"testing"
)

// Ensure CheckRequests refuses a body that breaks its request schema with
// GATEWAY_CODE_015 naming the pointer and the rule (optionalList's
// tradeTypeList must hold at least one trade type), serves the catalog's own
// body, and that without it any body is served.
func TestCheckRequests(t *testing.T) {
	set := loadSchemas(t)
	const biz = "customer.app.CustomerOptionalWebApiService.optionalList"
	cat, ok := set.Operation("client", biz)
	if !ok {
		t.Fatal(biz + " is not in the catalog")
	}
	strict := newHarness(t, Options{Schemas: set, CheckRequests: true})
	tok := strict.login()
	for _, tt := range []struct {
		name, body, code, msg string
	}{
		{"empty required list", `{"tradeTypeList":[]}`, codeParamsInvalid, "/tradeTypeList minItems"},
		{"missing required list", `{}`, codeParamsInvalid, "/tradeTypeList required"},
		{"wrong item type", `{"tradeTypeList":["one"]}`, codeParamsInvalid, "/tradeTypeList/0 type"},
		{"the catalog's body", string(cat.Request), "0", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := strict.do(req{path: global(biz), token: tok, body: tt.body})
			env := rep.envelope(t)
			if env["code"] != tt.code {
				t.Fatalf("code %v, want %s: %s", env["code"], tt.code, rep.body)
			}
			if msg, _ := env["msg"].(string); !strings.Contains(msg, tt.msg) {
				t.Errorf("msg %q does not name %q", msg, tt.msg)
			}
		})
	}
	lenient := newHarness(t, Options{Schemas: set})
	rep := lenient.do(req{path: global(biz), token: lenient.login(), body: `{"tradeTypeList":[]}`})
	if env := rep.envelope(t); env["code"] != "0" {
		t.Errorf("without CheckRequests: %s", rep.body)
	}
}

// Ensure CheckRequests holds the Auth2 bodies to their request schemas too:
// /auth2/token without its code, or with appSecret as a number, is refused
// with GATEWAY_CODE_015 naming the pointer, before any grant is looked at.
func TestCheckRequestsAuth2(t *testing.T) {
	set := loadSchemas(t)
	strict := newHarness(t, Options{Schemas: set, CheckRequests: true})
	for _, tt := range []struct{ name, body, msg string }{
		{"missing code", `{"appId":"` + DemoAuth2AppID + `","appSecret":"` + DemoAuth2AppSecret + `"}`, "/code required"},
		{"secret not a string", `{"appId":"` + DemoAuth2AppID + `","appSecret":1,"code":"c"}`, "/appSecret type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := strict.auth2Do("token", tt.body, "", nil)
			if env["code"] != codeParamsInvalid {
				t.Fatalf("code %v, want %s: %v", env["code"], codeParamsInvalid, env)
			}
			if msg, _ := env["msg"].(string); !strings.Contains(msg, tt.msg) {
				t.Errorf("msg %q does not name %q", msg, tt.msg)
			}
		})
	}
	// The whole flow's valid bodies still pass.
	access, _ := strict.auth2Tokens(strict.login())
	if env := strict.auth2Do("user", `{"accessToken":"`+access+`"}`, "", nil); env["code"] != "0" {
		t.Errorf("/auth2/user with a valid body: %v", env)
	}
}
