package results

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Meta is what results.json says about the run beyond Ginkgo's report.
type Meta struct {
	Target     string
	TargetKind string // TargetSimulator or TargetVendor
	// ConfigError is the set-up problem the runner found before the run, if
	// any; without it, the first config check's problem is reported.
	ConfigError *verdict.ConfigError
	Version     string
	Commit      string
	LabelFilter string
	Baseline    string
	// Shard is the shard a sharded run checked; nil when not sharded.
	Shard *Shard
	// RatePerMinute is the per-operation client rate the run used.
	RatePerMinute int
}

// Build derives results.json from Ginkgo's report. It is a pure function:
// the same report always gives the same results.
func Build(report types.Report, meta Meta) Results {
	return BuildIndexed(report, NewIndex([]types.Report{report}), meta)
}

// BuildIndexed is Build for a report already indexed (ix is NewIndex of
// exactly this report), so the writers of one run share one decode.
func BuildIndexed(report types.Report, ix *Index, meta Meta) Results {
	res := Results{
		SchemaVersion: SchemaVersion,
		Target:        meta.Target,
		TargetKind:    meta.TargetKind,
		ConfigError:   meta.ConfigError,
		Interrupted:   Interrupted(report),
		StartedAt:     report.StartTime.UTC(),
		FinishedAt:    report.EndTime.UTC(),
		Version:       meta.Version,
		Commit:        meta.Commit,
		LabelFilter:   meta.LabelFilter,
		Baseline:      meta.Baseline,
		Shard:         meta.Shard,
		RatePerMinute: meta.RatePerMinute,
		Counts:        map[verdict.Verdict]int{},
		Checks:        make([]Check, 0, len(ix.Entries())),
	}
	for _, v := range verdict.AlwaysCounted() {
		res.Counts[v] = 0
	}
	for _, e := range ix.Entries() {
		spec := *e.Spec
		if spec.LeafNodeType != types.NodeTypeIt {
			// A failed setup node (BeforeSuite, a report node) is a harness
			// error: the checks it guards did not run as designed.
			res.Counts[verdict.Error]++
			res.Checks = append(res.Checks, setupFailure(spec, e.ID))
			continue
		}
		c := checkOf(spec, e.Observation, e.ID)
		if res.Interrupted && c.Verdict == verdict.Skipped && c.Message == "" && spec.NumAttempts == 0 {
			// Selected but never attempted: the run was stopped first.
			c.Message = "not run: interrupted"
		}
		res.Counts[c.Verdict]++
		res.Checks = append(res.Checks, c)
		if c.Verdict == verdict.Config && res.ConfigError == nil {
			res.ConfigError = &verdict.ConfigError{Kind: e.Observation.ConfigKind, Message: c.Message}
		}
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

// interruptedReason is how Ginkgo's report names a run stopped by a signal.
const interruptedReason = "Interrupted by User"

// Interrupted reports whether the run was stopped by SIGINT or SIGTERM.
func Interrupted(report types.Report) bool {
	for _, r := range report.SpecialSuiteFailureReasons {
		if r == interruptedReason {
			return true
		}
	}
	return false
}

// Selector returns whether a spec of report is a check of the run: every
// spec the run's label filter selects. Ginkgo reports the specs the filter
// left out as skipped, never attempted; they are not checks of this run and
// must not be counted (results.json, the summary and JUnit all leave them
// out, using this one function).
func Selector(report types.Report) func(types.SpecReport) bool {
	filter, err := types.ParseLabelFilter(report.SuiteConfig.LabelFilter)
	if err != nil {
		filter = func([]string) bool { return true }
	}
	return func(spec types.SpecReport) bool {
		if spec.LeafNodeType != types.NodeTypeIt || spec.NumAttempts > 0 || !spec.State.Is(types.SpecStateSkipped) {
			return true
		}
		return filter(spec.Labels())
	}
}

// Checked is report without the specs its label filter left out: what a
// run keeps in ginkgo.json. They were never attempted and are no checks of
// the run, so every reader of ginkgo.json (results.json, junit.xml, the HTML
// report, merge, baseline accept) derives the same from it, and a smoke run
// no longer writes the whole tree's specs (most of its ginkgo.json).
func Checked(report types.Report) types.Report {
	selected := Selector(report)
	kept := make([]types.SpecReport, 0, len(report.SpecReports))
	for _, spec := range report.SpecReports {
		if selected(spec) {
			kept = append(kept, spec)
		}
	}
	report.SpecReports = kept
	return report
}

// CheckOf derives one check from a spec report on its own, as the
// progress lines do while the run goes on; its id is that of the first spec
// with its text (Index gives every check of a report its unique id).
func CheckOf(spec types.SpecReport) Check {
	obs, _ := ObservationOf(spec)
	return checkOf(spec, obs, CheckID(spec.FullText()))
}

func checkOf(spec types.SpecReport, obs contract.Observation, id string) Check {
	c := Check{
		ID:           id,
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
		Step:         obs.Step,
	}
	if c.Labels == nil {
		c.Labels = []string{}
	}
	if c.Violations == nil {
		c.Violations = []contract.Violation{}
	}
	if c.Operation == "" && len(spec.ContainerHierarchyTexts) > 0 {
		c.Operation = strings.Fields(spec.ContainerHierarchyTexts[0])[0]
	}
	switch c.Verdict {
	case verdict.Pass:
	case verdict.Drifted:
		c.Message = fmt.Sprintf("%d drift difference(s), none breaking", len(obs.Drift))
	case verdict.Skipped:
		c.Message = oneline.First(spec.Failure.Message, oneline.MaxMessage)
		if spec.State.Is(types.SpecStateInterrupted) {
			c.Message = "not finished: interrupted"
		}
	case verdict.Flaky:
		c.Message = fmt.Sprintf("passed on attempt %d", spec.NumAttempts)
	default:
		c.Message = oneline.First(spec.Failure.Message, oneline.MaxMessage)
		if obs.Reason != "" && (c.Verdict == verdict.Unavailable || c.Verdict == verdict.Config) {
			c.Message = oneline.First(obs.Reason, oneline.MaxMessage)
		}
		if c.Message == "" {
			c.Message = spec.State.String()
		}
		c.Location = relativeLocation(spec.Failure.Location)
	}
	return c
}

// VerdictOf maps Ginkgo's spec state and the spec's observation to a verdict.
func VerdictOf(spec types.SpecReport, obs contract.Observation) verdict.Verdict {
	switch {
	case spec.State.Is(types.SpecStatePassed):
		if spec.NumAttempts > 1 {
			return verdict.Flaky
		}
		if obs.Outcome == verdict.Drifted {
			return verdict.Drifted
		}
		return verdict.Pass
	case spec.State.Is(types.SpecStateSkipped | types.SpecStatePending | types.SpecStateInterrupted):
		// An interrupted spec was stopped by the user, not by the vendor.
		return verdict.Skipped
	case spec.State.Is(types.SpecStatePanicked):
		// A panic in a spec is our bug, not the vendor's.
		return verdict.Error
	case obs.Outcome == verdict.Config:
		// The set-up is wrong: nothing was learned about the contract.
		return verdict.Config
	case spec.State.Is(types.SpecStateTimedout | types.SpecStateAborted):
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
func ObservationOf(spec types.SpecReport) (contract.Observation, bool) {
	var obs contract.Observation
	found := false
	for _, e := range spec.ReportEntries {
		if e.Name != contract.EntryName {
			continue
		}
		if o, ok, err := decodeEntry(e); ok && err == nil {
			obs, found = o, true
		}
	}
	return obs, found
}

// CheckID is stable across runs: the same spec text gives the same id
// (Index disambiguates specs that share a text).
func CheckID(fullText string) string {
	sum := sha256.Sum256([]byte(fullText))
	return hex.EncodeToString(sum[:8])
}

func setupFailure(spec types.SpecReport, id string) Check {
	return Check{
		ID:         id,
		Spec:       setupText(spec),
		Labels:     []string{},
		Verdict:    verdict.Error,
		Message:    oneline.First(spec.Failure.Message, oneline.MaxMessage),
		Location:   relativeLocation(spec.Failure.Location),
		Violations: []contract.Violation{},
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
