package results

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Meta is what results.json says about the run beyond Ginkgo's report.
type Meta struct {
	Target      string
	Version     string
	Commit      string
	LabelFilter string
	Baseline    string
}

// Build derives results.json from Ginkgo's report. It is a pure function:
// the same report always gives the same results.
func Build(report types.Report, meta Meta) Results {
	res := Results{
		SchemaVersion: SchemaVersion,
		Target:        meta.Target,
		StartedAt:     report.StartTime.UTC(),
		FinishedAt:    report.EndTime.UTC(),
		Version:       meta.Version,
		Commit:        meta.Commit,
		LabelFilter:   meta.LabelFilter,
		Baseline:      meta.Baseline,
		Counts:        map[verdict.Verdict]int{},
		Checks:        []Check{},
	}
	for _, v := range []verdict.Verdict{verdict.Pass, verdict.Broken, verdict.Unavailable, verdict.Skipped, verdict.Drifted, verdict.Flaky} {
		res.Counts[v] = 0
	}
	for _, spec := range report.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt {
			// A failed setup node (BeforeSuite, a report node) is a harness
			// error: the checks it guards did not run as designed.
			if spec.State.Is(types.SpecStateFailureStates) {
				res.Counts[verdict.Error]++
				res.Checks = append(res.Checks, setupFailure(spec))
			}
			continue
		}
		c := CheckOf(spec)
		res.Counts[c.Verdict]++
		res.Checks = append(res.Checks, c)
	}
	worst := verdict.Skipped
	for v, n := range res.Counts {
		if n > 0 {
			worst = verdict.Worst(worst, v)
		}
	}
	res.Verdict = worst
	return res
}

// Selector returns whether a spec of report is a check of the run: every
// spec the run's label filter selects. Ginkgo reports the specs the filter
// left out as skipped and never attempted, exactly as it reports a selected
// spec it never reached after an interrupt, so the filter itself is asked
// again. Specs the filter left out are not checks of this run (junit.xml
// has no testcase for them).
func Selector(report types.Report) func(types.SpecReport) bool {
	filter, err := types.ParseLabelFilter(report.SuiteConfig.LabelFilter)
	if err != nil {
		filter = func([]string) bool { return true } // the runner rejects a bad filter before any spec runs
	}
	return func(spec types.SpecReport) bool {
		if spec.LeafNodeType != types.NodeTypeIt || spec.NumAttempts > 0 || !spec.State.Is(types.SpecStateSkipped) {
			return true
		}
		return filter(spec.Labels())
	}
}

// CheckOf derives one check from a spec report.
func CheckOf(spec types.SpecReport) Check {
	obs, _ := ObservationOf(spec)
	c := Check{
		ID:           CheckID(spec.FullText()),
		Operation:    obs.Operation,
		Family:       obs.Family,
		Spec:         spec.FullText(),
		Labels:       spec.Labels(),
		Verdict:      VerdictOf(spec, obs),
		LatencyMS:    obs.LatencyMS,
		HTTPStatus:   obs.HTTPStatus,
		EnvelopeCode: obs.EnvelopeCode,
		Attempts:     spec.NumAttempts,
		Violations:   obs.Violations,
		Drift:        obs.Drift,
	}
	if c.Labels == nil {
		c.Labels = []string{}
	}
	if c.Violations == nil {
		c.Violations = []Violation{}
	}
	if c.Operation == "" && len(spec.ContainerHierarchyTexts) > 0 {
		c.Operation = strings.Fields(spec.ContainerHierarchyTexts[0])[0]
	}
	switch c.Verdict {
	case verdict.Pass:
	case verdict.Drifted:
		c.Message = fmt.Sprintf("%d drift difference(s), none breaking", len(obs.Drift))
	case verdict.Skipped:
		c.Message = oneLine(spec.Failure.Message)
	case verdict.Flaky:
		c.Message = fmt.Sprintf("passed on attempt %d", spec.NumAttempts)
	default:
		c.Message = oneLine(spec.Failure.Message)
		if obs.Reason != "" && c.Verdict == verdict.Unavailable {
			c.Message = oneLine(obs.Reason)
		}
		if c.Message == "" {
			c.Message = spec.State.String()
		}
		c.Location = relativeLocation(spec.Failure.Location)
	}
	return c
}

// VerdictOf maps Ginkgo's spec state and the spec's observation to a verdict.
func VerdictOf(spec types.SpecReport, obs Observation) verdict.Verdict {
	switch {
	case spec.State.Is(types.SpecStatePassed):
		if spec.NumAttempts > 1 {
			return verdict.Flaky
		}
		if obs.Outcome == verdict.Drifted {
			return verdict.Drifted
		}
		return verdict.Pass
	case spec.State.Is(types.SpecStateSkipped | types.SpecStatePending):
		return verdict.Skipped
	case spec.State.Is(types.SpecStatePanicked):
		// A panic in a spec is our bug, not the vendor's.
		return verdict.Error
	case spec.State.Is(types.SpecStateTimedout | types.SpecStateInterrupted | types.SpecStateAborted):
		// The spec ran out of time waiting for the vendor.
		return verdict.Unavailable
	case obs.Outcome == verdict.Unavailable:
		return verdict.Unavailable
	default:
		return verdict.Broken
	}
}

// ObservationOf returns the spec's recorded observation (the last one, if a
// flake retry recorded several).
func ObservationOf(spec types.SpecReport) (Observation, bool) {
	var obs Observation
	found := false
	for _, e := range spec.ReportEntries {
		if e.Name != EntryName {
			continue
		}
		// In-process the entry holds the Go value; read back from
		// ginkgo.json it holds only its JSON.
		if o, ok := e.Value.GetRawValue().(Observation); ok {
			obs, found = o, true
			continue
		}
		var o Observation
		if err := json.Unmarshal([]byte(e.Value.AsJSON), &o); err == nil {
			obs, found = o, true
		}
	}
	return obs, found
}

// CheckID is stable across runs: the same spec text gives the same id.
func CheckID(fullText string) string {
	sum := sha256.Sum256([]byte(fullText))
	return hex.EncodeToString(sum[:8])
}

func setupFailure(spec types.SpecReport) Check {
	return Check{
		ID:         CheckID(spec.LeafNodeType.String() + " " + spec.LeafNodeText),
		Spec:       spec.LeafNodeType.String() + " " + spec.LeafNodeText,
		Labels:     []string{},
		Verdict:    verdict.Error,
		Message:    oneLine(spec.Failure.Message),
		Location:   relativeLocation(spec.Failure.Location),
		Violations: []Violation{},
	}
}

func relativeLocation(loc types.CodeLocation) string {
	if loc.FileName == "" {
		return ""
	}
	name := loc.FileName
	// Paths inside the module read best relative to it, e.g. suites/register.go:88.
	if i := strings.LastIndex(name, "/suites/"); i >= 0 {
		name = name[i+1:]
	} else {
		name = filepath.Base(name)
	}
	return fmt.Sprintf("%s:%d", name, loc.LineNumber)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// Sorted returns the verdicts present in counts, most severe first, for
// stable summaries.
func (r Results) Sorted() []verdict.Verdict {
	var vs []verdict.Verdict
	for v := range r.Counts {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].MoreSevere(vs[j]) })
	return vs
}

// Duration is how long the run took.
func (r Results) Duration() time.Duration { return r.FinishedAt.Sub(r.StartedAt) }
