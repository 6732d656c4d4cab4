package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// workflowStep is the part of a GitHub Actions step these tests run.
type workflowStep struct {
	Name string            `yaml:"name"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
}

// workflowStepScript returns the named step of .github/workflows/file.
func workflowStepScript(t *testing.T, file, name string) workflowStep {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", file))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Env  map[string]string `yaml:"env"`
		Jobs map[string]struct {
			Steps []workflowStep `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if s.Name == name {
				env := map[string]string{}
				for k, v := range wf.Env {
					env[k] = v
				}
				for k, v := range s.Env {
					env[k] = v
				}
				s.Env = env
				return s
			}
		}
	}
	t.Fatalf("%s has no step %q", file, name)
	return workflowStep{}
}

var secretRef = regexp.MustCompile(`^\$\{\{\s*secrets\.\w+\s*\}\}$`)

// runStep runs a step's script as GitHub does (bash -eo pipefail) in dir,
// with every secret missing, and `go` replaced by a stand-in that records its
// arguments and runs the real binary for `go run ./cmd/mmcontract`.
func runStep(t *testing.T, s workflowStep, dir string) (code int, goArgs []string, output, ghOutput string) {
	t.Helper()
	needBinary(t)
	bin := t.TempDir()
	record := filepath.Join(bin, "args")
	fake := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> " + record + "\n" +
		"[ \"$1 $2\" = \"run ./cmd/mmcontract\" ] || exit 0\nshift 2\nexec " + binary + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	gh := filepath.Join(dir, "github-output")
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "GITHUB_OUTPUT=" + gh}
	for k, v := range s.Env {
		if secretRef.MatchString(v) {
			v = "" // a missing secret expands to nothing
		}
		env = append(env, k+"="+v)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s.Run)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(record); err == nil {
		goArgs = strings.Split(strings.TrimSpace(string(raw)), "\n")
	}
	ghRaw, _ := os.ReadFile(gh)
	return code, goArgs, string(out), string(ghRaw)
}

// Ensure the nightly job passes --baseline only once a baseline is committed
// (with none, --baseline would exit 2 every night) and always requires a
// target.
func TestNightlyWorkflowBaseline(t *testing.T) {
	step := workflowStepScript(t, "nightly.yml", "Run the contract suites against staging")
	baseline := step.Env["BASELINE"]
	if baseline == "" {
		t.Fatal("nightly.yml sets no BASELINE")
	}

	dir := t.TempDir()
	_, args, out, gh := runStep(t, step, dir)
	if len(args) != 1 || strings.Contains(args[0], "--baseline") || !strings.Contains(args[0], "--require-target") {
		t.Errorf("without a committed baseline: go %q; want one run with --require-target and no --baseline\n%s", args, out)
	}
	if !strings.Contains(gh, "has_baseline=false") {
		t.Errorf("step output %q, want has_baseline=false (the next step creates the baseline)", gh)
	}

	dir = t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, baseline, "client"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, baseline, "client", "x.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, args, out, gh = runStep(t, step, dir)
	if len(args) != 1 || !strings.Contains(args[0], "--baseline "+baseline) {
		t.Errorf("with a committed baseline: go %q; want --baseline %s\n%s", args, baseline, out)
	}
	if !strings.Contains(gh, "has_baseline=true") {
		t.Errorf("step output %q, want has_baseline=true", gh)
	}

	create := workflowStepScript(t, "nightly.yml", "Create the first baseline from this run")
	_, args, _, _ = runStep(t, create, t.TempDir())
	if len(args) != 1 || !strings.Contains(args[0], "baseline accept --from out --baseline out/"+baseline) {
		t.Errorf("first-baseline step ran go %q; want baseline accept into out/%s (uploaded with the outputs)", args, baseline)
	}
}

// Ensure the pre-release gate cannot pass by accident: with the target's
// secrets missing it fails before any check, and it fails on broken and
// unavailable.
func TestPreReleaseWorkflowFailsWithoutTarget(t *testing.T) {
	step := workflowStepScript(t, "pre-release.yml", "Full read-only suite; fail on broken or unavailable")
	if !strings.Contains(step.Run, "--fail-on broken,unavailable") {
		t.Errorf("the gate's run does not fail on broken and unavailable: %s", step.Run)
	}
	code, args, out, _ := runStep(t, step, t.TempDir())
	if len(args) != 1 || !strings.Contains(args[0], "--require-target") {
		t.Errorf("the gate ran go %q; want --require-target", args)
	}
	if code != verdict.ExitUsage || !strings.Contains(out, "MM_BASE_URL") {
		t.Errorf("with the secrets missing the gate exited %d, want 2 naming MM_BASE_URL:\n%s", code, out)
	}
}
