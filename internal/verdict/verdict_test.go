package verdict

import (
	"strings"
	"testing"
)

// Ensure the overall verdict is the most severe one, in the documented order.
func TestWorst(t *testing.T) {
	cases := []struct {
		in   []Verdict
		want Verdict
	}{
		{nil, Skipped},
		{[]Verdict{Skipped, Pass}, Pass},
		{[]Verdict{Pass, Drifted}, Drifted},
		{[]Verdict{Drifted, Flaky}, Flaky},
		{[]Verdict{Flaky, Unavailable, Pass}, Unavailable},
		{[]Verdict{Unavailable, Broken}, Broken},
		{[]Verdict{Broken, Error}, Error},
		{[]Verdict{Broken, Config}, Config},
		{[]Verdict{Config, Error}, Error},
	}
	for _, c := range cases {
		if got := Worst(c.in...); got != c.want {
			t.Errorf("Worst(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

// Ensure --fail-on parses every verdict and names an unknown one.
func TestParseFailOn(t *testing.T) {
	f, err := ParseFailOn(" broken, drifted ,")
	if err != nil || !f[Broken] || !f[Drifted] || f[Unavailable] {
		t.Fatalf("ParseFailOn = %v, %v", f, err)
	}
	if _, err := ParseFailOn("broken,sometimes"); err == nil || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Errorf("unknown verdict: err = %v", err)
	}
}

// Ensure the exit codes match the README's table.
func TestExitCode(t *testing.T) {
	def, _ := ParseFailOn(DefaultFailOn)
	withDrift, _ := ParseFailOn("broken,unavailable,drifted")
	cases := []struct {
		name   string
		f      FailOn
		counts map[Verdict]int
		want   int
	}{
		{"all pass", def, map[Verdict]int{Pass: 3}, ExitOK},
		{"drifted is not failing by default", def, map[Verdict]int{Pass: 1, Drifted: 2, Flaky: 1}, ExitOK},
		{"broken", def, map[Verdict]int{Broken: 1, Unavailable: 1}, ExitBroken},
		{"unavailable only", def, map[Verdict]int{Unavailable: 2, Pass: 1}, ExitUnavailable},
		{"fail-on drifted", withDrift, map[Verdict]int{Drifted: 1}, ExitBroken},
		{"harness error wins", def, map[Verdict]int{Error: 1, Broken: 1}, ExitHarness},
		{"set-up problem is a usage error", def, map[Verdict]int{Config: 3, Unavailable: 1}, ExitUsage},
		{"set-up problem even when fail-on omits it", FailOn{}, map[Verdict]int{Config: 1}, ExitUsage},
		{"unavailable not in fail-on", FailOn{Broken: true}, map[Verdict]int{Unavailable: 1}, ExitOK},
	}
	for _, c := range cases {
		if got := c.f.ExitCode(c.counts); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}

// Ensure every verdict has a JUnit element, and that an outage or a set-up
// problem is an <error>, never a <failure> (a contract break).
func TestJUnitElement(t *testing.T) {
	want := map[Verdict]string{
		Pass: "", Drifted: "", Flaky: "", Skipped: "skipped",
		Broken: "failure", Unavailable: "error", Config: "error", Error: "error",
	}
	for _, v := range All() {
		w, ok := want[v]
		if !ok {
			t.Errorf("verdict %s has no expected JUnit element in this test", v)
			continue
		}
		if _, ok := junitElements[v]; !ok {
			t.Errorf("verdict %s is missing from the JUnit table", v)
		}
		if got := JUnitElement(v); got != w {
			t.Errorf("JUnitElement(%s) = %q, want %q", v, got, w)
		}
	}
	if got := JUnitElement("nonsense"); got != "" {
		t.Errorf("JUnitElement of an unknown verdict = %q, want empty", got)
	}
}
