package main

import (
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites"
)

// Ensure `--label-filter catalog` runs exactly one check per read-only
// catalog operation outside the curated suite, that every one the simulator
// can serve passes, and that the rest are skipped for their stated reason,
// never run: a write verb in the name, no gateway path, or a raw Dubbo path.
func TestRunCatalogSuite(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	table, err := suites.CatalogOperations(set)
	if err != nil {
		t.Fatal(err)
	}
	wantSkip := map[string]string{}
	for _, op := range table {
		switch _, write := suites.WriteVerb(op.Method()); {
		case write:
			wantSkip[op.BizType] = "write verb"
		case op.Path != "global" && op.Path != schemas.CatsGatewayPath:
			wantSkip[op.BizType] = "no gateway path"
		case strings.Contains(op.BizType, "/"):
			wantSkip[op.BizType] = "raw Dubbo path"
		}
	}

	r, res := runSim(t, t.TempDir(), "--label-filter", "catalog")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	seen := map[string]bool{}
	passed := 0
	for _, c := range res.Checks {
		if !hasLabel(c.Labels, "catalog") {
			if c.Verdict != verdict.Skipped {
				t.Errorf("%s ran (%s) although the filter selects only catalog specs", c.Spec, c.Verdict)
			}
			continue
		}
		if seen[c.Operation] {
			t.Errorf("%s has more than one catalog check", c.Operation)
		}
		seen[c.Operation] = true
		if !hasLabel(c.Labels, "readonly") || !hasLabel(c.Labels, "client") {
			t.Errorf("%s: labels %v lack readonly or client", c.Operation, c.Labels)
		}
		if reason, skip := wantSkip[c.Operation]; skip {
			if c.Verdict != verdict.Skipped || !strings.Contains(c.Message, reason) {
				t.Errorf("%s: %s %q, want skipped for %q", c.Operation, c.Verdict, c.Message, reason)
			}
			continue
		}
		if c.Verdict != verdict.Pass {
			t.Errorf("%s: %s %q, want pass", c.Operation, c.Verdict, c.Message)
			continue
		}
		passed++
	}
	if len(seen) != len(table) {
		t.Errorf("%d catalog checks, want one per catalog operation: %d", len(seen), len(table))
	}
	if passed != len(table)-len(wantSkip) || passed == 0 {
		t.Errorf("%d catalog checks passed, want %d", passed, len(table)-len(wantSkip))
	}
}

func hasLabel(labels []string, l string) bool {
	for _, have := range labels {
		if have == l {
			return true
		}
	}
	return false
}
