package main

import (
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Ensure the replay window both ways through the real command: on the
// nominal simulator the client's requests are inside the window and the
// replay specs see a stale and an untimestamped request refused; with the
// window gone they are broken at /code (exit 1); with the vendor's clock a
// minute ahead the run is a set-up problem of kind clock_skew (exit 2) that
// tells on-call to fix the clock, never a broken contract or bad
// credentials.
func TestRunReplayWindow(t *testing.T) {
	out := t.TempDir()
	r, res := runSim(t, out, "--label-filter", "replay")
	if r.code != 0 || res.Verdict != verdict.Pass || res.Counts[verdict.Pass] != 2 {
		t.Fatalf("nominal: exit %d verdict %s counts %v, want 0, pass, 2 checks\n%s", r.code, res.Verdict, res.Counts, r.stdout)
	}

	out = t.TempDir()
	r, res = runSim(t, out, "--scenario", "replay-window-off", "--label-filter", "replay")
	if r.code != verdict.ExitBroken || res.Counts[verdict.Broken] != 2 {
		t.Fatalf("replay-window-off: exit %d counts %v, want 1 and both replay checks broken\n%s", r.code, res.Counts, r.stdout)
	}
	for _, c := range res.Checks {
		if len(c.Violations) != 1 || c.Violations[0].Pointer != "/code" || !strings.Contains(c.Message, "accepted a request") {
			t.Errorf("%s: %q %v", c.Spec, c.Message, c.Violations)
		}
	}

	out = t.TempDir()
	r, res = runSim(t, out, "--scenario", "clock-ahead")
	if r.code != verdict.ExitUsage || res.Verdict != verdict.Config {
		t.Fatalf("clock-ahead: exit %d verdict %s, want %d config\n%s", r.code, res.Verdict, verdict.ExitUsage, r.stdout)
	}
	if res.ConfigError == nil || res.ConfigError.Kind != verdict.ClockSkew || !strings.Contains(res.ConfigError.Message, "NTP") {
		t.Errorf("config_error %+v, want kind clock_skew naming the clock fix", res.ConfigError)
	}
	if res.Counts[verdict.Broken] != 0 || strings.Contains(r.stdout+r.stderr, "credentials rejected") {
		t.Errorf("a wrong clock reads as a broken contract or rejected credentials: %v\n%s%s", res.Counts, r.stdout, r.stderr)
	}
}
