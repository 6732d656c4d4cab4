package check

import (
	"encoding/json"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// The Auth2 checks hold whatever data schema the catalog has for the Auth2
// operations (the vendor's spec declares each data as an empty object) to
// what the flow itself needs: a code to exchange, two tokens to use, a
// customer to bind. Their violations never quote a value, because every
// value they judge is a credential: Seen names only its JSON type.

// Auth2Code checks /auth2/code's data: the authorization code, a non-empty
// string (the vendor's example is a bare UUID).
func Auth2Code(data json.RawMessage) []contract.Violation {
	if _, v := nonEmptyString(data, "/data", "auth2_code", "the authorization code"); v != nil {
		return []contract.Violation{*v}
	}
	return nil
}

// Auth2Tokens checks the token pair of /auth2/token and /auth2/refresh:
// accessToken and refreshToken are non-empty strings and differ. replaced,
// when not "", is the access token a refresh was meant to replace: the new
// one must differ from it.
func Auth2Tokens(data json.RawMessage, replaced string) []contract.Violation {
	var pair struct {
		AccessToken  json.RawMessage `json:"accessToken"`
		RefreshToken json.RawMessage `json:"refreshToken"`
	}
	if err := json.Unmarshal(data, &pair); err != nil {
		return []contract.Violation{{Pointer: "/data", Keyword: "auth2_tokens", Expected: "an object with accessToken and refreshToken",
			Seen: jsonType(data), Message: "Auth2 answered no token pair"}}
	}
	var vs []contract.Violation
	access, av := nonEmptyString(pair.AccessToken, "/data/accessToken", "auth2_token", "the access token")
	refresh, rv := nonEmptyString(pair.RefreshToken, "/data/refreshToken", "auth2_token", "the refresh token")
	for _, v := range []*contract.Violation{av, rv} {
		if v != nil {
			vs = append(vs, *v)
		}
	}
	if access != "" && access == refresh {
		vs = append(vs, contract.Violation{Pointer: "/data/refreshToken", Keyword: "auth2_token", Expected: "a token other than the access token",
			Seen: "the access token", Message: "the refresh token equals the access token, so either one discloses both"})
	}
	if access != "" && access == replaced {
		vs = append(vs, contract.Violation{Pointer: "/data/accessToken", Keyword: "auth2_refresh", Expected: "a new access token",
			Seen: "the access token it was meant to replace", Message: "/auth2/refresh did not issue a new access token"})
	}
	return vs
}

// Auth2User checks /auth2/user's data: the customer the access token
// stands for, named by a non-empty customerNo string, which is what a
// third-party system binds its account to.
func Auth2User(data json.RawMessage) []contract.Violation {
	var user struct {
		CustomerNo json.RawMessage `json:"customerNo"`
	}
	if err := json.Unmarshal(data, &user); err != nil {
		return []contract.Violation{{Pointer: "/data", Keyword: "auth2_user", Expected: "an object with customerNo",
			Seen: jsonType(data), Message: "Auth2 answered no user"}}
	}
	if _, v := nonEmptyString(user.CustomerNo, "/data/customerNo", "auth2_user", "the customer number"); v != nil {
		return []contract.Violation{*v}
	}
	return nil
}

// Auth2Value is the string an Auth2 check accepted at the top of data (the
// code) or under key (accessToken, refreshToken), for the flow's next step;
// "" when there is none.
func Auth2Value(data json.RawMessage, key string) string {
	if key != "" {
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return ""
		}
		data = m[key]
	}
	var s string
	_ = json.Unmarshal(data, &s)
	return s
}

// nonEmptyString returns the non-empty string at raw, or the violation
// saying what was there instead.
func nonEmptyString(raw json.RawMessage, pointer, keyword, what string) (string, *contract.Violation) {
	var s string
	if len(raw) > 0 && json.Unmarshal(raw, &s) == nil && s != "" {
		return s, nil
	}
	seen := jsonType(raw)
	if seen == "string" {
		seen = "an empty string"
	}
	return "", &contract.Violation{Pointer: pointer, Keyword: keyword, Expected: "a non-empty string",
		Seen: seen, Message: "Auth2 answered without " + what}
}

// jsonType names the JSON type of raw ("absent" for none).
func jsonType(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 {
		return "absent"
	}
	if json.Unmarshal(raw, &v) != nil {
		return "invalid JSON"
	}
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "array"
	}
	return "object"
}
