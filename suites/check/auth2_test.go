package check_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/suites/check"
)

// at lists the violations' pointers.
func at(vs []contract.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Pointer)
	}
	return out
}

// Ensure the Auth2 checks name the pointer that fails and never quote the
// credential they judge.
func TestAuth2Checks(t *testing.T) {
	cases := []struct {
		name     string
		vs       func() []string
		want     []string
		mustHide string
	}{
		{"code ok", func() []string { return at(check.Auth2Code(json.RawMessage(`"c-1"`))) }, nil, ""},
		{"code empty", func() []string { return at(check.Auth2Code(json.RawMessage(`""`))) }, []string{"/data"}, ""},
		{"code object", func() []string { return at(check.Auth2Code(json.RawMessage(`{}`))) }, []string{"/data"}, ""},
		{"tokens ok", func() []string {
			return at(check.Auth2Tokens(json.RawMessage(`{"accessToken":"a","refreshToken":"r"}`), ""))
		}, nil, ""},
		{"no refresh token", func() []string { return at(check.Auth2Tokens(json.RawMessage(`{"accessToken":"a"}`), "")) }, []string{"/data/refreshToken"}, ""},
		{"null access token", func() []string {
			return at(check.Auth2Tokens(json.RawMessage(`{"accessToken":null,"refreshToken":"r"}`), ""))
		}, []string{"/data/accessToken"}, ""},
		{"equal tokens", func() []string {
			return at(check.Auth2Tokens(json.RawMessage(`{"accessToken":"same-secret","refreshToken":"same-secret"}`), ""))
		}, []string{"/data/refreshToken"}, "same-secret"},
		{"refresh kept the token", func() []string {
			return at(check.Auth2Tokens(json.RawMessage(`{"accessToken":"old-secret","refreshToken":"r2"}`), "old-secret"))
		}, []string{"/data/accessToken"}, "old-secret"},
		{"tokens a string", func() []string { return at(check.Auth2Tokens(json.RawMessage(`"x"`), "")) }, []string{"/data"}, ""},
		{"user ok", func() []string { return at(check.Auth2User(json.RawMessage(`{"customerNo":"86021063"}`))) }, nil, ""},
		{"user without customerNo", func() []string { return at(check.Auth2User(json.RawMessage(`{"customerNo":86021063}`))) }, []string{"/data/customerNo"}, ""},
	}
	for _, tc := range cases {
		got := tc.vs()
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: pointers %v, want %v", tc.name, got, tc.want)
		}
	}
	vs := check.Auth2Tokens(json.RawMessage(`{"accessToken":"old-secret","refreshToken":"old-secret"}`), "old-secret")
	if s := check.FormatViolations(vs); strings.Contains(s, "old-secret") {
		t.Errorf("a violation quotes the token:\n%s", s)
	}
	if check.Auth2Value(json.RawMessage(`{"accessToken":"a"}`), "accessToken") != "a" || check.Auth2Value(json.RawMessage(`"c"`), "") != "c" ||
		check.Auth2Value(json.RawMessage(`{}`), "refreshToken") != "" {
		t.Error("Auth2Value")
	}
}
