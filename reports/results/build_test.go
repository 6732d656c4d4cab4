package results

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// Ensure only a spec the label filter left out is not a check: a spec
// skipped with a reason, one never reached after an interrupt (skipped,
// never attempted, but selected), and every spec of an unfiltered run are.
func TestSelector(t *testing.T) {
	spec := func(state types.SpecState, attempts int, labels ...string) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeLabels: labels, State: state, NumAttempts: attempts}
	}
	cases := []struct {
		name   string
		spec   types.SpecReport
		filter string
		want   bool
	}{
		{"not selected", spec(types.SpecStateSkipped, 0, "catalog", "readonly"), "client", false},
		{"not selected, negated", spec(types.SpecStateSkipped, 0, "client", "negative"), "client && !negative", false},
		{"selected but never reached", spec(types.SpecStateSkipped, 0, "client"), "client", true},
		{"skipped while running (Skip)", spec(types.SpecStateSkipped, 1, "catalog"), "client", true},
		{"passed", spec(types.SpecStatePassed, 1, "client"), "client", true},
		{"no filter", spec(types.SpecStateSkipped, 0, "client"), "", true},
	}
	for _, c := range cases {
		report := types.Report{SuiteConfig: types.SuiteConfig{LabelFilter: c.filter}}
		if got := Selector(report)(c.spec); got != c.want {
			t.Errorf("%s: selected = %v, want %v", c.name, got, c.want)
		}
	}
}
