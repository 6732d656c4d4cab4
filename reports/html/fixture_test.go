package html

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// fixedStart keeps every rendering of the fixture byte-identical.
var fixedStart = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// spec is one check of a fixture: its results.json row and what the spec
// recorded in Ginkgo's report.
type spec struct {
	containers []string
	leaf       string
	check      results.Check
	obs        *contract.Observation
	state      types.SpecState
	failure    types.Failure
}

func (s spec) fullText() string {
	t := ""
	for _, c := range s.containers {
		t += c + " "
	}
	return t + s.leaf
}

// fixture assembles Results and a Ginkgo report from specs, the way the
// runner would, and round-trips the report through JSON exactly as
// `mmcontract report` loads ginkgo.json.
func fixture(t testing.TB, target string, specs []spec) (results.Results, []types.Report) {
	t.Helper()
	res := results.Results{
		SchemaVersion: results.SchemaVersion,
		Target:        target,
		StartedAt:     fixedStart,
		FinishedAt:    fixedStart.Add(83*time.Second + 420*time.Millisecond),
		Version:       "v0.4.0",
		Commit:        "0123456789abcdef0123",
		LabelFilter:   "!mutating",
		Counts:        map[verdict.Verdict]int{},
	}
	rep := types.Report{
		SuitePath:        "/src/mmcontract/suites/client",
		SuiteDescription: "client API contract",
		SuiteSucceeded:   false,
		StartTime:        fixedStart,
		EndTime:          res.FinishedAt,
		RunTime:          res.FinishedAt.Sub(fixedStart),
	}
	var vs []verdict.Verdict
	for i, s := range specs {
		c := s.check
		c.Spec = s.fullText()
		if c.ID == "" {
			c.ID = results.CheckID(c.Spec) // the id results.Build gives a spec with its own text
		}
		res.Checks = append(res.Checks, c)
		res.Counts[c.Verdict]++
		vs = append(vs, c.Verdict)
		sr := types.SpecReport{
			ContainerHierarchyTexts: s.containers,
			LeafNodeType:            types.NodeTypeIt,
			LeafNodeText:            s.leaf,
			LeafNodeLocation:        types.CodeLocation{FileName: "/src/mmcontract/suites/client/customer_test.go", LineNumber: 40 + i},
			LeafNodeLabels:          c.Labels,
			State:                   s.state,
			StartTime:               fixedStart,
			EndTime:                 fixedStart.Add(time.Duration(c.LatencyMS) * time.Millisecond),
			RunTime:                 time.Duration(c.LatencyMS) * time.Millisecond,
			NumAttempts:             max(1, c.Attempts),
			Failure:                 s.failure,
		}
		if sr.State == 0 {
			sr.State = types.SpecStatePassed
		}
		if s.obs != nil {
			sr.ReportEntries = types.ReportEntries{{
				Name:  contract.EntryName,
				Time:  fixedStart,
				Value: types.WrapEntryValue(*s.obs),
			}}
		}
		rep.SpecReports = append(rep.SpecReports, sr)
	}
	res.Verdict = verdict.Worst(vs...)
	b, err := json.Marshal([]types.Report{rep})
	if err != nil {
		t.Fatalf("marshal ginkgo report: %v", err)
	}
	var loaded []types.Report
	if err := json.Unmarshal(b, &loaded); err != nil {
		t.Fatalf("load ginkgo report: %v", err)
	}
	return res, loaded
}

func exchange(token bool, reqBody, respBody string, status int) *contract.Exchange {
	h := map[string][]string{
		"Content-Type": {"application/json"},
		"companyId":    {"439"},
		"version":      {"0.0.1"},
		"trace":        {"mmc-7f3a2c"},
		"lang":         {"en-US"},
	}
	if token {
		h["token"] = []string{"‹redacted:token›"}
	}
	return &contract.Exchange{
		Method:          "POST",
		URL:             "https://sim.invalid/api/global/customer.app.CustomerWebApiService.findCustomerInfo",
		RequestHeaders:  h,
		RequestBody:     reqBody,
		ResponseStatus:  status,
		ResponseHeaders: map[string][]string{"Content-Type": {"application/json;charset=UTF-8"}},
		ResponseBody:    respBody,
	}
}

// smallRun is the fixture of the golden file: one check of each interesting
// kind.
func smallRun(t testing.TB) (results.Results, []types.Report) {
	specs, target := smallRunSpecs()
	return fixture(t, target, specs)
}

