// Package verdict is the one mapping from a check's outcome to everything that
// derives from it: severity order, exit codes, JUnit element, metric health,
// summary order and alert routing (verdicts and drift severities to paging
// levels).
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
	// not the server root, a test account the user's Webhook receiver does
	// not know. It is never reported as a broken contract, so a
	// rotated password does not page on-call for a contract break.
	Config Verdict = "config"
	// Error: the harness itself failed (a crashed child run, a bug of ours).
	Error Verdict = "error"
)

// JUnit is the JUnit child element that marks a testcase: the element a CI
// reader counts.
type JUnit string

// The JUnit elements; JUnitPass ("") is a testcase with no child element.
const (
	JUnitPass    JUnit = ""
	JUnitFailure JUnit = "failure"
	JUnitError   JUnit = "error"
	JUnitSkipped JUnit = "skipped"
)

// row is everything that derives from one verdict. The table below is the
// one place each of these is decided; the README's Verdicts, Exit codes,
// junit.xml, Metrics and "Every way a run ends" sections describe it.
type row struct {
	// rank orders verdicts by severity: the overall verdict of a run is the
	// most severe of its checks. Error outranks everything because a
	// harness failure means the other verdicts cannot be trusted.
	rank int
	// junit: a contract break is a <failure>; anything that stopped the
	// check from being made (the vendor down, the set-up wrong, our own bug)
	// is an <error>, so a dashboard never counts an outage as a broken
	// contract.
	junit JUnit
	// healthy: a run that completed with nothing broken or unavailable;
	// it sets the monitor's mmcontract_last_success_timestamp_seconds.
	healthy bool
	// judged: the vendor answered and the check judged the contract. An
	// unavailable, config or error check judged nothing, so it neither
	// fires nor resolves a contract alert.
	judged bool
	// counted: results.json's counts always has this verdict, zero or not;
	// config and error appear only when such a check occurred.
	counted bool
	// alert is the paging level of a check or run with this verdict on its
	// own; "" when the verdict pages nothing by itself (drifted pages at
	// its drift's severity, see Severity.Alert).
	alert Alert
}

var table = map[Verdict]row{
	Skipped:     {rank: 0, junit: JUnitSkipped, counted: true},
	Pass:        {rank: 1, junit: JUnitPass, healthy: true, judged: true, counted: true},
	Drifted:     {rank: 2, junit: JUnitPass, healthy: true, judged: true, counted: true},
	Flaky:       {rank: 3, junit: JUnitPass, healthy: true, judged: true, counted: true},
	Unavailable: {rank: 4, junit: JUnitError, counted: true, alert: AlertCritical},
	Broken:      {rank: 5, junit: JUnitFailure, judged: true, counted: true, alert: AlertCritical},
	Config:      {rank: 6, junit: JUnitError, alert: AlertCritical},
	Error:       {rank: 7, junit: JUnitError, alert: AlertCritical},
}

// summaryOrder is the order of the counts line of a run's summary: what
// needs a person first (a set-up to fix, a broken contract, an outage),
// then the rest, and the harness's own errors last, after the counts a
// reader scans for.
var summaryOrder = []Verdict{Config, Broken, Unavailable, Flaky, Drifted, Pass, Skipped, Error}

// JUnitElement returns the JUnit child element that marks a testcase with
// verdict v: failure, error, skipped, or JUnitPass ("") for a passing
// testcase and for an unknown verdict.
func JUnitElement(v Verdict) JUnit { return table[v].junit }

// Healthy reports whether a run with verdict v completed with nothing broken
// or unavailable (pass, flaky or drifted): the monitor's last-success time.
func (v Verdict) Healthy() bool { return table[v].healthy }

// Judged reports whether a check with verdict v judged the vendor's
// contract: false for skipped, unavailable, config and error.
func (v Verdict) Judged() bool { return table[v].judged }

// Alert returns the paging level of verdict v on its own, "" when v pages
// nothing by itself. Drifted pages at its drift's severity (Severity.Alert).
func (v Verdict) Alert() Alert { return table[v].alert }

// RefusingBaseline lists, most severe first, the verdicts that keep a run
// from becoming a baseline (baseline accept refuses it without --force): a
// breakage, or a check that judged nothing (the vendor down, the set-up
// wrong, our own bug), must never become what later runs are held to.
func RefusingBaseline() []Verdict {
	var out []Verdict
	all := All()
	for i := len(all) - 1; i >= 0; i-- {
		if v := all[i]; v != Skipped && !table[v].healthy {
			out = append(out, v)
		}
	}
	return out
}

// AlwaysCounted lists the verdicts results.json's counts always holds, zero
// or not, least severe first.
func AlwaysCounted() []Verdict {
	var out []Verdict
	for _, v := range All() {
		if table[v].counted {
			out = append(out, v)
		}
	}
	return out
}

// SummaryOrder lists every verdict in the order of a run summary's counts.
func SummaryOrder() []Verdict { return append([]Verdict(nil), summaryOrder...) }

// All lists every verdict, least severe first.
func All() []Verdict {
	out := make([]Verdict, 0, len(table))
	for v := range table {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return table[out[i]].rank < table[out[j]].rank })
	return out
}

// Valid reports whether v is a known verdict.
func (v Verdict) Valid() bool { _, ok := table[v]; return ok }

// MoreSevere reports whether v outranks w.
func (v Verdict) MoreSevere(w Verdict) bool { return table[v].rank > table[w].rank }

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
