package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/junit/junittest"
)

// Ensure a real run's junit.xml validates against the Jenkins xUnit
// junit-10.xsd and that an outage is counted as <error> elements, a contract
// break as <failure> elements, one per check of that verdict; the suite names
// the simulator and carries the target; specs outside the label filter are no
// testcases.
func TestJUnitOutageAndBreak(t *testing.T) {
	const op = "client.customer.app.CustomerWebApiService.findCustomerInfo"
	cases := []struct {
		scenario                     string
		wantVerdict                  verdict.Verdict
		wantCode                     int
		failureVerdict, errorVerdict verdict.Verdict // what each element counts
	}{
		{"http-503", verdict.Unavailable, verdict.ExitUnavailable, verdict.Broken, verdict.Unavailable},
		{"type-change", verdict.Broken, verdict.ExitBroken, verdict.Broken, verdict.Unavailable},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			r, res := runSim(t, out, "--scenario", tc.scenario, "--label-filter", "findCustomerInfo && client",
				"--timeout", "2s", "--retries", "0", "--flake-attempts", "1")
			if r.code != tc.wantCode || res.Verdict != tc.wantVerdict {
				t.Fatalf("exit %d verdict %s, want %d %s\n%s%s", r.code, res.Verdict, tc.wantCode, tc.wantVerdict, r.stdout, r.stderr)
			}
			junittest.Validate(t, filepath.Join(out, "junit.xml"))
			raw, err := os.ReadFile(filepath.Join(out, "junit.xml"))
			if err != nil {
				t.Fatal(err)
			}
			doc := junittest.Parse(t, raw)
			failures, errors, cases := 0, 0, 0
			for _, s := range doc.Suites {
				if s.Name != "mmcontract client simulator" {
					t.Errorf("suite %q, want %q", s.Name, "mmcontract client simulator")
				}
				if props := s.Props(); props["target_kind"] != "simulator" || props["target"] != res.Target {
					t.Errorf("suite properties %v, want target_kind simulator and target %q", props, res.Target)
				}
				for _, c := range s.Cases {
					cases++
					if c.Classname != op {
						t.Errorf("testcase %q has classname %q, want %q (outside the filter?)", c.Name, c.Classname, op)
					}
					failures += len(c.Failures)
					errors += len(c.Errors)
				}
			}
			if n := res.Counts[tc.failureVerdict]; failures != n || doc.Failures != n {
				t.Errorf("%d <failure> elements (failures=%d), want %d, one per %s check", failures, doc.Failures, n, tc.failureVerdict)
			}
			if n := res.Counts[tc.errorVerdict]; errors != n || doc.Errors != n {
				t.Errorf("%d <error> elements (errors=%d), want %d, one per %s check", errors, doc.Errors, n, tc.errorVerdict)
			}
			if failures+errors == 0 {
				t.Errorf("no <failure> or <error> at all for scenario %s", tc.scenario)
			}
			if cases < 5 || cases != doc.Tests {
				t.Errorf("%d testcases (tests=%d); want the 5+ findCustomerInfo checks only", cases, doc.Tests)
			}
		})
	}
}
