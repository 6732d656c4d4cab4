package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/golden"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// Ensure a check's record and its failure text come from one result: a
// broken envelope fails the data check with the envelope's violations in
// results.json (it used to fail it with none), every failing schema check
// records the violations its failure text lists, and each response body is
// in ginkgo.json once, the other checks of its operation naming it by id.
func TestValidateOnceRecordAgreesWithFailure(t *testing.T) {
	for _, tc := range []struct {
		scenario, pointer string
		dataBroken        bool // the data check fails too
	}{
		{"code-number", "/code", true},
		{"type-change", "/data/id", true},
		{"ok-fail-mismatch", "/fail", false},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			r, res := runSim(t, out, "--scenario", tc.scenario, "--label-filter", "findCustomerInfo && client && !negative",
				"--flake-attempts", "1")
			if res.Verdict != verdict.Broken || r.code != 1 {
				t.Fatalf("verdict %s exit %d, want broken and 1\n%s", res.Verdict, r.code, r.stdout)
			}
			ix := results.NewIndex(golden.Reports(t, filepath.Join(out, "ginkgo.json")))
			dataChecked := false
			for _, c := range res.Checks {
				e, ok := ix.Lookup(c.ID)
				if !ok {
					t.Fatalf("check %q (%s) has no spec in ginkgo.json", c.Spec, c.ID)
				}
				if c.Verdict != verdict.Broken {
					continue
				}
				if len(c.Violations) == 0 {
					t.Errorf("broken check %q records no violation; its failure says:\n%s", c.Spec, e.Spec.Failure.Message)
				}
				for _, v := range c.Violations {
					if !strings.Contains(e.Spec.Failure.Message, v.Pointer) || !strings.Contains(e.Spec.Failure.Message, v.Keyword) {
						t.Errorf("check %q records %s [%s], which its failure text does not list:\n%s", c.Spec, v.Pointer, v.Keyword, e.Spec.Failure.Message)
					}
				}
				if strings.Contains(c.Spec, "data schema") {
					dataChecked = true
					found := false
					for _, v := range c.Violations {
						found = found || v.Pointer == tc.pointer
					}
					if !found {
						t.Errorf("the data check records %v, want a violation at %s", c.Violations, tc.pointer)
					}
				}
			}
			if dataChecked != tc.dataBroken {
				t.Errorf("data check broken: %t, want %t", dataChecked, tc.dataBroken)
			}
			// One body per exchange, whichever check recorded it.
			bodies := map[string]int{}
			var refs []string
			for _, e := range ix.Entries() {
				if x := e.Observation.Exchange; x != nil {
					bodies[x.ID]++
				}
				if e.Observed && e.Observation.ExchangeID != "" {
					refs = append(refs, e.Observation.ExchangeID)
					if ix.Exchange(e.Observation) == nil {
						t.Errorf("check %q names exchange %q, which ginkgo.json does not hold", e.Spec.FullText(), e.Observation.ExchangeID)
					}
				}
			}
			if len(bodies) != 1 || len(refs) != 5 {
				t.Errorf("exchanges recorded %v, referenced %d times: want one exchange named by all five checks", bodies, len(refs))
			}
			for id, n := range bodies {
				if n != 1 {
					t.Errorf("exchange %s is recorded %d times", id, n)
				}
			}
		})
	}
}
