package suites

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// Invariants checks the envelope rules that a JSON Schema cannot express: the
// trace is echoed, ok == !fail, code "0" exactly when ok, and tm is an integer.
// It works on the raw body so that it still reports when the typed decode fails.
func Invariants(body []byte, sentTrace string) []contract.Violation {
	var env map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil || env == nil {
		return []contract.Violation{{Pointer: "", Keyword: "envelope", Expected: "a JSON object envelope",
			Seen: "not a JSON object", Message: "the body is not a JSON object, so no envelope invariant can hold"}}
	}
	var out []contract.Violation
	var trace string
	if raw, ok := env["trace"]; !ok || json.Unmarshal(raw, &trace) != nil || trace != sentTrace {
		seen := "absent"
		if ok {
			seen = "a different trace"
			if json.Unmarshal(raw, &trace) != nil {
				seen = "not a string"
			}
		}
		out = append(out, contract.Violation{Pointer: "/trace", Keyword: "trace_echo", Expected: "the request's trace",
			Seen: seen, Message: "the response trace must echo the request's trace header"})
	}
	okv, okErr := boolField(env, "ok")
	failv, failErr := boolField(env, "fail")
	if okErr != nil || failErr != nil {
		for _, e := range []error{okErr, failErr} {
			if e != nil {
				out = append(out, e.(violationError).v)
			}
		}
	} else if okv == failv {
		out = append(out, contract.Violation{Pointer: "/fail", Keyword: "ok_fail", Expected: "fail == !ok",
			Seen: fmt.Sprintf("ok=%t fail=%t", okv, failv), Message: "ok and fail must disagree"})
	}
	var code string
	raw, hasCode := env["code"]
	switch {
	case !hasCode:
		out = append(out, contract.Violation{Pointer: "/code", Keyword: "code_ok", Expected: "a string code", Seen: "absent",
			Message: "the envelope has no code"})
	case json.Unmarshal(raw, &code) != nil:
		out = append(out, contract.Violation{Pointer: "/code", Keyword: "code_ok", Expected: "string", Seen: jsonKind(raw),
			Message: "code must be a string; \"0\" means success"})
	case okErr == nil && (code == "0") != okv:
		out = append(out, contract.Violation{Pointer: "/code", Keyword: "code_ok", Expected: "code \"0\" exactly when ok",
			Seen: fmt.Sprintf("code=%q ok=%t", code, okv), Message: "code \"0\" must mean success and only success"})
	}
	if raw, ok := env["tm"]; !ok {
		out = append(out, contract.Violation{Pointer: "/tm", Keyword: "tm_integer", Expected: "integer", Seen: "absent",
			Message: "tm (processing time, ms) must be present"})
	} else if n, isNum := numberOf(raw); !isNum || !isInteger(n) {
		out = append(out, contract.Violation{Pointer: "/tm", Keyword: "tm_integer", Expected: "integer", Seen: jsonKind(raw),
			Message: "tm (processing time, ms) must be an integer"})
	}
	return out
}

type violationError struct{ v contract.Violation }

func (e violationError) Error() string { return e.v.Message }

func boolField(env map[string]json.RawMessage, name string) (bool, error) {
	raw, ok := env[name]
	if !ok {
		return false, violationError{contract.Violation{Pointer: "/" + name, Keyword: "ok_fail", Expected: "boolean",
			Seen: "absent", Message: name + " must be present"}}
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, violationError{contract.Violation{Pointer: "/" + name, Keyword: "ok_fail", Expected: "boolean",
			Seen: jsonKind(raw), Message: name + " must be a boolean"}}
	}
	return b, nil
}

func numberOf(raw json.RawMessage) (json.Number, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "", false
	}
	n, ok := v.(json.Number)
	return n, ok
}

func isInteger(n json.Number) bool {
	return !bytes.ContainsAny([]byte(n), ".eE")
}

// jsonKind names the JSON type of raw for "seen" texts without echoing values.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "absent"
	}
	switch t[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	if n, ok := numberOf(raw); ok {
		if isInteger(n) {
			return "integer"
		}
		return "number"
	}
	return "invalid JSON"
}
