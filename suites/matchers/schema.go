// Package matchers holds the Gomega matchers the contract suites assert
// with. Their failure text is written for the person on call: every
// violation on its own line with the JSON pointer, the keyword that broke,
// and expected versus seen (sensitive values masked by the schema Set's
// redactor), in a stable order so that two runs of the same breakage read
// the same.
package matchers

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/schemas"
)

// MatchSchema succeeds when actual, a whole response body ([]byte,
// json.RawMessage or string), satisfies the envelope schema and, when the
// envelope reports success (ok true), the operation's data schema. An error
// envelope's data carries the bizType, not the operation's data, so it is
// checked against the envelope only; the suites' invariant specs judge ok,
// code and fail.
func MatchSchema(set *schemas.Set, family, bizType string) types.GomegaMatcher {
	return &schemaMatcher{set: set, family: family, bizType: bizType}
}

// MatchEnvelopeSchema succeeds when actual, a whole response body, satisfies
// the envelope schema.
func MatchEnvelopeSchema(set *schemas.Set) types.GomegaMatcher {
	return &schemaMatcher{set: set, envelopeOnly: true}
}

type schemaMatcher struct {
	set          *schemas.Set
	family       string
	bizType      string
	envelopeOnly bool

	violations []contract.Violation
}

var _ types.GomegaMatcher = (*schemaMatcher)(nil)

func (m *schemaMatcher) Match(actual any) (bool, error) {
	if m.set == nil {
		return false, fmt.Errorf("MatchSchema: nil *schemas.Set")
	}
	body, err := toBytes(actual)
	if err != nil {
		return false, err
	}
	vs, err := m.set.ValidateEnvelope(body)
	if err != nil {
		return false, err
	}
	if !m.envelopeOnly && len(vs) == 0 {
		var env struct {
			OK   *bool           `json:"ok"`
			Data json.RawMessage `json:"data"`
		}
		// The envelope schema passed, so the body is a JSON object.
		if err := json.Unmarshal(body, &env); err != nil {
			return false, fmt.Errorf("MatchSchema: decode envelope: %w", err)
		}
		if env.OK != nil && *env.OK {
			dvs, err := m.set.ValidateData(m.family, m.bizType, env.Data)
			if err != nil {
				return false, err
			}
			vs = append(vs, dvs...)
		}
	}
	schemas.SortViolations(vs)
	m.violations = vs
	return len(vs) == 0, nil
}

func (m *schemaMatcher) what() string {
	if m.envelopeOnly {
		return "the response envelope schema"
	}
	return fmt.Sprintf("the %s schema of %s", m.family, m.bizType)
}

func (m *schemaMatcher) FailureMessage(any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "response body does not satisfy %s: %d violation(s)\n", m.what(), len(m.violations))
	b.WriteString(FormatViolations(m.violations))
	return b.String()
}

func (m *schemaMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("response body satisfies %s, but it was expected not to", m.what())
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
