// Package results defines results.json, the stable machine-readable outcome of a
// run. results.json is a pure function of Ginkgo's types.Report and the
// observations (package internal/contract) that specs record in it: there is
// no second results model.
package results

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/jsontok"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// SchemaVersion is the results.json format version; it changes only on a
// breaking change to the format documented in the README.
const SchemaVersion = 1

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
	// TargetReceiver is `mmcontract webhook verify`'s target: the user's
	// own implementation of the Webhook API, which the vendor calls.
	TargetReceiver = "receiver"
)

// Baselines is results.json's account of the --baseline directory.
type Baselines struct {
	Dir                    string `json:"dir"`
	OperationsWithBaseline int    `json:"operations_with_baseline"`
	OperationsChecked      int    `json:"operations_checked"`
}

// Check is one spec's outcome.
type Check struct {
	ID           string               `json:"id"` // stable across runs: hash of the spec's full text
	Operation    string               `json:"operation"`
	Family       string               `json:"family,omitempty"` // client, openapi, manager
	Spec         string               `json:"spec"`             // full spec text
	Labels       []string             `json:"labels"`
	Verdict      verdict.Verdict      `json:"verdict"`
	LatencyMS    int64                `json:"latency_ms"`
	HTTPStatus   int                  `json:"http_status"`
	EnvelopeCode string               `json:"envelope_code"`
	Message      string               `json:"message,omitempty"`  // one-line reason when not pass
	Location     string               `json:"location,omitempty"` // file:line of the failure in the spec source
	Attempts     int                  `json:"attempts,omitempty"`
	Violations   []contract.Violation `json:"violations"`
	Drift        []contract.Drift     `json:"drift,omitempty"`
	// Step is the failing (or last) step of a lifecycle spec, e.g.
	// "addMarketOrder: open"; absent for single-call specs.
	Step string `json:"step,omitempty"`
}

// Encode is results.json's bytes: indented, with a final newline, as every
// writer of the file (run, merge) writes it.
func Encode(r Results) ([]byte, error) {
	b, err := jsontok.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("results.json: %w", err)
	}
	return append(b, '\n'), nil
}
