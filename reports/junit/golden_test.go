package junit

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/golden"
	"github.com/mmcontract/mmcontract/reports/junit/junittest"
	"github.com/mmcontract/mmcontract/reports/results"
)

// goldenInput is the literal Ginkgo report of reports/results' golden test,
// read from there so that both outputs of one run are pinned from one input.
var goldenInput = filepath.Join("..", "results", "testdata", "run.ginkgo.json")

// Ensure that literal Ginkgo report gives exactly
// testdata/run.junit.golden.xml, which junit-10.xsd accepts and a JUnit
// reader parses with one testcase per check of results.json, two specs with
// one text included. Run with -update to rewrite it after checking the change.
func TestJUnitGolden(t *testing.T) {
	reports := golden.Reports(t, goldenInput)
	ix := results.NewIndex(reports)
	res := results.BuildIndexed(reports[0], ix, results.Meta{Target: "https://prewppc-3.cmfbl.com", TargetKind: results.TargetVendor,
		Version: "v1.2.3", Commit: "abc123def456", LabelFilter: "!catalog", Baseline: "baselines/staging", RatePerMinute: 240})
	got, err := Encode(res, ix, Options{Target: res.Target, TargetKind: res.TargetKind})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "run.junit.golden.xml")
	golden.Check(t, path, got, *update)
	parsed := junittest.Parse(t, got)
	if parsed.Tests != len(res.Checks) {
		t.Errorf("%d testcases, want one per check (%d)", parsed.Tests, len(res.Checks))
	}
	// The two specs with one text keep their own outcome and failure text.
	var quote []string
	for _, s := range parsed.Suites {
		for _, c := range s.Cases {
			if strings.HasPrefix(c.Name, "openapi open.quote.list answers") {
				quote = append(quote, c.SystemOut)
			}
		}
	}
	if len(quote) != 2 || !strings.Contains(quote[0], "verdict: pass") || !strings.Contains(quote[1], "verdict: broken\noperation: open.quote.list\nhttp_status: 502") {
		t.Errorf("the two specs with one text are not told apart: %q", quote)
	}
	junittest.Validate(t, path)
}
