package simulator

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
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

func formatViolations(vs []contract.Violation) string {
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

// Ensure every read-only catalog operation without handcrafted data is served
// from its schema, routed as the catalog says, and that the generated data
// validates against that schema; without Schemas they are unknown bizTypes.
func TestGeneratedOperations(t *testing.T) {
	set := loadSchemas(t)
	h := newHarness(t, Options{Schemas: set, RatePerMinute: 1 << 20})
	tok := h.login()
	served, catsGateway := 0, 0
	for _, cat := range set.Operations("client") {
		gatewayPath := cat.Path == "global" || cat.Path == schemas.CatsGatewayPath
		if _, handcrafted := ops[cat.BizType]; handcrafted || !gatewayPath || !cat.ReadOnly {
			continue
		}
		served++
		headers := map[string]string{"version": cat.Version}
		if cat.Group != "" {
			headers["group"] = cat.Group
		}
		path := global(cat.BizType)
		if cat.Path == schemas.CatsGatewayPath {
			// Served at the documented path only, so a client that calls
			// the operation elsewhere is told so.
			catsGateway++
			wrong := h.do(req{path: path, token: tok, headers: headers, body: string(cat.Request)})
			if env := wrong.envelope(t); env["code"] != codeNoInterface {
				t.Errorf("%s answered at /api/global/, not only at its documented /api/cats-gateway/global/: %.200s", cat.BizType, wrong.body)
			}
			path = "/api/" + schemas.CatsGatewayPath + "/" + cat.BizType
		}
		rep := h.do(req{path: path, token: tok, headers: headers, body: string(cat.Request)})
		env := rep.envelope(t)
		if env["code"] != "0" || env["trace"] != rep.trace {
			t.Errorf("%s: %.200s", cat.BizType, rep.body)
			continue
		}
		vs, err := set.ValidateData("client", cat.BizType, rep.data(t))
		if err != nil || len(vs) > 0 {
			t.Errorf("%s: %v%s", cat.BizType, err, formatViolations(vs))
		}
		again := h.do(req{path: path, token: tok, headers: headers, body: string(cat.Request)})
		if !bytes.Equal(rep.data(t), again.data(t)) {
			t.Errorf("%s: generated data is not deterministic", cat.BizType)
		}
	}
	if served == 0 || catsGateway == 0 {
		t.Fatalf("the catalog has %d read-only operations beyond the handcrafted ones, %d of them under cats-gateway; want some of each", served, catsGateway)
	}
	t.Logf("%d generated operations validated", served)

	plain := newHarness(t, Options{})
	rep := plain.do(req{path: global("customer.app.CustomerWebApiService.findCustomerLang"), token: plain.login()})
	if env := rep.envelope(t); env["code"] != codeNoInterface {
		t.Errorf("without Schemas: %s", rep.body)
	}
}
