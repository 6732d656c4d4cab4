// Package junit writes junit.xml from Ginkgo's report, shaped on purpose for
// the CI systems that read it (Jenkins xUnit, GitHub and GitLab test reports):
//
//   - one testcase per check of this run; specs the label filter left out are
//     not checks, so they are not testcases;
//   - the element comes from internal/verdict: a broken contract is a
//     <failure>, an outage, a set-up problem or a harness bug an <error>;
//   - classname is the API family and operation, so CI UIs group by it;
//   - one testsuite per family, named with the target, so nightly files from
//     several targets merged by a CI reader stay apart;
//   - the output validates against the Jenkins xUnit plugin's junit-10.xsd,
//     the strictest schema in common use. That schema has no testcase
//     properties and no status attribute, so verdicts, drift and violations
//     go in each testcase's system-out, and the run's target and counts in
//     the suite's properties.
//
// Ginkgo's own generator (reporters.GenerateJUnitReportWithConfig) is not
// used: whatever its configuration, it writes testcase properties and
// status/disabled attributes that junit-10.xsd rejects, and it has no notion
// of our verdicts.
package junit

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/atomicfile"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// textRedactor is the part of *redact.Redactor this package needs: the
// learned-value scrub, since the XML is our own document (its vendor text was
// redacted while recording).
type textRedactor interface{ Known(string) string }

// Options say what the run checked; both appear in every suite's name and
// properties.
type Options struct {
	Target     string // the base URL, or the simulator's description
	TargetKind string // results.TargetSimulator or results.TargetVendor
	// Shard, for a sharded run, becomes the suites' "shard" property
	// ("2/5"); Merged, for merged shards, their "shards" property.
	Shard  *results.Shard
	Merged *results.Merged
}

// Suites is the junit.xml document.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite holds one API family's checks against one target.
type Suite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr,omitempty"`
	Properties []Property `xml:"properties>property"`
	Cases      []Case     `xml:"testcase"`
}

// Property is a name/value pair of a suite.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Case is one check.
type Case struct {
	Name      string  `xml:"name,attr"`
	Classname string  `xml:"classname,attr"`
	Time      string  `xml:"time,attr"`
	Failure   *Result `xml:"failure,omitempty"`
	Error     *Result `xml:"error,omitempty"`
	Skipped   *Result `xml:"skipped,omitempty"`
	SystemOut string  `xml:"system-out,omitempty"`
}

