package junit

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/golden"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/junit/junittest"
	"github.com/mmcontract/mmcontract/reports/results"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.xml")

const findCustomerInfo = "customer.app.CustomerWebApiService.findCustomerInfo"

// spec builds an It spec report for operation op of family fam.
func spec(fam, op, text string, state types.SpecState, msg string, obs *contract.Observation, labels ...string) types.SpecReport {
	s := types.SpecReport{
		ContainerHierarchyTexts: []string{op},
		LeafNodeType:            types.NodeTypeIt,
		LeafNodeText:            text,
		LeafNodeLabels:          append([]string{fam}, labels...),
		State:                   state,
		NumAttempts:             1,
		RunTime:                 42 * time.Millisecond,
		Failure:                 types.Failure{Message: msg, Location: types.CodeLocation{FileName: "/src/suites/register.go", LineNumber: 88}},
	}
	if obs != nil {
		obs.Operation, obs.Family = op, fam
		s.ReportEntries = types.ReportEntries{{Name: contract.EntryName, Value: types.WrapEntryValue(*obs)}}
	}
	return s
}

// fixture is a run with one check of every verdict, a filtered-out spec and
// a failed setup node, filtered by "client || openapi".
func fixture() (results.Results, *results.Index) {
	start := time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC)
	breaking := contract.Drift{Pointer: "/data/id", Change: "type_changed", Severity: "breaking", Baseline: "integer", Observed: "string", Fingerprint: "f1"}
	warning := contract.Drift{Pointer: "/data/status", Change: "enum_added", Severity: "warning", Baseline: "1,2", Observed: "3", Fingerprint: "f2"}
	specs := []types.SpecReport{
		spec("client", findCustomerInfo, "answers HTTP 200", types.SpecStatePassed, "", &contract.Observation{HTTPStatus: 200, EnvelopeCode: "0"}, "readonly"),
		spec("client", findCustomerInfo, "returns data that matches the data schema", types.SpecStateFailed,
			"data schema violated:\n  /data/id [type]: expected integer, saw string",
			&contract.Observation{HTTPStatus: 200, EnvelopeCode: "0", Violations: []contract.Violation{{Pointer: "/data/id", Keyword: "type", Expected: "integer", Seen: "string", Message: "wrong type"}}}, "readonly"),
		spec("client", findCustomerInfo, "keeps the accepted response shape", types.SpecStateFailed, "breaking drift at /data/id",
			&contract.Observation{HTTPStatus: 200, Drift: []contract.Drift{breaking}}, "readonly"),
		spec("client", "market.app.MarketWebApiService.getSymbolList", "answers HTTP 200", types.SpecStateFailed, "vendor unavailable: HTTP 503",
			&contract.Observation{Outcome: verdict.Unavailable, Reason: "vendor unavailable: HTTP 503 Service Unavailable", HTTPStatus: 503}, "readonly"),
		spec("client", "market.app.MarketWebApiService.getSymbolList", "keeps the accepted response shape", types.SpecStatePassed, "",
			&contract.Observation{Outcome: verdict.Drifted, HTTPStatus: 200, Drift: []contract.Drift{warning}}, "readonly"),
		spec("client", "trade.app.TradeWebApiService.placeOrder", "places an order", types.SpecStateSkipped,
			"mutating spec refused against a real target (--allow-mutations)", nil, "mutating"),
		spec("client", "funds.app.FundsWebApiService.getBalance", "answers HTTP 200", types.SpecStatePanicked, "runtime error: index out of range", nil, "readonly"),
		spec("client", "funds.app.FundsWebApiService.getFlow", "answers HTTP 200", types.SpecStateFailed, "login rejected: GATEWAY_CODE_005",
			&contract.Observation{HTTPStatus: 200, EnvelopeCode: "GATEWAY_CODE_005"}, "readonly"),
		spec("openapi", "open.quote.list", "answers HTTP 200", types.SpecStatePassed, "", &contract.Observation{HTTPStatus: 200}, "readonly"),
		{LeafNodeType: types.NodeTypeBeforeSuite, LeafNodeText: "", State: types.SpecStateFailed,
			Failure: types.Failure{Message: "simulator did not start"}},
	}
	flaky := spec("openapi", "open.quote.detail", "answers HTTP 200", types.SpecStatePassed, "", &contract.Observation{HTTPStatus: 200}, "readonly")
	flaky.NumAttempts = 2
	// Left out by the label filter: not a check of this run.
	filtered := spec("catalog", "customer.app.CustomerWebApiService.findAddress", "answers", types.SpecStateSkipped, "", nil, "readonly")
	filtered.NumAttempts = 0
	specs = append(specs, flaky, filtered)
	report := types.Report{
		SuiteDescription: "mmcontract",
		SuiteConfig:      types.SuiteConfig{LabelFilter: "client || openapi"},
		StartTime:        start, EndTime: start.Add(3 * time.Second),
		SpecReports: specs,
	}
	ix := results.NewIndex([]types.Report{report})
	res := results.BuildIndexed(report, ix, results.Meta{Target: "https://prewppc-3.cmfbl.com", LabelFilter: "client || openapi"})
	// The runner may know better than the spec state: a rejected token is a
	// set-up problem, never a broken contract.
	for i := range res.Checks {
		if res.Checks[i].EnvelopeCode == "GATEWAY_CODE_005" {
			res.Checks[i].Verdict, res.Checks[i].Message = verdict.Config, "credentials rejected: MM_TOKEN expired or unknown"
		}
	}
	return res, ix
}

