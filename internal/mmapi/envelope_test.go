package mmapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Ensure well-formed envelopes decode with exact types, and that vendor
// quirks (null strings, msgParams null, ok absent) are tolerated.
func TestDecodeEnvelopeValid(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Envelope
		success bool
	}{
		{"success", `{"bizCode":"","code":"0","msg":"Success","tm":82650853,"trace":"x-1","msgParams":null,"data":{"a":1},"ok":true,"fail":false}`,
			Envelope{Code: "0", Msg: "Success", Tm: 82650853, Trace: "x-1", Data: json.RawMessage(`{"a":1}`), OK: true}, true},
		{"vendor error", `{"bizCode":"G","code":"GATEWAY_CODE_005","msg":"Login info is expired","tm":1,"trace":"t","msgParams":"a,b","data":"customer.app.X.y","ok":false,"fail":true}`,
			Envelope{BizCode: "G", Code: "GATEWAY_CODE_005", Msg: "Login info is expired", Tm: 1, Trace: "t", MsgParams: ptr("a,b"), Data: json.RawMessage(`"customer.app.X.y"`), Fail: true}, false},
		{"captcha error without ok", `{"msg":"Illegal request parameters","code":"F999999","bizCode":"G"}`,
			Envelope{BizCode: "G", Code: "F999999", Msg: "Illegal request parameters"}, false},
		{"ok absent, code 0", ` {"code":"0"} `, Envelope{Code: "0"}, true},
		{"nulls", `{"bizCode":null,"code":"0","msg":null,"tm":null,"trace":null,"ok":true,"fail":null}`, Envelope{Code: "0", OK: true}, true},
		{"escapes", `{"code":"0","msg":"a\"b\u00e9\n","ok":true,"data":"\ud83d\ude00"}`,
			Envelope{Code: "0", Msg: "a\"bé\n", OK: true, Data: json.RawMessage(`"\ud83d\ude00"`)}, true},
		{"unknown members kept out", `{"code":"0","ok":true,"class":"com.cats.common.core.base.vo.BaseResult","Code":5}`, Envelope{Code: "0", OK: true}, true},
		{"max int64 and numbers", `{"code":"0","ok":true,"tm":9223372036854775807,"data":[-9223372036854775808,1.5e300,0,-0.0,1E-7]}`,
			Envelope{Code: "0", OK: true, Tm: 9223372036854775807, Data: json.RawMessage(`[-9223372036854775808,1.5e300,0,-0.0,1E-7]`)}, true},
		{"wide object", `{"code":"0","ok":true,"data":{` + wideObject(500, false) + `}}`, Envelope{Code: "0", OK: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := DecodeEnvelope([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeEnvelope: %v", err)
			}
			if tt.want.Data == nil {
				env.Data = nil
			}
			tt.want.hasOK = strings.Contains(tt.body, `"ok"`)
			got, want := *env, tt.want
			if deref(got.MsgParams) != deref(want.MsgParams) || (got.MsgParams == nil) != (want.MsgParams == nil) {
				t.Errorf("msgParams = %v, want %v", got.MsgParams, want.MsgParams)
			}
			got.MsgParams, want.MsgParams = nil, nil
			if fmt.Sprint(got) != fmt.Sprint(want) || !bytes.Equal(env.Data, tt.want.Data) {
				t.Errorf("got  %+v\nwant %+v", *env, tt.want)
			}
			if env.Success() != tt.success {
				t.Errorf("Success() = %v", env.Success())
			}
		})
	}
}

func ptr(s string) *string { return &s }

func wideObject(n int, dupLast bool) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	if dupLast {
		b.WriteString(`,"k7":1`)
	}
	return b.String()
}

