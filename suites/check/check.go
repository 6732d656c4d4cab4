// Package check computes each contract check of a response once: the
// envelope schema, the data schema, the envelope invariants and the shape.
// Each function returns the check's violations; the spec records exactly
// that value in its observation and builds its failure text from it (with
// the matchers in suites/matchers, which are built on these functions too),
// so results.json and the failure message can never disagree.
package check

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/schemas"
)

// Schemas is what the schema checks need of *schemas.Set.
type Schemas interface {
	ValidateEnvelopeOf(family, bizType string, body []byte) ([]contract.Violation, error)
	ValidateData(family, bizType string, data []byte) ([]contract.Violation, error)
}

var _ Schemas = (*schemas.Set)(nil)

// Envelope is the envelope check: the whole body against the envelope the
// operation's catalog entry names (the standard one, the quote service's
// {ret, msg, trace, data}, or none for an operation documented as answering
// with a bare data object; see schemas.Operation.Envelope), violations
// sorted stably.
func Envelope(s Schemas, family, bizType string, body []byte) ([]contract.Violation, error) {
	vs, err := s.ValidateEnvelopeOf(family, bizType, body)
	if err != nil {
		return nil, fmt.Errorf("validating the envelope: %w", err)
	}
	schemas.SortViolations(vs)
	return vs, nil
}

// Data is the data check, given the envelope check's result: a body whose
// envelope breaks its schema fails the data check with the envelope's
// violations (the record must say why the check failed), and only an
// envelope that holds and reports success (ok true) has its data checked
// against the operation's schema. An error envelope's data carries the
// bizType, not the operation's data; the invariants judge ok, code and fail.
func Data(s Schemas, family, bizType string, envelope []contract.Violation, success bool, data []byte) ([]contract.Violation, error) {
	if len(envelope) > 0 || !success {
		return envelope, nil
	}
	vs, err := s.ValidateData(family, bizType, data)
	if err != nil {
		return nil, fmt.Errorf("validating the data of %s: %w", bizType, err)
	}
	schemas.SortViolations(vs)
	return vs, nil
}

// DataOfBody is the data check of a whole body, for callers that hold no
// decoded envelope (a matcher given a body, a captured response), whatever
// envelope the operation uses: the standard one (success is ok), the quote
// envelope (success is ret 200), the code-only one (success is code "0"),
// or none, when the body that passed the
// envelope check is the operation's bare data object and is checked whole.
func DataOfBody(s Schemas, family, bizType string, body []byte) ([]contract.Violation, error) {
	ev, err := Envelope(s, family, bizType, body)
	if err != nil || len(ev) > 0 {
		return ev, err
	}
	var env struct {
		OK   *bool            `json:"ok"`
		Code *json.RawMessage `json:"code"`
		Ret  *int64           `json:"ret"`
		Data json.RawMessage  `json:"data"`
	}
	// The envelope check passed, so the body is a JSON object.
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decoding the envelope: %w", err)
	}
	switch {
	case env.OK == nil && env.Code == nil && env.Ret != nil:
		return Data(s, family, bizType, nil, *env.Ret == QuoteSuccess, env.Data)
	case env.OK == nil && env.Code == nil:
		return BareData(s, family, bizType, body)
	}
	// ok says success where it is sent; else code "0" does (a code-only
	// envelope), as the vendor's own client reads it.
	success := env.OK != nil && *env.OK
	if env.OK == nil && env.Code != nil {
		success = string(*env.Code) == `"0"`
	}
	return Data(s, family, bizType, nil, success, env.Data)
}

// BareData is the data check of a bare data object, the whole body of an
// operation documented without an envelope (schemas.EnvelopeBare): the
// operation's data schema, with pointers from the body's root, since there
// is no /data member to point into.
func BareData(s Schemas, family, bizType string, body []byte) ([]contract.Violation, error) {
	vs, err := Data(s, family, bizType, nil, true, body)
	for i := range vs {
		if rest, ok := strings.CutPrefix(vs[i].Pointer, "/data"); ok && (rest == "" || rest[0] == '/') {
			vs[i].Pointer = rest
		}
	}
	return vs, err
}

// QuoteSuccess is the quote envelope's ret on success.
const QuoteSuccess = 200

// RefusedReadOnly is the message of the data check's vendor_error: an
// error envelope where the contract says the call succeeds.
const RefusedReadOnly = "the vendor refused a read-only call the contract says succeeds"

// VendorError is the violation of an error envelope (ok false, a code other
// than "0") where the contract expects success; message says why that is a
// break.
func VendorError(code, message string) contract.Violation {
	return contract.Violation{Pointer: "/code", Keyword: "vendor_error", Expected: `"0"`, Seen: code, Message: message}
}

// Undecodable is the violation of an HTTP 200 answer whose body is no
// envelope the client could decode; reason says why (one line).
func Undecodable(reason string) contract.Violation {
	return contract.Violation{Pointer: "", Keyword: "envelope", Expected: "a JSON envelope",
		Seen: reason, Message: "HTTP 200 without a decodable envelope"}
}

// Shape is the shape check's verdict on the drift a response showed: the
// breaking differences, one line each, which fail the check, and whether
// any drift at all was seen (the check is then drifted, not pass).
func Shape(ds []contract.Drift) (breaking []string, drifted bool) {
	for _, d := range ds {
		if d.Severity == verdict.Breaking {
			breaking = append(breaking, fmt.Sprintf("%s %s (baseline %s, observed %s)", d.Pointer, d.Change, d.Baseline, d.Observed))
		}
	}
	return breaking, len(ds) > 0
}

// Failure is the failure text of a schema check that found vs: the words the
// matchers have always used, one violation per line.
func Failure(what string, vs []contract.Violation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "response body does not satisfy %s: %d violation(s)\n", what, len(vs))
	b.WriteString(FormatViolations(vs))
	return b.String()
}

// FormatViolations renders violations one per line, in the given order:
//
//	/data/accountList/0/balance  type  expected string|null, seen integer 12
//
// The pointer "(root)" stands for the whole body.
func FormatViolations(vs []contract.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		p := v.Pointer
		if p == "" {
			p = "(root)"
		}
		fmt.Fprintf(&b, "  %s  %s  expected %s, seen %s", p, v.Keyword, orDash(v.Expected), orDash(v.Seen))
		if v.Message != "" {
			fmt.Fprintf(&b, "  (%s)", v.Message)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