// Result is a <failure>, <error> or <skipped> element: type is the verdict,
// message the one-line reason, the text Ginkgo's full failure message.
type Result struct {
	Type    string `xml:"type,attr,omitempty"`
	Message string `xml:"message,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Write renders the run's results to path atomically, through the
// redactor.
func Write(path string, res results.Results, ix *results.Index, red textRedactor, opts Options) error {
	out, err := Encode(res, ix, opts)
	if err != nil {
		return err
	}
	// Ginkgo's failure messages are copied verbatim; the redactor scrubs any
	// value it learned while recording, the last line of defence for this sink.
	return atomicfile.Write(path, []byte(red.Known(string(out))), 0o644)
}

// Encode is junit.xml's bytes (Build, indented, with the XML header and a
// final newline), before the redactor's last pass.
func Encode(res results.Results, ix *results.Index, opts Options) ([]byte, error) {
	out, err := xml.MarshalIndent(Build(res, ix, opts), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("junit.xml: %w", err)
	}
	return append(append([]byte(xml.Header), out...), '\n'), nil
}

// Build derives the document from the run's results: one testcase per
// check, in results.json's order, with the verdict results.json gives. ix
// (the run's results.Index; nil when only results.json is at hand) adds
// what results.json does not keep: each spec's run time and Ginkgo's full
// failure text, joined by check id. It is a pure function.
func Build(res results.Results, ix *results.Index, opts Options) Suites {
	suites := map[string]*Suite{}
	totals := map[string]float64{} // seconds per suite
	counts := map[string]map[verdict.Verdict]int{}
	var order []string
	for _, c := range res.Checks {
		var spec *types.SpecReport
		if ix != nil {
			if e, ok := ix.Lookup(c.ID); ok {
				spec = e.Spec
			}
		}
		family := familyOf(c)
		s, ok := suites[family]
		if !ok {
			s = &Suite{Name: suiteName(family, opts)}
			suites[family] = s
			order = append(order, family)
			counts[family] = map[verdict.Verdict]int{}
		}
		tc, secs := testcase(spec, c, family)
		s.Cases = append(s.Cases, tc)
		s.Tests++
		totals[family] += secs
		switch verdict.JUnitElement(c.Verdict) {
		case verdict.JUnitFailure:
			s.Failures++
		case verdict.JUnitError:
			s.Errors++
		case verdict.JUnitSkipped:
			s.Skipped++
		}
		counts[family][c.Verdict]++
	}
	if len(order) == 0 {
		// An empty selection still says what it was run against.
		suites[""] = &Suite{Name: suiteName("", opts)}
		order = append(order, "")
	}
	sort.Strings(order)
	doc := Suites{Name: suiteName("", opts), Time: seconds(res.FinishedAt.Sub(res.StartedAt).Seconds())}
	for _, family := range order {
		s := suites[family]
		s.Time = seconds(totals[family])
		if !res.StartedAt.IsZero() {
			s.Timestamp = res.StartedAt.UTC().Format("2006-01-02T15:04:05")
		}
		s.Properties = suiteProperties(family, res.LabelFilter, opts, counts[family])
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Suites = append(doc.Suites, *s)
	}
	return doc
}

// familyOf is the check's API family; a check that failed before recording
// one falls back to its family label, a setup failure to "harness".
func familyOf(c results.Check) string {
	if c.Family != "" {
		return c.Family
	}
	for _, l := range c.Labels {
		switch l {
		case "client", "openapi", "manager":
			return l
		}
	}
	if c.Operation == "" {
		return "harness"
	}
	return ""
}

// suiteName is "mmcontract <family> <target>": the target is the base URL,
// or just "simulator", whose loopback port changes on every run.
func suiteName(family string, opts Options) string {
	parts := []string{"mmcontract"}
	if family != "" {
		parts = append(parts, family)
	}
	switch {
	case opts.TargetKind == results.TargetSimulator:
		parts = append(parts, "simulator")
	case opts.Target != "":
		parts = append(parts, opts.Target)
	}
	return strings.Join(parts, " ")
}

func suiteProperties(family, filter string, opts Options, counts map[verdict.Verdict]int) []Property {
	props := []Property{{"target", opts.Target}, {"target_kind", opts.TargetKind}}
	if family != "" {
		props = append(props, Property{"family", family})
	}
	if filter != "" {
		props = append(props, Property{"label_filter", filter})
	}
	if opts.Shard != nil {
		props = append(props, Property{"shard", opts.Shard.String()})
	}
	if opts.Merged != nil {
		props = append(props, Property{"shards", results.MergedText(*opts.Merged)})
	}
	var vs []verdict.Verdict
	for v, n := range counts {
		if n > 0 {
			vs = append(vs, v)
		}
	}
	props = append(props, Property{"verdict", string(verdict.Worst(vs...))})
	// The XSD counts failures, errors and skips; the other verdicts (flaky,
	// drifted) would be lost without these.
	sort.Slice(vs, func(i, j int) bool { return vs[i].MoreSevere(vs[j]) })
	for _, v := range vs {
		props = append(props, Property{"checks." + string(v), fmt.Sprint(counts[v])})
	}
	return props
}

// testcase is the check's testcase and its run time in seconds; spec, when
// known, gives the run time and Ginkgo's full failure text.
func testcase(spec *types.SpecReport, c results.Check, family string) (Case, float64) {
	var secs float64
	full := c.Message
	if spec != nil {
		secs = spec.RunTime.Seconds()
		full = strings.TrimSpace(spec.Failure.Message)
	}
	tc := Case{Name: caseName(c), Classname: classname(family, c.Operation), Time: seconds(secs)}
	r := &Result{Type: string(c.Verdict), Message: c.Message}
	if full != "" && full != c.Message {
		r.Text = full
	}
	if c.Location != "" {
		r.Text = strings.TrimLeft(r.Text+"\nat "+c.Location, "\n")
	}
	switch verdict.JUnitElement(c.Verdict) {
	case verdict.JUnitFailure:
		tc.Failure = r
	case verdict.JUnitError:
		tc.Error = r
	case verdict.JUnitSkipped:
		tc.Skipped = &Result{Message: c.Message}
	}
	tc.SystemOut = systemOut(c)
	return tc, secs
}

// caseName is the spec text followed by its labels, which CI UIs have no
// other place to show and users filter by ("… [findCustomerInfo, client]").
func caseName(c results.Check) string {
	if len(c.Labels) == 0 {
		return strings.TrimSpace(c.Spec) // a setup node without text: "BeforeSuite"
	}
	return c.Spec + " [" + strings.Join(c.Labels, ", ") + "]"
}

// classname is family and operation, e.g.
// client.customer.app.CustomerWebApiService.findCustomerInfo.
func classname(family, operation string) string {
	switch {
	case operation == "" && family == "":
		return "mmcontract"
	case operation == "":
		return family
	case family == "":
		return operation
	}
	return family + "." + operation
}

// systemOut carries what junit-10.xsd has no attribute for: the verdict and
// the exchange's facts, then each drift difference and violation.
func systemOut(c results.Check) string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict: %s\n", c.Verdict)
	if c.Operation != "" {
		fmt.Fprintf(&b, "operation: %s\n", c.Operation)
	}
	if c.Step != "" {
		fmt.Fprintf(&b, "step: %s\n", c.Step)
	}
	if c.HTTPStatus != 0 {
		fmt.Fprintf(&b, "http_status: %d\n", c.HTTPStatus)
	}
	if c.EnvelopeCode != "" {
		fmt.Fprintf(&b, "envelope_code: %s\n", c.EnvelopeCode)
	}
	if c.Attempts > 1 {
		fmt.Fprintf(&b, "attempts: %d\n", c.Attempts)
	}
	if c.Message != "" && verdict.JUnitElement(c.Verdict) == verdict.JUnitPass {
		fmt.Fprintf(&b, "message: %s\n", c.Message)
	}
	for _, d := range c.Drift {
		fmt.Fprintf(&b, "drift %s: %s %s (baseline %s, observed %s) fingerprint=%s\n",
			d.Severity, d.Change, d.Pointer, d.Baseline, d.Observed, d.Fingerprint)
	}
	for _, v := range c.Violations {
		p := v.Pointer
		if p == "" {
			p = "(root)"
		}
		fmt.Fprintf(&b, "violation %s [%s]: expected %s, saw %s\n", p, v.Keyword, v.Expected, v.Seen)
	}
	return b.String()
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }
