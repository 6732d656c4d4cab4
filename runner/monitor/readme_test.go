package monitor

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Ensure the README's example Prometheus rule on
// mmcontract_last_success_timestamp_seconds is a valid rule file for
// promtool, so users can copy it.
func TestREADMEPrometheusRule(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (CI installs it)")
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rule string
	for _, block := range strings.Split(string(raw), "```yaml\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		if strings.HasPrefix(body, "groups:") && strings.Contains(body, "mmcontract_last_success_timestamp_seconds") {
			rule = body
		}
	}
	if rule == "" {
		t.Fatal("README has no Prometheus rule on mmcontract_last_success_timestamp_seconds")
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, []byte(rule), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}
