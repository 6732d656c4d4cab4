package results

import (
	"reflect"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// spec builds a spec report by hand, the way Ginkgo's reporter tests do.
func spec(text string, labels []string, state types.SpecState, attempts int, obs *contract.Observation) types.SpecReport {
	r := types.SpecReport{
		LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: []string{"op.find"}, LeafNodeText: text,
		LeafNodeLabels: labels, State: state, NumAttempts: attempts,
	}
	if state.Is(types.SpecStateFailed) {
		r.Failure = types.Failure{Message: "failed: " + text}
	}
	if obs != nil {
		r.ReportEntries = types.ReportEntries{{Name: contract.EntryName, Value: types.WrapEntryValue(*obs)}}
	}
	return r
}

// Ensure specs the label filter left out are no checks of the run, that an
// interrupted run marks what it did not run, and that a config check gives
// the run its config_error.
func TestBuildSelectionInterruptAndConfig(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	cfg := &contract.Observation{Operation: "op.find", Family: "client", Outcome: verdict.Config, ConfigKind: verdict.CredentialsRejected,
		Reason: "credentials rejected: set a fresh MM_TOKEN"}
	report := types.Report{
		StartTime: t0, EndTime: t0.Add(2 * time.Second),
		SuiteConfig: types.SuiteConfig{LabelFilter: "smoke"},
		SpecReports: types.SpecReports{
			spec("passes", []string{"smoke"}, types.SpecStatePassed, 1, &contract.Observation{Operation: "op.find", Family: "client"}),
			spec("left out by the filter", []string{"catalog"}, types.SpecStateSkipped, 0, nil),
			spec("skipped at run time", []string{"smoke"}, types.SpecStateSkipped, 1, nil),
			spec("set-up problem", []string{"smoke"}, types.SpecStateFailed, 1, cfg),
			spec("in flight", []string{"smoke"}, types.SpecStateInterrupted, 1, nil),
			spec("never reached", []string{"smoke"}, types.SpecStateSkipped, 0, nil),
		},
		SpecialSuiteFailureReasons: []string{"Interrupted by User"},
	}
	res := Build(report, Meta{TargetKind: TargetSimulator})
	want := map[string]struct {
		v   verdict.Verdict
		msg string
	}{
		"op.find passes":              {verdict.Pass, ""},
		"op.find skipped at run time": {verdict.Skipped, ""},
		"op.find set-up problem":      {verdict.Config, "credentials rejected: set a fresh MM_TOKEN"},
		"op.find in flight":           {verdict.Skipped, "not finished: interrupted"},
		"op.find never reached":       {verdict.Skipped, "not run: interrupted"},
	}
	if len(res.Checks) != len(want) {
		t.Errorf("%d checks, want %d (the filtered-out spec is no check)", len(res.Checks), len(want))
	}
	for _, c := range res.Checks {
		w, ok := want[c.Spec]
		if !ok {
			t.Errorf("unexpected check %q", c.Spec)
			continue
		}
		if c.Verdict != w.v || c.Message != w.msg {
			t.Errorf("%s: %s %q, want %s %q", c.Spec, c.Verdict, c.Message, w.v, w.msg)
		}
	}
	if !res.Interrupted || res.Verdict != verdict.Config || res.TargetKind != TargetSimulator {
		t.Errorf("interrupted %v verdict %s target_kind %q", res.Interrupted, res.Verdict, res.TargetKind)
	}
	if res.ConfigError == nil || res.ConfigError.Kind != verdict.CredentialsRejected || res.ConfigError.Message != cfg.Reason {
		t.Errorf("config_error %+v, want the config check's kind and message", res.ConfigError)
	}
	if res.Counts[verdict.Skipped] != 3 || res.Counts[verdict.Config] != 1 || res.Counts[verdict.Pass] != 1 {
		t.Errorf("counts %v", res.Counts)
	}
}

// Ensure a run without a filter or an interruption counts every spec, and
// that a config error found before the run wins over the checks'.
func TestBuildNoFilter(t *testing.T) {
	pre := &verdict.ConfigError{Kind: verdict.WrongBaseURL, Message: "wrong base URL: give the server root"}
	report := types.Report{SpecReports: types.SpecReports{
		spec("passes", nil, types.SpecStatePassed, 1, nil),
		spec("skipped", nil, types.SpecStateSkipped, 1, nil),
	}}
	res := Build(report, Meta{ConfigError: pre})
	if len(res.Checks) != 2 || res.Interrupted || res.ConfigError != pre {
		t.Errorf("checks %d interrupted %v config_error %+v", len(res.Checks), res.Interrupted, res.ConfigError)
	}
	if _, ok := res.Counts[verdict.Config]; ok {
		t.Error("counts lists config without a config check")
	}
}

// Ensure only a spec the label filter left out is not a check: a spec
// skipped with a reason, one never reached after an interrupt (skipped,
// never attempted, but selected), and every spec of an unfiltered run are.
func TestSelector(t *testing.T) {
	spec := func(state types.SpecState, attempts int, labels ...string) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeLabels: labels, State: state, NumAttempts: attempts}
	}
	cases := []struct {
		name   string
		spec   types.SpecReport
		filter string
		want   bool
	}{
		{"not selected", spec(types.SpecStateSkipped, 0, "catalog", "readonly"), "client", false},
		{"not selected, negated", spec(types.SpecStateSkipped, 0, "client", "negative"), "client && !negative", false},
		{"selected but never reached", spec(types.SpecStateSkipped, 0, "client"), "client", true},
		{"skipped while running (Skip)", spec(types.SpecStateSkipped, 1, "catalog"), "client", true},
		{"passed", spec(types.SpecStatePassed, 1, "client"), "client", true},
		{"no filter", spec(types.SpecStateSkipped, 0, "client"), "", true},
	}
	for _, c := range cases {
		report := types.Report{SuiteConfig: types.SuiteConfig{LabelFilter: c.filter}}
		if got := Selector(report)(c.spec); got != c.want {
			t.Errorf("%s: selected = %v, want %v", c.name, got, c.want)
		}
	}
}

// Ensure Checked keeps exactly the specs that are checks of the run (and
// setup nodes), so results built from it equal results built from the
// whole report.
func TestCheckedKeepsTheChecks(t *testing.T) {
	report := types.Report{
		SuiteConfig: types.SuiteConfig{LabelFilter: "smoke"},
		SpecReports: types.SpecReports{
			spec("passes", []string{"smoke"}, types.SpecStatePassed, 1, &contract.Observation{Operation: "op.find", Family: "client"}),
			spec("left out by the filter", []string{"catalog"}, types.SpecStateSkipped, 0, nil),
			spec("skipped at run time", []string{"smoke"}, types.SpecStateSkipped, 1, nil),
			{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStatePassed},
		},
	}
	checked := Checked(report)
	if len(checked.SpecReports) != 3 || len(report.SpecReports) != 4 {
		t.Fatalf("kept %d of %d specs, want 3 (and the report untouched)", len(checked.SpecReports), len(report.SpecReports))
	}
	a, b := Build(report, Meta{}), Build(checked, Meta{})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("results differ:\n%+v\n%+v", a, b)
	}
}
