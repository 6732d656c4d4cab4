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
