package specdiff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Ensure the README's spec-diff severity table is the rules table, row for
// row: location, change kind, severity and meaning, in the same order.
func TestRulesMatchREADME(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## `mmcontract spec diff` and `spec import`")
	if !ok {
		t.Fatal("README has no spec diff section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, table, ok := strings.Cut(section, "\n| location | change | severity | meaning |\n|---|---|---|---|\n")
	if !ok {
		t.Fatal("the spec diff section has no | location | change | severity | meaning | table")
	}
	var want []string
	for _, r := range Rules() {
		want = append(want, "| "+r.Location+" | `"+string(r.Change)+"` | "+string(r.Severity)+" | "+r.Meaning+" |")
	}
	got := strings.Split(table, "\n")
	for i, w := range want {
		if i >= len(got) || got[i] != w {
			g := "(nothing)"
			if i < len(got) {
				g = got[i]
			}
			t.Errorf("README row %d\n got: %s\nwant: %s", i+1, g, w)
		}
	}
	if len(got) > len(want) && strings.HasPrefix(got[len(want)], "|") {
		t.Errorf("README row %d is no rule: %s", len(want)+1, got[len(want)])
	}
}

// Ensure each rule is complete and Diff reports every rule, one case each,
// with the rule's location, kind and severity: a rule Diff stopped using, or
// a severity decided outside the table, fails here.
func TestEveryRuleIsUsed(t *testing.T) {
	for i, r := range Rules() {
		if r.Location == "" || r.Change == "" || !r.Severity.Valid() || r.Meaning == "" {
			t.Errorf("rule %d is incomplete: %+v", i, r)
		}
	}
	oldSpec := &Spec{ops: map[string]*operation{
		"POST /old": {},
		"POST /op": {
			request: map[string]field{"": {typ: "object"}, "/t": {typ: "string"}, "/req": {typ: "string"},
				"/gone": {typ: "string"}, "/f": {typ: "integer", format: "int32"}, "/e": {typ: "string", enum: `["A"]`}},
			response: map[string]field{"": {typ: "object"}, "/data": {typ: "object"}, "/data/t": {typ: "string"},
				"/data/gone": {typ: "string"}, "/data/f": {typ: "integer", format: "int32"}, "/data/e": {typ: "string", enum: `["A"]`}},
		},
	}}
	newSpec := &Spec{ops: map[string]*operation{
		"POST /new": {},
		"POST /op": {
			request: map[string]field{"": {typ: "object"}, "/t": {typ: "integer"}, "/req": {typ: "string", required: true},
				"/must": {typ: "string", required: true}, "/may": {typ: "string"},
				"/f": {typ: "integer", format: "int64"}, "/e": {typ: "string", enum: `["A","B"]`}},
			response: map[string]field{"": {typ: "object"}, "/data": {typ: "object"}, "/data/t": {typ: "integer"},
				"/data/new": {typ: "string"}, "/data/f": {typ: "integer", format: "int64"}, "/data/e": {typ: "string", enum: `["A","B"]`}},
		},
	}}
	got := Diff(oldSpec, newSpec).Changes
	cases := map[ruleID]string{ // the rule and where Diff must report it
		ruleOperationRemoved: "POST /old", ruleOperationAdded: "POST /new",
		ruleResponseRemoved: "/data/gone", ruleResponseTypeChanged: "/data/t", ruleResponseEnumChanged: "/data/e",
		ruleResponseFormatChanged: "/data/f", ruleResponseAdded: "/data/new",
		ruleRequestTypeChanged: "/t", ruleRequestBecameRequired: "/req", ruleRequestAddedRequired: "/must",
		ruleRequestEnumChanged: "/e", ruleRequestFormatChanged: "/f", ruleRequestRemoved: "/gone", ruleRequestAdded: "/may",
	}
	for id := ruleID(0); id < numRules; id++ {
		where, ok := cases[id]
		if !ok {
			t.Errorf("rule %d (%s) has no case", id, rules[id].Meaning)
			continue
		}
		r, found := rules[id], false
		for _, c := range got {
			at := c.Pointer
			if c.Location == LocationOperation {
				at = c.Operation
			}
			found = found || at == where && c.Location == r.Location && c.Change == r.Change && c.Severity == r.Severity
		}
		if !found {
			t.Errorf("rule %s %s/%s (%s): not reported at %s in %+v", r.Location, r.Change, r.Severity, r.Meaning, where, got)
		}
	}
	if len(got) != len(cases) {
		t.Errorf("Diff reported %d changes for %d cases: %+v", len(got), len(cases), got)
	}
}
