package runner

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// ShardRun is one shard's outputs, as `mmcontract merge` reads them.
type ShardRun struct {
	Dir     string // where they were read from, for messages
	Results results.Results
	Reports []types.Report // ginkgo.json
}

// MergeOptions configure Merge.
type MergeOptions struct {
	OutDir       string
	FailOn       verdict.FailOn
	AllowPartial bool // a missing shard index is reported, not refused
	Redaction    redact.Config
}

// Merge combines the shards of one sharded run into the outputs the
// unsharded run would have written: results.json, junit.xml, ginkgo.json
// and report.html are rebuilt from the shards' Ginkgo reports, so counts and
// verdict are recomputed, never added up. Shards of different commits,
// label filters, targets or totals, duplicates, and (without AllowPartial)
// missing indices are refused as usage errors naming the difference.
func Merge(shards []ShardRun, opts MergeOptions, stdout, stderr io.Writer) (Outcome, error) {
	merged, err := checkShards(shards, opts.AllowPartial)
	if err != nil {
		return Outcome{}, err
	}
	if err := checkWritable(opts.OutDir); err != nil {
		return Outcome{}, err
	}
	first := shards[0].Results
	report := mergeReports(shards)
	var setup *verdict.ConfigError
	for _, s := range shards {
		if setup == nil {
			setup = s.Results.ConfigError
		}
	}
	ix := results.NewIndex([]types.Report{report})
	res := results.BuildIndexed(report, ix, results.Meta{
		Target: mergedTarget(first), TargetKind: first.TargetKind, Version: first.Version, Commit: first.Commit,
		LabelFilter: first.LabelFilter, Baseline: first.Baseline, ConfigError: setup, RatePerMinute: first.RatePerMinute,
	})
	res.Merged = &merged
	res.Baselines = mergeBaselines(shards)
	red := redact.New(opts.Redaction)
	if err := writeOutputs(opts.OutDir, report, ix, res, red); err != nil {
		return Outcome{}, err
	}
	console := red.Writer(stdout)
	fmt.Fprintf(console, "mmcontract merge: %s\n", results.MergedText(merged))
	printSummary(console, res, Options{OutDir: opts.OutDir, BaselineDir: res.Baseline})
	return Outcome{Results: res, ExitCode: exitCode(res, Options{FailOn: opts.FailOn, OutDir: opts.OutDir, BaselineDir: res.Baseline}, red, stderr)}, nil
}

// checkShards refuses shards that are not parts of one run, and says which
// of the run's shards are present.
func checkShards(shards []ShardRun, allowPartial bool) (results.Merged, error) {
	var m results.Merged
	if len(shards) == 0 {
		return m, usagef("no shard outputs given")
	}
	first := shards[0]
	byIndex := map[int]string{}
	for _, s := range shards {
		r := s.Results
		if r.Shard == nil {
			return m, usagef("%s is not a shard's output (its results.json has no \"shard\"; run with --shard I/N)", s.Dir)
		}
		if len(s.Reports) != 1 {
			return m, usagef("%s/ginkgo.json holds %d reports, want the one of a run", s.Dir, len(s.Reports))
		}
		differ := func(what, a, b string) error {
			return usagef("%s and %s are not shards of one run: different %s (%q and %q)", first.Dir, s.Dir, what, a, b)
		}
		f := first.Results
		switch {
		case r.SchemaVersion != f.SchemaVersion:
			return m, differ("results.json schema_version", fmt.Sprint(f.SchemaVersion), fmt.Sprint(r.SchemaVersion))
		case r.Commit != f.Commit || r.Version != f.Version:
			return m, differ("mmcontract commit", f.Version+" "+f.Commit, r.Version+" "+r.Commit)
		case r.LabelFilter != f.LabelFilter:
			return m, differ("label filter", f.LabelFilter, r.LabelFilter)
		case r.TargetKind != f.TargetKind || mergedTarget(r) != mergedTarget(f):
			return m, differ("target", mergedTarget(f), mergedTarget(r))
		case r.Baseline != f.Baseline:
			return m, differ("baseline", f.Baseline, r.Baseline)
		case r.Shard.Total != f.Shard.Total:
			return m, differ("shard total", fmt.Sprint(f.Shard.Total), fmt.Sprint(r.Shard.Total))
		}
		if dir, dup := byIndex[r.Shard.Index]; dup {
			return m, usagef("shard %s given twice: %s and %s", r.Shard, dir, s.Dir)
		}
		byIndex[r.Shard.Index] = s.Dir
		m.Shards = append(m.Shards, r.Shard.Index)
	}
	m.Total = first.Results.Shard.Total
	sort.Ints(m.Shards)
	for i := 1; i <= m.Total; i++ {
		if _, ok := byIndex[i]; !ok {
			m.Missing = append(m.Missing, i)
		}
	}
	if len(m.Missing) > 0 && !allowPartial {
		return m, usagef("%s: give every shard's output, or --allow-partial to merge what is there", results.MergedText(m))
	}
	return m, nil
}

// simulatorAddress is the embedded simulator's loopback address in a
// target's description: it differs in every shard, the target does not.
var simulatorAddress = regexp.MustCompile(`^simulator \(http://[^,]*, `)

func mergedTarget(r results.Results) string {
	if r.TargetKind == results.TargetSimulator {
		return simulatorAddress.ReplaceAllString(r.Target, "simulator (")
	}
	return r.Target
}

// mergeReports makes one Ginkgo report of the shards': their specs in shard
// order, the run's span from the first start to the last end.
func mergeReports(shards []ShardRun) types.Report {
	ordered := append([]ShardRun(nil), shards...)
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].Results.Shard.Index < ordered[j].Results.Shard.Index })
	out := ordered[0].Reports[0]
	out.SpecReports = nil
	out.SpecialSuiteFailureReasons = nil
	out.PreRunStats = types.PreRunStats{}
	out.SuiteSucceeded = true
	seen := map[string]bool{}
	for _, s := range ordered {
		r := s.Reports[0]
		out.SpecReports = append(out.SpecReports, r.SpecReports...)
		out.PreRunStats.TotalSpecs += r.PreRunStats.TotalSpecs
		out.PreRunStats.SpecsThatWillRun += r.PreRunStats.SpecsThatWillRun
		out.SuiteSucceeded = out.SuiteSucceeded && r.SuiteSucceeded
		for _, reason := range r.SpecialSuiteFailureReasons {
			if !seen[reason] {
				seen[reason] = true
				out.SpecialSuiteFailureReasons = append(out.SpecialSuiteFailureReasons, reason)
			}
		}
		if r.StartTime.Before(out.StartTime) {
			out.StartTime = r.StartTime
		}
		if r.EndTime.After(out.EndTime) {
			out.EndTime = r.EndTime
		}
	}
	out.RunTime = out.EndTime.Sub(out.StartTime).Round(time.Millisecond)
	return out
}

// mergeBaselines adds up the shards' baseline accounts: their operations
// are disjoint.
func mergeBaselines(shards []ShardRun) *results.Baselines {
	var total *results.Baselines
	for _, s := range shards {
		b := s.Results.Baselines
		if b == nil {
			continue
		}
		if total == nil {
			total = &results.Baselines{Dir: b.Dir}
		}
		total.OperationsWithBaseline += b.OperationsWithBaseline
		total.OperationsChecked += b.OperationsChecked
	}
	return total
}
