// Package matchers holds the Gomega matchers the contract suites assert
// with. Their failure text is written for the person on call: every
// violation on its own line with the JSON pointer, the keyword that broke,
// and expected versus seen (sensitive values masked by the schema Set's
// redactor), in a stable order so that two runs of the same breakage read
// the same.
//
// The matchers compute nothing of their own: a check's violations come from
// package suites/check, and MatchSchema and MatchEnvelopeSchema call those
// functions on a body, while HoldContract asserts on a result a spec has
// already computed (and recorded), so that a spec validates each response
// once and its failure text is made from the value it records.
package matchers

import (
	"encoding/json"
	"fmt"

	"github.com/onsi/gomega/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/check"
)

// MatchSchema succeeds when actual, a whole response body ([]byte,
// json.RawMessage or string), satisfies the envelope the operation uses and,
// when the envelope reports success (ok true), the operation's data schema. An error
// envelope's data carries the bizType, not the operation's data, so it is
// checked against the envelope only; the suites' invariant specs judge ok,
// code and fail.
func MatchSchema(set *schemas.Set, family, bizType string) types.GomegaMatcher {
	return &schemaMatcher{set: set, family: family, bizType: bizType}
}

// MatchEnvelopeSchema succeeds when actual, a whole response body, satisfies
// the standard envelope schema.
func MatchEnvelopeSchema(set *schemas.Set) types.GomegaMatcher {
	return &schemaMatcher{set: set, envelopeOnly: true}
}

// HoldContract succeeds when actual, the []contract.Violation a check of
// package suites/check returned, is empty. what names the contract in the
// failure text ("the client schema of findCustomerInfo"); use SchemaOf and
// EnvelopeSchema for the schema checks, so the text reads as MatchSchema's.
func HoldContract(what string) types.GomegaMatcher {
	return &resultMatcher{what: what}
}

// SchemaOf names an operation's data schema as the failure texts do.
func SchemaOf(family, bizType string) string {
	return fmt.Sprintf("the %s schema of %s", family, bizType)
}

// EnvelopeSchema names the envelope schema as the failure texts do.
const EnvelopeSchema = "the response envelope schema"

type schemaMatcher struct {
	set          *schemas.Set
	family       string
	bizType      string
	envelopeOnly bool

	result resultMatcher
}

var (
	_ types.GomegaMatcher = (*schemaMatcher)(nil)
	_ types.GomegaMatcher = (*resultMatcher)(nil)
)

func (m *schemaMatcher) Match(actual any) (bool, error) {
	if m.set == nil {
		return false, fmt.Errorf("MatchSchema: nil *schemas.Set")
	}
	body, err := toBytes(actual)
	if err != nil {
		return false, err
	}
	var vs []contract.Violation
	if m.envelopeOnly {
		m.result.what = EnvelopeSchema
		vs, err = check.Envelope(m.set, m.family, m.bizType, body)
	} else {
		m.result.what = SchemaOf(m.family, m.bizType)
		vs, err = check.DataOfBody(m.set, m.family, m.bizType, body)
	}
	if err != nil {
		return false, fmt.Errorf("MatchSchema: %w", err)
	}
	return m.result.Match(vs)
}

func (m *schemaMatcher) FailureMessage(actual any) string { return m.result.FailureMessage(actual) }

func (m *schemaMatcher) NegatedFailureMessage(actual any) string {
	return m.result.NegatedFailureMessage(actual)
}

// resultMatcher asserts on a check's computed violations.
type resultMatcher struct {
	what       string
	violations []contract.Violation
}

func (m *resultMatcher) Match(actual any) (bool, error) {
	vs, ok := actual.([]contract.Violation)
	if !ok {
		return false, fmt.Errorf("HoldContract expects a check's []contract.Violation, got %T", actual)
	}
	m.violations = vs
	return len(vs) == 0, nil
}

func (m *resultMatcher) FailureMessage(any) string { return check.Failure(m.what, m.violations) }

func (m *resultMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("response body satisfies %s, but it was expected not to", m.what)
}

// FormatViolations renders violations one per line, in the given order:
//
//	/data/accountList/0/balance  type  expected string|null, seen integer 12
//
// The pointer "(root)" stands for the whole body.
func FormatViolations(vs []contract.Violation) string { return check.FormatViolations(vs) }

func toBytes(actual any) ([]byte, error) {
	switch a := actual.(type) {
	case []byte:
		return a, nil
	case json.RawMessage:
		return a, nil
	case string:
		return []byte(a), nil
	}
	return nil, fmt.Errorf("MatchSchema expects a response body as []byte, json.RawMessage or string, got %T", actual)
}
