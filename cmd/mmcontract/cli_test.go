package main

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Ensure --version, -version and the version subcommand print the same
// line on stdout, and that a run records the same version in results.json.
func TestVersion(t *testing.T) {
	want := regexp.MustCompile(`^mmcontract \S+ \(commit \S+\)\n$`)
	var first string
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		r := mmcontract(t, nil, args...)
		if r.code != 0 || r.stderr != "" || !want.MatchString(r.stdout) {
			t.Fatalf("%v: exit %d stdout %q stderr %q, want exit 0 and %s on stdout", args, r.code, r.stdout, r.stderr, want)
		}
		if first == "" {
			first = r.stdout
		} else if r.stdout != first {
			t.Errorf("%v printed %q, --version printed %q", args, r.stdout, first)
		}
	}
	version := strings.Fields(first)[1]
	out := t.TempDir()
	if _, res := runSim(t, out, "--label-filter", "smoke && client && !negative"); res.Version != version {
		t.Errorf("results.json has mmcontract_version %q, --version says %q", res.Version, version)
	}
}

// Ensure the version falls back to the module version Go stamps into the
// binary, so `go install …@v1.2.3` reports v1.2.3, and -ldflags still wins.
func TestResolveVersion(t *testing.T) {
	info := func(v string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) { return &debug.BuildInfo{Main: debug.Module{Version: v}}, true }
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	cases := []struct {
		name, ldflags string
		info          func() (*debug.BuildInfo, bool)
		want          string
	}{
		{"go install @tag", "dev", info("v1.2.3"), "v1.2.3"},
		{"VCS checkout build", "dev", info("v0.0.0-20261201203000-16acbf3e1a2b+dirty"), "v0.0.0-20261201203000-16acbf3e1a2b+dirty"},
		{"ldflags win", "v2.0.0", info("v1.2.3"), "v2.0.0"},
		{"no VCS information", "dev", info("(devel)"), "dev"},
		{"no build info", "dev", none, "dev"},
	}
	for _, c := range cases {
		if got := resolveVersion(c.ldflags, c.info); got != c.want {
			t.Errorf("%s: resolveVersion = %q, want %q", c.name, got, c.want)
		}
	}
}

// Ensure asking for help prints usage on stdout and exits 0, for the binary
// and every subcommand, while a bare `mmcontract` is a usage error on stderr.
func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"}, {"help", "run"}, {"run", "-h"}, {"run", "--help"}, {"sim", "-h"},
		{"report", "-h"}, {"baseline", "-h"}, {"baseline", "accept", "-h"}, {"monitor", "--help"},
		{"history", "-h"}, {"spec", "-h"}, {"spec", "diff", "-h"}, {"spec", "import", "--help"}, {"version", "-h"},
	} {
		r := mmcontract(t, nil, args...)
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: mmcontract") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 0 and usage on stdout only", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := mmcontract(t, nil, "run", "-h"); !strings.Contains(r.stdout, "-label-filter") {
		t.Errorf("run -h does not list the flags:\n%s", r.stdout)
	}
	r := mmcontract(t, nil)
	if r.code != verdict.ExitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, "usage: mmcontract") {
		t.Errorf("bare mmcontract: exit %d, stdout %q, stderr %q; want 2 and usage on stderr", r.code, r.stdout, r.stderr)
	}
}

// Ensure a mistyped command, subcommand or flag is answered with the
// nearest real one, a word far from any with none, and a bad flag with one
// line rather than the whole flag list.
func TestDidYouMean(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"rn"}, `unknown command "rn", did you mean "run"?`},
		{[]string{"histroy"}, `unknown command "histroy", did you mean "history"?`},
		{[]string{"moniter"}, `unknown command "moniter", did you mean "monitor"?`},
		{[]string{"Run"}, `unknown command "Run", did you mean "run"?`},
		{[]string{"spec", "dif"}, `unknown spec subcommand "dif", did you mean "diff"?`},
		{[]string{"baseline", "acept"}, `unknown baseline subcommand "acept", did you mean "accept"?`},
		{[]string{"run", "--lable-filter", "smoke"}, `did you mean "--label-filter"? (see 'mmcontract run -h')`},
		{[]string{"report", "-form", "out"}, `did you mean "--from"?`},
	}
	for _, c := range cases {
		r := mmcontract(t, nil, c.args...)
		if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	r := mmcontract(t, nil, "frobnicate")
	if strings.Contains(r.stderr, "did you mean") {
		t.Errorf("a word far from every command got a suggestion: %s", r.stderr)
	}
	r = mmcontract(t, nil, "run", "--nope")
	if lines := strings.Count(r.stderr, "\n"); lines != 1 || strings.Count(r.stderr, "not defined") != 1 {
		t.Errorf("a bad flag printed %d lines (want 1, said once):\n%s", lines, r.stderr)
	}
}