func smallRunSpecs() ([]spec, string) {
	broken := &contract.Observation{
		Operation: "customer.app.CustomerWebApiService.findCustomerInfo", Family: "client",
		HTTPStatus: 200, EnvelopeCode: "0", EnvelopeMsg: "Success", LatencyMS: 412,
		Exchange: exchange(true, `{"companyId":439,"lang":"en-US"}`,
			`{"bizCode":"","code":"0","msg":"Success","tm":82650853,"trace":"mmc-7f3a2c","msgParams":null,"data":{"customerNo":86001308,"email":"‹redacted:email›","balance":47.31},"ok":true,"fail":false}`, 200),
	}
	vios := []contract.Violation{
		{Pointer: "/data/balance", Keyword: "type", Expected: "string", Seen: "number", Message: "Invalid type. Expected: string, given: number"},
		{Pointer: "/data/customerNo", Keyword: "type", Expected: "string", Seen: "integer", Message: "Invalid type. Expected: string, given: integer"},
	}
	drifted := &contract.Observation{
		Operation: "market.app.MarketWebApiService.getSymbolDetail", Family: "client",
		HTTPStatus: 200, EnvelopeCode: "0", EnvelopeMsg: "Success", LatencyMS: 95,
		Exchange: exchange(false, `{"symbol":"XAUUSD"}`, `{"code":"0","msg":"Success","data":{"symbol":"XAUUSD","digits":2,"swapLong":null},"ok":true,"fail":false}`, 200),
	}
	drift := []contract.Drift{
		{Pointer: "/data/swapLong", Change: "became_null", Severity: "warning", Baseline: "string", Observed: "null", Fingerprint: "d1"},
		{Pointer: "/data/tradeSessions", Change: "added", Severity: "info", Baseline: "absent", Observed: "array", Fingerprint: "d2"},
	}
	unavailable := &contract.Observation{
		Operation: "funds.app.FundsWebApiService.getPayChannels", Family: "client", Outcome: verdict.Unavailable,
		Reason: "HTTP 503 from the vendor after 3 attempts", HTTPStatus: 503, LatencyMS: 15003,
		Exchange: exchange(true, `{"loginPwd":"‹redacted:loginPwd›","loginName":"‹redacted:loginName›"}`, `<html><body>503 Service Unavailable</body></html>`, 503),
	}
	pass := &contract.Observation{
		Operation: "message.app.MessageWebApiService.unreadCount", Family: "client",
		HTTPStatus: 200, EnvelopeCode: "0", EnvelopeMsg: "Success", LatencyMS: 61,
		Exchange: exchange(true, `{}`, `{"code":"0","msg":"Success","data":3,"ok":true,"fail":false}`, 200),
	}
	flaky := &contract.Observation{
		Operation: "message.app.MessageWebApiService.unreadCount", Family: "client",
		HTTPStatus: 200, EnvelopeCode: "0", EnvelopeMsg: "Success", LatencyMS: 133,
	}
	specs := []spec{
		{containers: []string{"client", "customer.app.CustomerWebApiService.findCustomerInfo"}, leaf: "returns the documented shape",
			check: results.Check{Operation: broken.Operation, Family: "client", Labels: []string{"customer", "readonly", "smoke"},
				Verdict: verdict.Broken, LatencyMS: 412, HTTPStatus: 200, EnvelopeCode: "0",
				Message: "2 schema violations", Location: "suites/client/customer_test.go:57", Violations: vios},
			obs: broken, state: types.SpecStateFailed,
			failure: types.Failure{Message: "findCustomerInfo: response does not match the schema\n  /data/balance: type: expected string, seen number\n  /data/customerNo: type: expected string, seen integer",
				Location: types.CodeLocation{FileName: "/src/mmcontract/suites/client/customer_test.go", LineNumber: 57}}},
		{containers: []string{"client", "market.app.MarketWebApiService.getSymbolDetail"}, leaf: "keeps its baseline shape",
			check: results.Check{Operation: drifted.Operation, Family: "client", Labels: []string{"market", "readonly"},
				Verdict: verdict.Drifted, LatencyMS: 95, HTTPStatus: 200, EnvelopeCode: "0", Message: "2 drift changes (warning)", Drift: drift},
			obs: drifted},
		{containers: []string{"client", "funds.app.FundsWebApiService.getPayChannels"}, leaf: "returns the documented shape",
			check: results.Check{Operation: unavailable.Operation, Family: "client", Labels: []string{"funds", "readonly"},
				Verdict: verdict.Unavailable, LatencyMS: 15003, HTTPStatus: 503, Attempts: 3, Message: unavailable.Reason},
			obs: unavailable, state: types.SpecStateFailed,
			failure: types.Failure{Message: unavailable.Reason, Location: types.CodeLocation{FileName: "/src/mmcontract/suites/client/funds_test.go", LineNumber: 23}}},
		{containers: []string{"client", "message.app.MessageWebApiService.unreadCount"}, leaf: "returns the documented shape",
			check: results.Check{Operation: pass.Operation, Family: "client", Labels: []string{"message", "readonly", "smoke"},
				Verdict: verdict.Pass, LatencyMS: 61, HTTPStatus: 200, EnvelopeCode: "0"},
			obs: pass},
		{containers: []string{"client", "message.app.MessageWebApiService.unreadCount"}, leaf: "echoes the trace header",
			check: results.Check{Operation: flaky.Operation, Family: "client", Labels: []string{"message", "readonly"},
				Verdict: verdict.Flaky, LatencyMS: 133, HTTPStatus: 200, EnvelopeCode: "0", Attempts: 2, Message: "failed once, passed on retry"},
			obs: flaky},
		{containers: []string{"client", "trade.app.TradeWebApiService.placeOrder"}, leaf: "accepts a minimal order",
			check: results.Check{Operation: "trade.app.TradeWebApiService.placeOrder", Family: "client", Labels: []string{"trade", "mutating"},
				Verdict: verdict.Skipped, Message: "mutating checks are refused against this target"},
			state: types.SpecStateSkipped, failure: types.Failure{Message: "mutating checks are refused against this target",
				Location: types.CodeLocation{FileName: "/src/mmcontract/suites/client/trade_test.go", LineNumber: 18}}},
	}
	return specs, "https://sim.invalid"
}

