package simulator

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/schemas"
)

func loadSchemas(t testing.TB) *schemas.Set {
	t.Helper()
	set, err := schemas.Load()
	if err != nil {
		t.Fatalf("schemas.Load: %v", err)
	}
	return set
}

func formatViolations(vs []results.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s %s: %s (expected %s, seen %s)", v.Pointer, v.Keyword, v.Message, v.Expected, v.Seen)
	}
	return b.String()
}

// catalogLoginDisagreements are operations where the schemas catalog's Login
// flag contradicts the vendor's spec text; the simulator follows the vendor.
var catalogLoginDisagreements = map[string]string{
	"fund.app.FundExchangeRateQueryService.getExchangeRateList": "the spec says it is accessible to visitors",
}

// Ensure every simulated response of every served operation, in the nominal
// scenario, validates against the envelope schema and its data schema with
// zero violations, and that the catalog routes each the way the simulator
// does (version, group, login).
func TestFidelityNominal(t *testing.T) {
	set := loadSchemas(t)
	h := newHarness(t, Options{Schemas: set})
	tok := h.login()
	for _, biz := range append([]string{loginBizType}, ServedOperations()...) {
		t.Run(biz, func(t *testing.T) {
			var rep reply
			if biz == loginBizType {
				u := DefaultUser()
				rep = h.do(req{path: "/api/login/" + biz, body: loginBody(u.LoginName, u.Password)})
			} else {
				o := ops[biz]
				cat, ok := set.Operation("client", biz)
				if !ok {
					t.Fatalf("no catalog entry for %s", biz)
				}
				if cat.Version != o.version || cat.Group != o.group {
					t.Errorf("catalog version/group %q/%q, simulator %q/%q", cat.Version, cat.Group, o.version, o.group)
				}
				if cat.Login != o.login && catalogLoginDisagreements[biz] == "" {
					t.Errorf("catalog login=%v, simulator login=%v", cat.Login, o.login)
				}
				// The suites send the catalog's minimal request; so do we.
				rep = h.do(req{path: global(biz), token: tok, headers: opHeaders(o), body: string(cat.Request)})
			}
			vs, err := set.ValidateEnvelope(rep.body)
			if err != nil {
				t.Fatalf("ValidateEnvelope: %v", err)
			}
			if len(vs) > 0 {
				t.Errorf("envelope violations:%s", formatViolations(vs))
			}
			vs, err = set.ValidateData("client", biz, rep.data(t))
			if err != nil {
				t.Fatalf("ValidateData: %v", err)
			}
			if len(vs) > 0 {
				t.Errorf("data violations:%s\ndata: %.600s", formatViolations(vs), rep.data(t))
			}
		})
	}
}