type noRedactor struct{}

func (noRedactor) Known(s string) string { return s }

// Ensure the default output matches the golden file and validates against
// the Jenkins xUnit junit-10.xsd.
func TestWriteGolden(t *testing.T) {
	res, ix := fixture()
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := Write(path, res, ix, noRedactor{}, Options{Target: "https://prewppc-3.cmfbl.com", TargetKind: results.TargetVendor}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join("testdata", "junit.golden.xml")
	golden.Check(t, path, got, *update)
	junittest.Validate(t, path)
}

// Ensure each verdict becomes the element its consumer counts, classnames
// name family and operation, suites name the target, and specs outside the
// label filter are not testcases.
func TestBuildShape(t *testing.T) {
	res, ix := fixture()
	doc := Build(res, ix, Options{Target: "https://prewppc-3.cmfbl.com", TargetKind: results.TargetVendor})
	raw, err := xml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	// Parsed back as a consumer would, not through our own types.
	parsed := junittest.Parse(t, raw)
	// broken twice (schema, breaking drift); unavailable, error (panic),
	// config and the failed BeforeSuite are errors; one skip.
	if parsed.Tests != 11 || parsed.Failures != 2 || parsed.Errors != 4 {
		t.Errorf("tests=%d failures=%d errors=%d, want 11, 2, 4", parsed.Tests, parsed.Failures, parsed.Errors)
	}
	names := map[string]bool{}
	errorTypes := map[string]int{}
	for _, s := range parsed.Suites {
		names[s.Name] = true
		props := s.Props()
		if props["target"] != "https://prewppc-3.cmfbl.com" || props["target_kind"] != "vendor" || props["verdict"] == "" {
			t.Errorf("suite %q properties %v lack target, target_kind or verdict", s.Name, props)
		}
		for _, c := range s.Cases {
			if strings.Contains(c.Name, "findAddress") {
				t.Errorf("a spec outside the label filter is a testcase: %s", c.Name)
			}
			for _, e := range c.Errors {
				errorTypes[e.Type]++
			}
			if strings.Contains(c.Name, "data schema") {
				if c.Classname != "client."+findCustomerInfo || len(c.Failures) != 1 {
					t.Errorf("schema violation: classname %q, %d failures, want client.%s and one failure", c.Classname, len(c.Failures), findCustomerInfo)
				}
				if !strings.Contains(c.SystemOut, "violation /data/id [type]") || !strings.Contains(c.SystemOut, "verdict: broken") {
					t.Errorf("system-out does not carry the verdict and violation:\n%s", c.SystemOut)
				}
			}
			if strings.Contains(c.Name, "getSymbolList keeps") {
				if len(c.Failures)+len(c.Errors) > 0 || !strings.Contains(c.SystemOut, "drift warning: enum_added /data/status") {
					t.Errorf("warning drift is not a passing testcase naming the drift:\n%s", c.SystemOut)
				}
			}
		}
	}
	for _, want := range []string{"mmcontract client https://prewppc-3.cmfbl.com", "mmcontract openapi https://prewppc-3.cmfbl.com", "mmcontract harness https://prewppc-3.cmfbl.com"} {
		if !names[want] {
			t.Errorf("no suite named %q; have %v", want, names)
		}
	}
	for _, typ := range []string{"unavailable", "config", "error"} {
		if errorTypes[typ] == 0 {
			t.Errorf("no <error type=%q>; have %v", typ, errorTypes)
		}
	}
}

// Ensure a simulator run names the simulator, not its changing loopback
// port, and an empty selection still writes a named, valid suite.
func TestBuildSimulatorAndEmpty(t *testing.T) {
	opts := Options{Target: "simulator (http://127.0.0.1:40515, scenario nominal)", TargetKind: results.TargetSimulator}
	doc := Build(results.Results{}, nil, opts)
	if len(doc.Suites) != 1 || doc.Suites[0].Name != "mmcontract simulator" || doc.Name != "mmcontract simulator" {
		t.Fatalf("suites %+v, want one named %q", doc.Suites, "mmcontract simulator")
	}
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := Write(path, results.Results{}, nil, noRedactor{}, opts); err != nil {
		t.Fatal(err)
	}
	junittest.Validate(t, path)
}

type maskRedactor struct{ secret string }

func (m maskRedactor) Known(s string) string { return strings.ReplaceAll(s, m.secret, "***") }

// Ensure the whole document goes through the redactor.
func TestWriteRedacts(t *testing.T) {
	res, ix := fixture()
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := Write(path, res, ix, maskRedactor{"prewppc-3"}, Options{Target: "https://prewppc-3.cmfbl.com", TargetKind: results.TargetVendor}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("prewppc-3")) || !bytes.Contains(raw, []byte("***")) {
		t.Errorf("junit.xml was not redacted:\n%s", raw)
	}
}