// Ensure every malformed body is a ContractError with the documented
// one-line reason.
func TestDecodeEnvelopeBroken(t *testing.T) {
	tests := []struct{ name, body, reason string }{
		{"empty", "", "empty body"},
		{"whitespace", " \n\t", "empty body"},
		{"html", "<html></html>", `not JSON: body starts with '<'`},
		{"bom", "\ufeff{}", `not JSON: body starts with 'ï'`},
		{"array", `[1,2]`, "not an envelope: top level is a JSON array, not an object"},
		{"string", `"ok"`, "not an envelope: top level is a JSON string, not an object"},
		{"no code or ok", `{"data":{}}`, `not an envelope: none of "code", "ok" or "ret" is present`},
		{"code number", `{"code":0}`, `envelope field "code": is a number, want string`},
		{"ret string", `{"ret":"200","msg":"ok","trace":"t"}`, `envelope field "ret": is a string, want integer`},
		{"ok string", `{"code":"0","ok":"true"}`, `envelope field "ok": is a string, want boolean`},
		{"tm float", `{"code":"0","tm":1.5}`, `envelope field "tm": 1.5 is not an int64 integer`},
		{"tm string", `{"code":"0","tm":"1"}`, `envelope field "tm": is a string, want integer`},
		{"msgParams array", `{"code":"0","msgParams":[]}`, `envelope field "msgParams": is a array, want string`},
		{"trailing comma", `{"code":"0",}`, `invalid JSON at offset 12: unexpected '}' where an object key was expected`},
		{"trailing data", `{"code":"0"} x`, `invalid JSON at offset 13: data after the top-level value`},
		{"two values", `{"code":"0"}{"code":"0"}`, `invalid JSON at offset 12: data after the top-level value`},
		{"missing colon", `{"code" "0"}`, `invalid JSON at offset 8: unexpected '"' where ':' was expected`},
		{"control char", "{\"code\":\"a\tb\"}", `invalid JSON at offset 10: unexpected '\t' (control character) in a string`},
		{"bad escape", `{"code":"\x"}`, `invalid JSON at offset 10: unexpected 'x' in a string escape`},
		{"bad unicode escape", `{"code":"\u12G4"}`, `invalid JSON at offset 11: unexpected '1' in a \u escape`},
		{"leading zero", `{"code":"0","tm":01}`, `invalid JSON at offset 18: unexpected '1' after a value`},
		{"bare minus", `{"code":"0","tm":-}`, `invalid JSON at offset 18: unexpected '}' in a number`},
		{"bad literal", `{"code":"0","ok":tru}`, `invalid JSON at offset 20: unexpected '}' in a literal`},
		{"mismatched close", `{"code":"0"]`, `invalid JSON at offset 11: unexpected ']' after a value`},
		{"truncated", `{"code":"0","data":[1,`, `invalid JSON: unexpected end of input at offset 22 (truncated body?)`},
		{"unterminated string", `{"code":"0`, `invalid JSON: unexpected end of input at offset 10 (truncated body?)`},
		{"invalid utf8", "{\"code\":\"\xc3\x28\"}", "invalid UTF-8 at offset 9"},
		{"dup top", `{"code":"0","code":"1"}`, `duplicate key "code" at top level`},
		{"dup escaped", `{"code":"0","data":{"a":1,"\u0061":2}}`, `duplicate key "a" at /data`},
		{"dup deep", `{"code":"0","data":{"list":[{"x":1},{"y":1,"y":2}]}}`, `duplicate key "y" at /data/list/1`},
		{"dup wide", `{"code":"0","data":{` + wideObject(300, true) + `}}`, `duplicate key "k7" at /data`},
		{"int beyond int64", `{"code":"0","data":[1,-9223372036854775809]}`, `integer -9223372036854775809 beyond int64 at /data/1`},
		{"long int", `{"code":"0","data":{"a/b~":` + strings.Repeat("9", 400) + `}}`, `integer 99999999999999999999999999999999… beyond int64 at /data/a~1b~0`},
		{"float beyond float64", `{"code":"0","data":1e400}`, `number 1e400 beyond float64 at /data`},
		{"deep", `{"code":"0","data":` + strings.Repeat(`{"a":`, 200), `JSON nesting exceeds 128 levels at offset 654`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := DecodeEnvelope([]byte(tt.body))
			var ce *ContractError
			if !errors.As(err, &ce) {
				t.Fatalf("DecodeEnvelope = %+v, %v; want a ContractError", env, err)
			}
			if ce.Reason != tt.reason {
				t.Errorf("reason = %q\nwant     %q", ce.Reason, tt.reason)
			}
		})
	}
}

