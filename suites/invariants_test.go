package suites

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/schemas"
)

// invariantBodies are envelopes that break each invariant in each way, and
// bodies that are no envelope at all.
var invariantBodies = []string{
	`{"bizCode":"","code":"0","msg":"ok","tm":3,"trace":"t-1","msgParams":null,"data":{"a":[1,{"b":2}]},"ok":true,"fail":false}`,
	`{"code":"0","tm":3,"trace":"t-1","ok":true,"fail":true}`,
	`{"code":"1","tm":3,"trace":"t-1","ok":true,"fail":false}`,
	`{"code":0,"tm":3,"trace":"t-1","ok":true,"fail":false}`,
	`{"code":"0","tm":"3","trace":"t-1","ok":"true","fail":0}`,
	`{"code":"0","tm":3.5,"trace":"other","ok":true,"fail":false}`,
	`{"code":"0","tm":3e2,"trace":7,"ok":true,"fail":false}`,
	`{"code":null,"tm":null,"trace":null,"ok":null,"fail":null}`,
	`{"code":"0","tm":3,"trace":"t-1","ok":true}`,
	`{"trace":"t-1"}`,
	`{}`,
	`{"code":"0","code":"1","tm":3,"trace":"t-1","trace":"t-2","ok":true,"fail":false}`,
	`{"c\u006fde":"0","tm":3,"tr\u0061ce":"t-1","ok":true,"fail":false}`,
	`{"code":"0","tm":3,"trace":"t-\u0031","ok":true,"fail":false,"data":[[[{}]]]}`,
	`{"Code":"0","TM":3,"Trace":"t-1","OK":true,"Fail":false}`,
	`{"code":{"x":1},"tm":[1],"trace":["t-1"],"ok":{},"fail":[]}`,
	`{"code":"0","tm":3,"trace":"t-1","ok":true,"fail":false} trailing`,
	`  {"code":"0","tm":-0,"trace":"t-1","ok":false,"fail":true}  `,
	`[]`, `null`, `"text"`, `12`, ``, `<html>403</html>`, `{"code":"0",`, `{"code":"0" "tm":1}`,
	"{\"code\":\"\xff\",\"trace\":\"t-1\xfe\",\"tm\":1,\"ok\":true,\"fail\":false}",
}

// Ensure Invariants, which scans only the envelope's top-level members with
// internal/jsontok, finds exactly what the encoding/json version it
// replaced found, on every body above and for two sent traces.
func TestInvariantsMatchReference(t *testing.T) {
	for _, body := range invariantBodies {
		for _, trace := range []string{"t-1", ""} {
			got, want := Invariants([]byte(body), trace), referenceInvariants([]byte(body), trace)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Invariants(%q, %q):\n got %+v\nwant %+v", body, trace, got, want)
			}
		}
	}
}

// FuzzInvariants holds Invariants to the encoding/json reference on any body.
func FuzzInvariants(f *testing.F) {
	for _, b := range invariantBodies {
		f.Add([]byte(b), "t-1")
	}
	f.Fuzz(func(t *testing.T, body []byte, trace string) {
		got, want := Invariants(body, trace), referenceInvariants(body, trace)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Invariants(%q, %q):\n got %+v\nwant %+v", body, trace, got, want)
		}
	})
}

// referenceInvariants is the encoding/json implementation Invariants
// replaced, kept as the reference it is tested against.
func referenceInvariants(body []byte, sentTrace string) []contract.Violation {
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
	okv, okErr := refBoolField(env, "ok")
	failv, failErr := refBoolField(env, "fail")
	if okErr != nil || failErr != nil {
		for _, e := range []error{okErr, failErr} {
			if e != nil {
				out = append(out, e.(refViolationError).v)
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
		out = append(out, contract.Violation{Pointer: "/code", Keyword: "code_ok", Expected: "string", Seen: refJSONKind(raw),
			Message: "code must be a string; \"0\" means success"})
	case okErr == nil && (code == "0") != okv:
		out = append(out, contract.Violation{Pointer: "/code", Keyword: "code_ok", Expected: "code \"0\" exactly when ok",
			Seen: fmt.Sprintf("code=%q ok=%t", code, okv), Message: "code \"0\" must mean success and only success"})
	}
	if raw, ok := env["tm"]; !ok {
		out = append(out, contract.Violation{Pointer: "/tm", Keyword: "tm_integer", Expected: "integer", Seen: "absent",
			Message: "tm (processing time, ms) must be present"})
	} else if n, isNum := refNumberOf(raw); !isNum || !refIsInteger(n) {
		out = append(out, contract.Violation{Pointer: "/tm", Keyword: "tm_integer", Expected: "integer", Seen: refJSONKind(raw),
			Message: "tm (processing time, ms) must be an integer"})
	}
	return out
}

type refViolationError struct{ v contract.Violation }

func (e refViolationError) Error() string { return e.v.Message }

func refBoolField(env map[string]json.RawMessage, name string) (bool, error) {
	raw, ok := env[name]
	if !ok {
		return false, refViolationError{contract.Violation{Pointer: "/" + name, Keyword: "ok_fail", Expected: "boolean",
			Seen: "absent", Message: name + " must be present"}}
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, refViolationError{contract.Violation{Pointer: "/" + name, Keyword: "ok_fail", Expected: "boolean",
			Seen: refJSONKind(raw), Message: name + " must be a boolean"}}
	}
	return b, nil
}

func refNumberOf(raw json.RawMessage) (json.Number, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "", false
	}
	n, ok := v.(json.Number)
	return n, ok
}

func refIsInteger(n json.Number) bool {
	return !bytes.ContainsAny([]byte(n), ".eE")
}

// jsonKind names the JSON type of raw for "seen" texts without echoing values.
func refJSONKind(raw json.RawMessage) string {
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
	if n, ok := refNumberOf(raw); ok {
		if refIsInteger(n) {
			return "integer"
		}
		return "number"
	}
	return "invalid JSON"
}

// Ensure the invariants follow the operation's envelope: a code-only reply
// may lack both ok and fail (code "0" alone is the success) but not one of
// them, and still has ok and fail agree where it sends them; a quote reply
// is held to its trace echo only.
func TestInvariantsOfEnvelope(t *testing.T) {
	tests := []struct {
		name, envelope, body string
		want                 []string
	}{
		{"code-only, neither", schemas.EnvelopeCodeOnly, `{"code":"0","tm":3,"trace":"t-1"}`, nil},
		{"code-only, error code, neither", schemas.EnvelopeCodeOnly, `{"code":"E1","tm":3,"trace":"t-1"}`, nil},
		{"code-only, ok alone", schemas.EnvelopeCodeOnly, `{"code":"0","tm":3,"trace":"t-1","ok":true}`, []string{"/fail ok_fail"}},
		{"code-only, both disagreeing with code", schemas.EnvelopeCodeOnly, `{"code":"1","tm":3,"trace":"t-1","ok":true,"fail":false}`, []string{"/code code_ok"}},
		{"standard, neither", "", `{"code":"0","tm":3,"trace":"t-1"}`, []string{"/ok ok_fail", "/fail ok_fail"}},
		{"quote", schemas.EnvelopeQuote, `{"ret":200,"msg":"ok","trace":"t-1","data":{}}`, nil},
		{"quote, trace not echoed", schemas.EnvelopeQuote, `{"ret":200,"msg":"ok","trace":"t-2","data":{}}`, []string{"/trace trace_echo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range InvariantsOf([]byte(tt.body), "t-1", tt.envelope) {
				got = append(got, v.Pointer+" "+v.Keyword)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("violations %v, want %v", got, tt.want)
			}
		})
	}
}
