package verdict

import (
	"fmt"
	"os"
	"path/filepath"
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
	want := map[Verdict]JUnit{
		Pass: "", Drifted: "", Flaky: "", Skipped: "skipped",
		Broken: "failure", Unavailable: "error", Config: "error", Error: "error",
	}
	for _, v := range All() {
		w, ok := want[v]
		if !ok {
			t.Errorf("verdict %s has no expected JUnit element in this test", v)
			continue
		}
		if _, ok := table[v]; !ok {
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

// Ensure the monitor's health, the alert engine's "judged" and each
// verdict's paging level come from the one table, as the README's Metrics
// and "Every way a run ends" sections say.
func TestVerdictRouting(t *testing.T) {
	cases := []struct {
		v       Verdict
		healthy bool
		judged  bool
		alert   Alert
	}{
		{Pass, true, true, ""},
		{Flaky, true, true, ""},
		{Drifted, true, true, ""},
		{Skipped, false, false, ""},
		{Broken, false, true, AlertCritical},
		{Unavailable, false, false, AlertCritical},
		{Config, false, false, AlertCritical},
		{Error, false, false, AlertCritical},
	}
	if len(cases) != len(All()) {
		t.Fatalf("%d cases for %d verdicts", len(cases), len(All()))
	}
	for _, c := range cases {
		if got := c.v.Healthy(); got != c.healthy {
			t.Errorf("%s.Healthy() = %v, want %v", c.v, got, c.healthy)
		}
		if got := c.v.Judged(); got != c.judged {
			t.Errorf("%s.Judged() = %v, want %v", c.v, got, c.judged)
		}
		if got := c.v.Alert(); got != c.alert {
			t.Errorf("%s.Alert() = %q, want %q", c.v, got, c.alert)
		}
	}
	if Verdict("nonsense").Healthy() || Verdict("nonsense").Alert() != "" {
		t.Error("an unknown verdict is healthy or pages")
	}
}

// Ensure drift severities page at the documented levels, and an unknown one
// as a warning rather than not at all.
func TestSeverityAlert(t *testing.T) {
	want := map[Severity]Alert{Breaking: AlertCritical, Warning: AlertWarning, Info: AlertInfo, "odd": AlertWarning}
	for s, w := range want {
		if got := s.Alert(); got != w {
			t.Errorf("%q.Alert() = %q, want %q", s, got, w)
		}
	}
	for _, a := range Alerts() {
		if !a.Valid() {
			t.Errorf("%q is listed but not valid", a)
		}
	}
	if Alert("urgent").Valid() {
		t.Error(`"urgent" is a valid paging level`)
	}
}

// Ensure the summary lists every verdict exactly once.
func TestSummaryOrder(t *testing.T) {
	seen := map[Verdict]bool{}
	for _, v := range SummaryOrder() {
		if seen[v] || !v.Valid() {
			t.Errorf("summary order lists %q twice or unknown", v)
		}
		seen[v] = true
	}
	if len(seen) != len(All()) {
		t.Errorf("summary order has %d of %d verdicts", len(seen), len(All()))
	}
}

// Ensure the README states the verdict order of the table and the counts
// results.json always has.
func TestREADMEVerdicts(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	all := All()
	for i := len(all) - 1; i >= 0; i-- {
		order = append(order, string(all[i]))
	}
	want := "The overall verdict is the most severe: " + strings.Join(order, " > ") + "."
	if !strings.Contains(string(raw), want) {
		t.Errorf("README lacks %q", want)
	}
	if got := AlwaysCounted(); len(got) != 6 || got[0] != Skipped || got[len(got)-1] != Broken {
		t.Errorf("AlwaysCounted() = %v", got)
	}
	for _, v := range AlwaysCounted() {
		if !strings.Contains(readmeCountsLine(string(raw)), "`"+string(v)+"`") {
			t.Errorf("README's counts sentence does not name %s", v)
		}
	}
}

// readmeCountsLine returns the README's sentence on results.json's counts,
// up to the verdicts it has only when they occur; "" when there is none.
func readmeCountsLine(s string) string {
	_, rest, ok := strings.Cut(s, "`counts` always has")
	if !ok {
		return ""
	}
	line, _, _ := strings.Cut(rest, ", and ")
	return line
}

// Ensure baseline accept refuses exactly the verdicts the README names
// (broken, unavailable, error, config), most severe first.
func TestRefusingBaseline(t *testing.T) {
	got := fmt.Sprint(RefusingBaseline())
	if want := fmt.Sprint([]Verdict{Error, Config, Broken, Unavailable}); got != want {
		t.Errorf("RefusingBaseline() = %s, want %s", got, want)
	}
}
