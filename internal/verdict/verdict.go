// Package verdict is the one mapping from a check's outcome to everything that
// derives from it: severity order, exit codes, JUnit status and alert routing.
// Every other package asks this one instead of keeping its own table, so that
// the README, the exit code and the pager can never disagree.
package verdict

import (
	"fmt"
	"sort"
	"strings"
)

// Verdict is the outcome of one check or of a whole run.
type Verdict string

// The verdicts, from the README's "Verdicts" table.
const (
	// Pass: the vendor answered and the contract held.
	Pass Verdict = "pass"
	// Broken: the vendor answered and the contract does not hold (schema
	// violation, broken invariant, breaking drift, non-envelope 200).
	Broken Verdict = "broken"
	// Unavailable: the vendor did not answer usefully (connection failure,
	// timeout, 5xx, WAF 403/418 pages, 429 after retries).
	Unavailable Verdict = "unavailable"
	// Flaky: failed, then passed on a retry; reported, never hidden.
	Flaky Verdict = "flaky"
	// Drifted: the contract held but the response shape moved (warning/info drift).
	Drifted Verdict = "drifted"
	// Skipped: not run (filtered out, credentials absent, mutations refused).
	Skipped Verdict = "skipped"
	// Config: the run could not check the contract because its set-up is
	// wrong: credentials or a token the vendor rejected, a base URL that is
	// not the server root. It is never reported as a broken contract, so a
	// rotated password does not page on-call for a contract break.
	Config Verdict = "config"
	// Error: the harness itself failed (a crashed child run, a bug of ours).
	Error Verdict = "error"
)

// rank orders verdicts by severity: the overall verdict of a run is the most
// severe of its checks. Error outranks everything because a harness failure
// means the other verdicts cannot be trusted.
var rank = map[Verdict]int{
	Skipped:     0,
	Pass:        1,
	Drifted:     2,
	Flaky:       3,
	Unavailable: 4,
	Broken:      5,
	Config:      6,
	Error:       7,
}

// junitElements is how each verdict reads in junit.xml, the element a CI
// reader counts: a contract break is a <failure>; anything that stopped the
// check from being made (the vendor down, the set-up wrong, our own bug) is an
// <error>, so a dashboard never counts an outage as a broken contract.
var junitElements = map[Verdict]string{
	Skipped:     "skipped",
	Pass:        "",
	Drifted:     "",
	Flaky:       "",
	Unavailable: "error",
	Broken:      "failure",
	Config:      "error",
	Error:       "error",
}

// JUnitElement returns the JUnit child element that marks a testcase with
// verdict v: "failure", "error", "skipped", or "" for a passing testcase.
func JUnitElement(v Verdict) string { return junitElements[v] }

// All lists every verdict, least severe first.
func All() []Verdict {
	out := make([]Verdict, 0, len(rank))
	for v := range rank {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return rank[out[i]] < rank[out[j]] })
	return out
}

// Valid reports whether v is a known verdict.
func (v Verdict) Valid() bool { _, ok := rank[v]; return ok }

// MoreSevere reports whether v outranks w.
func (v Verdict) MoreSevere(w Verdict) bool { return rank[v] > rank[w] }

// Worst returns the most severe of vs; with none it returns Skipped.
func Worst(vs ...Verdict) Verdict {
	worst := Skipped
	for _, v := range vs {
		if v.MoreSevere(worst) {
			worst = v
		}
	}
	return worst
}

// Exit codes, documented in the README.
const (
	ExitOK          = 0 // nothing in --fail-on
	ExitBroken      = 1 // a failing verdict other than unavailable (broken, or any --fail-on verdict)
	ExitUsage       = 2 // usage or config error
	ExitUnavailable = 3 // unavailable, with nothing broken
	ExitHarness     = 4 // the harness itself failed
)

// FailOn is the set of verdicts that make a run exit non-zero.
type FailOn map[Verdict]bool

// DefaultFailOn is the --fail-on default: drifted and flaky runs exit 0.
const DefaultFailOn = "broken,unavailable"

// ParseFailOn parses a comma-separated --fail-on list.
func ParseFailOn(s string) (FailOn, error) {
	f := FailOn{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v := Verdict(part)
		if !v.Valid() {
			return nil, fmt.Errorf("--fail-on: unknown verdict %q (want a comma-separated list of %s)", part, joinAll())
		}
		f[v] = true
	}
	return f, nil
}

func joinAll() string {
	var names []string
	for _, v := range All() {
		names = append(names, string(v))
	}
	return strings.Join(names, ", ")
}

// ExitCode maps the counts of a finished run to the process exit code.
// A harness error always exits ExitHarness, and a set-up problem (Config)
// always exits ExitUsage, whatever --fail-on says: neither is a statement
// about the vendor's contract. Otherwise unavailable exits 3 only
// when nothing else in fail-on occurred, since "the vendor was down" is a
// different page than "the vendor broke the contract".
func (f FailOn) ExitCode(counts map[Verdict]int) int {
	if counts[Error] > 0 {
		return ExitHarness
	}
	if counts[Config] > 0 {
		return ExitUsage
	}
	failing := false
	for v, n := range counts {
		if n > 0 && f[v] && v != Unavailable {
			failing = true
		}
	}
	if failing {
		return ExitBroken
	}
	if f[Unavailable] && counts[Unavailable] > 0 {
		return ExitUnavailable
	}
	return ExitOK
}
