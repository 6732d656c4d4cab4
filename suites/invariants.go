package suites

import (
	"fmt"
	"sync"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/jsontok"
	"github.com/mmcontract/mmcontract/schemas"
)

// Invariants checks the envelope rules that a JSON Schema cannot express: the
// trace is echoed, ok == !fail, code "0" exactly when ok, and tm is an integer.
// It works on the raw body so that it still reports when the typed decode fails.
//
// It reads only the envelope's top-level members, with encoding/json's
// rules (internal/jsontok's Lenient: the last of duplicate keys wins, null
// reads as the zero value, bytes after the envelope are not looked at), and
// builds no tree of data: it runs on every response, and TestInvariantsMatchReference
// holds it to the encoding/json version it replaced.
func Invariants(body []byte, sentTrace string) []contract.Violation {
	return InvariantsOf(body, sentTrace, "")
}

// InvariantsOf is Invariants for an operation's envelope
// (schemas.Operation.Envelope): for the quote envelope only the trace echo
// applies (it has no code, ok, fail or tm); for the code-only one, ok and
// fail may both be absent, and then code alone says success.
func InvariantsOf(body []byte, sentTrace, envelope string) []contract.Violation {
	env, ok := envelopeMembers(body)
	if !ok {
		return []contract.Violation{{Pointer: "", Keyword: "envelope", Expected: "a JSON object envelope",
			Seen: "not a JSON object", Message: "the body is not a JSON object, so no envelope invariant can hold"}}
	}
	var out []contract.Violation
	if trace, err := env.trace.str(); !env.trace.present || err != nil || trace != sentTrace {
		seen := "absent"
		if env.trace.present {
			seen = "a different trace"
			if err != nil {
				seen = "not a string"
			}
		}
		out = append(out, contract.Violation{Pointer: "/trace", Keyword: "trace_echo", Expected: "the request's trace",
			Seen: seen, Message: "the response trace must echo the request's trace header"})
	}
	if envelope == schemas.EnvelopeQuote {
		return out
	}
	okv, okErr := env.ok.boolean("ok")
	failv, failErr := env.fail.boolean("fail")
	// With neither ok nor fail sent where the envelope may lack both, there
	// is nothing to compare code with: code "0" alone is the success.
	codeOnly := envelope == schemas.EnvelopeCodeOnly && !env.ok.present && !env.fail.present
	switch {
	case codeOnly:
	case okErr != nil || failErr != nil:
		for _, e := range []*contract.Violation{okErr, failErr} {
			if e != nil {
				out = append(out, *e)
			}
		}
	case okv == failv:
		out = append(out, contract.Violation{Pointer: "/fail", Keyword: "ok_fail", Expected: "fail == !ok",
			Seen: fmt.Sprintf("ok=%t fail=%t", okv, failv), Message: "ok and fail must disagree"})
	}
	code, codeErr := env.code.str()
	switch {
	case !env.code.present:
		out = append(out, contract.Violation{Pointer: "/code", Keyword: "code_ok", Expected: "a string code", Seen: "absent",
			Message: "the envelope has no code"})
	case codeErr != nil:
		out = append(out, contract.Violation{Pointer: "/code", Keyword: "code_ok", Expected: "string", Seen: jsontok.TypeName(env.code.raw),
			Message: "code must be a string; \"0\" means success"})
	case !codeOnly && okErr == nil && (code == "0") != okv:
		out = append(out, contract.Violation{Pointer: "/code", Keyword: "code_ok", Expected: "code \"0\" exactly when ok",
			Seen: fmt.Sprintf("code=%q ok=%t", code, okv), Message: "code \"0\" must mean success and only success"})
	}
	if !env.tm.present {
		out = append(out, contract.Violation{Pointer: "/tm", Keyword: "tm_integer", Expected: "integer", Seen: "absent",
			Message: "tm (processing time, ms) must be present"})
	} else if jsontok.TypeName(env.tm.raw) != "integer" {
		out = append(out, contract.Violation{Pointer: "/tm", Keyword: "tm_integer", Expected: "integer", Seen: jsontok.TypeName(env.tm.raw),
			Message: "tm (processing time, ms) must be an integer"})
	}
	return out
}

// member is one top-level envelope member: its raw value, if present.
type member struct {
	raw     []byte
	present bool
}

// errNotString marks a member whose value is not a string (or null).
var errNotString = fmt.Errorf("not a string")

// str is the member's string value; null reads as "", as encoding/json
// reads it into a string.
func (m member) str() (string, error) {
	switch jsontok.KindOf(m.raw) {
	case jsontok.String:
		return string(jsontok.AppendUnquoted(nil, m.raw)), nil
	case jsontok.Null:
		return "", nil
	}
	return "", errNotString
}

// boolean is the member's boolean value (null reads as false), or the
// ok_fail violation of a missing or non-boolean member.
func (m member) boolean(name string) (bool, *contract.Violation) {
	if !m.present {
		return false, &contract.Violation{Pointer: "/" + name, Keyword: "ok_fail", Expected: "boolean",
			Seen: "absent", Message: name + " must be present"}
	}
	switch string(m.raw) {
	case "true":
		return true, nil
	case "false", "null":
		return false, nil
	}
	return false, &contract.Violation{Pointer: "/" + name, Keyword: "ok_fail", Expected: "boolean",
		Seen: jsontok.TypeName(m.raw), Message: name + " must be a boolean"}
}

type members struct{ trace, ok, fail, code, tm member }

var invariantTokenizers = sync.Pool{New: func() any { return new(jsontok.Tokenizer) }}

// envelopeMembers reads the top-level members the invariants need; false
// when body does not begin with a complete JSON object.
func envelopeMembers(body []byte) (members, bool) {
	t := invariantTokenizers.Get().(*jsontok.Tokenizer)
	defer invariantTokenizers.Put(t)
	t.Reset(body, jsontok.Lenient)
	var m members
	var tok jsontok.Token
	if err := t.Read(&tok); err != nil || tok.Kind != jsontok.BeginObject {
		return m, false
	}
	for {
		if err := t.Read(&tok); err != nil {
			return m, false
		}
		if tok.Kind == jsontok.EndObject {
			return m, true
		}
		var dst *member
		switch string(t.Key()) {
		case "trace":
			dst = &m.trace
		case "ok":
			dst = &m.ok
		case "fail":
			dst = &m.fail
		case "code":
			dst = &m.code
		case "tm":
			dst = &m.tm
		}
		if err := t.Read(&tok); err != nil {
			return m, false
		}
		end, err := t.Skip(tok)
		if err != nil {
			return m, false
		}
		if dst != nil {
			*dst = member{raw: body[tok.Start:end], present: true}
		}
	}
}
