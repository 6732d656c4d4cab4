package monitor

import (
	"fmt"
	"strings"
	"testing"
)

// Ensure the suite jobs that share a target share its per-operation budget
// evenly (at least 1 per minute), a target with one job keeps its budget,
// spec jobs take no share, and SetDefaults is idempotent.
func TestJobsShareTheirTargetsRateBudget(t *testing.T) {
	cases := []struct {
		name string
		rate string // the target's rate_per_minute line, or ""
		jobs int
		want int // the child's MM_RATE_PER_MINUTE; 0: none passed (the client's 240)
	}{
		{"one job, default", "", 1, 0},
		{"one job, configured", "rate_per_minute: 100", 1, 100},
		{"three jobs, default", "", 3, 80},
		{"four jobs, configured", "rate_per_minute: 100", 4, 25},
		{"more jobs than budget", "rate_per_minute: 2", 3, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			yaml := fmt.Sprintf("targets:\n  staging:\n    base_url: https://vendor.example\n    company_id: \"439\"\n    token: tok\n    %s\njobs:\n", tc.rate)
			for i := 0; i < tc.jobs; i++ {
				yaml += fmt.Sprintf("  - name: job%d\n    target: staging\n    schedule: \"@every 1m\"\n", i)
			}
			yaml += "  - name: spec\n    kind: spec\n    schedule: \"@every 1h\"\n    source: https://vendor.example/openapi.json\n"
			cfg, err := ParseConfig([]byte(yaml), testEnv)
			if err != nil {
				t.Fatalf("config rejected: %v", err)
			}
			cfg.SetDefaults() // a second time: must not divide again
			if got := cfg.Targets["staging"].RatePerMinute; got != tc.want {
				t.Errorf("each job's rate %d, want %d", got, tc.want)
			}
			env := fmt.Sprint(childEnv(cfg.Targets["staging"]))
			want := fmt.Sprintf("MM_RATE_PER_MINUTE=%d", tc.want)
			if tc.want == 0 {
				want = ""
			}
			if got := strings.Contains(env, "MM_RATE_PER_MINUTE"); got != (want != "") || !strings.Contains(env, want) {
				t.Errorf("child environment %s, want %q", env, want)
			}
		})
	}
}
