package results

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// Ensure only a spec the label filter left out counts as filtered out: a
// spec skipped with a reason, one never reached after an interrupt (skipped,
// no reason, but selected), and every spec of an unfiltered run are checks.
func TestFilteredOut(t *testing.T) {
	spec := func(state types.SpecState, msg string, labels ...string) types.SpecReport {
		return types.SpecReport{
			LeafNodeType:   types.NodeTypeIt,
			LeafNodeLabels: labels,
			State:          state,
			Failure:        types.Failure{Message: msg},
		}
	}
	cases := []struct {
		name   string
		spec   types.SpecReport
		filter string
		want   bool
	}{
		{"not selected", spec(types.SpecStateSkipped, "", "catalog", "readonly"), "client", true},
		{"not selected, negated", spec(types.SpecStateSkipped, "", "client", "negative"), "client && !negative", true},
		{"selected but never reached", spec(types.SpecStateSkipped, "", "client"), "client", false},
		{"skipped with a reason", spec(types.SpecStateSkipped, "mutating specs need --allow-mutations", "catalog"), "client", false},
		{"passed", spec(types.SpecStatePassed, "", "client"), "client", false},
		{"no filter", spec(types.SpecStateSkipped, "", "client"), "", false},
	}
	for _, c := range cases {
		if got := FilteredOut(c.spec, c.filter); got != c.want {
			t.Errorf("%s: FilteredOut = %v, want %v", c.name, got, c.want)
		}
	}
}
