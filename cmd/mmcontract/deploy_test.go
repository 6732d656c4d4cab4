package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var configVarRef = regexp.MustCompile(`\$\{(\w+)\}`)

// dummyEnv gives every ${VAR} of config a stand-in of the right shape: a
// Postgres URL for the store, an https URL for *_URL, a word otherwise.
func dummyEnv(config string) []string {
	seen := map[string]bool{}
	var env []string
	for _, m := range configVarRef.FindAllStringSubmatch(config, -1) {
		name := m[1]
		if seen[name] {
			continue
		}
		seen[name] = true
		value := "dummy-" + strings.ToLower(name)
		switch {
		case name == "MM_STORE_URL":
			value = "postgres://mmcontract:dummy@postgres.example:5432/mmcontract?sslmode=require"
		case strings.HasSuffix(name, "_URL"):
			value = "https://" + strings.ToLower(strings.ReplaceAll(name, "_", "-")) + ".example/"
		case name == "MM_COMPANY_ID":
			value = "439"
		}
		env = append(env, name+"="+value)
	}
	return env
}

// checkConfig runs `mmcontract monitor --check-config` on config with every
// variable it expands set to a dummy value, and once more without the first
// of them, which must fail naming it: the config is checked, not skipped.
func checkConfig(t *testing.T, config string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "monitor.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	env := dummyEnv(config)
	if len(env) == 0 {
		t.Fatal("the config expands no ${VAR}: its secrets would be in the file")
	}
	r := mmcontract(t, env, "monitor", "--config", path, "--check-config")
	if r.code != 0 || !strings.Contains(r.stdout, "configuration valid") {
		t.Fatalf("--check-config: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	missing, _, _ := strings.Cut(env[0], "=")
	r = mmcontract(t, env[1:], "monitor", "--config", path, "--check-config")
	if r.code != 2 || !strings.Contains(r.stderr, missing) {
		t.Errorf("--check-config without %s: exit %d, stderr %q; want exit 2 naming it", missing, r.code, r.stderr)
	}
}

// Ensure the Kubernetes ConfigMap's monitor config is one the real binary
// accepts, given the variables the Deployment sets from its Secrets.
func TestDeployMonitorConfigMap(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes", "monitor-configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Kind string            `yaml:"kind"`
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	config := cm.Data["monitor.yaml"]
	if cm.Kind != "ConfigMap" || config == "" {
		t.Fatalf("kind %q with data keys %v: want a ConfigMap with monitor.yaml", cm.Kind, cm.Data)
	}
	checkConfig(t, config)
}

// Ensure the README's "many companies" example config is one the real
// binary accepts, and that it holds what it claims: PRE and PRD targets for
// companies 439, 360 and 421, each with credentials of its own.
func TestDeployREADMEManyCompaniesConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(raw), "<!-- many-companies-config -->\n```yaml\n")
	if !ok {
		t.Fatal("README has no yaml block after <!-- many-companies-config -->")
	}
	config, _, _ := strings.Cut(after, "```")
	var parsed struct {
		Targets map[string]struct {
			CompanyID     string `yaml:"company_id"`
			LoginName     string `yaml:"login_name"`
			LoginPassword string `yaml:"login_password"`
		} `yaml:"targets"`
		Jobs []struct {
			Target string `yaml:"target"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(config), &parsed); err != nil {
		t.Fatal(err)
	}
	creds := map[string]bool{}
	jobs := map[string]int{}
	for _, j := range parsed.Jobs {
		jobs[j.Target]++
	}
	for _, company := range []string{"439", "360", "421"} {
		for _, envName := range []string{"pre", "prd"} {
			name := envName + "-" + company
			tg, ok := parsed.Targets[name]
			if !ok || tg.CompanyID != company {
				t.Errorf("no target %s for company %s", name, company)
				continue
			}
			for _, v := range []string{tg.LoginName, tg.LoginPassword} {
				if !configVarRef.MatchString(v) || creds[v] {
					t.Errorf("target %s: credential %q is not a ${VAR} of its own", name, v)
				}
				creds[v] = true
			}
			if jobs[name] == 0 {
				t.Errorf("target %s has no job", name)
			}
		}
	}
	checkConfig(t, config)
}
