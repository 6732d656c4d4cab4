package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// Ensure the drift cycle works through the real command: accept a baseline
// from a nominal run, then each kind of drift reads as documented, and a
// return to nominal passes again.
func TestDriftAgainstAcceptedBaseline(t *testing.T) {
	base := filepath.Join(t.TempDir(), "baselines")
	nominal := t.TempDir()
	if r, res := runSim(t, nominal); r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("nominal run: exit %d verdict %s\n%s", r.code, res.Verdict, r.stdout)
	}
	r := mmcontract(t, nil, "baseline", "accept", "--from", nominal, "--baseline", base)
	if r.code != 0 {
		t.Fatalf("baseline accept: exit %d\n%s", r.code, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(base, "*", "*.json"))
	if len(files) < 17 {
		t.Fatalf("baseline has %d files, want one per operation (17): %v", len(files), files)
	}
	// Accepting the same run into a fresh directory gives the same bytes:
	// baselines are deterministic, so their pull-request diffs show only change.
	again := filepath.Join(t.TempDir(), "baselines")
	mmcontract(t, nil, "baseline", "accept", "--from", nominal, "--baseline", again)
	for _, f := range files {
		rel, _ := filepath.Rel(base, f)
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join(again, rel))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s differs between two accepts of the same run (%v)", rel, err)
		}
	}

	filter := []string{"--baseline", base, "--label-filter", "findCustomerInfo && !negative", "--flake-attempts", "1"}
	cases := []struct {
		scenario string
		code     int
		verdict  verdict.Verdict
		pointer  string
		change   string
		severity string
	}{
		{"added-field", 0, verdict.Drifted, "/data/riskLevel", "added", "info"},
		{"removed-field", 1, verdict.Broken, "/data/customerNo", "removed", "breaking"},
		{"type-change", 1, verdict.Broken, "/data/id", "type_changed", "breaking"},
		{"enum-added", 0, verdict.Drifted, "/data/status", "enum_added", "warning"},
		{"nominal", 0, verdict.Pass, "", "", ""},
	}
	fingerprints := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			r, res := runSim(t, t.TempDir(), append([]string{"--scenario", tc.scenario}, filter...)...)
			if r.code != tc.code || res.Verdict != tc.verdict {
				t.Fatalf("exit %d verdict %s, want %d %s\n%s", r.code, res.Verdict, tc.code, tc.verdict, r.stdout)
			}
			if tc.pointer == "" {
				return
			}
			d, ok := findDrift(res, tc.pointer)
			if !ok {
				t.Fatalf("no drift at %s in results.json", tc.pointer)
			}
			if string(d.Change) != tc.change || string(d.Severity) != tc.severity || d.Fingerprint == "" {
				t.Errorf("drift %+v, want change %s severity %s with a fingerprint", d, tc.change, tc.severity)
			}
			fingerprints[tc.scenario] = d.Fingerprint
			if !strings.Contains(r.stdout, tc.pointer) {
				t.Errorf("the terminal summary does not list %s:\n%s", tc.pointer, r.stdout)
			}
		})
	}
	// The same drift in a new process has the same fingerprint: alerts
	// deduplicate on it across runs and restarts.
	_, res := runSim(t, t.TempDir(), append([]string{"--scenario", "added-field"}, filter...)...)
	if d, _ := findDrift(res, "/data/riskLevel"); d.Fingerprint != fingerprints["added-field"] {
		t.Errorf("fingerprint changed across runs: %s then %s", fingerprints["added-field"], d.Fingerprint)
	}
	// --fail-on drifted turns a drifted run into exit 1.
	r, _ = runSim(t, t.TempDir(), append([]string{"--scenario", "added-field", "--fail-on", "drifted"}, filter...)...)
	if r.code != 1 {
		t.Errorf("--fail-on drifted: exit %d, want 1", r.code)
	}
}

// Ensure a run without a baseline still reports undocumented fields against
// the schema and says how to create a baseline.
func TestDriftWithoutBaseline(t *testing.T) {
	r, res := runSim(t, t.TempDir(), "--scenario", "added-field", "--label-filter", "findCustomerInfo && !negative")
	if r.code != 0 || res.Verdict != verdict.Drifted {
		t.Fatalf("exit %d verdict %s, want 0 drifted\n%s", r.code, res.Verdict, r.stdout)
	}
	if d, ok := findDrift(res, "/data/riskLevel"); !ok || d.Change != "added" {
		t.Errorf("undocumented /data/riskLevel not reported as added: %+v", d)
	}
	if !strings.Contains(r.stdout, "baseline accept") {
		t.Errorf("the run does not say how to create a baseline:\n%s", r.stdout)
	}
}

// Ensure a malformed baseline file is a usage error naming the file.
func TestMalformedBaseline(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "client", "customer.app.CustomerWebApiService.findCustomerInfo.json")
	if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mmcontract(t, nil, "run", "--out", t.TempDir(), "--baseline", dir)
	if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "findCustomerInfo.json") {
		t.Errorf("exit %d, want 2 naming the file\n%s", r.code, r.stderr)
	}
}

func findDrift(res results.Results, pointer string) (contract.Drift, bool) {
	for _, c := range res.Checks {
		for _, d := range c.Drift {
			if d.Pointer == pointer {
				return d, true
			}
		}
	}
	return contract.Drift{}, false
}
