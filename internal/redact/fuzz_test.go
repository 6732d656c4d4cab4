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

// Ensure the tolerant scanner and the detectors never panic, never make the
// text longer than the masks they insert account for, let no learned canary
// through, and are idempotent: redacting twice equals redacting once. The
// same holds for JSON on any input, and Terminal output has no control
// characters left.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@b.cd","phone":"139773104`,
		`user a@b.cd phone 13977310428 id 110101199003071233 is locked`,
		`loginName=x&password=y&lang=en`,
		`{\"firstName\":\"Ann Lee\",\"status\":1}`,
		`Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N`,
		"<td>email</td><td>x@y.zz</td> \x1b[2J \u202e",
		`card 4111 1111 1111 1111, +86 139 7731 0428, BTC/USDT 22.05 1677654224398`,
		`{"address":{"city":"P","street":["1 rue",`,
		`passport: [redacted] phone=[redacted]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := New(DefaultConfig())
		r.Learn(fuzzCanary)
		out := r.Text(in)
		if strings.Contains(strings.ToLower(out), strings.ToLower(fuzzCanary)) {
			t.Fatalf("canary survived: %q", out)
		}
		if grown := len(out) - len(in); grown > 0 && grown > (len(textMask)-1)*strings.Count(out, textMask) {
			t.Fatalf("output %d bytes longer than its %d masks need:\n in %q\nout %q", grown, strings.Count(out, textMask), in, out)
		}
		if again := r.Text(out); again != out {
			t.Fatalf("Text not idempotent:\n  once %q\n twice %q", out, again)
		}
		j := r.JSON([]byte(in))
		if again := r.JSON(j); string(again) != string(j) {
			t.Fatalf("JSON not idempotent:\n  once %q\n twice %q", j, again)
		}
		if esc := Terminal(out); needsTerminal(esc) || Terminal(esc) != esc {
			t.Fatalf("Terminal left controls or is not stable: %q", esc)
		}
	})
}
