package results

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/mmcontract/mmcontract/internal/golden"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// goldenMeta is what the golden run says about itself beyond Ginkgo's
// report; reports/junit's golden test uses the same.
var goldenMeta = Meta{Target: "https://prewppc-3.cmfbl.com", TargetKind: TargetVendor, Version: "v1.2.3", Commit: "abc123def456",
	LabelFilter: "!catalog", Baseline: "baselines/staging", RatePerMinute: 240}

// Ensure a literal Ginkgo report (testdata/run.ginkgo.json: one check of
// every verdict, a failed BeforeSuite, a spec the label filter left out,
// two specs with one text, a flake, observations naming a shared exchange)
// gives exactly testdata/run.results.golden.json. Run with -update to
// rewrite it after checking the change.
func TestResultsGolden(t *testing.T) {
	reports := golden.Reports(t, filepath.Join("testdata", "run.ginkgo.json"))
	got, err := Encode(Build(reports[0], goldenMeta))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "run.results.golden.json"), got, *update)
	// Parsed back as a consumer reads it, not through Results.
	var doc struct {
		Verdict string         `json:"verdict"`
		Counts  map[string]int `json:"counts"`
		Checks  []struct {
			ID, Spec, Verdict string
		} `json:"checks"`
	}
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range doc.Checks {
		if ids[c.ID] {
			t.Errorf("check id %s is not unique (%s)", c.ID, c.Spec)
		}
		ids[c.ID] = true
	}
	if doc.Verdict != string(verdict.Error) || len(doc.Checks) != 12 || doc.Counts["broken"] != 3 {
		t.Errorf("verdict %s, %d checks, %d broken: want error, 12, 3", doc.Verdict, len(doc.Checks), doc.Counts["broken"])
	}
}
