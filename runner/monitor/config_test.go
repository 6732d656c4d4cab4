package monitor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert/webhook"
)

func testEnv(name string) string {
	return map[string]string{"MM_LOGIN_NAME": "ops@example.com", "MM_LOGIN_PASSWORD": "s3cret\"pw", "HOOK_SECRET": "hook-key"}[name]
}

// Ensure the minimal configuration from the issue validates exactly as
// written, with its secrets taken from the environment and defaults set.
func TestMinimalConfigFromIssue(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("testdata", "minimal.yaml"), testEnv)
	if err != nil {
		t.Fatalf("minimal config rejected: %v", err)
	}
	tg := cfg.Targets["staging"]
	if tg.LoginName != "ops@example.com" || tg.LoginPassword != `s3cret"pw` {
		t.Errorf("credentials not expanded from the environment: %q %q", tg.LoginName, tg.LoginPassword)
	}
	j := cfg.Jobs[0]
	if j.Kind != "suite" || j.Timeout.D() != 2*time.Minute || j.Jitter.D() != 10*time.Second || j.FlakeAttempts != 2 {
		t.Errorf("job not decoded with defaults: %+v", j)
	}
	r := cfg.Alerting.Receivers[0]
	settings, err := r.Settings()
	if hook, ok := settings.(webhook.Config); err != nil || !ok || r.Type != "webhook" || hook.Secret != "hook-key" ||
		cfg.Alerting.Routes[0].Receiver != "oncall" {
		t.Errorf("alerting not decoded: %+v (%+v, %v) %+v", r, settings, err, cfg.Alerting.Routes)
	}
	if cfg.Alerting.UnavailableAfter != 3 || cfg.ShutdownGrace.D() != 30*time.Second || cfg.Retention.MaxRuns != 10000 {
		t.Errorf("defaults not set: %+v", cfg)
	}
}

// Ensure each invalid fixture is rejected with exactly the message on its
// first comment lines ("# want: ..." and "#   continuation"), and the
// message names the key at fault.
func TestInvalidConfigs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid-*.yaml"))
	if err != nil || len(files) < 10 {
		t.Fatalf("fixtures: %v (%d found)", err, len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := wantedMessage(t, string(raw))
			_, err = LoadConfig(f, testEnv) // as --check-config does: relative paths from the file
			if err == nil {
				t.Fatalf("accepted; want %q", want)
			}
			if err.Error() != want {
				t.Errorf("message\n got: %s\nwant: %s", err, want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Key == "" {
				t.Errorf("not a ConfigError naming a key: %T", err)
			}
		})
	}
}

func wantedMessage(t *testing.T, raw string) string {
	t.Helper()
	lines := strings.Split(raw, "\n")
	first, ok := strings.CutPrefix(lines[0], "# want: ")
	if !ok {
		t.Fatalf("first line must be \"# want: <message>\", got %q", lines[0])
	}
	msg := []string{first}
	for _, l := range lines[1:] {
		rest, ok := strings.CutPrefix(l, "# ")
		if !ok {
			break
		}
		msg = append(msg, rest)
	}
	return strings.Join(msg, "\n")
}

// Ensure a ${VAR} value cannot break out of its YAML scalar and inject keys.
func TestEnvExpansionCannotInjectYAML(t *testing.T) {
	raw := []byte("targets:\n  sim:\n    token: \"${EVIL}\"\njobs:\n  - name: a\n    target: sim\n    schedule: \"@every 1m\"\n")
	evil := "x\"\n    scenario: \"removed-field"
	cfg, err := ParseConfig(raw, func(string) string { return evil })
	if err != nil {
		t.Fatalf("rejected: %v", err)
	}
	if got := cfg.Targets["sim"]; got.Token != evil || got.Scenario != "" {
		t.Errorf("value escaped its scalar: token %q scenario %q", got.Token, got.Scenario)
	}
}