// Ensure absurd depth and width neither panic nor take super-linear time,
// and that encoding/json's own depth limit is where we believe it is (we do
// not rely on it: MaxDepth is far lower).
func TestDecodeEnvelopeHostileSizes(t *testing.T) {
	for _, depth := range []int{10_000, 1_000_000} {
		body := []byte(`{"code":"0","data":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "}")
		if _, err := DecodeEnvelope(body); err == nil {
			t.Errorf("depth %d accepted", depth)
		}
	}
	nest := func(n int) []byte { return []byte(strings.Repeat("[", n) + strings.Repeat("]", n)) }
	var v any
	if err := json.Unmarshal(nest(10_000), &v); err != nil {
		t.Errorf("encoding/json rejects depth 10000: %v", err)
	}
	if err := json.Unmarshal(nest(10_001), &v); err == nil {
		t.Error("encoding/json accepts depth 10001; its limit moved")
	}
	// 200,000 keys in one object: linear thanks to the hash index.
	big := []byte(`{"code":"0","data":{` + wideObject(200_000, true) + `}}`)
	if _, err := DecodeEnvelope(big); err == nil || !strings.Contains(err.Error(), `duplicate key "k7"`) {
		t.Errorf("200k-key object: %v", err)
	}
}

// Ensure that whatever DecodeEnvelope accepts, encoding/json accepts too
// and reads the same envelope values.
func TestDecodeEnvelopeAgreesWithEncodingJSON(t *testing.T) {
	for _, body := range [][]byte{realisticFindCustomerInfo(), envelope("GATEWAY_CODE_001", nil), []byte(`{"code":"0","msg":"\u003chi\u003e"}`)} {
		assertAgrees(t, body)
	}
}

func assertAgrees(t *testing.T, body []byte) {
	t.Helper()
	env, err := DecodeEnvelope(body)
	if err != nil {
		return
	}
	if !json.Valid(body) {
		t.Fatalf("accepted invalid JSON %q", body)
	}
	// A map decodes member names exactly (struct fields would match
	// case-insensitively), which is the rule DecodeEnvelope follows.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("encoding/json rejects an accepted envelope: %v\n%q", err, body)
	}
	str := func(k string) string {
		var s *string
		if raw, ok := m[k]; ok {
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
		return deref(s)
	}
	if str("code") != env.Code || str("msg") != env.Msg || str("bizCode") != env.BizCode || str("trace") != env.Trace {
		t.Errorf("strings disagree on %q: %+v", body, env)
	}
	var tm int64
	var ok, fail bool
	_ = json.Unmarshal(m["tm"], &tm)
	_ = json.Unmarshal(m["ok"], &ok)
	_ = json.Unmarshal(m["fail"], &fail)
	if tm != env.Tm || ok != env.OK || fail != env.Fail {
		t.Errorf("scalars disagree on %q: %+v", body, env)
	}
	var mp *string
	_ = json.Unmarshal(m["msgParams"], &mp)
	if (mp == nil) != (env.MsgParams == nil) || deref(mp) != deref(env.MsgParams) {
		t.Errorf("msgParams disagree on %q", body)
	}
	if raw, ok := m["data"]; ok != (env.Data != nil) || !bytes.Equal(raw, env.Data) {
		t.Errorf("data disagrees: %s vs %s", env.Data, raw)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// realisticFindCustomerInfo is a findCustomerInfo response shaped like the
// vendor's own example: 53 data fields, nulls for unset values, money as
// strings and accountList as an array of accounts. Values are synthetic.
func realisticFindCustomerInfo() []byte {
	account := func(id int) map[string]any {
		return map[string]any{
			"accountId": 1034120 + id, "tradeType": 1, "currency": "USDT", "digits": 2,
			"balance": "47.319290", "available": "40.00", "equity": "47.31", "netAssets": "47.31", "frozen": "0",
			"lockAmount": "0", "lockMargin": "0", "margin": "7.31", "freeMargin": "40.00", "liabilities": "0",
			"liabilitiesPrincipal": "0", "interest": "0", "interestProportion": nil, "collateralFrozen": "0",
			"profit": "1.25", "withdrawAmount": "40.00", "notWithdrawAmount": "0", "status": 1, "activateStatus": 1,
			"activateTime": 1698299972000, "openAccountStatus": 1, "firstDepositTime": 1698299972000,
			"firstWithdrawTime": nil, "createTime": 1698299972000, "customerId": 86000001, "customerNo": "86000001",
			"companyId": 439, "assetsId": 3, "type": 0, "remark": nil, "wholeWarehouseBalance": "0",
			"wholeWarehouseRate": nil, "marginRadio": "0.15", "availableLoan": "0",
		}
	}
	data := map[string]any{
		"id": 86000001, "companyId": 439, "customerNo": "86000001", "customerGroupId": 12, "email": "canary@example.com",
		"emailArea": nil, "phone": "13400000000", "phoneArea": "+86", "name": "Canary Person", "firstName": "Canary",
		"lastName": "Person", "idCard": "X0000000", "idCardType": "1", "country": "HK", "postalCode": "999077",
		"address": nil, "lang": "en-US", "kycAuditStatus": 2, "kycStatus": 4, "type": 0, "deposit": 1, "withdraw": 1,
		"optional": 1, "activateStatus": 1, "activateTime": 1698299972000, "companyKycStatus": 1, "status": 1,
		"isFund": 0, "openAccountType": 0, "registerSource": 1, "registerTime": 1698299972000, "googleId": 0,
		"loginTime": 1698299972000, "createTime": 1698299972000, "relationCustomerId": nil, "associationCompanyId": nil,
		"apiCheckSwitch": false, "apiCheckRule": nil, "loginPassStatus": "2", "assertPassStatus": "2",
		"payPassStatus": "2", "nickName": nil, "avatar": nil, "birthday": nil, "utm": nil, "agentCustomerNo": nil,
		"thirdLoginSource": nil, "tgUserId": nil, "remark": nil, "accountList": []any{account(1), account(2)},
		"forceLevel": map[string]any{}, "earlyWarningLevel": map[string]any{}, "withdrawLevel": map[string]any{},
	}
	return envelope("0", data)
}

// Ensure the quote envelope {ret, msg, trace, data} decodes, with ret 200
// the success and any other ret a failure whose Code names it, while a
// standard envelope that happens to carry "ret" is judged by its code.
func TestDecodeQuoteEnvelope(t *testing.T) {
	for _, tt := range []struct {
		body    string
		success bool
		code    string
	}{
		{`{"ret":200,"msg":"ok","trace":"t1","data":{"tick_list":[]}}`, true, "200"},
		{`{"ret":401,"msg":"token invalid","trace":"t1","data":null}`, false, "401"},
		{`{"code":"0","ok":true,"ret":500}`, true, "0"},
	} {
		env, err := DecodeEnvelope([]byte(tt.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.body, err)
		}
		if env.Success() != tt.success || env.Code != tt.code {
			t.Errorf("%s: success %t code %q, want %t %q", tt.body, env.Success(), env.Code, tt.success, tt.code)
		}
	}
}
