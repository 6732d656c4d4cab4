// Package junit writes junit.xml from Ginkgo's report, shaped on purpose for
// the CI systems that read it (GitHub, GitLab, Jenkins): one testcase per
// spec, breaking drift as a failure naming the pointer, and warning or info
// drift as testcase properties and system-out on a passing testcase.
package junit

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/atomicfile"
	"github.com/mmcontract/mmcontract/reports/results"
)

// textRedactor is the part of *redact.Redactor this package needs: the
// learned-value scrub, since the XML is our own document (its vendor text was
// redacted while recording).
type textRedactor interface{ Known(string) string }

// config is the deliberate shape of our JUnit output.
var config = reporters.JunitReportConfig{
	// Timelines repeat what the failure message and system-out already say,
	// and they would carry every report entry, including recorded bodies.
	OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped | types.SpecStatePending |
		types.SpecStateFailed | types.SpecStatePanicked | types.SpecStateTimedout | types.SpecStateInterrupted |
		types.SpecStateAborted,
	// Specs never write to stdout; anything captured would be noise.
	OmitCapturedStdOutErr: true,
	// Labels stay in the name: CI UIs have no other place to show them, and
	// users filter by them ("[findCustomerInfo, client, customer, readonly]").
	OmitSpecLabels: false,
	// Every testcase is an It; "[It]" in each name is noise.
	OmitLeafNodeType: true,
	// Setup nodes are not checks; a failing one surfaces as a harness error
	// in results.json and the exit code.
	OmitSuiteSetupNodes: true,
}

// Write renders report to path atomically. Ginkgo's generator gives the
// structure; we then replace the raw report-entry properties (a JSON dump of
// each observation) with the few properties a CI reader wants.
func Write(path string, report types.Report, checks []results.Check, red textRedactor) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".junit-*.xml")
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	tmpName := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(tmpName)
	if err := reporters.GenerateJUnitReportWithConfig(report, tmpName, config); err != nil {
		return fmt.Errorf("junit: generating: %w", err)
	}
	raw, err := os.ReadFile(tmpName)
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &suites); err != nil {
		return fmt.Errorf("junit: re-reading ginkgo's output: %w", err)
	}
	bySpec := map[string]results.Check{}
	for _, c := range checks {
		bySpec[c.Spec] = c
	}
	for si := range suites.TestSuites {
		for ci := range suites.TestSuites[si].TestCases {
			shape(&suites.TestSuites[si].TestCases[ci], bySpec)
		}
	}
	out, err := xml.MarshalIndent(suites, "", "  ")
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	// Ginkgo copies failure messages verbatim; the redactor scrubs any value it
	// learned while recording, the last line of defence for this sink.
	return atomicfile.Write(path, []byte(red.Known(xml.Header+string(out)+"\n")), 0o644)
}

func shape(tc *reporters.JUnitTestCase, bySpec map[string]results.Check) {
	c, ok := lookup(tc.Name, bySpec)
	if !ok {
		tc.Properties = nil
		return
	}
	props := []reporters.JUnitProperty{
		{Name: "verdict", Value: string(c.Verdict)},
		{Name: "operation", Value: c.Operation},
	}
	if c.HTTPStatus != 0 {
		props = append(props, reporters.JUnitProperty{Name: "http_status", Value: fmt.Sprint(c.HTTPStatus)})
	}
	if c.EnvelopeCode != "" {
		props = append(props, reporters.JUnitProperty{Name: "envelope_code", Value: c.EnvelopeCode})
	}
	var out strings.Builder
	for i, d := range c.Drift {
		props = append(props, reporters.JUnitProperty{
			Name:  fmt.Sprintf("drift.%d", i),
			Value: fmt.Sprintf("%s %s %s (baseline %s, observed %s) fingerprint=%s", d.Severity, d.Change, d.Pointer, d.Baseline, d.Observed, d.Fingerprint),
		})
		fmt.Fprintf(&out, "drift %s: %s %s (baseline %s, observed %s)\n", d.Severity, d.Change, d.Pointer, d.Baseline, d.Observed)
	}
	for _, v := range c.Violations {
		fmt.Fprintf(&out, "violation %s [%s]: expected %s, saw %s\n", pointer(v.Pointer), v.Keyword, v.Expected, v.Seen)
	}
	tc.Properties = &reporters.JUnitProperties{Properties: props}
	tc.SystemOut = out.String()
	if tc.Failure != nil && c.Verdict == "unavailable" {
		// CI readers sort failures by type; an outage is not a contract break.
		tc.Failure.Type = "unavailable"
	}
}

// lookup finds the check for a testcase name, which Ginkgo renders as the
// full text followed by the labels in brackets.
func lookup(name string, bySpec map[string]results.Check) (results.Check, bool) {
	if c, ok := bySpec[name]; ok {
		return c, true
	}
	if i := strings.LastIndex(name, " ["); i > 0 {
		c, ok := bySpec[name[:i]]
		return c, ok
	}
	return results.Check{}, false
}

func pointer(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}
