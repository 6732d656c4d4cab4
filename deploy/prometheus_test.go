package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const rulesFile = "prometheus/mmcontract-rules.yml"

// Ensure the Prometheus rules for a dead monitor are a valid rule file that
// fires as intended (promtool's unit tests: one replica down, both down,
// never scraped).
func TestPrometheusRules(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (CI installs it)")
	}
	for _, args := range [][]string{
		{"check", "rules", rulesFile},
		{"test", "rules", "prometheus/mmcontract-rules.test.yml"},
	} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// Ensure the README's example rule is the rule file, word for word, so a
// user who copies either gets the same (checked) rules.
func TestREADMERulesAreTheRuleFile(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, block := range strings.Split(string(readme), "```yaml\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		if strings.HasPrefix(body, "groups:") {
			blocks = append(blocks, body)
		}
	}
	if len(blocks) != 1 {
		t.Fatalf("README has %d Prometheus rule blocks, want one", len(blocks))
	}
	if blocks[0] != string(file) {
		t.Errorf("the README's rule block differs from %s:\nREADME:\n%s\nfile:\n%s", rulesFile, blocks[0], file)
	}
}

// Ensure the README's scrape config for the monitor is one Prometheus loads,
// with the rule file beside it.
func TestREADMEScrapeConfig(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (CI installs it)")
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```yaml\nscrape_configs:\n")
	if !ok {
		t.Fatal("README has no scrape_configs example")
	}
	block, _, _ = strings.Cut(block, "```")
	const tokenFile = "/etc/prometheus/secrets/mmcontract-token"
	if !strings.Contains(block, tokenFile) || !strings.Contains(block, "honor_labels: true") || !strings.Contains(block, "job_name: mmcontract-monitor") {
		t.Fatalf("the scrape config lacks the token file, honor_labels or the job name the rules expect:\n%s", block)
	}
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	config := "rule_files:\n  - " + rules + "\nscrape_configs:\n" + strings.ReplaceAll(block, tokenFile, token)
	path := filepath.Join(dir, "prometheus.yml")
	for name, body := range map[string]string{token: "dummy-token\n", path: config} {
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(bin, "check", "config", path).CombinedOutput()
	if err != nil && strings.Contains(string(out), "field kubernetes_sd_configs not found") {
		// Debian builds Prometheus without Kubernetes service discovery:
		// check everything else, with static targets in its place.
		const sd = "    kubernetes_sd_configs:\n      - role: endpoints\n"
		if !strings.Contains(config, sd) {
			t.Fatalf("the scrape config's service discovery is not %q", sd)
		}
		t.Log("this promtool has no Kubernetes service discovery (Debian's build): kubernetes_sd_configs checked by the real Prometheus only")
		config = strings.Replace(config, sd, "    static_configs:\n      - targets: [\"mmcontract-monitor:9464\"]\n", 1)
		if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err = exec.Command(bin, "check", "config", path).CombinedOutput()
	}
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s\nconfig:\n%s", err, out, config)
	}
}
