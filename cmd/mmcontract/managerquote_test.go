package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Ensure the Manager quote REST specs run through the real binary against
// the simulator: --label-filter "manager && quote" selects (quote alone
// also selects the quote websocket's specs) the eight endpoints' five
// checks each (envelope, envelope schema, data schema, invariants, shape),
// every one passes and none skips, exit 0; each is labelled like the other
// Manager specs (manager, market, readonly) plus quote; and each exchange is
// the documented GET with the Manager token in the URL, redacted.
func TestRunManagerQuoteREST(t *testing.T) {
	out := t.TempDir()
	r, res := runSim(t, out, "--label-filter", "manager && quote")
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("exit %d verdict %s, want 0 pass\nstdout:\n%s\nstderr:\n%s", r.code, res.Verdict, r.stdout, r.stderr)
	}
	ops := map[string]int{}
	for _, c := range res.Checks {
		if c.Verdict != verdict.Pass {
			t.Errorf("%s: %s %s", c.Spec, c.Verdict, c.Message)
		}
		for _, l := range []string{"manager", "market", "readonly", "quote"} {
			if !slices.Contains(c.Labels, l) {
				t.Errorf("%s: labels %v lack %q", c.Spec, c.Labels, l)
			}
		}
		if c.Family != "manager" || c.EnvelopeCode != "200" || !strings.HasPrefix(c.Operation, "quote-") {
			t.Errorf("%s: family %s operation %s envelope code %q, want a manager quote operation with ret 200", c.Spec, c.Family, c.Operation, c.EnvelopeCode)
		}
		ops[c.Operation]++
	}
	if len(ops) != 8 {
		t.Errorf("%d quote operations checked, want 8: %v", len(ops), ops)
	}
	for op, n := range ops {
		if n != 5 {
			t.Errorf("%s: %d checks, want 5", op, n)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "ginkgo.json"))
	if err != nil {
		t.Fatal(err)
	}
	if report := string(raw); !strings.Contains(report, `/openapi-b/quote-b-api/kline?query=`) || !strings.Contains(report, `token=[redacted]`) {
		t.Errorf("the kline exchange is not a GET with its query and a redacted token")
	}
}
