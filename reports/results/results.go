// Package results defines results.json, the stable machine-readable outcome of a
// run, and the observation that each spec records in Ginkgo's report. results.json
// is a pure function of Ginkgo's types.Report: there is no second results model.
package results

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// SchemaVersion is the results.json format version; it changes only on a
// breaking change to the format documented in the README.
const SchemaVersion = 1

// EntryName is the Ginkgo ReportEntry name under which every spec records its
// Observation. Reports find observations by this name in ginkgo.json.
const EntryName = "mmcontract.check"

// Results is the top-level object of results.json.
type Results struct {
	SchemaVersion int             `json:"schema_version"`
	Verdict       verdict.Verdict `json:"verdict"`
	Target        string          `json:"target"`
	// TargetKind is "simulator" when the run checked the embedded simulator,
	// "vendor" when it checked a real target.
	TargetKind  string    `json:"target_kind"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	Version     string    `json:"mmcontract_version"`
	Commit      string    `json:"mmcontract_commit,omitempty"`
	LabelFilter string    `json:"label_filter,omitempty"`
	Baseline    string    `json:"baseline,omitempty"`
	// Baselines says how many of the operations the run checked had an
	// accepted baseline; omitted without --baseline.
	Baselines *Baselines `json:"baselines,omitempty"`
	// Interrupted marks a run stopped by SIGINT or SIGTERM; its unrun
	// checks are skipped with "not run: interrupted".
	Interrupted bool `json:"interrupted,omitempty"`
	// ConfigError says what is wrong with the set-up when the verdict is config.
	ConfigError *verdict.ConfigError `json:"config_error,omitempty"`
	// Shard is the part of the selected operations a sharded run checked;
	// omitted when the run was not sharded.
	Shard *Shard `json:"shard,omitempty"`
	// Merged says which shards `mmcontract merge` combined; omitted
	// otherwise.
	Merged *Merged `json:"merged,omitempty"`
	// RatePerMinute is the client-side limit per operation the run used:
	// the target's budget, divided among the shards that share it.
	RatePerMinute int                     `json:"rate_per_minute,omitempty"`
	Counts        map[verdict.Verdict]int `json:"counts"`
	Checks        []Check                 `json:"checks"`
}

// Shard is results.json's "shard": shard Index (1-based) of Total.
type Shard struct {
	Index int `json:"index"`
	Total int `json:"total"`
}

// String is how flags and reports write a shard: "2/5".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Total) }

// Merged is results.json's "merged": the shards (1-based indices) of Total
// that were combined, and the ones missing (only with --allow-partial).
type Merged struct {
	Total   int   `json:"total"`
	Shards  []int `json:"shards"`
	Missing []int `json:"missing,omitempty"`
}

// MergedText is how reports write m: "shards 1, 2 of 3 merged (missing: 3)".
func MergedText(m Merged) string {
	join := func(xs []int) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, ", ")
	}
	text := fmt.Sprintf("shards %s of %d merged", join(m.Shards), m.Total)
	if len(m.Missing) > 0 {
		text += fmt.Sprintf(" (missing: %s)", join(m.Missing))
	}
	return text
}

// Target kinds of results.json's target_kind.
const (
	TargetSimulator = "simulator"
	TargetVendor    = "vendor"
)

// Baselines is results.json's account of the --baseline directory.
type Baselines struct {
	Dir                    string `json:"dir"`
	OperationsWithBaseline int    `json:"operations_with_baseline"`
	OperationsChecked      int    `json:"operations_checked"`
}

// Check is one spec's outcome.
type Check struct {
	ID           string          `json:"id"` // stable across runs: hash of the spec's full text
	Operation    string          `json:"operation"`
	Family       string          `json:"family,omitempty"` // client, openapi, manager
	Spec         string          `json:"spec"`             // full spec text
	Labels       []string        `json:"labels"`
	Verdict      verdict.Verdict `json:"verdict"`
	LatencyMS    int64           `json:"latency_ms"`
	HTTPStatus   int             `json:"http_status"`
	EnvelopeCode string          `json:"envelope_code"`
	Message      string          `json:"message,omitempty"`  // one-line reason when not pass
	Location     string          `json:"location,omitempty"` // file:line of the failure in the spec source
	Attempts     int             `json:"attempts,omitempty"`
	Violations   []Violation     `json:"violations"`
	Drift        []Drift         `json:"drift,omitempty"`
}

// Violation is one schema or invariant violation at a JSON pointer.
type Violation struct {
	Pointer  string `json:"pointer"` // e.g. /data/email
	Keyword  string `json:"keyword"` // JSON Schema keyword or invariant name: type, required, trace_echo, ok_fail
	Expected string `json:"expected,omitempty"`
	Seen     string `json:"seen,omitempty"` // redacted where sensitive
	Message  string `json:"message"`
}

// Drift is one difference between an observed response shape and the
// accepted baseline (or the schema, when there is no baseline).
type Drift struct {
	Pointer     string `json:"pointer"`
	Change      string `json:"change"`   // added, removed, type_changed, became_null, enum_added, became_optional, envelope_semantics
	Severity    string `json:"severity"` // breaking, warning, info
	Baseline    string `json:"baseline"` // what the baseline had, e.g. "integer", "absent", "always"
	Observed    string `json:"observed"`
	Fingerprint string `json:"fingerprint"`
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
	Exchange     *Exchange          `json:"exchange,omitempty"`
}

// Exchange is a redacted HTTP request and response, kept for the HTML report
// and its curl reproduction.
type Exchange struct {
	Method          string              `json:"method"`
	URL             string              `json:"url"`
	RequestHeaders  map[string][]string `json:"request_headers"`
	RequestBody     string              `json:"request_body"`
	ResponseStatus  int                 `json:"response_status"`
	ResponseHeaders map[string][]string `json:"response_headers"`
	ResponseBody    string              `json:"response_body"`
	Truncated       bool                `json:"truncated,omitempty"`
}
