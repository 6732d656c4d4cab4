package drift

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// readmeSeverityTable returns the rows of the README's drift severity table
// (section "Drift: baselines and severities", columns change, severity,
// meaning), each cell trimmed and the change's backticks removed.
func readmeSeverityTable(t *testing.T) [][3]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Drift: baselines and severities\n")
	if !ok {
		t.Fatal(`README has no section "## Drift: baselines and severities"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, table, ok := strings.Cut(section, "\n| change | severity | meaning |\n|---|---|---|\n")
	if !ok {
		t.Fatal("the drift section has no | change | severity | meaning | table")
	}
	var rows [][3]string
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) != 3 {
			t.Fatalf("README table row %q has %d cells, want 3 (a | inside a cell?)", line, len(cells))
		}
		rows = append(rows, [3]string{strings.Trim(strings.TrimSpace(cells[0]), "`"),
			strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])})
	}
	return rows
}

// Ensure the README's drift severity table is the rules table, row for row:
// the same change kinds, severities and meanings in the same order.
func TestRulesMatchREADME(t *testing.T) {
	got := readmeSeverityTable(t)
	want := Rules()
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("README lacks row %d: | `%s` | %s | %s |", i+1, want[i].Change, want[i].Severity, want[i].Meaning)
		case i >= len(want):
			t.Errorf("README row %d is no rule: %q", i+1, got[i])
		case got[i] != [3]string{string(want[i].Change), string(want[i].Severity), want[i].Meaning}:
			t.Errorf("README row %d\n got: %q\nwant: | `%s` | %s | %s |", i+1, got[i], want[i].Change, want[i].Severity, want[i].Meaning)
		}
	}
}

// Ensure every rule is complete, no two rules say the same thing, and every
// change kind of live drift has a rule.
func TestRulesTable(t *testing.T) {
	seen := map[string]bool{}
	kinds := map[contract.Change]bool{}
	for i, r := range Rules() {
		if r.Change == "" || !r.Severity.Valid() || r.Meaning == "" {
			t.Errorf("rule %d is incomplete: %+v", i, r)
		}
		key := string(r.Change) + "|" + string(r.Severity) + "|" + r.Meaning
		if seen[key] {
			t.Errorf("rule %d repeats another: %+v", i, r)
		}
		seen[key] = true
		kinds[r.Change] = true
	}
	for _, c := range []contract.Change{contract.Added, contract.Removed, contract.TypeChanged, contract.BecameNull,
		contract.EnumAdded, contract.BecameOptional, contract.EnvelopeSemantics, contract.SequenceGap} {
		if !kinds[c] {
			t.Errorf("change kind %s has no rule", c)
		}
	}
}

// Ensure Diff and DiffSchema report each difference with its rule's change
// kind and severity, one case per rule: a rule the checkers stopped using, or
// a checker deciding a severity of its own, fails here.
func TestEveryRuleIsUsed(t *testing.T) {
	base := shapeOf(t, `{"code":"0","ok":true,"data":{"id":1,"name":"a","status":"A","gone":1,"nul":null,"opt":1}}`,
		`{"code":"0","ok":true,"data":{"id":2,"name":"b","status":"A","gone":2,"nul":null,"opt":2}}`)
	obs := shapeOf(t, `{"code":"7","ok":true,"data":{"id":"x","name":null,"status":"B","nul":1,"opt":1,"new":1}}`,
		`{"code":"7","ok":true,"data":{"id":"y","name":"c","status":"A","nul":2,"new":2}}`)
	live := Diff("op", base, obs)
	schema, err := DiffSchema("op", []byte(`{"type":"object","properties":{"id":{"type":"integer"}}}`),
		shapeOf(t, `{"data":{"id":null,"extra":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		id      ruleID
		got     []contract.Drift
		pointer string
	}{
		{ruleRemoved, live, "/data/gone"},
		{ruleTypeChanged, live, "/data/id"},
		{ruleBecameNull, live, "/data/name"},
		{ruleEnvelopeSemantics, live, "/code"},
		{ruleEnumAdded, live, "/data/status"},
		{ruleAdded, live, "/data/new"},
		{ruleBecameOptional, live, "/data/opt"},
		{ruleTypedFromNull, live, "/data/nul"},
		{ruleUndocumented, schema, "/data/extra"},
		{ruleSchemaNull, schema, "/data/id"},
		{ruleSequenceGap, []contract.Drift{SequenceGap("push_p", "/data/seq", 4, 6)}, "/data/seq"},
	}
	covered := map[ruleID]bool{}
	for _, c := range cases {
		covered[c.id] = true
		r := rules[c.id]
		found := false
		for _, d := range c.got {
			found = found || d.Pointer == c.pointer && d.Change == r.Change && d.Severity == r.Severity
		}
		if !found {
			t.Errorf("rule %s/%s (%s): no such drift at %s in\n%s", r.Change, r.Severity, r.Meaning, c.pointer, fmtDrift(c.got))
		}
	}
	for id := ruleID(0); id < numRules; id++ {
		if !covered[id] {
			t.Errorf("rule %d (%s) has no case", id, rules[id].Meaning)
		}
	}
}
