package runner

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// progress prints one line per finished check while the run goes on.
type progress struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

func (p *progress) spec(r types.SpecReport) {
	if r.LeafNodeType != types.NodeTypeIt || r.State.Is(types.SpecStateSkipped) && r.Failure.Message == "" {
		return // filtered-out specs would drown the interesting lines
	}
	c := results.CheckOf(r)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	line := fmt.Sprintf("%-11s %s", strings.ToUpper(string(c.Verdict)), c.Spec)
	if c.LatencyMS > 0 {
		line += fmt.Sprintf(" (%d ms)", c.LatencyMS)
	}
	fmt.Fprintln(p.w, line)
}

// printSummary writes the one-screen summary: counts, then what needs a
// person's attention, one line each, then where the artifacts are.
func printSummary(w io.Writer, res results.Results, opts Options) {
	printVerdict(w, res, opts.OutDir)
	if opts.BaselineDir == "" && hasShapes(res) {
		fmt.Fprintf(w, "no baseline: drift was checked against the schemas only. Create one with:\n  mmcontract baseline accept --from %s --baseline baselines/\n", opts.OutDir)
	}
}

// printVerdict is the summary up to where the outputs are, the part every
// command that runs checks shares.
func printVerdict(w io.Writer, res results.Results, outDir string) {
	fmt.Fprintf(w, "\n%s — verdict %s in %s\n", res.Target, strings.ToUpper(string(res.Verdict)), res.Duration().Round(1e6))
	var parts []string
	for _, v := range verdict.SummaryOrder() {
		if n := res.Counts[v]; n > 0 || v == verdict.Pass {
			parts = append(parts, fmt.Sprintf("%d %s", n, v))
		}
	}
	fmt.Fprintf(w, "checks: %s\n", strings.Join(parts, ", "))
	if res.TargetKind == results.TargetSimulator {
		fmt.Fprintln(w, "target: the embedded simulator, not the vendor (set MM_BASE_URL, or --require-target to refuse this)")
	}
	if ce := res.ConfigError; ce != nil {
		fmt.Fprintf(w, "set-up problem (%s): %s\n", ce.Kind, ce.Message)
	}
	if res.Interrupted {
		fmt.Fprintln(w, "interrupted: the checks not run are skipped with \"not run: interrupted\"")
	}
	if b := res.Baselines; b != nil {
		fmt.Fprintf(w, "baseline %s: %d of %d operations checked had a baseline\n", b.Dir, b.OperationsWithBaseline, b.OperationsChecked)
	}
	const maxLines = 20
	lines := 0
	for _, c := range res.Checks {
		if c.Verdict == verdict.Pass || c.Verdict == verdict.Skipped {
			continue
		}
		if c.Verdict == verdict.Config && res.ConfigError != nil {
			continue // the set-up problem line says it once
		}
		if lines == maxLines {
			fmt.Fprintf(w, "  … more in %s/report.html\n", outDir)
			break
		}
		lines++
		fmt.Fprintf(w, "  %-11s %s: %s\n", c.Verdict, c.Spec, c.Message)
		for _, v := range c.Violations {
			fmt.Fprintf(w, "      %s [%s] expected %s, saw %s\n", pointer(v.Pointer), v.Keyword, v.Expected, v.Seen)
		}
	}
	printDrift(w, res)
	fmt.Fprintf(w, "outputs: %s/{results.json,junit.xml,ginkgo.json,report.html}\n", outDir)
}

// printDrift lists each distinct drift difference once (several specs of an
// operation share it), one line each.
func printDrift(w io.Writer, res results.Results) {
	seen := map[string]bool{}
	var lines []string
	for _, c := range res.Checks {
		for _, d := range c.Drift {
			if seen[d.Fingerprint] {
				continue
			}
			seen[d.Fingerprint] = true
			lines = append(lines, fmt.Sprintf("  drift %-8s %s %s %s (baseline %s, observed %s)", d.Severity, c.Operation, d.Pointer, d.Change, d.Baseline, d.Observed))
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

func hasShapes(res results.Results) bool {
	for _, c := range res.Checks {
		if c.Operation != "" {
			return true
		}
	}
	return false
}

func pointer(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}
