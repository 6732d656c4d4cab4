package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// fuzzCanary is learned before every fuzz input; it must never survive.
const fuzzCanary = "fz-CANARY-5d1e"

// Ensure JSON never panics, keeps valid JSON valid, lets no learned canary
// through in any spelling, and is idempotent on its own output.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@b.cd","phone":13812345678,"name":"","amt":12.50}`,
		`{"msg":"token fz-CANARY-5d1e expired","data":{"token":"fz-CANARY-5d1e"}}`,
		`{"data":{"address":{"city":"Paris","street":["1 rue","x"]},"accountList":[{"bankCardNo":6222021234567890123}]}}`,
		`{"esc":"fz-\u0043ANARY-5d1e","k\u0065y":"v","FZ-CANARY-5D1E":1}`,
		`[1,-0.0,1e-7,"\ud800",true,null,{}]`,
		`<html>403 fz-CANARY-5d1e</html>`,
		`{"token":"unterminated`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := New(DefaultConfig())
		r.Learn(fuzzCanary)
		out := r.JSON(body)
		if json.Valid(body) && !json.Valid(out) {
			t.Fatalf("valid input gave invalid output:\n in %q\nout %q", body, out)
		}
		if strings.Contains(strings.ToLower(string(out)), strings.ToLower(fuzzCanary)) {
			t.Fatalf("canary survived: %q", out)
		}
		if !json.Valid(out) {
			return
		}
		var v any
		if err := json.Unmarshal(out, &v); err == nil && containsCanary(v) {
			t.Fatalf("canary survived once decoded: %q", out)
		}
		if again := r.JSON(out); string(again) != string(out) {
			t.Fatalf("not idempotent:\n  once %q\n twice %q", out, again)
		}
	})
}

func containsCanary(v any) bool {
	low := strings.ToLower(fuzzCanary)
	switch v := v.(type) {
	case string:
		return strings.Contains(strings.ToLower(v), low)
	case []any:
		for _, e := range v {
			if containsCanary(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.Contains(strings.ToLower(k), low) || containsCanary(e) {
				return true
			}
		}
	}
	return false
}
