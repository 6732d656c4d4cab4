// Package contract is the vocabulary every part of mmcontract shares about a
// check of the vendor's contract: the violations a check finds, the drift it
// sees, the exchange it made, and the observation a spec records. It sits on
// the ground floor (it imports only internal/verdict), so that the packages
// producing findings (schemas, suites, runner/drift) and the ones writing
// them (reports/...) all depend on it rather than on each other.
package contract

import (
	"encoding/json"
	"fmt"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// EntryName is the Ginkgo ReportEntry name under which every spec records its
// Observation. Reports find observations by this name in ginkgo.json.
const EntryName = "mmcontract.check"

// Violation is one schema or invariant violation at a JSON pointer.
type Violation struct {
	Pointer  string `json:"pointer"` // e.g. /data/email
	Keyword  string `json:"keyword"` // JSON Schema keyword or invariant name: type, required, trace_echo, ok_fail
	Expected string `json:"expected,omitempty"`
	Seen     string `json:"seen,omitempty"` // redacted where sensitive
	Message  string `json:"message"`
}

// Change is the kind of a drift: how an observed shape differs from the
// accepted one.
type Change string

// Change kinds. Those of live drift take their severities from runner/drift's
// rules table; spec changes (schemas/specdiff) add became_required,
// enum_changed and format_changed. SequenceGap is a websocket stream's: a
// push whose seq skips or repeats a number of its symbol's stream.
const (
	Added             Change = "added"
	Removed           Change = "removed"
	TypeChanged       Change = "type_changed"
	BecameNull        Change = "became_null"
	EnumAdded         Change = "enum_added"
	BecameOptional    Change = "became_optional"
	EnvelopeSemantics Change = "envelope_semantics"
	BecameRequired    Change = "became_required"
	EnumChanged       Change = "enum_changed"
	FormatChanged     Change = "format_changed"
	SequenceGap       Change = "sequence_gap"
)

// Drift is one difference between an observed response shape and the
// accepted baseline (or the schema, when there is no baseline).
type Drift struct {
	Pointer     string           `json:"pointer"`
	Change      Change           `json:"change"`
	Severity    verdict.Severity `json:"severity"`
	Baseline    string           `json:"baseline"` // what the baseline had, e.g. "integer", "absent", "always"
	Observed    string           `json:"observed"`
	Fingerprint string           `json:"fingerprint"`
}

// WorstSeverity returns the most severe severity among ds, "" when ds is
// empty.
func WorstSeverity(ds []Drift) verdict.Severity {
	var worst verdict.Severity
	for _, d := range ds {
		if d.Severity.MoreSevere(worst) {
			worst = d.Severity
		}
	}
	return worst
}

// Observation is what a spec records about the exchange it checked, as a
// Ginkgo ReportEntry named EntryName. Everything in it has already passed
// through the redactor.
type Observation struct {
	Operation string          `json:"operation"`
	Family    string          `json:"family"`
	Outcome   verdict.Verdict `json:"outcome,omitempty"` // set by the spec when it knows better than pass/fail, e.g. unavailable
	Reason    string          `json:"reason,omitempty"`
	// ConfigKind says what is wrong with the set-up when Outcome is config.
	ConfigKind   verdict.ConfigKind `json:"config_kind,omitempty"`
	HTTPStatus   int                `json:"http_status"`
	EnvelopeCode string             `json:"envelope_code,omitempty"`
	EnvelopeMsg  string             `json:"envelope_msg,omitempty"`
	LatencyMS    int64              `json:"latency_ms"`
	Violations   []Violation        `json:"violations,omitempty"`
	Drift        []Drift            `json:"drift,omitempty"`
	Shape        json.RawMessage    `json:"shape,omitempty"` // drift shape of the response (no values but enum-like codes)
	// ExchangeID names the exchange the check looked at. The specs of one
	// operation share one call, so its exchange is recorded once, in
	// Exchange, by the first of them to record an observation; the others
	// carry only its id (reports resolve it across the whole report).
	ExchangeID string    `json:"exchange_id,omitempty"`
	Exchange   *Exchange `json:"exchange,omitempty"`
}

// String is the one-line form Ginkgo keeps beside an entry's JSON (its
// "Representation"). Without it Ginkgo writes the whole value with %+v,
// bodies and shape as lists of byte values: a third of a run's ginkgo.json,
// and a second copy of every body.
func (o Observation) String() string {
	s := fmt.Sprintf("%s %s: HTTP %d", o.Family, o.Operation, o.HTTPStatus)
	if o.EnvelopeCode != "" {
		s += " code " + o.EnvelopeCode
	}
	if o.Outcome != "" {
		s += " " + string(o.Outcome)
	}
	if n := len(o.Violations); n > 0 {
		s += fmt.Sprintf(", %d violation(s)", n)
	}
	if n := len(o.Drift); n > 0 {
		s += fmt.Sprintf(", %d drift difference(s)", n)
	}
	return s
}

// Exchange is a redacted HTTP request and response, kept for the HTML report
// and its curl reproduction.
type Exchange struct {
	// ID is stable within a run (family, bizType and the call's ordinal) and
	// unique across the shards of one run, whose operations are disjoint.
	ID              string              `json:"id,omitempty"`
	Method          string              `json:"method"`
	URL             string              `json:"url"`
	RequestHeaders  map[string][]string `json:"request_headers"`
	RequestBody     string              `json:"request_body"`
	ResponseStatus  int                 `json:"response_status"`
	ResponseHeaders map[string][]string `json:"response_headers"`
	ResponseBody    string              `json:"response_body"`
	Truncated       bool                `json:"truncated,omitempty"`
}