var ansiEscape = "\x1b["

// Ensure nothing mmcontract prints carries ANSI colour codes when NO_COLOR
// is set or the output is not a terminal (a test's pipes are not): errors,
// help, a failing run, and Ginkgo's own reporter under -v.
func TestNoColour(t *testing.T) {
	for _, env := range [][]string{nil, {"NO_COLOR=1"}} {
		for _, args := range [][]string{
			{"run", "--out", t.TempDir(), "--label-filter", "smoke &&"},
			{"run", "--out", t.TempDir(), "-v", "--label-filter", "smoke && client && !negative"},
			{"run", "--out", t.TempDir(), "--scenario", "type-change", "--label-filter", "findCustomerInfo && client && !negative"},
			{"--help"}, {"frobnicate"}, {"run", "--nope"},
		} {
			r := mmcontract(t, env, args...)
			if strings.Contains(r.stdout+r.stderr, ansiEscape) {
				t.Errorf("env %v, %v: output has ANSI escapes:\nstdout %q\nstderr %q", env, args, r.stdout, r.stderr)
			}
		}
	}
}

// Ensure a label filter's syntax error is one plain line: the flag, the
// filter and Ginkgo's reason, without its colour codes, heading block or
// documentation link.
func TestLabelFilterSyntaxError(t *testing.T) {
	cases := []struct{ filter, want string }{
		{"smoke &&", `mmcontract run: --label-filter "smoke &&": syntax error parsing label filter: Unexpected EOF.` + "\n"},
		{"smoke && (client", `mmcontract run: --label-filter "smoke && (client": syntax error parsing label filter: Mismatched '(' - could not find matching ')'.` + "\n"},
	}
	for _, c := range cases {
		r := mmcontract(t, []string{"NO_COLOR=1"}, "run", "--out", t.TempDir(), "--label-filter", c.filter)
		if r.code != verdict.ExitUsage || r.stderr != c.want {
			t.Errorf("filter %q: exit %d stderr %q, want 2 and %q", c.filter, r.code, r.stderr, c.want)
		}
	}
}

// Ensure error messages speak the user's terms: the flag or file and what
// is wrong with it, no Go type names, no package prefixes stacked up.
func TestErrorsInUserTerms(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("badrun/results.json", `{"schema_version": "one"}`)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"report", "--from", filepath.Join(dir, "badrun")}, `results.json is not a run's output: "schema_version" is a JSON string, want a number`},
		{[]string{"run", "--out", dir, "--redact-config", write("typo.yaml", "extraPIIKeys: [a]\nbogus: 1\n")}, `typo.yaml: line 2: unknown key "bogus"`},
		{[]string{"run", "--out", dir, "--redact-config", write("type.yaml", "extraPIIKeys: 5\n")}, "type.yaml: line 1: `5` is not a list"},
		{[]string{"run", "--out", dir, "--redact-config", filepath.Join(dir, "absent.yaml")}, "--redact-config: open " + filepath.Join(dir, "absent.yaml") + ": no such file"},
		{[]string{"run", "--out", dir, "--scenario", "no-such"}, `--scenario: unknown scenario "no-such"`},
		{[]string{"history", "--store", filepath.Join(dir, "none.db")}, "no history store at " + filepath.Join(dir, "none.db")},
	}
	goTerms := regexp.MustCompile(`Go struct|Go value|\bredact\.|results\.Results|\[\]string|(^|: )(json|yaml|simulator|history|runner|redact config): `)
	for _, c := range cases {
		r := mmcontract(t, nil, c.args...)
		if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d stderr %q, want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
		if m := goTerms.FindString(r.stderr); m != "" {
			t.Errorf("%v: stderr names Go internals (%q): %s", c.args, m, r.stderr)
		}
	}
}