// smallHistory is trend data for two operations, oldest first.
func smallHistory() []RunSummary {
	var h1, h2 []RunPoint
	for i := range 12 {
		v := verdict.Pass
		if i == 9 {
			v = verdict.Unavailable
		}
		h1 = append(h1, RunPoint{At: fixedStart.Add(time.Duration(i-12) * time.Hour), Verdict: v, LatencyMS: int64(300 + 20*i)})
		h2 = append(h2, RunPoint{At: fixedStart.Add(time.Duration(i-12) * time.Hour), Verdict: verdict.Pass, LatencyMS: 60})
	}
	h1[11].Verdict = verdict.Broken
	return []RunSummary{
		{Operation: "customer.app.CustomerWebApiService.findCustomerInfo", Runs: h1},
		{Operation: "message.app.MessageWebApiService.unreadCount", Runs: h2},
	}
}

// largeRun has n checks over 250 operations; one in ten fails with a full
// exchange, the rest pass with an exchange the report leaves out by default.
func largeRun(t testing.TB, n int) (results.Results, []types.Report) {
	t.Helper()
	var specs []spec
	for i := range n {
		k := i % 250
		op := fmt.Sprintf("area%d.app.Service%d.operation%d", k%7, k%31, k)
		s := spec{
			containers: []string{"client", op},
			leaf:       fmt.Sprintf("check %d returns the documented shape", i),
			check: results.Check{Operation: op, Family: "client", Labels: []string{fmt.Sprintf("area%d", k%7), "readonly"},
				Verdict: verdict.Pass, LatencyMS: int64(40 + (i*7919)%900), HTTPStatus: 200, EnvelopeCode: "0"},
			obs: &contract.Observation{Operation: op, Family: "client", HTTPStatus: 200, EnvelopeCode: "0", EnvelopeMsg: "Success",
				LatencyMS: int64(40 + (i*7919)%900),
				Exchange: exchange(true, `{"companyId":439,"lang":"en-US"}`,
					`{"code":"0","msg":"Success","data":{"customerNo":"86001308","balance":"47.31","currency":"USD"},"ok":true,"fail":false}`, 200)},
		}
		if i%10 == 3 {
			s.check.Verdict = verdict.Broken
			s.check.Message = "1 schema violation"
			s.check.Violations = []contract.Violation{{Pointer: "/data/balance", Keyword: "type", Expected: "string", Seen: "number", Message: "Invalid type"}}
			s.state = types.SpecStateFailed
			s.failure = types.Failure{Message: "response does not match the schema", Location: types.CodeLocation{FileName: "/src/suites/client/x_test.go", LineNumber: 10}}
		}
		specs = append(specs, s)
	}
	return fixture(t, "https://sim.invalid", specs)
}
