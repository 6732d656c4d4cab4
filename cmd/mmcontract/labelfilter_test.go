package main

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// Ensure a label-filtered run checks exactly the checks of an unfiltered
// run whose labels the filter selects, with the same ids: the run leaves
// the specs the filter rejects out of the tree instead of having Ginkgo
// skip them, and must select what Ginkgo would.
func TestRunLabelFilterSelectsWhatGinkgoWould(t *testing.T) {
	r, all := runSim(t, t.TempDir())
	if r.code != 0 {
		t.Fatalf("unfiltered run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, filter := range []string{
		"smoke",
		"negative",
		"smoke && !negative",
		"catalog",
		"!catalog && readonly",
		"openapi || manager",
		"findCustomerInfo",
		"/^get/ && !smoke",
		// Labels that only a spec inside an unlabelled container carries:
		// a trading lifecycle's method, a quote command, the websocket family.
		"addMarketOrder",
		"heartbeat",
		"websocket && !negative",
		"trade && leftover",
		"managerpush && trade_deal",
		"openmsg",
	} {
		t.Run(filter, func(t *testing.T) {
			match, err := types.ParseLabelFilter(filter)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{} // id -> spec
			for _, c := range all.Checks {
				if match(c.Labels) {
					want[c.ID] = c.Spec
				}
			}
			if len(want) == 0 {
				t.Fatalf("the filter selects no check of the unfiltered run")
			}
			r, res := runSim(t, t.TempDir(), "--label-filter", filter)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			got := map[string]string{}
			for _, c := range res.Checks {
				got[c.ID] = c.Spec
				if want[c.ID] != c.Spec {
					t.Errorf("checked %s %q, which the filter does not select in the unfiltered run", c.ID, c.Spec)
				}
			}
			for id, spec := range want {
				if got[id] != spec {
					t.Errorf("did not check %s %q, which the filter selects", id, spec)
				}
			}
		})
	}
}
