package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/schemas"
)

// Ensure every request body the suites send validates against the
// operation's request schema from the vendor's spec: a whole run of every
// suite, mutating specs included, against the embedded simulator, which
// refuses a body that breaks its request schema with GATEWAY_CODE_015
// naming the violation (simulator.Options.CheckRequests; TestCheckRequests
// shows it refusing). So a body built wrong anywhere (a paging field sent as
// a number the spec types as a string, a required list sent empty, a fact
// filled with the wrong type) turns a check red or skipped with that code,
// which this test forbids; and every operation that was called has a
// request schema to be held to.
func TestEverySuiteRequestValidates(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	r, res := runSim(t, t.TempDir(), "--allow-mutations")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	called := map[string]bool{}
	for _, c := range res.Checks {
		refused := c.EnvelopeCode == "GATEWAY_CODE_015" || strings.Contains(c.Message, "Request parameters are invalid")
		// A negative spec that passed sent a bad credential on purpose and
		// got the refusal it expects (the simulator's Auth2 refuses a
		// never-granted code with GATEWAY_CODE_015), not a body refusal.
		if refused && !(slices.Contains(c.Labels, "negative") && c.Verdict == verdict.Pass) {
			t.Errorf("%s (%s): the simulator refused the suite's request body: %s", c.Operation, c.Family, c.Message)
		}
		// Websocket checks send frames, not request bodies of the vendor's
		// OpenAPI files: their request frames are built by internal/quote
		// from the notes' command table and tested there.
		if c.Verdict == verdict.Skipped || c.HTTPStatus == 0 || set.IsWebsocket(c.Family) {
			continue
		}
		called[c.Family+" "+c.Operation] = true
		if _, ok := set.RequestSchema(c.Family, c.Operation); !ok {
			t.Errorf("%s (%s) was called but has no request schema to hold its body to", c.Operation, c.Family)
		}
	}
	// The curated client, catalog, Open API and Manager suites all called.
	if len(called) < 150 {
		t.Errorf("only %d operations called: %v", len(called), called)
	}
	for _, want := range []string{"client customer.app.CustomerOptionalWebApiService.optionalList",
		"client fund.app.FundExchangeRateQueryService.getExchangeRateList", "client config.app.AppJcStrategyDubboService.getPageView",
		"manager config.admin.AdminDictDubboService.getListByParentCode",
		// The quote REST calls (their query parameters and batch-kline's
		// body) and every Auth2 step's body are held to their schemas too.
		"manager quote-b-api/depth-tick", "manager quote-b-api/trade-tick", "manager quote-b-api/kline",
		"manager quote-b-api/batch-kline", "manager quote-stock-b-api/depth-tick", "manager quote-stock-b-api/trade-tick",
		"manager quote-stock-b-api/kline", "manager quote-stock-b-api/batch-kline",
		"auth2 auth2/code", "auth2 auth2/token", "auth2 auth2/user", "auth2 auth2/refresh"} {
		if !called[want] {
			t.Errorf("%s was not called", want)
		}
	}
}
